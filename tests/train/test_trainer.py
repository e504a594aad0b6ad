import json
import math

import numpy as np
import pytest

from fcn_scratch.checkpoint import read_checkpoint
from fcn_scratch.data import DataLoader, ToySegmentation
from fcn_scratch.models import build
from fcn_scratch.optim import Adam
from fcn_scratch.train import Trainer, TrainingDiverged, evaluate

CONFIG = dict(widths=(4, 8, 8, 8, 8), convs_per_block=1, fc_channels=16, dropout=0.0)


def setup(out, epochs=2, lr=3e-3, train_size=24):
    model = build("fcn8s", num_classes=3, rng=np.random.default_rng(0), **CONFIG)
    train = DataLoader(ToySegmentation("train", train_size, 32, 3), 8, shuffle=True, seed=0)
    val = DataLoader(ToySegmentation("val", 8, 32, 3), 8)
    lines = []
    trainer = Trainer(model, Adam(model, lr), train, val, out, epochs, meta={"note": "test"},
                      print_fn=lines.append, progress_every=0.0)
    return trainer, lines


def test_training_lowers_the_loss_and_writes_its_files(tmp_path):
    trainer, lines = setup(tmp_path, epochs=4)
    history = trainer.fit()
    assert [h["epoch"] for h in history] == [1, 2, 3, 4]
    assert history[-1]["train_loss"] < history[0]["train_loss"] < math.log(3) + 1e-6
    records = [json.loads(l) for l in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert len(records) == 4 and {"mean_iu", "pixel_acc", "mean_acc", "fw_iu"} <= set(records[0])
    assert (tmp_path / "best.npz").exists() and (tmp_path / "last.npz").exists()
    assert read_checkpoint(tmp_path / "last.npz").meta["epoch"] == 4
    assert any("img/s" in line and "left" in line for line in lines)


def test_resume_continues_where_it_stopped(tmp_path):
    full, _ = setup(tmp_path / "full", epochs=3)
    full.fit()
    first, _ = setup(tmp_path / "part", epochs=2)
    first.fit()
    resumed, lines = setup(tmp_path / "part", epochs=3)
    resumed.resume(tmp_path / "part" / "last.npz")
    assert resumed.start_epoch == 3 and resumed.optimizer.steps == 6
    history = resumed.fit()
    assert [h["epoch"] for h in history] == [1, 2, 3]
    a = full.model.state_dict()
    b = resumed.model.state_dict()
    for name in a:
        np.testing.assert_allclose(a[name], b[name], rtol=1e-5, atol=1e-6, err_msg=name)


def test_nan_loss_stops_and_keeps_the_last_good_checkpoint(tmp_path):
    trainer, _ = setup(tmp_path, epochs=2)
    trainer.fit()
    before = (tmp_path / "last.npz").read_bytes()
    trainer, _ = setup(tmp_path, epochs=1)
    trainer.model.conv1_1.params["weight"][...] = np.nan
    with pytest.raises(TrainingDiverged, match="loss became nan at epoch 1, iteration 1"):
        trainer.fit()
    assert (tmp_path / "last.npz").read_bytes() == before


def test_ctrl_c_saves_a_checkpoint(tmp_path):
    trainer, lines = setup(tmp_path, epochs=3)
    original = trainer.train_epoch

    def interrupted(epoch, progress):
        if epoch == 2:
            raise KeyboardInterrupt
        return original(epoch, progress)

    trainer.train_epoch = interrupted
    with pytest.raises(KeyboardInterrupt):
        trainer.fit()
    ckpt = read_checkpoint(tmp_path / "last.npz")
    assert ckpt.meta["interrupted"] is True and ckpt.meta["epoch"] == 1
    assert any("interrupted during epoch 2" in line for line in lines)


def test_evaluate_restores_training_mode():
    model = build("fcn8s", num_classes=3, **CONFIG)
    metrics, confusion = evaluate(model, DataLoader(ToySegmentation("val", 4, 32, 3), 2))
    assert model.training and confusion.matrix.sum() == 4 * 32 * 32
    assert 0 <= metrics["pixel_acc"] <= 1


def test_a_fresh_run_starts_a_fresh_metrics_file(tmp_path):
    setup(tmp_path, epochs=1)[0].fit()
    setup(tmp_path, epochs=1)[0].fit()
    assert len((tmp_path / "metrics.jsonl").read_text().splitlines()) == 1
