import json
import os

import numpy as np
import pytest

from fcn_scratch.bench.torch_reference import torch_fcn
from fcn_scratch.checkpoint import save_checkpoint
from fcn_scratch.cli import main
from fcn_scratch.data import TORCHVISION_IMAGENET, Preprocessing
from fcn_scratch.models import REFERENCE, build
from fcn_scratch.weights import export, import_weights, open_weights
from tests.weights.synthetic import SMALL, classifier_state, torch_or_skip, write


def random_checkpoint(path, model_name="fcn8s-vgg16", seed=0, meta=None, **config):
    """A checkpoint whose every parameter is random, the upsamplings too (a transposed layout then shows)."""
    model = build(model_name, num_classes=5, **{**SMALL, **config})
    rng = np.random.default_rng(seed)
    model.load_state_dict({name: (0.3 * rng.standard_normal(array.shape)).astype(np.float32)
                           for name, array in model.state_dict().items()})
    return save_checkpoint(path, model, meta=meta), model.eval()


def load_torch_state(path):
    import torch
    with open_weights(path) as weights:
        return {name: torch.from_numpy(weights.read(name)) for name in weights.shapes}


def torch_logits(module, x):
    """A PyTorch module's output on the NumPy batch ``x``, without gradients, as a NumPy array."""
    import torch
    with torch.no_grad():
        return module(torch.from_numpy(x)).numpy()


@pytest.mark.parametrize("model_name", sorted(REFERENCE))
@pytest.mark.parametrize("suffix", [".safetensors", ".npz"])
def test_the_export_loads_strictly_into_pytorch_fcns_module_and_computes_the_same(tmp_path, model_name, suffix):
    torch_or_skip()
    path, model = random_checkpoint(tmp_path / "m.npz", model_name)
    export(path, tmp_path / f"exported{suffix}")
    reference = torch_fcn(model_name, 5, **SMALL).eval()
    reference.load_state_dict(load_torch_state(tmp_path / f"exported{suffix}"), strict=True)
    x = np.random.default_rng(1).standard_normal((2, 3, 37, 45)).astype(np.float32)
    expected = torch_logits(reference, x)
    got = model(x)
    assert got.shape == expected.shape == (2, 5, 37, 45)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5 * np.abs(expected).max())


def test_a_small_model_loads_strictly_into_the_pytorch_module_of_its_sizes_and_computes_the_same(tmp_path):
    torch_or_skip()
    small = dict(widths=(4, 4, 8, 8, 8), convs_per_block=2, fc_channels=16, fc6_kernel=3)
    path, model = random_checkpoint(tmp_path / "m.npz", "fcn32s", **small)
    export(path, tmp_path / "m.safetensors")
    reference = torch_fcn("fcn32s", 5, **small).eval()
    reference.load_state_dict(load_torch_state(tmp_path / "m.safetensors"), strict=True)
    x = np.random.default_rng(1).standard_normal((1, 3, 29, 35)).astype(np.float32)
    expected = torch_logits(reference, x)
    assert np.abs(expected).max() > 1e-3
    np.testing.assert_allclose(model(x), expected, rtol=1e-4, atol=1e-5 * np.abs(expected).max())


def test_arrays_are_float32_contiguous_with_pytorchs_names_and_layouts(tmp_path):
    model = build("fcn8s-vgg16", num_classes=5, dtype=np.float64, **SMALL)
    save_checkpoint(tmp_path / "m.npz", model)
    shapes = export(tmp_path / "m.npz", tmp_path / "m.npz.safetensors")
    assert shapes["fc6.weight"] == (16, 8, 7, 7) and shapes["upscore8.weight"] == (5, 5, 16, 16)
    with open_weights(tmp_path / "m.npz.safetensors") as weights:
        assert weights.shapes == shapes
        for name in shapes:
            array = weights.read(name)
            assert array.dtype == np.float32 and array.flags.c_contiguous, name
            np.testing.assert_allclose(array, model.state_dict()[name], rtol=1e-6, err_msg=name)


