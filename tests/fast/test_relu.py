"""ReLU's fast route (fast/relu.py): the same two operations on each part of the planes, the same numbers;
inside no_grad() no mask and max(x, 0)."""
import numpy as np
import pytest

from fcn_scratch import fast, no_grad
from fcn_scratch.layers import ReLU


@pytest.mark.parametrize("inplace", [False, True])
def test_the_fast_route_equals_the_textbook(split_small, rng, inplace):
    x = rng.standard_normal((2, 5, 4, 3)).astype(np.float32)
    x[0, 0, 0] = 0.0
    dy = rng.standard_normal(x.shape).astype(np.float32)
    results = []
    for tricks in (fast.enabled(False), fast.enabled(True)):
        with tricks:
            relu = ReLU(inplace=inplace)
            y = relu(x.copy()).copy()
            results.append((relu.cache[0], y, relu.backward(dy.copy())))
    assert [route for route, *_ in results] == ["textbook", "fast"]
    for a, b in zip(results[0][1:], results[1][1:]):
        np.testing.assert_array_equal(a, b)


def test_the_door_is_the_threads(split_small):
    x = np.zeros((1, 2, 3, 3), np.float32)
    assert fast.relu_applies(x)
    with fast.enabled(False, "threads"):
        assert not fast.relu_applies(x)


def test_under_no_grad_no_mask_and_the_same_values(split_small, rng):
    x = rng.standard_normal((2, 3, 8, 6)).astype(np.float32)
    with no_grad():
        y, mask = fast.relu_forward(x.copy(), inplace=True)
    assert mask is None
    np.testing.assert_array_equal(y, np.maximum(x, 0))
