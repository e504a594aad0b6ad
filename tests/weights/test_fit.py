import pytest

from fcn_scratch.weights import check_fit, key_map
from tests.weights.synthetic import classifier_state, fcn_state, model_shapes


def file_shapes(state):
    return {name: array.shape for name, array in state.items()}


def fit_error(family, shapes, file_label):
    """The line ``check_fit`` raises for a file of ``shapes`` and a reduced fcn8s-vgg16."""
    with pytest.raises(ValueError) as info:
        check_fit(key_map(family, model_shapes()), shapes, file_label, "fcn8s-vgg16")
    return str(info.value)


def test_a_file_that_fits_passes():
    check_fit(key_map("pytorch-fcn", model_shapes()), file_shapes(fcn_state()), "w.safetensors", "fcn8s-vgg16")


def test_absent_upsamplings_fit():
    state = {k: v for k, v in file_shapes(fcn_state()).items() if not k.startswith("upscore")}
    check_fit(key_map("pytorch-fcn", model_shapes()), state, "w.safetensors", "fcn8s-vgg16")


def test_missing_unexpected_and_mis_shaped_keys_are_counted_in_one_line():
    state = file_shapes(fcn_state())
    for name in ("score_pool3.weight", "score_pool3.bias", "score_fr.bias"):
        del state[name]
    state["extra.weight"] = (1,)
    state["fc6.weight"] = (16, 392)
    assert fit_error("pytorch-fcn", state, "weights.pth") == (
        "weights.pth does not fit fcn8s-vgg16: 3 missing (first: score_fr.bias), 1 unexpected (first: extra.weight), "
        "1 mis-shaped (first: fc6.weight: file (16, 392), model (16, 8, 7, 7))")


def test_a_classifier_names_the_files_key_and_the_parameter_it_fills():
    state = file_shapes(classifier_state("torchvision"))
    del state["features.28.weight"]
    state["classifier.0.weight"] = (16, 8 * 6 * 6)
    assert fit_error("torchvision-vgg16", state, "vgg16.pth") == (
        "vgg16.pth does not fit fcn8s-vgg16: 1 missing (first: features.28.weight (conv5_3.weight)), "
        "1 mis-shaped (first: classifier.0.weight (fc6.weight): file (16, 288), model (16, 8, 7, 7))")


def test_the_imagenet_classifier_is_read_past_not_unexpected():
    check_fit(key_map("timm-vgg16", model_shapes()), file_shapes(classifier_state("timm")), "vgg16.safetensors",
              "fcn8s-vgg16")
