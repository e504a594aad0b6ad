"""Conv2d's fast route (fast/conv2d.py), held to the layer's textbook route with each of its tricks turned
off in turn, and the fork the layer makes once per pass."""
import numpy as np
import pytest

from fcn_scratch import fast
from fcn_scratch.layers import Conv2d
from tests.fast.helpers import all_but
from tests.helpers import host, on

# (C_in, C_out, kernel, stride, padding): an image-like input, fewer outputs, strides, a rectangular
# kernel, a 1x1
SHAPES = [(3, 5, 3, 1, 1), (6, 4, 3, 1, 1), (4, 6, 3, 2, 1), (5, 3, (3, 5), 1, (1, 2)), (4, 4, 1, 1, 0)]
ROUTE_TRICKS = ("shifted_taps", "clipped_taps", "kept_buffers", "flat_shifts", "tall_first", "threads")


def _pass(conv, x, dy, input_grad=True):
    y = host(conv(x)).copy()
    dx = conv.backward(dy, input_grad=input_grad)
    return [y, None if dx is None else host(dx)] + [host(conv.grads[name]).copy() for name in sorted(conv.grads)]


@pytest.mark.parametrize("off", [()] + [(name,) for name in ROUTE_TRICKS], ids=lambda off: "-".join(off) or "all_on")
@pytest.mark.parametrize("c_in,c_out,k,s,p", SHAPES)
def test_the_fast_route_equals_the_textbook(split_small, device, rng, off, c_in, c_out, k, s, p):
    conv = Conv2d(c_in, c_out, k, stride=s, padding=p, rng=rng, dtype=np.float64).to(device)
    conv.params["bias"][...] = on(device, rng.standard_normal(c_out))
    x = on(device, rng.standard_normal((5, c_in, 11, 9)))
    dy = on(device, rng.standard_normal(conv(x).shape))
    with fast.enabled(False):
        textbook = _pass(conv, x, dy)
        assert conv.cache is None or conv.cache[0] == "textbook"
    with all_but(off):
        assert fast.conv_applies(conv, x)
        conv(x)
        assert conv.cache[0] == "fast"
        fast_route = _pass(conv, x, dy)
    for got, expected in zip(fast_route, textbook):
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_no_input_gradient_and_frozen_weight(rng):
    conv = Conv2d(3, 4, 3, padding=1, rng=rng, dtype=np.float64)
    x, dy = rng.standard_normal((2, 3, 6, 5)), rng.standard_normal((2, 4, 6, 5))
    conv(x)
    assert conv.backward(dy, input_grad=False) is None
    conv.freeze("weight")
    before = conv.grads["weight"].copy()
    conv(x)
    assert conv.backward(dy).shape == x.shape
    np.testing.assert_array_equal(conv.grads["weight"], before)


def test_backward_follows_the_route_its_forward_took(rng):
    """The cache says which route filled it: switching the tricks off between the passes mixes nothing."""
    conv = Conv2d(3, 4, 3, padding=1, rng=rng, dtype=np.float64)
    x, dy = rng.standard_normal((2, 3, 6, 5)), rng.standard_normal((2, 4, 6, 5))
    conv(x)
    fast_dx = conv.backward(dy)
    conv(x)
    with fast.enabled(False):
        assert conv.cache[0] == "fast"
        np.testing.assert_allclose(conv.backward(dy), fast_dx, rtol=1e-12, atol=1e-12)
    with fast.enabled(False):
        conv(x)
    assert conv.cache[0] == "textbook"
    np.testing.assert_allclose(conv.backward(dy), fast_dx, rtol=1e-12, atol=1e-12)


def test_the_door_opens_while_a_trick_of_the_route_applies():
    conv = Conv2d(4, 3, 3, padding=1)
    x = np.zeros((2, 4, 8, 8), np.float32)
    with fast.enabled(False), fast.threads_used(2):
        assert not fast.conv_applies(conv, x)
        for name in ROUTE_TRICKS:
            with fast.enabled(True, name):
                assert fast.conv_applies(conv, x)
        with fast.enabled(True, "phases", "running_max"):
            assert not fast.conv_applies(conv, x)               # other layers' tricks
    with fast.enabled(False), fast.enabled(True, "threads"), fast.threads_used(1):
        assert not fast.conv_applies(conv, x)                   # one thread: nothing to split
