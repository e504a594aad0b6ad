"""Rebuilt columns (fast/rebuilt_columns.py): a convolution on an image keeps the image, not its columns,
and gets the gradients the kept columns give."""
import numpy as np
import pytest

from fcn_scratch import buffers, fast
from fcn_scratch.fast import rebuilt_columns
from fcn_scratch.functional import im2col
from fcn_scratch.layers import Conv2d


def test_rebuild_fills_the_columns_of_the_definition(rng):
    x = rng.standard_normal((3, 2, 9, 8))
    np.testing.assert_array_equal(rebuilt_columns.rebuild(x, (3, 3), (2, 1), (1, 1)), im2col(x, (3, 3), (2, 1), (1, 1)))


def test_applies_to_at_most_three_channels_while_on():
    assert rebuilt_columns.applies(np.zeros((1, 3, 4, 4))) and not rebuilt_columns.applies(np.zeros((1, 4, 4, 4)))
    with fast.enabled(False, "rebuilt_columns"):
        assert not rebuilt_columns.applies(np.zeros((1, 3, 4, 4)))


@pytest.mark.parametrize("c_in,rebuilt", [(3, True), (1, True), (4, False)])
def test_the_same_gradients_and_no_kept_column_matrix(rng, c_in, rebuilt):
    x = rng.standard_normal((3, c_in, 9, 8))
    dy = rng.standard_normal((3, 5, 9, 8))
    grads = []
    for on in (True, False):
        conv = Conv2d(c_in, 5, 3, padding=1, rng=np.random.default_rng(0), dtype=np.float64)
        with fast.enabled(on, "rebuilt_columns"):
            conv(x)
            assert (conv.cache[2][0] == "image") == (on and rebuilt)     # the cache says which it kept
            dx = conv.backward(dy)
        assert ("cols" in buffers._kept.get(conv, {})) == (not (on and rebuilt))
        grads.append([dx, conv.grads["weight"], conv.grads["bias"]])
    for a, b in zip(*grads):
        np.testing.assert_array_equal(a, b)
