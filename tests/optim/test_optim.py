import numpy as np
import pytest

from fcn_scratch.models import build
from fcn_scratch.optim import SGD, Adam, set_lr
from fcn_scratch.optim.schedules import constant, poly, step


def tiny():
    return build("fcn8s", num_classes=3, widths=(2, 2, 2, 2, 2), convs_per_block=1, fc_channels=4,
                 rng=np.random.default_rng(0))


def fill_grads(model, value=1.0):
    for layer in model.layers.values():
        for name in layer.grads:
            layer.grads[name] = np.full_like(layer.params[name], value)


def test_sgd_plain_and_momentum():
    model = tiny()
    w0 = model.conv1_1.params["weight"].copy()
    opt = SGD(model, lr=0.1, momentum=0.9)
    fill_grads(model)
    opt.step()
    np.testing.assert_allclose(model.conv1_1.params["weight"], w0 - 0.1, rtol=1e-6)
    opt.step()
    np.testing.assert_allclose(model.conv1_1.params["weight"], w0 - 0.1 - 0.1 * 1.9, rtol=1e-6)


def test_weight_decay():
    model = tiny()
    w0 = model.fc6.params["weight"].copy()
    fill_grads(model, 0.0)
    SGD(model, lr=0.5, momentum=0.0, weight_decay=0.1).step()
    np.testing.assert_allclose(model.fc6.params["weight"], w0 * (1 - 0.05), rtol=1e-6)


def test_adam_first_step_is_lr_times_sign():
    model = tiny()
    w0 = model.conv2_1.params["weight"].copy()
    fill_grads(model, -3.0)
    Adam(model, lr=0.01).step()
    np.testing.assert_allclose(model.conv2_1.params["weight"], w0 + 0.01, rtol=1e-5, atol=1e-7)


def test_frozen_parameters_are_left_alone():
    model = tiny()
    frozen = model.upscore8.params["weight"].copy()
    for opt in (SGD(model, 0.1, weight_decay=0.1), Adam(model, 0.1, weight_decay=0.1)):
        fill_grads(model)
        opt.step()
    np.testing.assert_array_equal(model.upscore8.params["weight"], frozen)
    assert not np.array_equal(model.upscore2.params["weight"], frozen[:, :, :4, :4])


def test_state_dict_round_trip():
    model = tiny()
    opt = Adam(model, 0.01)
    fill_grads(model)
    opt.step()
    state = opt.state_dict()
    assert state["steps"] == 1 and "conv1_1.weight/m" in state
    other = Adam(tiny(), 0.5)
    other.load_state_dict(state)
    assert other.steps == 1 and other.lr == 0.01
    np.testing.assert_array_equal(other.state["conv1_1.weight"]["v"], opt.state["conv1_1.weight"]["v"])


def test_schedules():
    assert constant(50, 100) == 1.0
    assert step(0, 90) == 1.0 and step(30, 90) == pytest.approx(0.1) and step(89, 90) == pytest.approx(0.01)
    assert poly(0, 100) == 1.0 and poly(50, 100) == pytest.approx(0.5 ** 0.9) and poly(100, 100) == 0.0
    opt = SGD(tiny(), lr=0.2)
    assert set_lr(opt, "poly", 50, 100) == pytest.approx(0.2 * 0.5 ** 0.9)
    with pytest.raises(ValueError, match="unknown schedule 'cosine'"):
        set_lr(opt, "cosine", 0, 1)
    with pytest.raises(ValueError, match="learning rate must be positive"):
        SGD(tiny(), lr=0)
