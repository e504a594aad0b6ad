"""The flipped-kernel input gradient (fast/flipped_kernel.py), held to the textbook dx = col2im(W_col.T @ dy)."""
import numpy as np
import pytest

from fcn_scratch import fast
from fcn_scratch.fast import flipped_kernel
from fcn_scratch.functional import col2im
from tests.helpers import host, on


@pytest.mark.parametrize("c_in,c_out,k,p", [(4, 3, (3, 3), (1, 1)), (4, 4, (3, 3), (0, 0)), (5, 2, (3, 5), (1, 2)),
                                            (3, 3, (1, 1), (0, 0))])
def test_flipped_kernel_equals_col2im(device, rng, c_in, c_out, k, p):
    weight = on(device, rng.standard_normal((c_out, c_in) + k))
    h, w = 7, 6
    dy = on(device, rng.standard_normal((2, c_out, h + 2 * p[0] - k[0] + 1, w + 2 * p[1] - k[1] + 1)))
    assert flipped_kernel.applies(weight.shape, (1, 1), p)
    dx = flipped_kernel.input_gradient(dy, weight, p, on(device, np.full((2, c_in, h, w), np.nan)))
    expected = col2im(weight.reshape(c_out, -1).T @ dy.reshape(2, c_out, -1), (2, c_in, h, w), k, (1, 1), p)
    np.testing.assert_allclose(host(dx), host(expected), rtol=1e-12, atol=1e-12)


def test_applies_only_to_stride_one_with_no_more_outputs_and_padding_below_the_kernel():
    assert flipped_kernel.applies((3, 5, 3, 3), (1, 1), (1, 1))
    assert not flipped_kernel.applies((5, 3, 3, 3), (1, 1), (1, 1))        # more outputs than inputs
    assert not flipped_kernel.applies((3, 5, 3, 3), (2, 2), (1, 1))        # stride 2
    assert not flipped_kernel.applies((3, 5, 3, 3), (1, 1), (3, 3))        # padding as large as the kernel
    with fast.enabled(False, "flipped_kernel"):
        assert not flipped_kernel.applies((3, 5, 3, 3), (1, 1), (1, 1))
