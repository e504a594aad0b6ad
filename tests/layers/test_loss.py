import math

import numpy as np
import pytest

from fcn_scratch.gradcheck import check_layer, worst
from fcn_scratch.layers import SoftmaxCrossEntropy, softmax
from tests.helpers import host, on


def test_value_by_hand(route, device):
    logits = np.zeros((1, 3, 1, 2))
    logits[0, :, 0, 0] = [1.0, 2.0, 3.0]
    labels = np.array([[[2, 0]]])
    loss = SoftmaxCrossEntropy()(on(device, logits), on(device, labels))
    p0 = math.exp(3) / (math.exp(1) + math.exp(2) + math.exp(3))
    assert loss == pytest.approx((-math.log(p0) + math.log(3)) / 2, rel=1e-12)


def test_gradient_is_softmax_minus_onehot(route, device, rng):
    logits = rng.standard_normal((2, 4, 3, 5))
    labels = rng.integers(0, 4, (2, 3, 5))
    ce = SoftmaxCrossEntropy()
    ce(on(device, logits), on(device, labels))
    grad = host(ce.backward())
    expected = host(softmax(logits))
    np.put_along_axis(expected, labels[:, None], np.take_along_axis(expected, labels[:, None], 1) - 1, 1)
    np.testing.assert_allclose(grad, expected / labels.size, rtol=1e-12)


def test_gradcheck_with_ignored_pixels(route, device, rng):
    labels = rng.integers(0, 5, (2, 4, 6))
    labels[0, 1:3] = 255
    name, err, where = worst(check_layer(SoftmaxCrossEntropy(), on(device, rng.standard_normal((2, 5, 4, 6))),
                                         on(device, labels)))
    assert err < 1e-7, f"{name} gradient off by {err:.2e} at {where}"


def test_ignored_pixels_do_not_count(route, device, rng):
    logits = rng.standard_normal((1, 3, 2, 2))
    labels = np.array([[[0, 255], [2, 255]]])
    ce = SoftmaxCrossEntropy()
    loss = ce(on(device, logits), on(device, labels))
    kept = SoftmaxCrossEntropy()(on(device, logits[:, :, :, :1].copy()), on(device, labels[:, :, :1].copy()))
    assert loss == pytest.approx(kept, rel=1e-12)
    assert not host(ce.backward())[:, :, :, 1].any()


def test_all_ignored_is_zero_not_nan(route, device):
    ce = SoftmaxCrossEntropy()
    loss = ce(on(device, np.ones((1, 3, 2, 2))), on(device, np.full((1, 2, 2), 255)))
    assert loss == 0.0
    grad = host(ce.backward())
    assert not np.isnan(grad).any() and not grad.any()


def test_stable_for_huge_logits(route, device):
    logits = np.array([[[[1000.0]], [[-1000.0]]]])
    loss = SoftmaxCrossEntropy()(on(device, logits), on(device, np.array([[[1]]])))
    assert loss == pytest.approx(2000.0)


def test_softmax_sums_to_one(device, rng):
    p = host(softmax(on(device, rng.standard_normal((2, 6, 3, 3)) * 50)))
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-12)


def test_bad_labels():
    ce = SoftmaxCrossEntropy()
    logits = np.zeros((1, 3, 2, 2), np.float32)
    with pytest.raises(ValueError, match=r"labels must be in \[0, 3\) or the ignore index 255; found \[3, 7\]"):
        ce(logits, np.array([[[0, 3], [7, 255]]]))
    with pytest.raises(ValueError, match=r"labels must have shape \(N, H, W\) = \(1, 2, 2\)"):
        ce(logits, np.zeros((1, 2, 3), np.int64))
    with pytest.raises(TypeError, match="labels must be integers"):
        ce(logits, np.zeros((1, 2, 2), np.float32))
    with pytest.raises(RuntimeError, match="backward called before forward"):
        SoftmaxCrossEntropy().backward()
    ce(logits, np.zeros((1, 2, 2), np.int64))
    ce.backward()
    with pytest.raises(RuntimeError, match="backward called before forward"):
        ce.backward()


def test_summed_loss_is_each_images_sum_averaged_over_the_batch(route, device, rng):
    """reduction="sum" (pytorch-fcn's size_average=False, divided by the batch): the mean loss times M / N,
    and its gradient likewise; ignored pixels still count for nothing."""
    logits = rng.standard_normal((2, 4, 3, 5))
    labels = rng.integers(0, 4, (2, 3, 5))
    labels[1, 0] = 255
    valid = int((labels != 255).sum())
    mean, summed = SoftmaxCrossEntropy(), SoftmaxCrossEntropy(reduction="sum")
    loss_mean = mean(on(device, logits), on(device, labels))
    loss_sum = summed(on(device, logits), on(device, labels))
    assert loss_sum == pytest.approx(loss_mean * valid / 2, rel=1e-12)
    np.testing.assert_allclose(host(summed.backward()), host(mean.backward()) * valid / 2, rtol=1e-12)
    name, err, where = worst(check_layer(SoftmaxCrossEntropy(reduction="sum"), on(device, logits),
                                         on(device, labels)))
    assert err < 1e-7, f"{name} gradient off by {err:.2e} at {where}"


def test_an_unknown_reduction_is_refused():
    with pytest.raises(ValueError, match="unknown loss reduction 'median'; expected one of mean, sum"):
        SoftmaxCrossEntropy(reduction="median")
