import importlib
import time

import numpy as np
import pytest

from fcn_scratch.checkpoint import read_checkpoint, save_checkpoint
from fcn_scratch.cli import main
from fcn_scratch.data import CAFFE_VGG, TORCHVISION_IMAGENET, VOC_CLASSES, Preprocessing
from fcn_scratch.models import build
from fcn_scratch.weights import import_weights
from tests.weights.synthetic import (SMALL, VGG16_CONVS, VGG16_FEATURES, classifier_state, fcn_state, torch_or_skip,
                                     write)



def fresh(model_name="fcn8s-vgg16", **config):
    return build(model_name, **{**SMALL, **config}).state_dict()


@pytest.mark.parametrize("suffix", [".safetensors", ".npz", ".pth"])
def test_pytorch_fcn_weights_round_trip_through_every_format(tmp_path, suffix):
    if suffix == ".pth":
        torch_or_skip()
    state = fcn_state()
    done = import_weights(write(state, tmp_path / f"fcn8s{suffix}"), "fcn8s-vgg16", tmp_path / "model.npz", **SMALL)
    ckpt = read_checkpoint(tmp_path / "model.npz")
    assert set(ckpt.state) == set(state)
    for name, array in state.items():
        np.testing.assert_array_equal(ckpt.state[name], array, err_msg=name)
    assert ckpt.meta == {"preprocessing": CAFFE_VGG.to_dict(), "source": f"fcn8s{suffix}", "key_family": "pytorch-fcn"}
    assert ckpt.config["class_names"] == list(VOC_CLASSES)
    assert (done.family, done.num_loaded, done.kept) == ("pytorch-fcn", done.num_parameters, [])


@pytest.mark.parametrize("model_name", ["fcn32s-vgg16", "fcn16s-vgg16", "fcn8s-atonce-vgg16"])
def test_every_reference_variant_imports(tmp_path, model_name):
    state = fcn_state(model_name)
    import_weights(write(state, tmp_path / "w.safetensors"), model_name, tmp_path / "m.npz", **SMALL)
    ckpt = read_checkpoint(tmp_path / "m.npz")
    np.testing.assert_array_equal(ckpt.state["score_fr.weight"], state["score_fr.weight"])
    assert ckpt.config.get("at_once", False) == model_name.startswith("fcn8s-atonce")


def test_the_number_of_classes_comes_from_the_file(tmp_path):
    state = fcn_state(num_classes=5)
    done = import_weights(write(state, tmp_path / "w.npz"), "fcn8s-vgg16", tmp_path / "m.npz", **SMALL)
    ckpt = read_checkpoint(tmp_path / "m.npz")
    assert ckpt.config["num_classes"] == 5 and ckpt.config["class_names"] is None
    assert done.class_names == ["0", "1", "2", "3", "4"]


def test_files_without_upsamplings_keep_the_bilinear_ones(tmp_path):
    state = {k: v for k, v in fcn_state().items() if not k.startswith("upscore")}
    done = import_weights(write(state, tmp_path / "w.npz"), "fcn8s-vgg16", tmp_path / "m.npz", **SMALL)
    ckpt = read_checkpoint(tmp_path / "m.npz")
    np.testing.assert_array_equal(ckpt.state["upscore8.weight"], fresh()["upscore8.weight"])
    assert done.kept == ["upscore2", "upscore_pool4", "upscore8"]


@pytest.mark.parametrize("family, key_family", [("torchvision", "torchvision-vgg16"), ("timm", "timm-vgg16")])
def test_an_imagenet_classifier_becomes_the_papers_starting_point(tmp_path, family, key_family):
    state = classifier_state(family)
    done = import_weights(write(state, tmp_path / "vgg16.safetensors"), "fcn8s-vgg16", tmp_path / "m.npz", **SMALL)
    got = read_checkpoint(tmp_path / "m.npz").state
    for conv, index in zip(VGG16_CONVS, VGG16_FEATURES):
        np.testing.assert_array_equal(got[f"{conv}.weight"], state[f"features.{index}.weight"])
        np.testing.assert_array_equal(got[f"{conv}.bias"], state[f"features.{index}.bias"])
    fc6, fc7 = ("classifier.0", "classifier.3") if family == "torchvision" else ("pre_logits.fc1", "pre_logits.fc2")
    np.testing.assert_array_equal(got["fc6.weight"], state[f"{fc6}.weight"].reshape(16, 8, 7, 7))
    np.testing.assert_array_equal(got["fc7.weight"], state[f"{fc7}.weight"].reshape(16, 16, 1, 1))
    np.testing.assert_array_equal(got["fc6.bias"], state[f"{fc6}.bias"])
    for name in ("score_fr.weight", "score_fr.bias", "score_pool4.weight", "score_pool3.bias"):
        assert not got[name].any(), name
    for name in ("upscore2.weight", "upscore_pool4.weight", "upscore8.weight"):
        np.testing.assert_array_equal(got[name], fresh()[name])
    assert done.family == key_family and done.preprocessing == TORCHVISION_IMAGENET
    assert done.kept == ["score_fr", "upscore2", "score_pool4", "upscore_pool4", "score_pool3", "upscore8"]
    assert done.num_loaded == done.num_parameters - sum(got[k].size for k in got if k.startswith(("score", "upscore")))


def test_fc6_computes_on_a_7x7_map_what_the_linear_layer_computes_on_it_flattened(tmp_path):
    state = classifier_state("torchvision")
    import_weights(write(state, tmp_path / "vgg16.npz"), "fcn8s-vgg16", tmp_path / "m.npz", **SMALL)
    model = build("fcn8s-vgg16", **SMALL)
    model.load_state_dict(read_checkpoint(tmp_path / "m.npz").state)
    pool5 = np.random.default_rng(0).standard_normal((1, 8, 7, 7)).astype(np.float32)
    linear = state["classifier.0.weight"] @ pool5.reshape(-1) + state["classifier.0.bias"]
    np.testing.assert_allclose(model.fc6(pool5).reshape(-1), linear, rtol=1e-5, atol=1e-4)


