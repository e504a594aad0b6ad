import os

import numpy as np
import pytest

from fcn_scratch.checkpoint import load_into, load_model, read_checkpoint, save_checkpoint
from fcn_scratch.models import build

CONFIG = dict(widths=(2, 3, 3, 4, 4), convs_per_block=1, fc_channels=4)


def model(name="fcn8s", seed=0, **kw):
    m = build(name, num_classes=3, rng=np.random.default_rng(seed), class_names=["bg", "a", "b"], **{**CONFIG, **kw})
    m.score_fr.params["weight"][...] = np.random.default_rng(seed).standard_normal(m.score_fr.params["weight"].shape)
    return m.eval()


def test_round_trip_rebuilds_the_same_model(tmp_path):
    m = model()
    x = np.random.default_rng(0).standard_normal((1, 3, 35, 29)).astype(np.float32)
    path = save_checkpoint(tmp_path / "best.npz", m, extra={"optim/step": np.array(7)}, meta={"epoch": 3})
    loaded, ckpt = load_model(path)
    np.testing.assert_array_equal(loaded.eval()(x), m(x))
    assert type(loaded).__name__ == "FCN8s" and loaded.config["class_names"] == ["bg", "a", "b"]
    assert ckpt.meta == {"epoch": 3} and int(ckpt.extra["optim/step"]) == 7
    assert sorted(os.listdir(tmp_path)) == ["best.npz"]


def test_wrong_model_kind(tmp_path):
    save_checkpoint(tmp_path / "c.npz", model("fcn32s"))
    with pytest.raises(ValueError, match="holds a fcn32s but the model is a fcn8s"):
        load_into(model("fcn8s"), tmp_path / "c.npz")


def test_wrong_shape_and_missing_key_are_named(tmp_path):
    save_checkpoint(tmp_path / "c.npz", model(fc_channels=6))
    with pytest.raises(ValueError, match=r"c.npz: .*fc6.weight: checkpoint \(6, 4, 3, 3\), model \(4, 4, 3, 3\)"):
        load_into(model(), tmp_path / "c.npz")
    path = tmp_path / "d.npz"
    save_checkpoint(path, model())
    ckpt = read_checkpoint(path)
    del ckpt.state["fc7.weight"]
    with pytest.raises(ValueError, match="missing: fc7.weight"):
        model().load_state_dict(ckpt.state)


def test_truncated_and_missing_files(tmp_path):
    path = save_checkpoint(tmp_path / "c.npz", model())
    data = path.read_bytes()
    (tmp_path / "cut.npz").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="cut.npz is not a readable checkpoint"):
        load_model(tmp_path / "cut.npz")
    with pytest.raises(FileNotFoundError, match="checkpoint not found: .*nothere.npz"):
        load_model(tmp_path / "nothere.npz")
    np.savez(tmp_path / "plain.npz", a=np.zeros(2))
    with pytest.raises(ValueError, match="not an fcn-scratch checkpoint"):
        read_checkpoint(tmp_path / "plain.npz")


def test_failed_save_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    path = save_checkpoint(tmp_path / "last.npz", model(seed=1))
    before = path.read_bytes()

    def broken_savez(f, **arrays):
        f.write(b"half a checkpoint")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", broken_savez)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(path, model(seed=2))
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["last.npz"]
