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


def test_biases_at_their_own_rate_and_without_weight_decay():
    """pytorch-fcn's groups: weights at lr with the decay, biases at bias_lr_factor * lr without it."""
    model = tiny()
    w0, b0 = model.fc6.params["weight"].copy(), model.fc6.params["bias"].copy()
    b0 += 1.0
    model.fc6.params["bias"][...] = b0
    fill_grads(model, 1.0)
    opt = SGD(model, lr=0.1, momentum=0.0, weight_decay=0.5, bias_lr_factor=2.0, bias_weight_decay=False)
    assert opt.group("fc6.weight") == (0.1, 0.5) and opt.group("fc6.bias") == (0.2, 0.0)
    opt.step()
    np.testing.assert_allclose(model.fc6.params["weight"], w0 - 0.1 * (1 + 0.5 * w0), rtol=1e-6)
    np.testing.assert_allclose(model.fc6.params["bias"], b0 - 0.2, rtol=1e-6)
    set_lr(opt, "poly", 50, 100)                      # a schedule scales both groups
    assert opt.group("fc6.bias")[0] == pytest.approx(2 * opt.group("fc6.weight")[0])


@pytest.mark.parametrize("make", [lambda m: SGD(m, 0.1, momentum=0.99, weight_decay=5e-4),
                                  lambda m: Adam(m, 0.1, weight_decay=5e-4)], ids=["sgd", "adam"])
def test_an_update_makes_no_parameter_sized_temporaries(make):
    """The update runs in parts, so its temporaries (``weight_decay * w``, ``lr * v``) stay a part's size:
    here fc6 holds 4.7 M floats (19 MB), and the step's peak allocation stays under 6 parts' worth (25 MB),
    where two temporaries of fc6's size would take 38 MB."""
    import tracemalloc

    from fcn_scratch.optim.base import PART
    model = build("fcn8s", num_classes=3, widths=(2, 2, 2, 2, 512), convs_per_block=1, fc_channels=1024,
                  rng=np.random.default_rng(0))
    limit = 6 * PART * 4
    assert 2 * model.fc6.params["weight"].nbytes > limit
    fill_grads(model, 1e-3)
    opt = make(model)
    opt.step()                                        # the buffers are made once, at the first step
    tracemalloc.start()
    opt.step()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < limit, f"{peak / 1e6:.1f} MB at the peak of a step"


def test_parts_give_the_update_of_the_whole_array():
    """In parts or whole (a parameter that is not contiguous), the same numbers."""
    from fcn_scratch.optim import base
    results = []
    for part in (base.PART, 7):
        model = tiny()
        fill_grads(model, 0.3)
        original, base.PART = base.PART, part
        try:
            opt = SGD(model, 0.1, momentum=0.9, weight_decay=0.01)
            opt.step(), opt.step()
        finally:
            base.PART = original
        results.append(model.state_dict())
    for name in results[0]:
        np.testing.assert_array_equal(results[0][name], results[1][name], err_msg=name)
