"""SoftmaxCrossEntropy's fast route: the batch split over threads, each part by the in-place softmax or the
definitions.

:class:`fcn_scratch.layers.SoftmaxCrossEntropy` has one fork per pass: where
:func:`loss_applies` holds, it hands its logits to
:func:`softmax_cross_entropy_forward` and its probabilities to
:func:`softmax_cross_entropy_backward`. The softmax is pixel by pixel, so the
samples of the batch are cut into parts for the threads (:mod:`.threads`),
and each part is computed in place (:mod:`.softmax_in_place`) where that
trick is on, else by the definitions
(:func:`fcn_scratch.functional.log_softmax_at_labels`,
:func:`~fcn_scratch.functional.softmax_minus_onehot`). The loss's sum over
the batch stays in the layer, whole.

Why the numbers are the same: every sample goes through the same operations
as the whole batch; ``tests/fast/test_softmax_in_place.py`` and
``tests/fast/test_threads.py`` hold the route to the textbook one.
"""
from ..backend import get_array_module
from ..functional import log_softmax_at_labels, softmax_minus_onehot
from . import softmax_in_place, threads
from .switch import is_on


def loss_applies(logits):
    """The named condition for this route: the ``softmax_in_place`` trick is on, or the threads apply."""
    return is_on("softmax_in_place") or threads.applies(logits)


def softmax_cross_entropy_forward(logits, labels):
    """``(log_p_label, probs, saved)``: log softmax(logits)[label] (N, H, W) and softmax(logits) (N, C, H, W),
    for logits (N, C, H, W) and labels (N, H, W) class indices; ``saved``, what backward needs besides probs:
    the labels and, where the softmax is computed in place, where each pixel's true class sits in the
    logits (:func:`.softmax_in_place.label_positions`, found once for both passes)."""
    xp = get_array_module(logits)
    probs = xp.empty_like(logits)
    log_p_label = xp.empty(labels.shape, dtype=logits.dtype)
    at_label = softmax_in_place.label_positions(labels, logits.shape[1]) if is_on("softmax_in_place") else None
    per_sample = logits[0].size

    def part(_, samples):
        if at_label is not None:
            softmax_in_place.log_softmax_at_labels_in_place(logits[samples], at_label[samples] - samples.start *
                                                            per_sample, log_p_label[samples], probs[samples])
        else:
            log_p_label[samples], probs[samples] = log_softmax_at_labels(logits[samples], labels[samples])
    threads.split(part, "arithmetic", logits.shape[0], logits, probs, log_p_label)
    return log_p_label, probs, (labels, at_label)


def softmax_cross_entropy_backward(probs, saved, scale):
    """``(probs - onehot(labels)) * scale`` (N, C, H, W), scale (N, H, W), ``saved`` from forward; written
    over probs where forward computed them in place."""
    xp = get_array_module(probs)
    labels, at_label = saved
    grad = probs if at_label is not None else xp.empty_like(probs)
    per_sample = probs[0].size

    def part(_, samples):
        if at_label is not None:
            softmax_in_place.softmax_minus_onehot_in_place(probs[samples], at_label[samples] - samples.start *
                                                           per_sample, scale[samples])
        else:
            grad[samples] = softmax_minus_onehot(probs[samples], labels[samples], scale[samples])
    threads.split(part, "arithmetic", probs.shape[0], probs, scale)
    return grad
