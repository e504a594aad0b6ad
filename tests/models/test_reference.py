"""The paper's nets (build("fcn8s-vgg16") and the others): sizes, gradients, the paper's parameters."""
import math
import time

import numpy as np
import pytest

from fcn_scratch import backend, fast, no_grad
from fcn_scratch.fast import shifted_taps
from fcn_scratch.functional import no_init
from fcn_scratch.gradcheck import check_layer, worst
from fcn_scratch.models import REFERENCE, build
from tests.helpers import host, on

NAMES = ["fcn8s-vgg16", "fcn8s-atonce-vgg16", "fcn16s-vgg16", "fcn32s-vgg16"]
# the reference geometry (conv1_1 padded by 100, a 7x7 unpadded fc6) at widths that run in milliseconds
TINY = dict(widths=(2, 2, 2, 2, 2), fc_channels=4, convs_per_block=(1, 1, 1, 1, 1), dropout=0.0)


def tiny(name, num_classes=3, seed=0, **kw):
    return build(name, num_classes=num_classes, rng=np.random.default_rng(seed), **{**TINY, **kw})


def randomize(model, rng, std=0.5):
    """Every parameter drawn, the zero-started score layers and the bilinear upsamplings too."""
    for _, value, _ in model.named_parameters(include_frozen=True):
        value[...] = rng.standard_normal(value.shape) * std
    return model


@pytest.fixture(scope="module")
def fcn8s_vgg16():
    """The paper's FCN-8s at full size, built once: its memory is not even touched (no_init)."""
    with no_init():
        return build("fcn8s-vgg16")


def shapes_of(model):
    return {name: tuple(value.shape) for name, value, _ in model.named_parameters(include_frozen=True)}


# ---- small versions: sizes and gradients ---------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("hw", [(1, 1), (2, 3), (17, 31), (32, 32), (64, 45), (100, 7)])
def test_logits_have_the_input_size(name, hw):
    model = tiny(name)
    x = np.random.default_rng(0).standard_normal((2, 3) + hw).astype(np.float32)
    logits = model(x)
    assert logits.shape == (2, 3) + hw and logits.dtype == np.float32
    assert model.backward(np.ones_like(logits)).shape == (2, 3) + hw


@pytest.mark.parametrize("name", ["fcn8s-vgg16", "fcn32s-vgg16"])
def test_logits_have_the_input_size_on_both_devices(device, name):
    model = tiny(name).to(device)
    x = on(device, np.zeros((1, 3, 21, 36), np.float32))
    assert model(x).shape == (1, 3, 21, 36)
    assert model.backward(model(x)).shape == (1, 3, 21, 36)


@pytest.mark.parametrize("name,eps,tolerance", [
    ("fcn8s-vgg16", 1e-6, 1e-6), ("fcn16s-vgg16", 1e-6, 1e-6), ("fcn32s-vgg16", 1e-6, 1e-6),
    # at once, pool3 and pool4 reach the loss only through factors of 1e-4 and 1e-2: the encoder's
    # gradients are small beside the loss, and a larger step keeps the differences above the rounding
    ("fcn8s-atonce-vgg16", 1e-4, 1e-5),
])
def test_whole_model_gradient_check(name, eps, tolerance):
    with backend.default_dtype("float64"):
        model = tiny(name, seed=1, learn_final_upsampling=True)
    rng = np.random.default_rng(2)
    randomize(model, rng)
    results = check_layer(model, rng.standard_normal((1, 3, 5, 7)), eps=eps, max_entries=8)
    assert set(results) == {"input"} | set(shapes_of(model))
    which, err, where = worst(results)
    assert err < tolerance, f"{which} gradient off by {err:.2e} at {where}"


@pytest.mark.parametrize("name", NAMES)
def test_the_paper_s_configuration_with_overrides(name):
    variant, config = REFERENCE[name]
    assert config["num_classes"] == 21 and config["conv1_padding"] == 100
    model = build(name, widths=(4, 4, 8, 8, 8), fc_channels=16)
    assert model.name == variant and model.num_classes == 21
    assert model.conv1_1.padding == (100, 100) and model.conv1_2.padding == (1, 1)
    assert model.fc6.params["weight"].shape == (16, 8, 7, 7) and model.fc6.padding == (0, 0)
    assert [n for n in shapes_of(model) if n.startswith("conv") and n.endswith(".weight")] == [
        "conv1_1.weight", "conv1_2.weight", "conv2_1.weight", "conv2_2.weight", "conv3_1.weight", "conv3_2.weight",
        "conv3_3.weight", "conv4_1.weight", "conv4_2.weight", "conv4_3.weight", "conv5_1.weight", "conv5_2.weight",
        "conv5_3.weight"]
    assert build(name, num_classes=5, widths=(4, 4, 8, 8, 8), fc_channels=16).score_fr.params["weight"].shape == \
        (5, 16, 1, 1)


