"""Softmax cross-entropy with the softmax computed in place and turned into its own gradient.

It replaces the textbook route of :class:`fcn_scratch.layers.SoftmaxCrossEntropy`
(``log_softmax``, a gather of the true class, ``softmax - onehot``), which makes
a new array of the logits' size at each of those steps. Here one array holds
the shifted logits, then their exponentials, then the probabilities, and in
backward the gradient: at the top of the net, where maps are largest, no
further copy is made. The same formulas, in another order of operations, so the
two routes agree to float rounding (``tests/fast/test_loss.py``).
"""
from ..backend import get_array_module
from . import threads
from .switch import is_on


def softmax_in_place_applies():
    """The named condition for :func:`cross_entropy_forward` and :func:`cross_entropy_backward`."""
    return is_on("softmax_in_place")


def label_positions(labels, num_classes):
    """Flat positions of ``(n, labels[n, y, x], y, x)`` in an (N, C, H, W) array, shape (N, H, W):
    where each pixel's true-class score sits. One gather reads them, one scatter writes there."""
    xp = get_array_module(labels)
    n, h, w = labels.shape
    pixel = xp.arange(h * w).reshape(1, h, w)
    return (xp.arange(n).reshape(n, 1, 1) * num_classes + labels) * (h * w) + pixel


def cross_entropy_forward(logits, labels, valid):
    """``(loss, cache)``: the mean of ``-log softmax(logits)[label]`` over the ``valid`` pixels.

    logits (N, C, H, W); labels (N, H, W) class indices (any value where not ``valid``); valid (N, H, W) bool.
    log p[label] = shifted[label] - log(sum exp(shifted)), shifted = logits - max over C.
    Pixel by pixel, so the batch is split over threads; the loss is summed after.
    """
    xp = get_array_module(logits)
    label_at = label_positions(xp.where(valid, labels, 0).astype(xp.int64), logits.shape[1])
    work = xp.empty_like(logits)
    picked = xp.empty(labels.shape, dtype=logits.dtype)
    per_sample = logits[0].size

    def part(_, samples):
        shifted = work[samples]
        xp.subtract(logits[samples], logits[samples].max(axis=1, keepdims=True), out=shifted)
        picked[samples] = shifted.reshape(-1)[label_at[samples] - samples.start * per_sample]
        xp.exp(shifted, out=shifted)
        total = shifted.sum(axis=1, keepdims=True)
        shifted /= total
        picked[samples] -= xp.log(total[:, 0])
    threads.over_batch(logits, part)
    count = int(valid.sum())
    loss = -float((picked * valid).sum()) / count if count else 0.0
    return loss, (work, label_at, valid, count)


def cross_entropy_backward(cache, grad_loss):
    """``grad_loss * (softmax - onehot) * valid / count``, written over the probabilities in ``cache``
    (so the cache is used up: one backward per forward, as in a PyTorch graph)."""
    grad, label_at, valid, count = cache
    scale = valid * grad.dtype.type(grad_loss / max(count, 1))
    per_sample = grad[0].size

    def part(_, samples):
        grad[samples] *= scale[samples, None]
        # minus the one-hot of the label, written only where it is 1
        positions = label_at[samples].reshape(-1) - samples.start * per_sample
        grad[samples].reshape(-1)[positions] -= scale[samples].reshape(-1)
    threads.over_batch(grad, part)
    return grad
