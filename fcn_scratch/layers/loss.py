"""Per-pixel softmax and cross-entropy: the loss FCN trains with."""
from .. import backend, fast
from ..labels import IGNORE_INDEX
from .base import Layer


def log_softmax(logits, axis=1):
    """``log softmax`` along ``axis``, stable: subtract the maximum before exp (log-sum-exp)."""
    xp = backend.get_array_module(logits)
    shifted = logits - logits.max(axis=axis, keepdims=True)
    return shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))


def softmax(logits, axis=1):
    """Class probabilities: (N, C, H, W) -> (N, C, H, W), summing to 1 over C."""
    return backend.get_array_module(logits).exp(log_softmax(logits, axis))


class SoftmaxCrossEntropy(Layer):
    """Mean cross-entropy of a per-pixel softmax, skipping ``ignore_index`` pixels.

    forward(logits, labels):
        logits (N, C, H, W) floats, labels (N, H, W) integers in [0, C) or ``ignore_index``
        -> loss = -(1 / M) sum over the M non-ignored pixels of log softmax(logits)[label]
        (a Python float; 0.0 when every pixel is ignored)
    backward(grad_loss=1.0):
        -> d loss / d logits = grad_loss * (softmax(logits) - onehot(labels)) / M,
        zero at ignored pixels. One backward per forward: the fast route
        (:mod:`fcn_scratch.fast.softmax_in_place`) writes the gradient over what
        forward kept, and the cache says which route filled it.
    """

    def __init__(self, ignore_index=IGNORE_INDEX):
        super().__init__()
        self.ignore_index = ignore_index

    def extra_repr(self):
        return f"ignore_index={self.ignore_index}"

    def check_labels(self, logits, labels):
        xp = backend.get_array_module(logits)
        n, c, h, w = logits.shape
        if tuple(labels.shape) != (n, h, w):
            raise ValueError(f"labels must have shape (N, H, W) = {(n, h, w)} to match logits "
                             f"{tuple(logits.shape)}, got {tuple(labels.shape)}")
        if labels.dtype.kind not in "iu":
            raise TypeError(f"labels must be integers (class indices), got dtype {labels.dtype}")
        bad = (labels != self.ignore_index) & ((labels < 0) | (labels >= c))
        if bool(bad.any()):
            values = sorted(set(int(v) for v in backend.to_host(xp.unique(labels[bad]))[:10]))
            raise ValueError(f"labels must be in [0, {c}) or the ignore index {self.ignore_index}; "
                             f"found {values}")

    def forward(self, logits, labels):
        self.check_input(logits)
        self.check_labels(logits, labels)
        xp = backend.get_array_module(logits)
        valid = labels != self.ignore_index
        count = int(valid.sum())                                        # M
        labels = xp.where(valid, labels, 0).astype(xp.int64)          # any class where ignored
        if fast.is_on("softmax_in_place"):
            log_p_label, probs = fast.log_softmax_at_labels(logits, labels)
            self.cache = ("in place", probs, labels, valid, count)
        else:
            log_p = log_softmax(logits)
            log_p_label = xp.take_along_axis(log_p, labels[:, None], axis=1)[:, 0]    # (N, H, W)
            self.cache = ("textbook", xp.exp(log_p), labels, valid, count)
        return -float((log_p_label * valid).sum()) / count if count else 0.0

    def backward(self, grad_loss=1.0):
        route, probs, labels, valid, count = self.saved()
        scale = valid * probs.dtype.type(grad_loss / max(count, 1))          # 0 at ignored pixels
        if route == "in place":
            self.cache = None               # the gradient is written over the probabilities
            return fast.softmax_minus_onehot(probs, labels, scale)
        xp = backend.get_array_module(probs)
        onehot = xp.arange(probs.shape[1]).reshape(1, -1, 1, 1) == labels[:, None]
        return (probs - onehot) * scale[:, None]