# ---- the full-size nets: the paper's parameters (their names and shapes beside pytorch-fcn's: test_reference_torch)

def test_fcn8s_vgg16_has_the_paper_s_parameters(fcn8s_vgg16):
    assert fcn8s_vgg16.conv1_1.params["weight"].shape == (64, 3, 3, 3)
    assert fcn8s_vgg16.conv5_3.params["weight"].shape == (512, 512, 3, 3)
    assert fcn8s_vgg16.fc6.params["weight"].shape == (4096, 512, 7, 7)
    assert fcn8s_vgg16.fc7.params["weight"].shape == (4096, 4096, 1, 1)
    assert fcn8s_vgg16.score_pool3.params["weight"].shape == (21, 256, 1, 1)
    assert fcn8s_vgg16.num_parameters() == 134_489_759
    # the final upsampling is frozen, as in the staged reference
    assert fcn8s_vgg16.num_parameters(include_frozen=False) == 134_489_759 - 21 * 21 * 16 * 16
    assert fcn8s_vgg16.dtype == np.float32 and fcn8s_vgg16.num_classes == 21


@pytest.mark.parametrize("name,final,count", [
    ("fcn16s-vgg16", ("upscore16.weight", (21, 21, 32, 32)), 134_815_994),
    ("fcn32s-vgg16", ("upscore.weight", (21, 21, 64, 64)), 136_152_917),
    ("fcn8s-atonce-vgg16", ("upscore8.weight", (21, 21, 16, 16)), 134_489_759),
])
def test_the_other_full_size_nets_have_the_paper_s_parameters(name, final, count):
    with no_init():
        model = build(name)
    assert shapes_of(model)[final[0]] == final[1]
    assert model.num_parameters() == count


def test_building_the_full_net_without_init_is_fast():
    start = time.perf_counter()
    with no_init():
        model = build("fcn8s-vgg16")
    assert time.perf_counter() - start < 2.0
    assert model.num_parameters() == 134_489_759


@pytest.mark.slow
def test_a_full_size_forward_under_no_grad(monkeypatch, fcn8s_vgg16):
    """The paper's FCN-8s on a 64 x 64 image, under no_grad (where the large convolutions of one image make
    no column matrix: shifted taps), keeps nothing and equals the textbook route's forward (every trick off).
    That route's crops are pytorch-fcn's: test_reference_torch."""
    model = fcn8s_vgg16.eval()
    rng = np.random.default_rng(0)
    for _, value, _ in model.named_parameters(include_frozen=True):
        rng.standard_normal(out=value.reshape(-1), dtype=np.float32)
        fan_in = math.prod(value.shape[1:]) if value.ndim > 1 else 1
        value *= np.float32(math.sqrt(2.0 / fan_in) if value.ndim > 1 else 0.1)
    x = rng.standard_normal((1, 3, 64, 64)).astype(np.float32)
    shifted, forward = [], shifted_taps.conv2d_forward
    monkeypatch.setattr(shifted_taps, "conv2d_forward", lambda x, *args: shifted.append(x.shape) or forward(x, *args))
    start = time.perf_counter()
    with no_grad(), fast.enabled(True, "shifted_taps"):
        logits = model(x)
    took = time.perf_counter() - start
    assert logits.shape == (1, 21, 64, 64) and np.isfinite(logits).all()
    assert all(layer.cache is None for layer in model.layers.values())
    # conv1_2's columns on the 262 x 262 map of a 64 x 64 image would be 64*9 * 262^2 * 4 bytes = 158 MB
    assert (1, 64, 262, 262) in shifted
    with fast.enabled(False):
        expected = host(model(x))
    assert np.abs(expected).max() > 1e-2
    np.testing.assert_allclose(host(logits), expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())
    assert took < 10.0, f"a 64 x 64 forward took {took:.1f} s"
