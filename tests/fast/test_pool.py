"""The running-max pooling route, held to the textbook stack-and-argmax route, bit for bit."""
import numpy as np
import pytest

from fcn_scratch import fast
from fcn_scratch.layers import MaxPool2d
from tests.helpers import host, on

CASES = [(2, 2, 0, False), (2, 2, 0, True), (3, 2, 1, True), (3, 1, 1, False), (2, 3, 0, True)]


@pytest.mark.parametrize("k,s,p,ceil", CASES)
def test_running_max_equals_the_textbook_with_ties(device, rng, k, s, p, ceil):
    # few distinct values, so many windows hold ties
    x = on(device, rng.integers(0, 3, (2, 3, 7, 9)).astype(np.float64))
    pool = MaxPool2d(k, s, p, ceil_mode=ceil, return_indices=True)
    dy = on(device, rng.standard_normal(pool(x)[0].shape))
    results = {}
    for on_ in (True, False):
        with fast.enabled(on_, "running_max"):
            y, idx = pool(x)
            results[on_] = (host(y), host(idx), host(pool.backward(dy)))
    for fast_one, textbook in zip(results[True], results[False]):
        np.testing.assert_array_equal(fast_one, textbook)
