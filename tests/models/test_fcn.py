import math

import numpy as np
import pytest

from fcn_scratch import backend
from fcn_scratch.gradcheck import check_layer, worst
from fcn_scratch.layers import SoftmaxCrossEntropy
from fcn_scratch.models import FCN8s, FCN16s, FCN32s, build
from tests.helpers import host, on

TINY = dict(widths=(2, 3, 3, 4, 4), convs_per_block=1, fc_channels=4, dropout=0.0)


def tiny(name, num_classes=3, seed=0, **kw):
    return build(name, num_classes=num_classes, rng=np.random.default_rng(seed), **{**TINY, **kw})


@pytest.mark.parametrize("name", ["fcn32s", "fcn16s", "fcn8s"])
@pytest.mark.parametrize("hw", [(64, 64), (67, 93), (31, 40), (1, 1), (33, 32)])
def test_logits_have_the_input_size(device, name, hw):
    model = tiny(name).to(device)
    x = on(device, np.zeros((2, 3) + hw, np.float32))
    assert model(x).shape == (2, 3) + hw
    assert model.backward(model(x)).shape == (2, 3) + hw


@pytest.mark.parametrize("name", ["fcn32s", "fcn16s", "fcn8s"])
def test_whole_model_gradient_check(route, name):
    with backend.default_dtype("float64"):
        model = tiny(name, seed=1, learn_final_upsampling=True)
    rng = np.random.default_rng(2)
    for _, value, _ in model.named_parameters(include_frozen=True):
        if not value.any():
            value[...] = rng.standard_normal(value.shape) * 0.5
    results = check_layer(model, rng.standard_normal((1, 3, 21, 26)), max_entries=500)
    expected = {"input"} | {n for n, _, _ in model.named_parameters(include_frozen=True)}
    assert set(results) == expected
    name_, err, where = worst(results)
    assert err < 1e-6, f"{name_} gradient off by {err:.2e} at {where}"


@pytest.mark.parametrize("name", ["fcn32s", "fcn16s", "fcn8s"])
def test_training_backward_skips_only_the_image_gradient(rng, name):
    model = tiny(name, seed=1)
    x = rng.standard_normal((2, 3, 37, 41)).astype(np.float32)
    g = rng.standard_normal((2, 3, 37, 41)).astype(np.float32)
    model(x)
    assert model.backward(g).shape == x.shape
    full = {n: grad.copy() for n, _, grad in model.named_parameters()}
    model(x)
    assert model.backward(g, input_grad=False) is None
    for n, _, grad in model.named_parameters():
        np.testing.assert_array_equal(grad, full[n], err_msg=n)


@pytest.mark.parametrize("name", ["fcn32s", "fcn16s", "fcn8s"])
def test_fresh_loss_is_log_num_classes(name):
    model = build(name, num_classes=7)
    x = np.random.default_rng(0).standard_normal((2, 3, 40, 36)).astype(np.float32)
    labels = np.random.default_rng(1).integers(0, 7, (2, 40, 36))
    logits = model(x)
    assert not logits.any()
    assert SoftmaxCrossEntropy()(logits, labels) == pytest.approx(math.log(7), rel=1e-6)


def test_fresh_fcn8s_is_its_coarse_path_and_skips_get_gradients(rng):
    model = tiny("fcn8s").eval()
    model.score_fr.params["weight"][...] = rng.standard_normal(model.score_fr.params["weight"].shape)
    model.score_fr.params["bias"][...] = rng.standard_normal(3)
    x = rng.standard_normal((2, 3, 45, 38)).astype(np.float32)
    logits = model(x)
    score_fr, skips = model.encode(x)
    coarse = model.fuse_pool4(model.upscore2(score_fr), 0 * model.score_pool4(skips["pool4"]))
    coarse = model.fuse_pool3(model.upscore_pool4(coarse), 0 * model.score_pool3(skips["pool3"]))
    coarse = model.crop_upscore8(model.upscore8(coarse), x.shape)
    np.testing.assert_allclose(logits, coarse, rtol=1e-6, atol=1e-6)
    assert np.abs(logits).max() > 0.1

    model(x)
    ce = SoftmaxCrossEntropy()
    ce(logits, rng.integers(0, 3, (2, 45, 38)))
    model.backward(ce.backward())
    for layer in (model.score_pool4, model.score_pool3):
        assert np.abs(layer.grads["weight"]).max() > 0 and np.abs(layer.grads["bias"]).max() > 0


def test_bilinear_upsampling_layers_interpolate():
    model = build("fcn8s", num_classes=2)
    ramp = np.add.outer(np.arange(6.0), 2 * np.arange(5.0))[None, None].repeat(2, 1).astype(np.float32)
    up = model.crop_upscore8(model.upscore8(ramp), (48, 40))
    rows = (np.arange(48) + 0.5) / 8 - 0.5
    cols = (np.arange(40) + 0.5) / 8 - 0.5
    expected = np.add.outer(rows, 2 * cols)
    np.testing.assert_allclose(up[0, 1, 4:-4, 4:-4], expected[4:-4, 4:-4], atol=1e-5)


