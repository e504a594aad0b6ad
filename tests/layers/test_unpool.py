import numpy as np
import pytest

from fcn_scratch.gradcheck import check_layer, worst
from fcn_scratch.layers import MaxPool2d, MaxUnpool2d
from tests.helpers import host, on


def test_unpool_puts_maxima_back(device, rng):
    x = rng.uniform(0.1, 1.0, (2, 3, 6, 8))
    y, idx = MaxPool2d(2, return_indices=True)(on(device, x))
    up = host(MaxUnpool2d(2)(y, idx))
    assert up.shape == x.shape
    kept = up != 0
    np.testing.assert_array_equal(up[kept], x[kept])
    assert kept.sum() == y.size
    np.testing.assert_array_equal(MaxPool2d(2)(up), host(y))


def test_output_size_recovers_odd_sizes(device, rng):
    x = rng.standard_normal((1, 2, 7, 5))
    y, idx = MaxPool2d(2, return_indices=True)(on(device, x))
    assert MaxUnpool2d(2)(y, idx).shape == (1, 2, 6, 4)
    assert MaxUnpool2d(2)(y, idx, output_size=x.shape).shape == (1, 2, 7, 5)


def test_gradients(device, rng):
    x = rng.standard_normal((2, 2, 6, 6))
    _, idx = MaxPool2d(2, return_indices=True)(on(device, x))
    values = on(device, rng.standard_normal((2, 2, 3, 3)))
    name, err, where = worst(check_layer(MaxUnpool2d(2), values, idx))
    assert err < 1e-8, f"{name} gradient off by {err:.2e} at {where}"


def test_bad_indices():
    x = np.ones((1, 1, 2, 2), np.float32)
    with pytest.raises(ValueError, match="indices have shape"):
        MaxUnpool2d(2)(x, np.zeros((1, 1, 3, 3), np.int64))
    with pytest.raises(ValueError, match=r"indices must lie in \[0, 16\)"):
        MaxUnpool2d(2)(x, np.full((1, 1, 2, 2), 16))
