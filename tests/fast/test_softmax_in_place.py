"""The in-place softmax cross-entropy and the loss's route (fast/softmax_in_place.py), held to the textbook
definitions, on one thread or several."""
import numpy as np
import pytest

from fcn_scratch import fast
from fcn_scratch.fast import softmax_in_place
from fcn_scratch.functional import log_softmax, log_softmax_at_labels, softmax, softmax_minus_onehot
from fcn_scratch.layers import SoftmaxCrossEntropy
from tests.helpers import host, on


def test_the_definitions_equal_the_formulas(device, rng):
    logits = on(device, rng.standard_normal((2, 5, 4, 6)) * 3)
    labels = on(device, rng.integers(0, 5, (2, 4, 6)))
    log_p_label, probs = log_softmax_at_labels(logits, labels)
    p = np.exp(host(logits)) / np.exp(host(logits)).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(host(probs), p, rtol=1e-12)
    np.testing.assert_allclose(host(log_p_label), np.log(np.take_along_axis(p, host(labels)[:, None], 1)[:, 0]),
                               rtol=1e-12)
    scale = on(device, rng.random((2, 4, 6)))
    grad = host(softmax_minus_onehot(probs, labels, scale))
    expected = p.copy()
    for n, y, x in np.ndindex(2, 4, 6):
        expected[n, int(host(labels)[n, y, x]), y, x] -= 1
    np.testing.assert_allclose(grad, expected * host(scale)[:, None], rtol=1e-12, atol=1e-15)


def test_in_place_equals_the_definitions(device, rng):
    logits = on(device, rng.standard_normal((2, 5, 4, 6)) * 3)
    labels = on(device, rng.integers(0, 5, (2, 4, 6)))
    expected_log_p, expected_probs = log_softmax_at_labels(logits, labels)
    probs, log_p_label = on(device, np.empty((2, 5, 4, 6))), on(device, np.empty((2, 4, 6)))
    at_label = softmax_in_place.label_positions(labels, 5)
    softmax_in_place.log_softmax_at_labels_in_place(logits, at_label, log_p_label, probs)
    np.testing.assert_allclose(host(log_p_label), host(expected_log_p), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(host(probs), host(softmax(logits)), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(host(log_softmax(logits)), np.log(host(expected_probs)), rtol=1e-12, atol=1e-12)
    scale = on(device, rng.random((2, 4, 6)))
    expected_grad = host(softmax_minus_onehot(probs, labels, scale))
    softmax_in_place.softmax_minus_onehot_in_place(probs, at_label, scale)    # written over the probabilities
    np.testing.assert_allclose(host(probs), expected_grad, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("threads", [True, False])
@pytest.mark.parametrize("grad_loss", [1.0, 0.25])
def test_the_route_equals_the_textbook(split_small, splits, device, rng, grad_loss, threads):
    logits = rng.standard_normal((3, 5, 4, 6)) * 3
    labels = rng.integers(0, 5, (3, 4, 6))
    labels[0, 1:3] = 255
    ce = SoftmaxCrossEntropy()
    out, routes = {}, {}
    for name, switch in (("fast", fast.enabled(threads, "threads")), ("textbook", fast.enabled(False))):
        with switch:
            loss = ce(on(device, logits.copy()), on(device, labels))
            routes[name] = ce.cache[0]
            out[name] = (loss, host(ce.backward(grad_loss)))
    assert routes == {"fast": "fast", "textbook": "textbook"}
    assert out["fast"][0] == pytest.approx(out["textbook"][0], rel=1e-12)
    np.testing.assert_allclose(out["fast"][1], out["textbook"][1], rtol=1e-12, atol=1e-15)
    assert splits == ([3, 3] if threads and device == "cpu" else [1, 1])


def test_with_the_trick_off_the_layer_runs_its_own_formulas(rng):
    ce = SoftmaxCrossEntropy()
    with fast.enabled(False, "softmax_in_place"):
        assert not fast.loss_applies(np.zeros((1, 2, 2, 2)))
        ce(rng.standard_normal((1, 3, 2, 2)), np.zeros((1, 2, 2), np.int64))
    assert ce.cache[0] == "textbook"


def test_the_fast_route_uses_up_its_cache(rng):
    ce = SoftmaxCrossEntropy()
    ce(rng.standard_normal((1, 3, 2, 2)), np.zeros((1, 2, 2), np.int64))
    assert ce.cache[0] == "fast"
    ce.backward()
    with pytest.raises(RuntimeError, match="backward called before forward"):
        ce.backward()


def test_the_true_classes_are_found_once_for_both_passes(split_small, monkeypatch, rng):
    found = []
    original = softmax_in_place.label_positions
    monkeypatch.setattr(softmax_in_place, "label_positions", lambda *a: found.append(a) or original(*a))
    ce = SoftmaxCrossEntropy()
    logits, labels = rng.standard_normal((5, 4, 3, 6)), rng.integers(0, 4, (5, 3, 6))
    ce(logits, labels)
    grad = ce.backward()
    assert len(found) == 1
    with fast.enabled(False):
        ce(logits, labels)
        expected = ce.backward()
    np.testing.assert_allclose(grad, expected, rtol=1e-12, atol=1e-15)
