import numpy as np

from fcn_scratch.functional import add_bias
from tests.helpers import host, on


def test_adds_one_number_per_channel_in_place(device, rng):
    for shape in ((2, 3, 5), (2, 3, 4, 5), (1, 3, 1)):
        y = on(device, rng.standard_normal(shape))
        expected = host(y) + np.arange(3.0).reshape((1, 3) + (1,) * (len(shape) - 2))
        assert add_bias(y, on(device, np.arange(3.0))) is y
        np.testing.assert_array_equal(host(y), expected)


def test_no_bias_leaves_y_alone(rng):
    y = rng.standard_normal((2, 3, 4))
    before = y.copy()
    assert add_bias(y, None) is y
    np.testing.assert_array_equal(y, before)
