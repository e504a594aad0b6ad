"""The softmax and the pieces of its cross-entropy, as the formulas: the loss FCN trains with is built on these."""
from ..backend import get_array_module


def log_softmax(logits, axis=1):
    """``log softmax`` along ``axis``, stable: subtract the maximum before exp (log-sum-exp)."""
    xp = get_array_module(logits)
    shifted = logits - logits.max(axis=axis, keepdims=True)
    return shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))


def softmax(logits, axis=1):
    """Class probabilities: (N, C, H, W) -> (N, C, H, W), summing to 1 over C."""
    return get_array_module(logits).exp(log_softmax(logits, axis))


def log_softmax_at_labels(logits, labels):
    """``(log_p_label, probs)`` for logits (N, C, H, W) and labels (N, H, W) class indices:
    log_p_label (N, H, W) = log softmax(logits)[label] at each pixel, probs (N, C, H, W) = softmax(logits)."""
    xp = get_array_module(logits)
    log_p = log_softmax(logits)
    return xp.take_along_axis(log_p, labels[:, None], axis=1)[:, 0], xp.exp(log_p)


def softmax_minus_onehot(probs, labels, scale):
    """``(probs - onehot(labels)) * scale`` (N, C, H, W), the cross-entropy's gradient for the
    probabilities probs (N, C, H, W), labels (N, H, W) class indices and scale (N, H, W)."""
    xp = get_array_module(probs)
    onehot = xp.arange(probs.shape[1]).reshape(1, -1, 1, 1) == labels[:, None]
    return (probs - onehot) * scale[:, None]
