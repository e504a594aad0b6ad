"""im2col and col2im into given arrays by clipped taps (fast/clipped_taps.py), held bit for bit to the
definitions in fcn_scratch.functional, whatever the arrays held before; with the trick off, the definitions."""
import numpy as np
import pytest

from fcn_scratch.fast import clipped_taps
from fcn_scratch.functional import col2im, conv_output_size, im2col
from tests.functional.test_im2col import CONFIGS
from tests.helpers import host, on


def _dirty(device, shape):
    return on(device, np.full(shape, np.nan))


@pytest.mark.parametrize("hw,k,s,p", CONFIGS)
def test_im2col_into_a_dirty_buffer_equals_the_definition(device, rng, hw, k, s, p):
    x = on(device, rng.standard_normal((2, 3) + hw))
    expected = host(im2col(x, k, s, p))
    assert clipped_taps.column_shape(x.shape, k, s, p) == expected.shape
    got = clipped_taps.im2col_into(_dirty(device, expected.shape), x, k, s, p)
    np.testing.assert_array_equal(host(got), expected)


@pytest.mark.parametrize("hw,k,s,p", CONFIGS)
def test_col2im_into_a_dirty_image_equals_the_definition(device, rng, hw, k, s, p):
    x_shape = (2, 3) + hw
    length = conv_output_size(hw[0], k[0], s[0], p[0]) * conv_output_size(hw[1], k[1], s[1], p[1])
    cols = on(device, rng.standard_normal((2, 3 * k[0] * k[1], length)))
    got = clipped_taps.col2im_into(_dirty(device, x_shape), cols, k, s, p)
    np.testing.assert_array_equal(host(got), host(col2im(cols, x_shape, k, s, p)))


def test_with_the_trick_off_the_definitions_fill_the_arrays(monkeypatch, rng):
    from fcn_scratch import fast
    called = []
    monkeypatch.setattr(clipped_taps, "im2col", lambda *a: called.append("im2col") or im2col(*a))
    monkeypatch.setattr(clipped_taps, "col2im", lambda *a: called.append("col2im") or col2im(*a))
    x = rng.standard_normal((2, 3, 7, 6))
    cols = rng.standard_normal(clipped_taps.column_shape(x.shape, (3, 3), (2, 1), (1, 1)))
    on_route = [clipped_taps.im2col_into(np.full(cols.shape, np.nan), x, (3, 3), (2, 1), (1, 1)),
                clipped_taps.col2im_into(np.full(x.shape, np.nan), cols, (3, 3), (2, 1), (1, 1))]
    assert called == []
    with fast.enabled(False, "clipped_taps"):
        off_route = [clipped_taps.im2col_into(np.full(cols.shape, np.nan), x, (3, 3), (2, 1), (1, 1)),
                     clipped_taps.col2im_into(np.full(x.shape, np.nan), cols, (3, 3), (2, 1), (1, 1))]
    assert called == ["im2col", "col2im"]
    for a, b in zip(on_route, off_route):
        np.testing.assert_array_equal(a, b)
