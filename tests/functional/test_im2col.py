import numpy as np
import pytest

from fcn_scratch.functional import (col2im, conv_output_size, im2col, pair, pool_output_size,
                                    transposed_output_size)
from tests.helpers import host, on

CONFIGS = [
    # (H, W, kernel, stride, padding)
    ((5, 5), (3, 3), (1, 1), (0, 0)),
    ((6, 7), (3, 3), (1, 1), (1, 1)),
    ((7, 9), (3, 2), (2, 1), (2, 0)),
    ((8, 8), (2, 2), (2, 2), (0, 0)),
    ((9, 6), (1, 1), (3, 2), (0, 1)),
    ((10, 11), (4, 4), (2, 2), (1, 2)),
    ((7, 7), (2, 2), (3, 3), (0, 0)),
]


def test_im2col_layout_matches_definition(device, rng):
    x = rng.standard_normal((2, 3, 6, 7))
    cols = host(im2col(on(device, x), (3, 2), (2, 1), (1, 0)))
    ho, wo = conv_output_size(6, 3, 2, 1), conv_output_size(7, 2, 1, 0)
    assert cols.shape == (2, 3 * 3 * 2, ho * wo)
    x_pad = np.pad(x, ((0, 0), (0, 0), (1, 1), (0, 0)))
    for r in range(ho):
        for c in range(wo):
            window = x_pad[:, :, 2 * r:2 * r + 3, c:c + 2].reshape(2, -1)
            np.testing.assert_array_equal(cols[:, :, r * wo + c], window)


@pytest.mark.parametrize("hw,k,s,p", CONFIGS)
def test_col2im_is_adjoint_of_im2col(device, rng, hw, k, s, p):
    x = rng.standard_normal((2, 3) + hw)
    cols = im2col(on(device, x), k, s, p)
    c = rng.standard_normal(cols.shape)
    lhs = float((host(cols) * c).sum())
    rhs = float((x * host(col2im(on(device, c), x.shape, k, s, p))).sum())
    assert abs(lhs - rhs) < 1e-10 * max(1.0, abs(lhs))


def test_col2im_counts_overlaps(device):
    ones = np.ones((1, 1 * 9, 3 * 3))
    counts = host(col2im(on(device, ones), (1, 1, 5, 5), (3, 3), (1, 1), (0, 0)))
    expected = np.array([1, 2, 3, 2, 1])
    np.testing.assert_array_equal(counts[0, 0], np.outer(expected, expected))


def test_col2im_rejects_wrong_shape():
    with pytest.raises(ValueError, match="cols has shape"):
        col2im(np.zeros((1, 8, 9)), (1, 1, 5, 5), (3, 3))


def test_output_sizes():
    assert conv_output_size(7, 3, 2, 1) == 4
    assert transposed_output_size(4, 3, 2, 1, 1) == 8
    assert pool_output_size(7, 2, 2, 0, False) == 3
    assert pool_output_size(7, 2, 2, 0, True) == 4
    # ceil mode never starts a window inside the right padding (PyTorch's rule)
    assert pool_output_size(6, 3, 2, 1, True) == 4
    assert pool_output_size(5, 2, 2, 1, True) == 3
    assert pool_output_size(1, 2, 2, 0, True) == 1
    with pytest.raises(ValueError, match="larger than the padded input"):
        conv_output_size(2, 5, 1, 1)
    with pytest.raises(ValueError, match="transposed convolution would produce"):
        transposed_output_size(1, 1, 1, 1)


def test_pair():
    assert pair(3) == (3, 3)
    assert pair((2, 5)) == (2, 5)
    with pytest.raises(TypeError, match="kernel_size must be an int or a pair"):
        pair(2.5, "kernel_size")
