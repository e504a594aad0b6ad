import numpy as np
import pytest

from fcn_scratch.functional import conv2d_naive
from fcn_scratch.gradcheck import check_layer, worst
from fcn_scratch.layers import Conv2d
from tests.helpers import host, on

# (N, C_in, C_out, H, W, kernel, stride, padding)
GRID = [
    (1, 1, 1, 5, 5, 3, 1, 0),
    (2, 3, 4, 6, 7, 3, 1, 1),
    (2, 2, 3, 7, 5, 3, 2, 1),
    (1, 3, 2, 8, 9, 2, 2, 0),
    (2, 2, 2, 5, 6, 1, 2, 2),
    (1, 2, 3, 9, 7, (3, 2), (2, 1), (0, 2)),
    (3, 1, 2, 7, 7, 2, 3, 1),
    (1, 4, 1, 6, 6, 5, 1, 2),
]


def _layer(c_in, c_out, k, s, p, device, dtype=np.float64):
    return Conv2d(c_in, c_out, k, stride=s, padding=p, rng=np.random.default_rng(0), dtype=dtype).to(device)


@pytest.mark.parametrize("n,c_in,c_out,h,w,k,s,p", GRID)
def test_matches_naive_definition(route, device, rng, n, c_in, c_out, h, w, k, s, p):
    conv = _layer(c_in, c_out, k, s, p, device)
    conv.params["bias"][...] = on(device, rng.standard_normal(c_out))
    x = rng.standard_normal((n, c_in, h, w))
    expected = conv2d_naive(x, host(conv.params["weight"]), host(conv.params["bias"]), s, p)
    np.testing.assert_allclose(host(conv(on(device, x))), expected, rtol=1e-12, atol=1e-12)


def test_rectangular_matches_sum_of_taps(rng):
    conv = _layer(2, 3, (3, 2), (2, 1), (1, 0), "cpu")
    x = rng.standard_normal((1, 2, 7, 5))
    y = conv(x)
    x_pad = np.pad(x, ((0, 0), (0, 0), (1, 1), (0, 0)))
    w = conv.params["weight"]
    r, c = 2, 3
    expected = np.einsum("ciu,ociu->o", x_pad[0, :, 2 * r:2 * r + 3, c:c + 2], w)
    assert y.shape == (1, 3, 4, 4)
    np.testing.assert_allclose(y[0, :, r, c], expected, rtol=1e-12)


@pytest.mark.parametrize("n,c_in,c_out,h,w,k,s,p", GRID)
def test_gradients(route, device, rng, n, c_in, c_out, h, w, k, s, p):
    conv = _layer(c_in, c_out, k, s, p, device)
    conv.params["bias"][...] = on(device, rng.standard_normal(c_out))
    results = check_layer(conv, on(device, rng.standard_normal((n, c_in, h, w))))
    assert set(results) == {"input", "weight", "bias"}
    name, err, where = worst(results)
    assert err < 1e-8, f"{name} gradient off by {err:.2e} at {where}"


def test_float32_default_and_shape():
    conv = Conv2d(3, 8, 3, padding=1)
    y = conv(np.zeros((2, 3, 10, 12), np.float32))
    assert conv.params["weight"].shape == (8, 3, 3, 3)
    assert y.shape == (2, 8, 10, 12) and y.dtype == np.float32


def test_no_bias():
    conv = Conv2d(2, 2, 1, bias=False)
    assert set(conv.params) == {"weight"}
    conv(np.ones((1, 2, 3, 3), np.float32))
    conv.backward(np.ones((1, 2, 3, 3), np.float32))
    assert set(conv.grads) == {"weight"}


def test_bad_input_is_named():
    conv = Conv2d(3, 4, 3)
    with pytest.raises(ValueError, match=r"expects input of shape \(N, C, H, W\), got shape \(3, 8, 8\)"):
        conv(np.zeros((3, 8, 8), np.float32))
    with pytest.raises(ValueError, match="expects 3 input channels, got 2"):
        conv(np.zeros((1, 2, 8, 8), np.float32))
    with pytest.raises(TypeError, match="float32 parameters but got a float64 input"):
        conv(np.zeros((1, 3, 8, 8)))
    with pytest.raises(TypeError, match="floating-point input, got dtype int64"):
        conv(np.zeros((1, 3, 8, 8), np.int64))
    with pytest.raises(ValueError, match="kernel of size 3 is larger than the padded input"):
        conv(np.zeros((1, 3, 2, 8), np.float32))


def test_backward_before_forward_and_wrong_grad():
    conv = Conv2d(1, 1, 3)
    with pytest.raises(RuntimeError, match="backward called before forward"):
        conv.backward(np.zeros((1, 1, 3, 3), np.float32))
    conv(np.zeros((1, 1, 5, 5), np.float32))
    with pytest.raises(ValueError, match=r"expects a gradient of shape \(1, 1, 3, 3\)"):
        conv.backward(np.zeros((1, 1, 4, 4), np.float32))


def test_backward_without_input_gradient_keeps_parameter_gradients(device, rng):
    conv = Conv2d(3, 5, 3, padding=1, rng=rng, dtype=np.float64).to(device)
    x = on(device, rng.standard_normal((2, 3, 6, 7)))
    dy = on(device, rng.standard_normal(conv(x).shape))
    assert conv.backward(dy).shape == x.shape
    full = {name: host(g).copy() for name, g in conv.grads.items()}
    conv(x)
    assert conv.backward(dy, input_grad=False) is None
    for name, g in conv.grads.items():
        np.testing.assert_array_equal(host(g), full[name])


def test_frozen_parameters_get_no_gradient(device, rng):
    conv = Conv2d(3, 4, 3, padding=1, rng=rng, dtype=np.float64).to(device)
    conv.freeze("weight")
    x = on(device, rng.standard_normal((2, 3, 5, 5)))
    y = conv(x)
    dx = conv.backward(on(device, np.ones(y.shape)))
    assert not host(conv.grads["weight"]).any()
    np.testing.assert_allclose(host(conv.grads["bias"]), np.full(4, 2 * 5 * 5))
    assert set(check_layer(conv, x)) == {"input", "bias"}
    assert dx.shape == x.shape
