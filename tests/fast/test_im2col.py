"""The fast im2col/col2im routes, held to the definitions in fcn_scratch.functional."""
import numpy as np
import pytest

from fcn_scratch import fast
from fcn_scratch.fast import im2col as fast_im2col
from fcn_scratch.functional import col2im, conv_output_size, im2col
from tests.functional.test_im2col import CONFIGS
from tests.helpers import host, on

# Stride 1 with the output as wide as the input: where flat shifts apply.
SAME_WIDTH = [((6, 7), (3, 3), (1, 1)), ((5, 4), (1, 1), (0, 0)), ((7, 6), (5, 5), (2, 2)),
              ((6, 6), (3, 3), (0, 1)), ((4, 9), (2, 3), (1, 1)), ((3, 3), (5, 3), (3, 1)), ((1, 8), (3, 3), (1, 1))]


def _dirty(device, shape):
    return on(device, np.full(shape, np.nan))


@pytest.mark.parametrize("hw,k,s,p", CONFIGS)
def test_im2col_into_a_dirty_buffer_equals_the_definition(device, rng, hw, k, s, p):
    x = on(device, rng.standard_normal((2, 3) + hw))
    expected = host(im2col(x, k, s, p))
    got = fast_im2col.im2col_into(_dirty(device, expected.shape), x, k, s, p)
    np.testing.assert_array_equal(host(got), expected)


@pytest.mark.parametrize("hw,k,p", SAME_WIDTH)
def test_flat_shifts_into_a_dirty_buffer_equal_the_definition(device, rng, hw, k, p):
    x = on(device, rng.standard_normal((2, 3) + hw))
    expected = host(im2col(x, k, (1, 1), p))
    assert fast_im2col.flat_shifts_apply(x.shape, k, (1, 1), p)
    got = fast_im2col.im2col_flat_shifts(x, k, p, _dirty(device, expected.shape))
    np.testing.assert_array_equal(host(got), expected)


def test_flat_shifts_apply_only_where_they_pay():
    assert fast_im2col.flat_shifts_apply((1, 1, 64, 64), (3, 3), (1, 1), (1, 1))
    assert not fast_im2col.flat_shifts_apply((1, 1, 65, 64), (3, 3), (1, 1), (1, 1))   # large maps: slices
    assert not fast_im2col.flat_shifts_apply((1, 1, 8, 8), (3, 3), (2, 2), (1, 1))     # stride 2
    assert not fast_im2col.flat_shifts_apply((1, 1, 8, 8), (3, 3), (1, 1), (0, 0))     # narrower output
    with fast.enabled(False, "flat_shifts"):
        assert not fast_im2col.flat_shifts_apply((1, 1, 8, 8), (3, 3), (1, 1), (1, 1))


@pytest.mark.parametrize("hw,k,s,p", CONFIGS)
def test_col2im_into_a_dirty_image_equals_the_definition(device, rng, hw, k, s, p):
    x_shape = (2, 3) + hw
    cols = on(device, rng.standard_normal((2, 3 * k[0] * k[1],
                                           conv_output_size(hw[0], k[0], s[0], p[0]) * conv_output_size(hw[1], k[1], s[1], p[1]))))
    got = fast_im2col.col2im_into(_dirty(device, x_shape), cols, k, s, p)
    np.testing.assert_array_equal(host(got), host(col2im(cols, x_shape, k, s, p)))


def _columns(owner, x):
    out = fast_im2col.column_array(owner, "cols", x, (3, 3), (1, 1), (1, 1))
    return fast_im2col.fill_columns(out, x, (3, 3), (1, 1), (1, 1))


def test_columns_are_kept_between_calls_and_fresh_when_buffers_are_off(rng):
    owner = object.__new__(type("Owner", (), {}))
    x = rng.standard_normal((2, 3, 6, 6))
    first = _columns(owner, x)
    again = _columns(owner, x * 2)
    assert np.shares_memory(first, again)
    np.testing.assert_array_equal(again, im2col(x * 2, (3, 3), (1, 1), (1, 1)))
    with fast.enabled(False, "kept_buffers"):
        fresh = _columns(owner, x)
    assert not np.shares_memory(fresh, again)
    np.testing.assert_array_equal(fresh, im2col(x, (3, 3), (1, 1), (1, 1)))
