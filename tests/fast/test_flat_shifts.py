"""Flat-shift im2col (fast/flat_shifts.py), held bit for bit to fcn_scratch.functional.im2col."""
import numpy as np
import pytest

from fcn_scratch import fast
from fcn_scratch.fast import clipped_taps, flat_shifts
from fcn_scratch.functional import im2col
from tests.helpers import host, on

# Stride 1 with the output as wide as the input: where flat shifts apply.
SAME_WIDTH = [((6, 7), (3, 3), (1, 1)), ((5, 4), (1, 1), (0, 0)), ((7, 6), (5, 5), (2, 2)),
              ((6, 6), (3, 3), (0, 1)), ((4, 9), (2, 3), (1, 1)), ((3, 3), (5, 3), (3, 1)), ((1, 8), (3, 3), (1, 1))]


@pytest.mark.parametrize("hw,k,p", SAME_WIDTH)
def test_flat_shifts_into_a_dirty_buffer_equal_the_definition(device, rng, hw, k, p):
    x = on(device, rng.standard_normal((2, 3) + hw))
    expected = host(im2col(x, k, (1, 1), p))
    assert flat_shifts.applies(x.shape, k, (1, 1), p)
    got = flat_shifts.im2col_flat_shifts(x, k, p, on(device, np.full(expected.shape, np.nan)))
    np.testing.assert_array_equal(host(got), expected)


def test_flat_shifts_apply_only_where_they_pay():
    assert flat_shifts.applies((1, 1, 64, 64), (3, 3), (1, 1), (1, 1))
    assert not flat_shifts.applies((1, 1, 65, 64), (3, 3), (1, 1), (1, 1))   # large maps: slices
    assert not flat_shifts.applies((1, 1, 8, 8), (3, 3), (2, 2), (1, 1))     # stride 2
    assert not flat_shifts.applies((1, 1, 8, 8), (3, 3), (1, 1), (0, 0))     # narrower output
    with fast.enabled(False, "flat_shifts"):
        assert not flat_shifts.applies((1, 1, 8, 8), (3, 3), (1, 1), (1, 1))


def test_fill_columns_takes_the_flat_shifts_only_where_they_apply(monkeypatch, rng):
    taken = []
    monkeypatch.setattr(flat_shifts, "im2col_flat_shifts", lambda *args: taken.append("shifts"))
    monkeypatch.setattr(flat_shifts, "im2col_into", lambda *args: taken.append("slices"))
    out, x = np.empty(clipped_taps.column_shape((1, 2, 8, 8), (3, 3), (1, 1), (1, 1))), rng.standard_normal((1, 2, 8, 8))
    flat_shifts.fill_columns(out, x, (3, 3), (1, 1), (1, 1))
    with fast.enabled(False, "flat_shifts"):
        flat_shifts.fill_columns(out, x, (3, 3), (1, 1), (1, 1))
    flat_shifts.fill_columns(np.empty((1, 18, 16)), x, (3, 3), (2, 2), (1, 1))
    assert taken == ["shifts", "slices", "slices"]
