"""Per-pixel softmax and cross-entropy: the loss FCN trains with."""
from .. import backend
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
        zero at ignored pixels. It uses up what forward kept: one backward per forward.
    """

    def __init__(self, ignore_index=255):
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
        safe = xp.where(valid, labels, 0).astype(xp.int64)
        # log p[label] = shifted[label] - log(sum exp(shifted)); the exponentials, once normalized
        # in place, are the probabilities backward needs, so no second exp and no log-softmax array.
        probs = logits - logits.max(axis=1, keepdims=True)
        label_at = self._label_positions(safe, logits.shape[1])
        picked = probs.reshape(-1)[label_at]
        xp.exp(probs, out=probs)
        total = probs.sum(axis=1, keepdims=True)
        probs /= total
        picked -= xp.log(total[:, 0])
        count = int(valid.sum())
        loss = -float((picked * valid).sum()) / count if count else 0.0
        self.cache = (probs, label_at, valid, count)
        return loss

    @staticmethod
    def _label_positions(labels, num_classes):
        """Flat positions of ``(n, labels[n, y, x], y, x)`` in an (N, C, H, W) array, shape (N, H, W):
        where each pixel's true-class score sits. One gather reads them, one scatter writes there."""
        xp = backend.get_array_module(labels)
        n, h, w = labels.shape
        pixel = xp.arange(h * w).reshape(1, h, w)
        return (xp.arange(n).reshape(n, 1, 1) * num_classes + labels) * (h * w) + pixel

    def backward(self, grad_loss=1.0):
        probs, label_at, valid, count = self.saved()
        # The probabilities become the gradient in place (the largest array of the step's top end
        # is not copied), so one forward serves one backward, as a PyTorch graph does.
        self.cache = None
        scale = valid * probs.dtype.type(grad_loss / max(count, 1))
        grad = probs
        grad *= scale[:, None]
        # minus the one-hot of the label, written only where it is 1
        grad.reshape(-1)[label_at.reshape(-1)] -= scale.reshape(-1)
        return grad
