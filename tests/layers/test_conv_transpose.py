import numpy as np
import pytest

from fcn_scratch.functional import bilinear_kernel, conv_transpose2d_naive
from fcn_scratch.gradcheck import check_layer, worst
from fcn_scratch.layers import Conv2d, ConvTranspose2d
from tests.helpers import host, on

# (N, C_in, C_out, H, W, kernel, stride, padding, output_padding)
GRID = [
    (1, 1, 1, 3, 3, 3, 1, 0, 0),
    (2, 3, 2, 4, 5, 3, 2, 1, 1),
    (2, 2, 3, 3, 4, 4, 2, 1, 0),
    (1, 2, 2, 3, 3, 2, 2, 0, 0),
    (1, 3, 1, 2, 5, 1, 3, 0, 2),
    (2, 1, 2, 3, 2, 16, 8, 0, 0),
    (1, 2, 2, 4, 4, 5, 2, 2, 1),
]


def _layer(c_in, c_out, k, s, p, op, device):
    return ConvTranspose2d(c_in, c_out, k, stride=s, padding=p, output_padding=op,
                           rng=np.random.default_rng(0), dtype=np.float64).to(device)


@pytest.mark.parametrize("n,c_in,c_out,h,w,k,s,p,op", GRID)
def test_matches_naive_definition(route, device, rng, n, c_in, c_out, h, w, k, s, p, op):
    layer = _layer(c_in, c_out, k, s, p, op, device)
    layer.params["bias"][...] = on(device, rng.standard_normal(c_out))
    x = rng.standard_normal((n, c_in, h, w))
    y = host(layer(on(device, x)))
    assert y.shape == (n, c_out, (h - 1) * s - 2 * p + k + op, (w - 1) * s - 2 * p + k + op)
    expected = conv_transpose2d_naive(x, host(layer.params["weight"]), host(layer.params["bias"]), s, p, op)
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("n,c_in,c_out,h,w,k,s,p,op", GRID)
def test_gradients(route, device, rng, n, c_in, c_out, h, w, k, s, p, op):
    layer = _layer(c_in, c_out, k, s, p, op, device)
    layer.params["bias"][...] = on(device, rng.standard_normal(c_out))
    name, err, where = worst(check_layer(layer, on(device, rng.standard_normal((n, c_in, h, w)))))
    assert err < 1e-8, f"{name} gradient off by {err:.2e} at {where}"


@pytest.mark.parametrize("h,w,k,s,p", [(7, 7, 3, 1, 1), (9, 8, 3, 2, 1), (8, 8, 4, 2, 1), (11, 6, 2, 3, 0)])
def test_adjoint_of_convolution(route, device, rng, h, w, k, s, p):
    """<conv(x), y> == <x, conv_transpose(y)> when both share one weight array."""
    conv = Conv2d(3, 5, k, stride=s, padding=p, bias=False, rng=rng, dtype=np.float64).to(device)
    x = on(device, rng.standard_normal((2, 3, h, w)))
    cx = conv(x)
    op = tuple((size + 2 * p - k) % s for size in (h, w))
    op = op[0] if op[0] == op[1] else op
    convt = ConvTranspose2d(5, 3, k, stride=s, padding=p, output_padding=op, bias=False, dtype=np.float64)
    convt.to(device).params["weight"] = conv.params["weight"]
    y = on(device, rng.standard_normal(cx.shape))
    cty = convt(y)
    assert cty.shape == x.shape
    lhs, rhs = float((cx * y).sum()), float((x * cty).sum())
    assert abs(lhs - rhs) < 1e-10 * max(1.0, abs(lhs))
    # and so the backward of one is the forward of the other
    np.testing.assert_allclose(host(conv.backward(y)), host(cty), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("factor", [2, 4, 8])
def test_bilinear_upsampling_of_a_ramp(factor):
    """Upsampling a linear map by ``factor`` (kernel 2f, stride f) is linear interpolation away
    from the borders; cropping ``f // 2`` from the top left aligns the pixel centres."""
    coarse = np.add.outer(3.0 * np.arange(6), -2.0 * np.arange(5)).reshape(1, 1, 6, 5)
    up = ConvTranspose2d(1, 1, 2 * factor, stride=factor, bias=False, dtype=np.float64)
    up.params["weight"] = bilinear_kernel(1, 1, 2 * factor, np.float64)
    y = up(coarse)[0, 0, factor // 2:, factor // 2:]
    rows = (np.arange(y.shape[0]) + 0.5) / factor - 0.5
    cols = (np.arange(y.shape[1]) + 0.5) / factor - 0.5
    expected = np.add.outer(3.0 * rows, -2.0 * cols)
    inner = slice(factor, 4 * factor)
    np.testing.assert_allclose(y[inner, inner], expected[inner, inner], atol=1e-12)


def test_bad_arguments():
    with pytest.raises(ValueError, match="output_padding .* must be smaller than stride"):
        ConvTranspose2d(1, 1, 3, stride=2, output_padding=2)
    layer = ConvTranspose2d(2, 1, 4, stride=2)
    with pytest.raises(ValueError, match="expects 2 input channels, got 3"):
        layer(np.zeros((1, 3, 4, 4), np.float32))
    with pytest.raises(RuntimeError, match="backward called before forward"):
        layer.backward(np.zeros((1, 1, 10, 10), np.float32))
    layer(np.zeros((1, 2, 4, 4), np.float32))
    with pytest.raises(ValueError, match=r"gradient of shape \(1, 1, 10, 10\)"):
        layer.backward(np.zeros((1, 1, 8, 8), np.float32))


@pytest.mark.parametrize("k,s", [(16, 8), (3, 2)])
def test_frozen_kernel_gets_no_gradient_and_the_same_input_gradient(device, rng, k, s):
    layer = ConvTranspose2d(2, 2, k, stride=s, bias=False, rng=rng, dtype=np.float64).to(device)
    x = on(device, rng.standard_normal((2, 2, 3, 4)))
    dy = on(device, rng.standard_normal(layer(x).shape))
    learned = host(layer.backward(dy))
    assert host(layer.grads["weight"]).any()
    layer.grads["weight"][...] = 0
    layer.freeze()
    layer(x)
    np.testing.assert_array_equal(host(layer.backward(dy)), learned)
    assert not host(layer.grads["weight"]).any()
