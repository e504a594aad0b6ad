"""The phase decomposition of a transposed convolution (fast/phases.py), held to the textbook formulas."""
import numpy as np
import pytest

from fcn_scratch import fast
from fcn_scratch.fast import phases
from fcn_scratch.functional import col2im, im2col
from fcn_scratch.layers import ConvTranspose2d
from tests.helpers import host, on


def _applies(layer):
    return phases.applies(layer.params["weight"].shape, layer.stride, layer.padding)


@pytest.mark.parametrize("k,s,op", [(4, 2, 0), (16, 8, 0), (6, 3, 2), ((4, 6), (2, 3), 1)])
def test_phases_equal_matmul_then_col2im(device, rng, k, s, op):
    layer = ConvTranspose2d(3, 2, k, stride=s, output_padding=op, bias=False, rng=rng, dtype=np.float64).to(device)
    assert _applies(layer)
    x = on(device, rng.standard_normal((2, 3, 5, 4)))
    weight = layer.params["weight"]
    y, cols = phases.conv_transpose_phase(x, weight, layer.stride, layer.output_size(5, 4))
    w_mat = weight.reshape(3, -1)
    textbook = col2im(w_mat.T @ x.reshape(2, 3, 20), y.shape, layer.kernel_size, layer.stride)
    np.testing.assert_allclose(host(y), host(textbook), rtol=1e-12, atol=1e-12)
    g = on(device, rng.standard_normal(y.shape))
    dx, dw = phases.conv_transpose_phase_backward(x.shape, cols, weight, g, layer.stride)
    g_cols = im2col(g, layer.kernel_size, layer.stride)
    np.testing.assert_allclose(host(dx), host((w_mat @ g_cols).reshape(x.shape)), rtol=1e-12, atol=1e-12)
    expected_dw = sum(host(x.reshape(2, 3, 20)[i]) @ host(g_cols[i]).T for i in range(2))
    np.testing.assert_allclose(host(dw), expected_dw.reshape(weight.shape), rtol=1e-12)
    assert phases.conv_transpose_phase_backward(x.shape, cols, weight, g, layer.stride, weight_grad=False)[1] is None


def test_phases_apply_only_without_padding_and_when_the_stride_divides_the_kernel():
    assert _applies(ConvTranspose2d(2, 2, 16, stride=8))
    assert not _applies(ConvTranspose2d(2, 2, 3, stride=2))
    assert not _applies(ConvTranspose2d(2, 2, 4, stride=2, padding=1))
    assert not _applies(ConvTranspose2d(2, 2, 3, stride=1))
    with fast.enabled(False, "phases"):
        assert not _applies(ConvTranspose2d(2, 2, 16, stride=8))
