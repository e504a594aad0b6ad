import json
import math
import os
import signal

import numpy as np
import pytest

from fcn_scratch.checkpoint import load_model, read_checkpoint
from fcn_scratch.data import DataLoader, RandomHorizontalFlip, ToySegmentation
from fcn_scratch.metrics import metrics_from_confusion
from fcn_scratch.models import build
from fcn_scratch.optim import Adam
from fcn_scratch.train import Trainer, TrainingDiverged, evaluate, predict_batch
from fcn_scratch.train.trainer import EXAMPLES

CONFIG = dict(widths=(4, 8, 8, 8, 8), convs_per_block=1, fc_channels=16, dropout=0.0)


def setup(out, epochs=2, lr=3e-3, train_size=24, dropout=0.0, **counted):
    """A trainer of a tiny FCN-8s on toy shapes (3 batches an epoch); ``counted``: ``iterations`` (then
    ``epochs`` is ignored) and ``validate_every``."""
    model = build("fcn8s", num_classes=3, rng=np.random.default_rng(0), **{**CONFIG, "dropout": dropout})
    train = DataLoader(ToySegmentation("train", train_size, 32, 3), 8, shuffle=True, seed=0,
                       transform=RandomHorizontalFlip())
    val = DataLoader(ToySegmentation("val", 8, 32, 3), 8)
    lines = []
    trainer = Trainer(model, Adam(model, lr), train, val, out, None if "iterations" in counted else epochs,
                      meta={"note": "test"}, print_fn=lines.append, progress_every=0.0, **counted)
    return trainer, lines


