"""Running-max pooling (fast/running_max.py), held bit for bit to the definitions it replaces,
fcn_scratch.functional.max_over_windows and to_winners, ties included."""
import numpy as np
import pytest

from fcn_scratch.backend import get_array_module
from fcn_scratch.fast import running_max
from fcn_scratch.functional import max_over_windows, to_winners
from tests.helpers import host, on

# (kernel, stride, padded input (H, W)): tiling, overlapping, leaving a remainder, a 16 x 16 window
CASES = [((2, 2), (2, 2), (8, 10)), ((3, 3), (2, 2), (9, 9)), ((3, 3), (1, 1), (7, 6)), ((2, 2), (3, 3), (8, 8)),
         ((16, 16), (16, 16), (16, 32)), ((2, 3), (2, 3), (6, 9))]


@pytest.mark.parametrize("kernel,stride,hw", CASES)
def test_running_max_equals_the_definitions_with_ties(device, rng, kernel, stride, hw):
    x_pad = on(device, rng.integers(0, 3, (2, 3) + hw).astype(np.float64))    # few values: many ties
    out_hw = tuple((size - k) // s + 1 for size, k, s in zip(hw, kernel, stride))
    expected_y, expected_arg = max_over_windows(x_pad, kernel, stride, out_hw)
    xp = get_array_module(x_pad)
    y = xp.full((2, 3) + out_hw, np.nan)
    arg = xp.zeros((2, 3) + out_hw, dtype=running_max.offset_dtype(kernel, xp))
    running_max.running_max(x_pad, kernel, stride, y, arg)
    np.testing.assert_array_equal(host(y), host(expected_y))
    np.testing.assert_array_equal(host(arg), host(expected_arg))
    dy = on(device, rng.standard_normal(y.shape))
    dx = running_max.gradient_array(x_pad.shape, out_hw, kernel, stride, dy.dtype, xp)
    running_max.to_winners(dy, arg, kernel, stride, dx)
    np.testing.assert_array_equal(host(dx), host(to_winners(dy, expected_arg, x_pad.shape, kernel, stride)))


def test_one_byte_per_offset_up_to_16_by_16_windows():
    assert running_max.offset_dtype((16, 15), np) == np.uint8 and running_max.offset_dtype((16, 16), np) == np.int32
