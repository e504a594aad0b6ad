"""Softmax in place: the loss's softmax computed in one array and turned into its own gradient there.

It replaces the textbook :func:`fcn_scratch.functional.log_softmax_at_labels`
(``log_softmax``, a gather of the true class, ``exp``) and
:func:`fcn_scratch.functional.softmax_minus_onehot` (``(probs - onehot) *
scale``), which make a new array of the logits' size at each of those steps.
Here one array holds the shifted logits, then their exponentials, then the
probabilities, and in backward the gradient: at the top of the net, where
maps are largest, no further copy is made. The loss's route
(:mod:`.softmax_cross_entropy`) calls these on each part of the batch.

Why the numbers agree: the same formulas in another order of operations
(``log p = shifted - log sum exp(shifted)`` gathered before the exponentials),
so the two agree to float rounding (``tests/fast/test_softmax_in_place.py``).
"""
from ..backend import get_array_module


def label_positions(labels, num_classes):
    """Flat positions of ``(n, labels[n, y, x], y, x)`` in an (N, C, H, W) array, shape (N, H, W):
    where each pixel's true-class score sits. One gather reads them, one scatter writes there."""
    xp = get_array_module(labels)
    n, h, w = labels.shape
    pixel = xp.arange(h * w).reshape(1, h, w)
    return (xp.arange(n).reshape(n, 1, 1) * num_classes + labels) * (h * w) + pixel


def log_softmax_at_labels_in_place(logits, at_label, log_p_label, probs):
    """Write log softmax(logits)[label] into log_p_label (N, H, W) and softmax(logits) into probs
    (N, C, H, W, C-contiguous), for logits (N, C, H, W) and ``at_label`` (N, H, W), the flat positions of
    each pixel's true-class score in them (:func:`label_positions`).

    log p[label] = shifted[label] - log(sum exp(shifted)), shifted = logits - max over C.
    """
    xp = get_array_module(logits)
    shifted = probs                 # the shifted logits, then their exponentials, then the probabilities
    xp.subtract(logits, logits.max(axis=1, keepdims=True), out=shifted)
    log_p_label[...] = shifted.reshape(-1)[at_label]
    xp.exp(shifted, out=shifted)
    total = shifted.sum(axis=1, keepdims=True)
    shifted /= total
    log_p_label -= xp.log(total[:, 0])


def softmax_minus_onehot_in_place(probs, at_label, scale):
    """``(probs - onehot(labels)) * scale`` written over probs (N, C, H, W, C-contiguous); ``at_label``
    (N, H, W) the flat positions of the labels' entries in probs (:func:`label_positions`), scale (N, H, W)."""
    probs *= scale[:, None]
    # minus the one-hot of the label, written only where it is 1
    probs.reshape(-1)[at_label.reshape(-1)] -= scale.reshape(-1)
