"""Softmax in place: the loss's softmax computed in one array and turned into its own gradient there.

It replaces the textbook :func:`fcn_scratch.functional.log_softmax_at_labels`
(``log_softmax``, a gather of the true class, ``exp``) and
:func:`fcn_scratch.functional.softmax_minus_onehot` (``(probs - onehot) *
scale``), which make a new array of the logits' size at each of those steps.
Here one array holds the shifted logits, then their exponentials, then the
probabilities, and in backward the gradient: at the top of the net, where
maps are largest, no further copy is made, and no fresh memory is touched.

:class:`fcn_scratch.layers.SoftmaxCrossEntropy` has one fork per pass: where
:func:`loss_applies` holds, it hands its logits to
:func:`softmax_cross_entropy_forward` and its probabilities to
:func:`softmax_cross_entropy_backward`, which cut the samples of the batch
into parts for the threads (:mod:`.threads`); elsewhere it runs its own
formulas. The loss's sum over the batch stays in the layer, whole.

Why the numbers agree: the same formulas in another order of operations
(``log p = shifted - log sum exp(shifted)`` gathered before the exponentials),
so the two agree to float rounding; every sample goes through the same
operations on one thread or several (``tests/fast/test_softmax_in_place.py``).
"""
from ..backend import get_array_module
from . import threads
from .config import is_on


def loss_applies(logits):
    """The named condition for this route: the ``softmax_in_place`` trick is on (it takes any logits)."""
    return is_on("softmax_in_place")


def softmax_cross_entropy_forward(logits, labels):
    """``(log_p_label, probs, at_label)``: log softmax(logits)[label] (N, H, W) and softmax(logits)
    (N, C, H, W), for logits (N, C, H, W) and labels (N, H, W) class indices; ``at_label``, where each
    pixel's true class sits in the logits (:func:`label_positions`, found once for both passes)."""
    xp = get_array_module(logits)
    probs = xp.empty_like(logits)
    log_p_label = xp.empty(labels.shape, dtype=logits.dtype)
    at_label = label_positions(labels, logits.shape[1])
    per_sample = logits[0].size

    def part(_, samples):
        log_softmax_at_labels_in_place(logits[samples], at_label[samples] - samples.start * per_sample,
                                       log_p_label[samples], probs[samples])
    threads.split(part, "arithmetic", logits.shape[0], logits, probs, log_p_label)
    return log_p_label, probs, at_label


def softmax_cross_entropy_backward(probs, at_label, scale):
    """``(probs - onehot(labels)) * scale`` (N, C, H, W), scale (N, H, W), written over probs."""
    per_sample = probs[0].size

    def part(_, samples):
        softmax_minus_onehot_in_place(probs[samples], at_label[samples] - samples.start * per_sample, scale[samples])
    threads.split(part, "arithmetic", probs.shape[0], probs, scale)
    return probs


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