def test_parameter_names_follow_the_reference():
    names = {n for n, _, _ in build("fcn8s", num_classes=21).named_parameters(include_frozen=True)}
    for expected in ["conv1_1.weight", "conv5_2.bias", "fc6.weight", "fc7.bias", "score_fr.weight",
                     "score_pool4.weight", "score_pool3.bias", "upscore2.weight", "upscore_pool4.weight",
                     "upscore8.weight"]:
        assert expected in names
    assert "upscore8.bias" not in names
    assert {n for n, _, _ in FCN32s(4).named_parameters(True)} >= {"upscore.weight"}
    assert {n for n, _, _ in FCN16s(4).named_parameters(True)} >= {"upscore16.weight", "score_pool4.weight"}
    assert build("fcn8s", num_classes=21).fc6.params["weight"].shape == (256, 128, 3, 3)


def test_final_upsampling_is_frozen_unless_asked():
    frozen = {n for n, _, _ in FCN8s(3).named_parameters(include_frozen=True)} - \
             {n for n, _, _ in FCN8s(3).named_parameters()}
    assert frozen == {"upscore8.weight"}
    assert "upscore8.weight" in {n for n, _, _ in FCN8s(3, learn_final_upsampling=True).named_parameters()}


def test_same_seed_same_network():
    a, b = tiny("fcn8s", seed=5), tiny("fcn8s", seed=5)
    for (na, va, _), (nb, vb, _) in zip(a.named_parameters(True), b.named_parameters(True)):
        assert na == nb
        np.testing.assert_array_equal(va, vb)


def test_state_dict_round_trip_gives_identical_logits(rng):
    a, b = tiny("fcn16s", seed=1), tiny("fcn16s", seed=2)
    x = rng.standard_normal((1, 3, 37, 29)).astype(np.float32)
    a.score_fr.params["weight"][...] = 1.0
    b.load_state_dict(a.state_dict())
    np.testing.assert_array_equal(a(x), b(x))


def test_load_state_dict_names_every_problem():
    model = tiny("fcn8s")
    state = model.state_dict()
    del state["fc7.bias"]
    state["conv1_1.weight"] = np.zeros((9, 3, 3, 3), np.float32)
    state["bogus.weight"] = np.zeros(1)
    with pytest.raises(ValueError) as info:
        model.load_state_dict(state)
    message = str(info.value)
    assert "missing: fc7.bias" in message and "unexpected: bogus.weight" in message
    assert "conv1_1.weight: checkpoint (9, 3, 3, 3), model (2, 3, 3, 3)" in message


def test_staged_initialization_from_a_coarser_net():
    fcn32 = tiny("fcn32s", seed=3)
    fcn32.score_fr.params["weight"][...] = 2.0
    fcn16 = tiny("fcn16s", seed=4)
    copied, skipped = fcn16.load_matching(fcn32.state_dict())
    assert "score_fr.weight" in copied and "conv1_1.weight" in copied
    assert set(skipped) == {"upscore2.weight", "score_pool4.weight", "score_pool4.bias", "upscore16.weight"}
    np.testing.assert_array_equal(fcn16.conv3_1.params["weight"], fcn32.conv3_1.params["weight"])
    assert not fcn16.score_pool4.params["weight"].any()


def test_train_eval_switch_dropout():
    model = build("fcn8s", num_classes=3, widths=(2, 2, 2, 2, 2), fc_channels=8)
    model.eval()
    assert not model.drop6.training
    model.train()
    assert model.drop7.training


def test_summary_lists_layers_and_totals():
    text = build("fcn8s", num_classes=21).summary((3, 128, 128))
    assert "conv1_1" in text and "(1, 16, 128, 128)" in text
    assert "upscore8" in text and "(1, 21, 136, 136)" in text
    assert "total parameters: 1,086,127" in text and "trainable: 973,231" in text


def test_bad_configurations():
    with pytest.raises(ValueError, match="unknown model 'fcn4s'"):
        build("fcn4s", num_classes=3)
    with pytest.raises(ValueError, match="the encoder has 5 blocks: widths and convs_per_block give 5 numbers, got 2 and 5"):
        FCN8s(3, widths=(8, 8))
    with pytest.raises(ValueError, match="fc6_kernel must be odd"):
        FCN8s(3, fc6_kernel=4)
    with pytest.raises(ValueError, match="expects 3 input channels, got 1"):
        FCN8s(3, widths=(2, 2, 2, 2, 2))(np.zeros((1, 1, 32, 32), np.float32))


@pytest.mark.gpu
def test_gpu_agrees_with_cpu(rng):
    cpu = build("fcn8s", num_classes=4, widths=(4, 8, 8, 8, 8), fc_channels=16, dropout=0.0,
                rng=np.random.default_rng(0))
    for _, value, _ in cpu.named_parameters(True):
        if not value.any():
            value[...] = rng.standard_normal(value.shape) * 0.1
    gpu = build("fcn8s", num_classes=4, widths=(4, 8, 8, 8, 8), fc_channels=16, dropout=0.0).to("cuda")
    gpu.load_state_dict(cpu.state_dict())
    x = rng.standard_normal((2, 3, 45, 50)).astype(np.float32)
    g = rng.standard_normal((2, 4, 45, 50)).astype(np.float32)
    np.testing.assert_allclose(host(gpu(on("cuda", x))), cpu(x), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(host(gpu.backward(on("cuda", g))), cpu.backward(g), rtol=1e-3, atol=1e-4)
    for (name, _, gg), (_, _, cg) in zip(gpu.named_parameters(True), cpu.named_parameters(True)):
        np.testing.assert_allclose(host(gg), cg, rtol=1e-3, atol=1e-3, err_msg=name)