def test_training_lowers_the_loss_and_writes_its_files(tmp_path):
    trainer, lines = setup(tmp_path, epochs=4)
    history = trainer.fit().history
    assert [h["epoch"] for h in history] == [1, 2, 3, 4]
    assert history[-1]["train_loss"] < history[0]["train_loss"] < math.log(3) + 1e-6
    records = [json.loads(l) for l in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert len(records) == 4 and {"mean_iu", "pixel_acc", "mean_acc", "fw_iu"} <= set(records[0])
    assert (tmp_path / "best.npz").exists() and (tmp_path / "last.npz").exists()
    assert read_checkpoint(tmp_path / "last.npz").meta["epoch"] == 4
    assert any("img/s" in line and "left" in line for line in lines)


def interrupt_at(trainer, step):
    """Press Ctrl-C (send SIGINT) while global step ``step`` is in progress."""
    original = trainer.optimizer.step

    def step_and_interrupt():
        if trainer.optimizer.steps + 1 == step:
            os.kill(os.getpid(), signal.SIGINT)
        original()
    trainer.optimizer.step = step_and_interrupt


def assert_same_run(a, b):
    for name, value in a.model.state_dict().items():
        np.testing.assert_array_equal(value, b.model.state_dict()[name], err_msg=name)
    assert [h["train_loss"] for h in a.history] == [h["train_loss"] for h in b.history]
    assert [h["mean_iu"] for h in a.history] == [h["mean_iu"] for h in b.history]


def assert_same_result(a, b):
    """Two FitResults name the same best epoch, with the same measurements (its wall time aside)."""
    assert a.best_epoch == b.best_epoch
    assert {**a.best_metrics, "seconds": None} == {**b.best_metrics, "seconds": None}
    np.testing.assert_array_equal(a.confusion, b.confusion)
    np.testing.assert_array_equal(a.example_predictions, b.example_predictions)


def test_resume_after_an_epoch_equals_the_uninterrupted_run(tmp_path):
    full, _ = setup(tmp_path / "full", epochs=3, dropout=0.5)
    full_result = full.fit()
    setup(tmp_path / "part", epochs=2, dropout=0.5)[0].fit()
    resumed, lines = setup(tmp_path / "part", epochs=3, dropout=0.5)
    resumed.resume(tmp_path / "part" / "last.npz")
    assert resumed.start_epoch == 3 and resumed.optimizer.steps == 6
    result = resumed.fit()
    assert [h["epoch"] for h in result.history] == [1, 2, 3]
    assert_same_run(full, resumed)
    assert_same_result(full_result, result)


def test_ctrl_c_mid_epoch_saves_that_step_and_resume_equals_the_uninterrupted_run(tmp_path):
    full, _ = setup(tmp_path / "full", epochs=3, dropout=0.5)
    full.fit()
    part, lines = setup(tmp_path / "part", epochs=3, dropout=0.5)
    interrupt_at(part, 5)                     # epoch 2, its second of three steps
    with pytest.raises(KeyboardInterrupt):
        part.fit()
    saved = read_checkpoint(tmp_path / "part" / "interrupted.npz").meta
    assert (saved["epoch"], saved["iteration"], saved["optim_steps"]) == (1, 2, 5)
    assert read_checkpoint(tmp_path / "part" / "last.npz").meta["epoch"] == 1     # the clean one is kept
    assert any("interrupted at epoch 2, step 2 of 3" in line for line in lines)
    resumed, _ = setup(tmp_path / "part", epochs=3, dropout=0.5)
    resumed.resume(tmp_path / "part" / "interrupted.npz")
    result = resumed.fit()
    assert_same_run(full, resumed)
    assert_same_result(full.result(), result)
    assert not (tmp_path / "part" / "interrupted.npz").exists()


def test_iterations_run_on_across_epochs_with_a_validation_every_n(tmp_path):
    """8 iterations of 3-batch epochs, validated every 4: rounds end at iterations 4 and 8, and the
    batches run on from epoch to epoch as an epoch-counted run draws them."""
    counted, lines = setup(tmp_path / "counted", iterations=8, validate_every=4)
    history = counted.fit().history
    assert [(h["epoch"], h["iteration"]) for h in history] == [(1, 4), (2, 8)]
    assert counted.optimizer.steps == 8
    assert any(line.startswith("iteration 8/8") and "mean IU" in line for line in lines)
    assert any(line.startswith("iteration 5/8  loss") for line in lines)
    six, _ = setup(tmp_path / "six", iterations=6, validate_every=6)
    six.fit()
    by_epochs, _ = setup(tmp_path / "epochs", epochs=2)
    by_epochs.fit()
    for name, value in six.model.state_dict().items():
        np.testing.assert_array_equal(value, by_epochs.model.state_dict()[name], err_msg=name)


def test_an_iteration_counted_run_killed_mid_round_resumes_bit_for_bit(tmp_path):
    full, _ = setup(tmp_path / "full", iterations=8, validate_every=4, dropout=0.5)
    full_result = full.fit()
    part, lines = setup(tmp_path / "part", iterations=8, validate_every=4, dropout=0.5)
    interrupt_at(part, 6)                     # validation round 2, its second step, in epoch 2
    with pytest.raises(KeyboardInterrupt):
        part.fit()
    assert any("interrupted at validation round 2, step 2 of 4" in line for line in lines)
    resumed, _ = setup(tmp_path / "part", iterations=8, validate_every=4, dropout=0.5)
    resumed.resume(tmp_path / "part" / "interrupted.npz")
    result = resumed.fit()
    assert_same_run(full, resumed)
    assert_same_result(full_result, result)
    # a last.npz of rounds of 4 cannot continue as rounds of 3: the rounds would not line up
    other, _ = setup(tmp_path / "part", iterations=8, validate_every=3)
    with pytest.raises(ValueError, match="validating every 4 iterations, this run every 3"):
        other.resume(tmp_path / "part" / "last.npz")


def test_resume_into_another_folder_keeps_the_whole_history(tmp_path):
    setup(tmp_path / "a", epochs=2)[0].fit()
    resumed, _ = setup(tmp_path / "b", epochs=3)
    resumed.resume(tmp_path / "a" / "last.npz")
    resumed.fit()
    epochs = [json.loads(line)["epoch"] for line in (tmp_path / "b" / "metrics.jsonl").read_text().splitlines()]
    assert epochs == [1, 2, 3]


def test_a_truncated_last_history_line_is_dropped_and_other_damage_named(tmp_path):
    setup(tmp_path, epochs=2)[0].fit()
    history = tmp_path / "metrics.jsonl"
    history.write_text(history.read_text()[:-40])
    resumed, lines = setup(tmp_path, epochs=3)
    resumed.resume(tmp_path / "last.npz")
    assert [h["epoch"] for h in resumed.history] == [1] and any("cut short" in line for line in lines)
    history.write_text("{oops\n" + history.read_text())
    with pytest.raises(ValueError, match=r"metrics.jsonl, line 1, is not a JSON record"):
        setup(tmp_path, epochs=3)[0].resume(tmp_path / "last.npz")


def test_divergence_in_the_first_epoch_says_there_is_no_checkpoint(tmp_path):
    trainer, _ = setup(tmp_path, epochs=1)
    trainer.model.conv1_1.params["weight"][...] = np.nan
    with pytest.raises(TrainingDiverged, match="No epoch finished, so no checkpoint was kept"):
        trainer.fit()


def test_nan_loss_stops_and_keeps_the_last_good_checkpoint(tmp_path):
    trainer, _ = setup(tmp_path, epochs=2)
    trainer.fit()
    before = (tmp_path / "last.npz").read_bytes()
    trainer, _ = setup(tmp_path, epochs=1)
    trainer.model.conv1_1.params["weight"][...] = np.nan
    with pytest.raises(TrainingDiverged, match="loss became nan at epoch 1, iteration 1"):
        trainer.fit()
    assert (tmp_path / "last.npz").read_bytes() == before


def test_a_second_ctrl_c_stops_at_once(tmp_path):
    trainer, _ = setup(tmp_path, epochs=2)
    original = trainer.optimizer.step

    def press_twice():
        if trainer.optimizer.steps == 1:
            os.kill(os.getpid(), signal.SIGINT)
            os.kill(os.getpid(), signal.SIGINT)
        original()
    trainer.optimizer.step = press_twice
    with pytest.raises(KeyboardInterrupt):
        trainer.fit()
    assert not (tmp_path / "interrupted.npz").exists() and not (tmp_path / "last.npz").exists()


def test_evaluate_restores_training_mode():
    model = build("fcn8s", num_classes=3, **CONFIG)
    metrics, confusion = evaluate(model, DataLoader(ToySegmentation("val", 4, 32, 3), 2))
    assert model.training and confusion.matrix.sum() == 4 * 32 * 32
    assert 0 <= metrics["pixel_acc"] <= 1


def test_a_fresh_run_starts_a_fresh_metrics_file(tmp_path):
    setup(tmp_path, epochs=1)[0].fit()
    setup(tmp_path, epochs=1)[0].fit()
    assert len((tmp_path / "metrics.jsonl").read_text().splitlines()) == 1


def test_temporary_files_of_a_killed_save_are_cleaned_up(tmp_path):
    tmp_path.mkdir(exist_ok=True)
    stale = tmp_path / ".last.npz.abc123.tmp"
    stale.write_bytes(b"half a checkpoint")
    setup(tmp_path, epochs=1)[0].fit()
    assert not stale.exists()


def test_evaluate_reports_progress_when_asked():
    model = build("fcn8s", num_classes=3, **CONFIG)
    lines = []
    evaluate(model, DataLoader(ToySegmentation("val", 6, 32, 3), 2), print_fn=lines.append, every=0.0)
    assert lines == ["evaluated 2/6 images", "evaluated 4/6 images"]


def test_resume_into_another_folder_takes_the_best_checkpoint_along(tmp_path):
    """No resumed epoch beats the best (a learning rate too small to move a weight): the new folder's
    best.npz is the one the resumed run had, and the run records where it came from."""
    setup(tmp_path / "a", epochs=2)[0].fit()
    resumed, _ = setup(tmp_path / "b", epochs=3, lr=1e-30)
    resumed.resume(tmp_path / "a" / "last.npz")
    result = resumed.fit()
    assert (tmp_path / "b" / "best.npz").read_bytes() == (tmp_path / "a" / "best.npz").read_bytes()
    carried = read_checkpoint(tmp_path / "a" / "best.npz")
    assert result.best_epoch == carried.meta["epoch"] < 3
    np.testing.assert_array_equal(result.confusion, carried.extra["confusion"])
    np.testing.assert_array_equal(result.example_predictions, carried.extra["example_predictions"])
    assert resumed.meta["continued_from"] == str(tmp_path / "a" / "last.npz")
    assert read_checkpoint(tmp_path / "b" / "last.npz").meta["continued_from"] == str(tmp_path / "a" / "last.npz")
    again, _ = setup(tmp_path / "b", epochs=4, lr=1e-30)           # and on, in its own folder
    again.resume(tmp_path / "b" / "last.npz")
    assert again.meta["continued_from"] == str(tmp_path / "a" / "last.npz")


def test_resume_without_the_best_checkpoint_beside_it_starts_the_best_afresh(tmp_path):
    setup(tmp_path / "a", epochs=2)[0].fit()
    (tmp_path / "a" / "best.npz").unlink()
    resumed, lines = setup(tmp_path / "b", epochs=3, lr=1e-30)
    resumed.resume(tmp_path / "a" / "last.npz")
    resumed.fit()
    assert any("is not the best checkpoint of the run up to here" in line for line in lines)
    assert read_checkpoint(tmp_path / "b" / "best.npz").meta["epoch"] == 3


def test_a_run_stopped_before_its_first_epoch_ends_leaves_no_metrics_file(tmp_path):
    trainer, _ = setup(tmp_path, epochs=1)
    trainer.model.conv1_1.params["weight"][...] = np.nan
    with pytest.raises(TrainingDiverged):
        trainer.fit()
    assert not (tmp_path / "metrics.jsonl").exists()


def test_fit_returns_the_best_epochs_measurements_without_reading_them_back(tmp_path, monkeypatch):
    """An epoch after the best measures worse: what fit returns is the best epoch's, as its weights
    measure, kept from when it was measured (every reader of a checkpoint, an .npz, opens it by np.load)."""
    trainer, _ = setup(tmp_path, epochs=5, lr=3e-2)

    def unread(path, **kwargs):
        raise AssertionError(f"fit read {path} back")
    monkeypatch.setattr(np, "load", unread)
    result = trainer.fit()
    monkeypatch.undo()
    assert result.best_epoch == max(result.history, key=lambda h: h["mean_iu"])["epoch"] < 5
    assert result.best_metrics == result.history[result.best_epoch - 1]
    best, _ = load_model(tmp_path / "best.npz")
    metrics, confusion = evaluate(best, trainer.val_loader)
    np.testing.assert_array_equal(result.confusion, confusion.matrix)
    assert metrics_from_confusion(result.confusion)["mean_iu"] == result.best_metrics["mean_iu"] == metrics["mean_iu"]
    assert not np.array_equal(result.confusion, evaluate(trainer.model, trainer.val_loader)[1].matrix)
    images, _ = trainer.val_loader.collate([trainer.val_loader.dataset[i] for i in range(EXAMPLES)])
    np.testing.assert_array_equal(result.example_predictions, predict_batch(best, images))