def test_the_preprocessing_can_be_named(tmp_path):
    # pytorch-fcn's own VGG16 (vgg16_from_caffe.pth) has torchvision's keys but Caffe's inputs
    path = write(classifier_state("torchvision"), tmp_path / "vgg16_from_caffe.npz")
    done = import_weights(path, "fcn8s-vgg16", tmp_path / "m.npz", preprocessing="caffe", **SMALL)
    assert done.preprocessing == CAFFE_VGG
    assert read_checkpoint(tmp_path / "m.npz").meta["preprocessing"] == CAFFE_VGG.to_dict()
    with pytest.raises(ValueError, match=r"unknown preprocessing 'bgr'; expected one of \['caffe', 'identity'"):
        import_weights(path, "fcn8s-vgg16", tmp_path / "n.npz", preprocessing="bgr", **SMALL)


def test_our_checkpoint_brings_its_preprocessing_and_class_names(tmp_path):
    model = build("fcn8s", num_classes=3, class_names=["bg", "a", "b"], widths=(2, 2, 2, 2, 2), fc_channels=4)
    save_checkpoint(tmp_path / "old.npz", model, meta={"mean": [0.5, 0.4, 0.3], "std": [0.2, 0.2, 0.2]})
    done = import_weights(tmp_path / "old.npz", "fcn8s", tmp_path / "new.npz", widths=(2, 2, 2, 2, 2), fc_channels=4)
    assert done.preprocessing == Preprocessing("RGB", 1.0, (0.5, 0.4, 0.3), (0.2, 0.2, 0.2))
    assert done.class_names == ["bg", "a", "b"]


def test_a_file_that_does_not_fit_is_one_line_and_writes_nothing(tmp_path):
    state = fcn_state()
    del state["score_pool3.weight"]
    with pytest.raises(ValueError) as info:
        import_weights(write(state, tmp_path / "weights.npz"), "fcn8s-vgg16", tmp_path / "m.npz", **SMALL)
    assert str(info.value) == "weights.npz does not fit fcn8s-vgg16: 1 missing (first: score_pool3.weight)"
    assert not (tmp_path / "m.npz").exists()


def test_an_existing_output_is_kept_unless_asked(tmp_path):
    path = write(fcn_state(), tmp_path / "w.npz")
    (tmp_path / "m.npz").write_bytes(b"keep me")
    with pytest.raises(ValueError, match="m.npz already exists; replace it with --overwrite"):
        import_weights(path, "fcn8s-vgg16", tmp_path / "m.npz", **SMALL)
    assert (tmp_path / "m.npz").read_bytes() == b"keep me"
    import_weights(path, "fcn8s-vgg16", tmp_path / "m.npz", overwrite=True, **SMALL)
    assert read_checkpoint(tmp_path / "m.npz").model_name == "fcn8s"


def test_the_command_says_what_it_did(tmp_path, capsys, monkeypatch):
    module = importlib.import_module("fcn_scratch.weights.import_weights")     # the package's name is the function
    monkeypatch.setattr(module, "build", lambda name, **config: build(name, **{**SMALL, **config}))
    write(classifier_state("torchvision"), tmp_path / "vgg16.safetensors")
    assert main(["import-weights", str(tmp_path / "vgg16.safetensors"), "--out", str(tmp_path / "m.npz")]) == 0
    first, second = capsys.readouterr().out.splitlines()
    assert first.startswith("fcn8s-vgg16 from ") and "(torchvision-vgg16 keys)" in first
    assert "as a fresh model starts them: score_fr, upscore2" in first
    assert second == (f"wrote {tmp_path / 'm.npz'}: 21 classes, input preprocessing RGB, x1, "
                      "mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225)")


def test_the_commands_errors_are_one_line(tmp_path, capsys):
    assert main(["import-weights", str(tmp_path / "absent.pth"), "--out", str(tmp_path / "m.npz")]) == 2
    assert capsys.readouterr().err.strip() == \
        f"fcn-scratch import-weights: error: weights file not found: {tmp_path / 'absent.pth'}"
    write(fcn_state(), tmp_path / "small.npz")
    assert main(["import-weights", str(tmp_path / "small.npz"), "--out", str(tmp_path / "m.npz")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and ("small.npz does not fit fcn8s-vgg16: 33 mis-shaped (first: conv1_1.weight: "
                                     "file (4, 3, 3, 3), model (64, 3, 3, 3))") in err


@pytest.mark.slow
def test_a_full_size_torchvision_vgg16_imports(tmp_path):
    """The real shapes: 13 convolutions, classifier.0 (4096, 25088), 1000 ImageNet classes."""
    started = time.perf_counter()
    state = classifier_state("torchvision", widths=(64, 128, 256, 512, 512), fc_channels=4096)
    assert state["classifier.0.weight"].shape == (4096, 25088)
    path = write(state, tmp_path / "vgg16.safetensors")
    fc6 = state["classifier.0.weight"][:3].copy()
    del state
    done = import_weights(path, "fcn8s-vgg16", tmp_path / "m.npz")
    assert done.num_parameters == 134_489_759
    with np.load(tmp_path / "m.npz") as archive:
        np.testing.assert_array_equal(archive["param/fc6.weight"][:3], fc6.reshape(3, 512, 7, 7))
    assert time.perf_counter() - started < 60
