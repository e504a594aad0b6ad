"""The tall-first weight gradient (fast/tall_first.py), held to fcn_scratch.functional.matmul_sum_batch."""
import numpy as np
import pytest

from fcn_scratch import fast
from fcn_scratch.fast import tall_first
from fcn_scratch.functional import matmul_sum_batch
from tests.helpers import host, on


@pytest.mark.parametrize("n, p, q, length", [(1, 3, 5, 7), (4, 16, 144, 50), (3, 21, 84, 9), (2, 9, 2, 1)])
def test_tall_first_equals_the_sum_of_the_products(device, rng, n, p, q, length):
    a, b = rng.standard_normal((n, p, length)), rng.standard_normal((n, q, length))
    expected = sum(a[i] @ b[i].T for i in range(n))
    np.testing.assert_allclose(host(matmul_sum_batch(*on(device, a, b))), expected, rtol=1e-12, atol=1e-12)
    got = tall_first.matmul_sum_batch(*on(device, a, b))
    assert got.shape == (p, q) and got.flags["C_CONTIGUOUS"]
    np.testing.assert_allclose(host(got), expected, rtol=1e-12, atol=1e-12)


def test_with_the_trick_off_it_is_the_definition_bit_for_bit(rng):
    """Off, the products are the textbook's (the trick's name turns off the order, not the threads)."""
    a, b = rng.standard_normal((5, 16, 300)).astype(np.float32), rng.standard_normal((5, 72, 300)).astype(np.float32)
    with fast.enabled(False, "tall_first"):
        np.testing.assert_array_equal(tall_first.matmul_sum_batch(a, b), matmul_sum_batch(a, b))


def test_keeps_float32(rng):
    a, b = (rng.standard_normal((2, 4, 6)).astype(np.float32) for _ in range(2))
    assert tall_first.matmul_sum_batch(a, b).dtype == np.float32
    assert matmul_sum_batch(a, b).dtype == np.float32


def test_a_gradient_larger_than_the_column_matrix_is_not_turned(rng):
    """fc6 on a small map: more output channels than pixels. The product stays as the definition makes it
    (a transpose of the gradient would cost more than the order saves), bit for bit, a batch of one too."""
    for n in (1, 3):
        a = rng.standard_normal((n, 64, 9)).astype(np.float32)          # dy: 64 channels, 9 pixels
        b = rng.standard_normal((n, 300, 9)).astype(np.float32)         # the columns
        assert not tall_first.applies(a) and tall_first.applies(a.transpose(0, 2, 1))
        np.testing.assert_array_equal(tall_first.matmul_sum_batch(a, b), matmul_sum_batch(a, b))
