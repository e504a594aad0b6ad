"""MaxPool2d's fork: the running maximum (fast/running_max.py), its planes split over threads, bit for bit
the textbook route, on one thread or several; with the trick off, the layer's own formulas."""
import numpy as np
import pytest

from fcn_scratch import fast, no_grad
from fcn_scratch.layers import MaxPool2d
from tests.helpers import host, on

CASES = [(2, 2, 0, False), (2, 2, 0, True), (3, 2, 1, True), (3, 1, 1, False), (2, 3, 0, True)]


@pytest.mark.parametrize("threads", [True, False])
@pytest.mark.parametrize("k,s,p,ceil", CASES)
def test_the_fast_route_equals_the_textbook_with_ties(split_small, splits, device, rng, threads, k, s, p, ceil):
    x = on(device, rng.integers(0, 3, (2, 3, 7, 9)).astype(np.float64))      # few values: many ties
    pool = MaxPool2d(k, s, p, ceil_mode=ceil, return_indices=True)
    dy = on(device, rng.standard_normal(pool(x)[0].shape))
    splits.clear()
    results, routes = {}, {}
    for route, tricks in (("textbook", fast.enabled(False)), ("fast", fast.enabled(threads, "threads"))):
        with tricks:
            y, idx = pool(x)
            routes[route] = pool.cache[0]
            results[route] = (host(y), host(idx), host(pool.backward(dy)))
    assert routes == {"textbook": "textbook", "fast": "fast"}
    for fast_one, textbook in zip(results["fast"], results["textbook"]):
        np.testing.assert_array_equal(fast_one, textbook)
    assert splits == ([3, 3] if threads and device == "cpu" else [1, 1])


def test_without_the_running_max_the_layer_runs_its_own_formulas(rng):
    x = rng.standard_normal((1, 6, 8, 8)).astype(np.float32)
    with fast.enabled(False, "running_max"):
        assert not fast.pool_applies(x)
        pool = MaxPool2d(2)
        pool(x)
    assert pool.cache[0] == "textbook"


def test_under_no_grad_no_arg_max_is_kept_unless_the_indices_are_returned(rng):
    x = rng.standard_normal((2, 3, 8, 6)).astype(np.float32)
    with no_grad():
        pooled, arg = fast.max_pool(x, (2, 2), (2, 2), (4, 3), keep_arg=False)
        _, arg_kept = fast.max_pool(x, (2, 2), (2, 2), (4, 3), keep_arg=True)
    assert arg is None and arg_kept is not None
    np.testing.assert_array_equal(pooled, x.reshape(2, 3, 4, 2, 3, 2).max(axis=(3, 5)))
