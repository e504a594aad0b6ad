import numpy as np
import pytest

from fcn_scratch.functional import maxpool2d_naive
from fcn_scratch.gradcheck import check_layer, worst
from fcn_scratch.layers import MaxPool2d
from tests.helpers import host, on

# (N, C, H, W, kernel, stride, padding, ceil_mode)
GRID = [
    (2, 3, 8, 8, 2, 2, 0, False),
    (1, 2, 7, 9, 2, 2, 0, True),
    (2, 2, 7, 7, 3, 2, 1, False),
    (1, 3, 6, 5, 3, 2, 1, True),
    (2, 1, 5, 5, 2, 2, 1, True),
    (1, 2, 9, 6, 3, 1, 1, False),
    (1, 2, 7, 8, 2, 3, 0, True),
    (2, 2, 7, 9, 2, 2, 0, False),   # windows that leave the last row and column out: their gradient is 0
]


def _distinct(rng, shape):
    """Inputs without ties, so the numerical gradient is well defined."""
    size = int(np.prod(shape))
    return (rng.permutation(size).reshape(shape) + rng.uniform(0, 0.1, shape)) / size


@pytest.mark.parametrize("n,c,h,w,k,s,p,ceil", GRID)
def test_matches_naive_with_indices(route, device, rng, n, c, h, w, k, s, p, ceil):
    x = rng.standard_normal((n, c, h, w))
    y, idx = MaxPool2d(k, s, p, ceil_mode=ceil, return_indices=True)(on(device, x))
    ey, eidx = maxpool2d_naive(x, k, s, p, ceil)
    np.testing.assert_array_equal(host(y), ey)
    np.testing.assert_array_equal(host(idx), eidx)


@pytest.mark.parametrize("n,c,h,w,k,s,p,ceil", GRID)
def test_gradients(route, device, rng, n, c, h, w, k, s, p, ceil):
    name, err, where = worst(check_layer(MaxPool2d(k, s, p, ceil_mode=ceil), on(device, _distinct(rng, (n, c, h, w)))))
    assert err < 1e-8, f"{name} gradient off by {err:.2e} at {where}"


def test_padding_is_never_the_maximum(device):
    x = -np.arange(1, 17, dtype=np.float64).reshape(1, 1, 4, 4)
    y = host(MaxPool2d(3, 2, padding=1)(on(device, x)))
    np.testing.assert_array_equal(y[0, 0], [[-1, -2], [-5, -6]])


def test_ceil_mode_keeps_the_last_partial_window(device):
    x = np.arange(25, dtype=np.float32).reshape(1, 1, 5, 5)
    assert MaxPool2d(2, ceil_mode=False)(on(device, x)).shape == (1, 1, 2, 2)
    y = host(MaxPool2d(2, ceil_mode=True)(on(device, x)))
    np.testing.assert_array_equal(y[0, 0], [[6, 8, 9], [16, 18, 19], [21, 23, 24]])


def test_ties_send_gradient_to_the_first_in_row_major_order(route, device):
    pool = MaxPool2d(2)
    x = np.ones((1, 1, 2, 4), np.float32)
    x[0, 0, 1, 2] = x[0, 0, 0, 3] = 1.0
    pool(on(device, x))
    dx = host(pool.backward(on(device, np.array([[[[3.0, 5.0]]]], np.float32))))
    np.testing.assert_array_equal(dx[0, 0], [[3, 0, 5, 0], [0, 0, 0, 0]])
    assert dx.sum() == 8.0


def test_overlapping_windows_accumulate(route, device):
    x = np.zeros((1, 1, 3, 3))
    x[0, 0, 1, 1] = 1.0
    pool = MaxPool2d(2, stride=1)
    pool(on(device, x))
    dx = host(pool.backward(on(device, np.ones((1, 1, 2, 2)))))
    assert dx[0, 0, 1, 1] == 4.0 and dx.sum() == 4.0


def test_bad_arguments():
    with pytest.raises(ValueError, match="padding .* at most half of kernel_size"):
        MaxPool2d(2, padding=2)
    with pytest.raises(ValueError, match="pooling window 3 is larger"):
        MaxPool2d(3)(np.zeros((1, 1, 2, 2), np.float32))
    with pytest.raises(ValueError, match="expects input of shape"):
        MaxPool2d(2)(np.zeros((4, 4), np.float32))
    with pytest.raises(RuntimeError, match="backward called before forward"):
        MaxPool2d(2).backward(np.zeros((1, 1, 1, 1), np.float32))
