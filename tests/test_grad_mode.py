"""no_grad(): a forward keeps no cache for backward, computes the same numbers, nests, and holds per thread."""
import threading

import numpy as np
import pytest

from fcn_scratch import grad_mode, no_grad
from fcn_scratch.layers import Conv2d, Layer
from fcn_scratch.models import build
from tests.helpers import host, on

SMALL = dict(widths=(4, 8, 8, 8, 8), convs_per_block=1, fc_channels=16, dropout=0.0)
NO_FORWARD = r"backward called before forward \(or after a forward inside fcn_scratch.no_grad\(\)\)"


def every_layer(model):
    """``{name: layer}`` of every layer of ``model``, the ones a layer holds inside itself included
    (the crop inside each Fuse)."""
    found = {}
    for name, layer in model.layers.items():
        found[name] = layer
        for attr, inner in vars(layer).items():
            if isinstance(inner, Layer):
                found[f"{name}.{attr}"] = inner
    return found


def small_fcn8s(seed=0):
    """A small FCN-8s whose every parameter is non-zero, so that every skip shows in the logits."""
    model = build("fcn8s", num_classes=3, rng=np.random.default_rng(seed), **SMALL)
    rng = np.random.default_rng(seed + 1)
    for _, value, _ in model.named_parameters(include_frozen=True):
        if not value.any():
            value[...] = rng.standard_normal(value.shape) * 0.1
    return model


def test_grad_is_enabled_outside_and_disabled_inside():
    assert grad_mode.grad_enabled() is True
    with no_grad():
        assert grad_mode.grad_enabled() is False
    assert grad_mode.grad_enabled() is True


def test_nesting_restores_each_level():
    with no_grad():
        with no_grad():
            assert not grad_mode.grad_enabled()
        assert not grad_mode.grad_enabled()        # the inner block does not turn it back on
    assert grad_mode.grad_enabled()


def test_an_exception_inside_restores_grad():
    with pytest.raises(KeyError):
        with no_grad():
            raise KeyError("boom")
    assert grad_mode.grad_enabled()


def test_conv_keeps_no_cache_and_backward_raises(device, rng):
    conv = Conv2d(3, 5, 3, padding=1, rng=rng).to(device)
    x = on(device, rng.standard_normal((2, 3, 9, 7)).astype(np.float32))
    with_grad = host(conv(x))
    assert conv.cache is not None
    with no_grad():
        without = host(conv(x))
    assert conv.cache is None                           # the cache of the earlier forward is gone too
    np.testing.assert_array_equal(without, with_grad)
    assert without.shape == (2, 5, 9, 7)
    with pytest.raises(RuntimeError, match="Conv2d." + NO_FORWARD):
        conv.backward(on(device, np.ones((2, 5, 9, 7), np.float32)))


def test_a_forward_after_the_block_keeps_its_cache_again(rng):
    conv = Conv2d(2, 2, 3, rng=rng, dtype=np.float64)
    x = rng.standard_normal((1, 2, 6, 6))
    with no_grad():
        conv(x)
    y = conv(x)
    dx = conv.backward(np.ones_like(y))
    assert dx.shape == x.shape and np.abs(conv.grads["weight"]).sum() > 0


def test_fcn8s_keeps_no_cache_in_any_layer_and_computes_the_same_logits(device, rng):
    model = small_fcn8s().eval().to(device)
    x = on(device, rng.standard_normal((2, 3, 45, 38)).astype(np.float32))
    with_grad = host(model(x))
    layers = every_layer(model)
    assert "fuse_pool3.crop" in layers and "scale_pool4" in layers
    # a Fuse keeps nothing of its own: the crop inside it keeps what backward needs
    empty = {name for name, layer in layers.items() if layer.cache is None}
    assert empty == {"fuse_pool4", "fuse_pool3"}
    with no_grad():
        without = host(model(x))
    assert [name for name, layer in layers.items() if layer.cache is not None] == []
    np.testing.assert_array_equal(without, with_grad)
    assert np.abs(with_grad).max() > 1e-3
    with pytest.raises(RuntimeError, match=NO_FORWARD):
        model.backward(on(device, np.ones(with_grad.shape, np.float32)))


def test_a_thread_started_inside_the_block_has_grad_enabled(rng):
    conv = Conv2d(2, 3, 3, rng=rng)
    x = rng.standard_normal((1, 2, 5, 5)).astype(np.float32)
    seen = {}

    def worker():
        seen["enabled"] = grad_mode.grad_enabled()
        conv(x)
        seen["cache"] = conv.cache is not None

    with no_grad():
        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()
        assert not grad_mode.grad_enabled()
    assert seen == {"enabled": True, "cache": True}


def test_no_grad_in_another_thread_does_not_reach_this_one():
    inside, leave = threading.Event(), threading.Event()

    def worker():
        with no_grad():
            inside.set()
            leave.wait(10)

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        assert inside.wait(10)
        assert grad_mode.grad_enabled()
    finally:
        leave.set()
        thread.join()
