"""im2col and col2im into given arrays (fast/im2col_into.py), held bit for bit to the definitions in
fcn_scratch.functional, whatever the arrays held before."""
import numpy as np
import pytest

from fcn_scratch.fast import im2col_into
from fcn_scratch.functional import col2im, conv_output_size, im2col
from tests.functional.test_im2col import CONFIGS
from tests.helpers import host, on


def _dirty(device, shape):
    return on(device, np.full(shape, np.nan))


@pytest.mark.parametrize("hw,k,s,p", CONFIGS)
def test_im2col_into_a_dirty_buffer_equals_the_definition(device, rng, hw, k, s, p):
    x = on(device, rng.standard_normal((2, 3) + hw))
    expected = host(im2col(x, k, s, p))
    assert im2col_into.column_shape(x.shape, k, s, p) == expected.shape
    got = im2col_into.im2col_into(_dirty(device, expected.shape), x, k, s, p)
    np.testing.assert_array_equal(host(got), expected)


@pytest.mark.parametrize("hw,k,s,p", CONFIGS)
def test_col2im_into_a_dirty_image_equals_the_definition(device, rng, hw, k, s, p):
    x_shape = (2, 3) + hw
    length = conv_output_size(hw[0], k[0], s[0], p[0]) * conv_output_size(hw[1], k[1], s[1], p[1])
    cols = on(device, rng.standard_normal((2, 3 * k[0] * k[1], length)))
    got = im2col_into.col2im_into(_dirty(device, x_shape), cols, k, s, p)
    np.testing.assert_array_equal(host(got), host(col2im(cols, x_shape, k, s, p)))