def test_safetensors_carry_the_model_and_its_preprocessing_back_in(tmp_path):
    write(classifier_state("torchvision"), tmp_path / "vgg16.npz")
    import_weights(tmp_path / "vgg16.npz", "fcn8s-vgg16", tmp_path / "m.npz", num_classes=3,
                   class_names=["bg", "cat", "dog"], **SMALL)
    export(tmp_path / "m.npz", tmp_path / "m.safetensors")
    with open_weights(tmp_path / "m.safetensors") as weights:
        assert weights.about["model"] == "fcn8s"
        assert weights.about["meta"] == {"preprocessing": TORCHVISION_IMAGENET.to_dict()}
    done = import_weights(tmp_path / "m.safetensors", "fcn8s-vgg16", tmp_path / "back.npz", **SMALL)
    assert done.preprocessing == TORCHVISION_IMAGENET and done.class_names == ["bg", "cat", "dog"]


def test_an_old_checkpoints_mean_and_std_travel_as_its_preprocessing(tmp_path):
    path, _ = random_checkpoint(tmp_path / "m.npz", meta={"mean": [0.1, 0.2, 0.3], "std": [0.5, 0.5, 0.5]})
    export(path, tmp_path / "m.safetensors")
    with open_weights(tmp_path / "m.safetensors") as weights:
        kept = Preprocessing.from_dict(weights.about["meta"]["preprocessing"])
    assert kept == Preprocessing("RGB", 1.0, (0.1, 0.2, 0.3), (0.5, 0.5, 0.5))


def test_an_npz_export_holds_the_arrays_only(tmp_path):
    path, model = random_checkpoint(tmp_path / "m.npz")
    export(path, tmp_path / "weights.npz")
    with np.load(tmp_path / "weights.npz", allow_pickle=False) as archive:
        assert sorted(archive.files) == sorted(model.state_dict())


def test_an_existing_output_is_kept_unless_asked(tmp_path):
    path, _ = random_checkpoint(tmp_path / "m.npz")
    (tmp_path / "m.safetensors").write_bytes(b"keep me")
    with pytest.raises(ValueError, match="already exists; replace it with --overwrite"):
        export(path, tmp_path / "m.safetensors")
    assert (tmp_path / "m.safetensors").read_bytes() == b"keep me"
    export(path, tmp_path / "m.safetensors", overwrite=True)
    with open_weights(tmp_path / "m.safetensors") as weights:
        assert "fc6.weight" in weights.shapes


def test_a_failed_write_leaves_the_old_file_and_no_temporary_one(tmp_path, monkeypatch):
    import safetensors.numpy
    path, _ = random_checkpoint(tmp_path / "m.npz")
    (tmp_path / "m.safetensors").write_bytes(b"old")

    def half_written(arrays, filename, metadata=None):
        open(filename, "wb").write(b"half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(safetensors.numpy, "save_file", half_written)
    with pytest.raises(OSError, match="No space left"):
        export(path, tmp_path / "m.safetensors", overwrite=True)
    assert (tmp_path / "m.safetensors").read_bytes() == b"old"
    assert sorted(os.listdir(tmp_path)) == ["m.npz", "m.safetensors"]


@pytest.mark.parametrize("source, out, message", [
    ("plain.npz", "w.safetensors", "plain.npz is not an fcn-scratch checkpoint"),
    ("m.npz", "w.pt", "cannot tell the format from '.pt'; name it .safetensors or .npz"),
])
def test_mistakes_are_one_line(tmp_path, source, out, message):
    random_checkpoint(tmp_path / "m.npz")
    np.savez(tmp_path / "plain.npz", a=np.ones(2))
    with pytest.raises(ValueError, match=message) as info:
        export(tmp_path / source, tmp_path / out)
    assert "\n" not in str(info.value)


def test_the_command_says_what_it_wrote(tmp_path, capsys):
    path, model = random_checkpoint(tmp_path / "m.npz")
    assert main(["export", str(path), "--out", str(tmp_path / "m.safetensors")]) == 0
    assert capsys.readouterr().out.strip() == (
        f"wrote {tmp_path / 'm.safetensors'}: 39 arrays, {model.num_parameters():,} parameters, "
        "with PyTorch's names and layouts")
    assert main(["export", str(path), "--out", str(tmp_path / "m.safetensors")]) == 2
    assert "already exists" in capsys.readouterr().err


def test_the_metadata_is_json(tmp_path):
    from safetensors import safe_open
    path, _ = random_checkpoint(tmp_path / "m.npz")
    export(path, tmp_path / "m.safetensors")
    with safe_open(str(tmp_path / "m.safetensors"), framework="numpy") as f:
        about = json.loads(f.metadata()["fcn-scratch"])
    assert about["config"]["conv1_padding"] == 100 and about["config"]["num_classes"] == 5
