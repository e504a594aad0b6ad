"""The in-place softmax cross-entropy, held to the textbook route."""
import numpy as np
import pytest

from fcn_scratch import fast
from fcn_scratch.layers import SoftmaxCrossEntropy
from tests.helpers import host, on


@pytest.mark.parametrize("grad_loss", [1.0, 0.25])
def test_in_place_equals_the_textbook(device, rng, grad_loss):
    logits = rng.standard_normal((2, 5, 4, 6)) * 3
    labels = rng.integers(0, 5, (2, 4, 6))
    labels[0, 1:3] = 255
    ce = SoftmaxCrossEntropy()
    out = {}
    for on_ in (True, False):
        with fast.enabled(on_, "softmax_in_place"):
            loss = ce(on(device, logits.copy()), on(device, labels))
            out[on_] = (loss, host(ce.backward(grad_loss)))
    assert out[True][0] == pytest.approx(out[False][0], rel=1e-12)
    np.testing.assert_allclose(out[True][1], out[False][1], rtol=1e-12, atol=1e-15)


def test_in_place_route_uses_up_its_cache(rng):
    ce = SoftmaxCrossEntropy()
    ce(rng.standard_normal((1, 3, 2, 2)), np.zeros((1, 2, 2), np.int64))
    ce.backward()
    with pytest.raises(RuntimeError, match="backward called before forward"):
        ce.backward()
