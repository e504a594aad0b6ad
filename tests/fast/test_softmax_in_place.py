"""The in-place softmax cross-entropy (fast/softmax_in_place.py), held to the textbook route."""
import numpy as np
import pytest

from fcn_scratch import fast
from fcn_scratch.fast import softmax_in_place
from fcn_scratch.layers import SoftmaxCrossEntropy, log_softmax, softmax
from tests.helpers import host, on


def test_the_functions_equal_the_formulas(device, rng):
    logits = on(device, rng.standard_normal((2, 5, 4, 6)) * 3)
    labels = on(device, rng.integers(0, 5, (2, 4, 6)))
    expected = np.take_along_axis(host(log_softmax(logits)), host(labels)[:, None], axis=1)[:, 0]
    log_p_label, probs = softmax_in_place.log_softmax_at_labels(logits, labels)
    np.testing.assert_allclose(host(log_p_label), expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(host(probs), host(softmax(logits)), rtol=1e-12, atol=1e-15)
    scale = on(device, rng.random((2, 4, 6)))
    onehot = np.arange(5).reshape(1, -1, 1, 1) == host(labels)[:, None]
    expected_grad = (host(probs) - onehot) * host(scale)[:, None]
    grad = softmax_in_place.softmax_minus_onehot(probs, labels, scale)
    assert grad is probs                                   # written over the probabilities
    np.testing.assert_allclose(host(grad), expected_grad, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("grad_loss", [1.0, 0.25])
def test_in_place_equals_the_textbook(device, rng, grad_loss):
    logits = rng.standard_normal((2, 5, 4, 6)) * 3
    labels = rng.integers(0, 5, (2, 4, 6))
    labels[0, 1:3] = 255
    ce = SoftmaxCrossEntropy()
    out = {}
    for route, on_ in (("in place", True), ("textbook", False)):
        with fast.enabled(on_, "softmax_in_place"):
            loss = ce(on(device, logits.copy()), on(device, labels))
            assert ce.cache[0] == route
            out[on_] = (loss, host(ce.backward(grad_loss)))
    assert out[True][0] == pytest.approx(out[False][0], rel=1e-12)
    np.testing.assert_allclose(out[True][1], out[False][1], rtol=1e-12, atol=1e-15)


def test_in_place_route_uses_up_its_cache(rng):
    ce = SoftmaxCrossEntropy()
    ce(rng.standard_normal((1, 3, 2, 2)), np.zeros((1, 2, 2), np.int64))
    ce.backward()
    with pytest.raises(RuntimeError, match="backward called before forward"):
        ce.backward()
