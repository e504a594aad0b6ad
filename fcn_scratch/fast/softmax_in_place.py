"""Softmax in place: the loss's softmax computed in one array and turned into its own gradient there.

It replaces the textbook route of :class:`fcn_scratch.layers.SoftmaxCrossEntropy`
(``log_softmax``, a gather of the true class, ``exp``, and in backward
``softmax - onehot``), which makes a new array of the logits' size at each of
those steps. Here one array holds the shifted logits, then their
exponentials, then the probabilities, and in backward the gradient: at the
top of the net, where maps are largest, no further copy is made. Pixel by
pixel, so the batch is split over threads (:mod:`.threads`), and only here:
the textbook route is the layer's own lines, run whole, so turning this trick
off also takes the loss off the threads (BENCHMARKS.md, 2026-12-04).

Why the numbers agree: the same formulas in another order of operations
(``log p = shifted - log sum exp(shifted)`` gathered before the exponentials),
so the two routes agree to float rounding (``tests/fast/test_softmax_in_place.py``).
"""
from ..backend import get_array_module
from . import threads


def label_positions(labels, num_classes):
    """Flat positions of ``(n, labels[n, y, x], y, x)`` in an (N, C, H, W) array, shape (N, H, W):
    where each pixel's true-class score sits. One gather reads them, one scatter writes there."""
    xp = get_array_module(labels)
    n, h, w = labels.shape
    pixel = xp.arange(h * w).reshape(1, h, w)
    return (xp.arange(n).reshape(n, 1, 1) * num_classes + labels) * (h * w) + pixel


def log_softmax_at_labels(logits, labels):
    """``(log_p_label, probs)``: log softmax(logits)[label] (N, H, W) and softmax(logits) (N, C, H, W), in
    one new array, for logits (N, C, H, W) and labels (N, H, W) class indices.

    log p[label] = shifted[label] - log(sum exp(shifted)), shifted = logits - max over C.
    """
    xp = get_array_module(logits)
    label_at = label_positions(labels, logits.shape[1])
    probs = xp.empty_like(logits)
    log_p_label = xp.empty(labels.shape, dtype=logits.dtype)
    per_sample = logits[0].size

    def part(_, samples):
        shifted = probs[samples]                   # the shifted logits, then their exponentials, then probs
        xp.subtract(logits[samples], logits[samples].max(axis=1, keepdims=True), out=shifted)
        log_p_label[samples] = shifted.reshape(-1)[label_at[samples] - samples.start * per_sample]
        xp.exp(shifted, out=shifted)
        total = shifted.sum(axis=1, keepdims=True)
        shifted /= total
        log_p_label[samples] -= xp.log(total[:, 0])
    threads.split(part, "arithmetic", logits.shape[0], logits, probs, log_p_label)
    return log_p_label, probs


def softmax_minus_onehot(probs, labels, scale):
    """``(probs - onehot(labels)) * scale`` (N, C, H, W), written over ``probs``; scale (N, H, W)."""
    label_at = label_positions(labels, probs.shape[1])
    per_sample = probs[0].size

    def part(_, samples):
        probs[samples] *= scale[samples, None]
        # minus the one-hot of the label, written only where it is 1
        positions = label_at[samples].reshape(-1) - samples.start * per_sample
        probs[samples].reshape(-1)[positions] -= scale[samples].reshape(-1)
    threads.split(part, "arithmetic", probs.shape[0], probs, scale)
    return probs
