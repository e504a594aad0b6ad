"""evaluate_checkpoint: what ``fcn-scratch evaluate`` does, from a checkpoint to its metrics' JSON."""
import json

import pytest

from fcn_scratch.checkpoint import save_checkpoint
from fcn_scratch.data import DataLoader, Preprocessing, ToySegmentation
from fcn_scratch.errors import InputError
from fcn_scratch.train import evaluate, evaluate_checkpoint
from tests.train.test_predict import model_with_scores

PREPROCESSING = Preprocessing("RGB", 1.0, ToySegmentation.mean, ToySegmentation.std)


@pytest.fixture
def checkpoint(tmp_path):
    """A 3-class model that predicts several classes, trained (its meta says) at 32 pixels."""
    path = tmp_path / "run" / "best.npz"
    path.parent.mkdir()
    model = model_with_scores(dropout=0.0)
    save_checkpoint(path, model, meta={"image_size": 32, "preprocessing": PREPROCESSING.to_dict()})
    return path, model


def measured(model, image_size, size=4, seed=0):
    return evaluate(model, DataLoader(ToySegmentation("val", size, image_size, 3, seed), 8,
                                      preprocessing=PREPROCESSING))[0]


def test_evaluate_checkpoint_writes_the_metrics_beside_the_checkpoint(checkpoint):
    path, model = checkpoint
    lines = []
    metrics, out = evaluate_checkpoint(path, size=4, print_fn=lines.append)
    expected = measured(model, 32)                  # the checkpoint's image size
    assert metrics == expected and len([iu for iu in metrics["per_class_iu"] if iu]) >= 2
    assert out == path.with_name("eval_best_val.json")
    assert out.read_text() == json.dumps({"checkpoint": str(path), "data": "toy", "split": "val", **expected},
                                         indent=2)
    assert sorted(p.name for p in path.parent.iterdir()) == ["best.npz", "eval_best_val.json"]
    assert lines[0] == f"fcn8s from {path} on toy / val (4 images of 32 x 32)"
    assert "mean IU" in lines[1] and lines[-1] == f"wrote {out}"


def test_evaluate_checkpoint_takes_the_image_size_and_the_output_it_is_given(checkpoint, tmp_path):
    path, model = checkpoint
    metrics, out = evaluate_checkpoint(path, "toy", "test", size=3, image_size=40, seed=2,
                                       out=tmp_path / "new" / "e.json", print_fn=lambda line: None)
    assert out == tmp_path / "new" / "e.json" and metrics == evaluate(model, DataLoader(
        ToySegmentation("test", 3, 40, 3, 2), 8, preprocessing=PREPROCESSING))[0]
    assert json.loads(out.read_text())["split"] == "test"


def test_evaluate_checkpoint_refuses_to_overwrite_before_the_work(checkpoint, tmp_path):
    path, model = checkpoint
    out = tmp_path / "e.json"
    out.write_text("kept")
    with pytest.raises(InputError, match="e.json already exists; replace it with --overwrite"):
        evaluate_checkpoint(tmp_path / "no such checkpoint.npz", out=out)     # refused before it is read
    assert out.read_text() == "kept"
    with pytest.raises(IsADirectoryError):
        evaluate_checkpoint(path, out=tmp_path)
    metrics, _ = evaluate_checkpoint(path, size=4, out=out, overwrite=True, print_fn=lambda line: None)
    assert json.loads(out.read_text())["mean_iu"] == metrics["mean_iu"] == measured(model, 32)["mean_iu"]


def test_evaluate_checkpoint_refuses_data_of_another_class_count(checkpoint):
    path, _ = checkpoint
    with pytest.raises(InputError, match="^the data has 5 classes but the model predicts 3$"):
        evaluate_checkpoint(path, size=2, num_classes=5, print_fn=lambda line: None)
    assert not path.with_name("eval_best_val.json").exists()
