import sys

import numpy as np
import pytest

from fcn_scratch.checkpoint import save_checkpoint
from fcn_scratch.models import build
from fcn_scratch.weights import open_weights
from tests.weights.synthetic import SMALL, fcn_state, torch_or_skip, write

FORMATS = [".safetensors", ".npz", ".pth"]


@pytest.mark.parametrize("suffix", FORMATS)
def test_every_format_gives_the_names_shapes_and_values_it_holds(tmp_path, suffix):
    if suffix == ".pth":
        torch_or_skip()
    state = fcn_state()
    with open_weights(write(state, tmp_path / f"w{suffix}")) as weights:
        assert weights.shapes == {name: array.shape for name, array in state.items()}
        assert weights.about == {}
        for name, array in state.items():
            read = weights.read(name)
            assert read.dtype == np.float32
            np.testing.assert_array_equal(read, array)


def test_our_checkpoint_gives_its_parameters_and_says_what_it_is(tmp_path):
    model = build("fcn32s", num_classes=3, widths=(2, 2, 2, 2, 2), fc_channels=4)
    path = save_checkpoint(tmp_path / "c.npz", model, extra={"optim/step": np.array(3)}, meta={"epoch": 2})
    with open_weights(path) as weights:
        assert set(weights.shapes) == set(model.state_dict())       # no header, no optimizer state
        assert weights.about == {"model": "fcn32s", "config": model.config, "meta": {"epoch": 2}}
        np.testing.assert_array_equal(weights.read("fc6.weight"), model.state_dict()["fc6.weight"])


@pytest.mark.parametrize("wrapper", ["state_dict", "model_state_dict"])
def test_a_pth_training_checkpoint_gives_the_state_dict_it_wraps(tmp_path, wrapper):
    torch = torch_or_skip()
    state = fcn_state(seed=1)
    torch.save({wrapper: {k: torch.from_numpy(v) for k, v in state.items()}, "epoch": 7, "optim": {"lr": 0.1}},
               tmp_path / "c.pth")
    with open_weights(tmp_path / "c.pth") as weights:
        assert set(weights.shapes) == set(state)
        np.testing.assert_array_equal(weights.read("fc7.weight"), state["fc7.weight"])


def test_a_pth_of_bfloat16_reads_as_float32(tmp_path):
    torch = torch_or_skip()
    torch.save({"conv1_1.weight": torch.ones(2, 3, dtype=torch.bfloat16)}, tmp_path / "h.pth")
    with open_weights(tmp_path / "h.pth") as weights:
        read = weights.read("conv1_1.weight")
    assert read.dtype == np.float32 and (read == 1).all()


def test_a_pth_that_holds_a_whole_module_is_refused_in_one_line(tmp_path):
    torch = torch_or_skip()
    torch.save(torch.nn.Conv2d(3, 4, 3), tmp_path / "module.pth")
    with pytest.raises(ValueError, match="holds more than tensors.*state_dict") as info:
        open_weights(tmp_path / "module.pth")
    assert "\n" not in str(info.value)


def test_a_pth_without_a_state_dict_says_what_it_holds(tmp_path):
    torch = torch_or_skip()
    torch.save({"model": {"w": torch.ones(1)}, "epoch": 3}, tmp_path / "nested.pth")
    with pytest.raises(ValueError, match=r"a dict without tensors \(keys: model, epoch\), not a state dict"):
        open_weights(tmp_path / "nested.pth")


def test_a_pth_without_pytorch_says_how_to_convert_it(tmp_path, monkeypatch):
    path = tmp_path / "fcn8s_from_caffe.pth"
    path.write_bytes(b"not read: PyTorch is needed first")
    monkeypatch.setitem(sys.modules, "torch", None)           # "import torch" now raises ImportError
    with pytest.raises(ValueError) as info:
        open_weights(path)
    message = str(info.value)
    assert "\n" not in message and "PyTorch is not installed" in message
    assert "from safetensors.torch import save_file" in message and "weights_only=True" in message
    assert "'fcn8s_from_caffe.pth'" in message and "'fcn8s_from_caffe.safetensors'" in message


@pytest.mark.parametrize("name, content, message", [
    ("w.safetensors", b"\x10\x00\x00\x00\x00\x00\x00\x00{", "is not a readable safetensors file"),
    ("w.npz", b"PK\x03\x04 truncated", "is not a readable .npz file"),
    ("w.bin", b"", "unknown weights format '.bin'"),
])
def test_unreadable_files_are_one_line(tmp_path, name, content, message):
    (tmp_path / name).write_bytes(content)
    with pytest.raises(ValueError, match=message) as info:
        open_weights(tmp_path / name)
    assert "\n" not in str(info.value)


def test_a_truncated_pth_is_one_line(tmp_path):
    torch_or_skip()
    write(fcn_state(), tmp_path / "w.pth")
    data = (tmp_path / "w.pth").read_bytes()
    (tmp_path / "w.pth").write_bytes(data[:len(data) // 2])
    with pytest.raises(ValueError, match="is not a readable PyTorch file") as info:
        open_weights(tmp_path / "w.pth")
    assert "\n" not in str(info.value)


def test_a_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="weights file not found"):
        open_weights(tmp_path / "absent.safetensors")


def test_a_single_array_npy_named_npz_is_refused(tmp_path):
    np.save(tmp_path / "one.npy", np.ones(3))
    (tmp_path / "one.npy").rename(tmp_path / "one.npz")
    with pytest.raises(ValueError, match="holds a single array"):
        open_weights(tmp_path / "one.npz")


def test_npz_shapes_are_read_from_the_headers_alone(tmp_path, monkeypatch):
    path = write(fcn_state(**SMALL), tmp_path / "w.npz")
    monkeypatch.setattr(np.lib.npyio.NpzFile, "__getitem__", lambda self, key: pytest.fail(f"read {key}"))
    with open_weights(path) as weights:
        assert weights.shapes["fc6.weight"] == (16, 8, 7, 7)
