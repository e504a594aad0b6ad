"""Per-pixel softmax and cross-entropy: the loss FCN trains with."""
from .. import backend, fast
from ..errors import InputError
from ..functional import log_softmax_at_labels, softmax_minus_onehot
from ..labels import IGNORE_INDEX
from .base import Layer


class SoftmaxCrossEntropy(Layer):
    """Cross-entropy of a per-pixel softmax, skipping ``ignore_index`` pixels.

    forward(logits, labels):
        logits (N, C, H, W) floats, labels (N, H, W) integers in [0, C) or ``ignore_index``
        -> loss = -(1 / D) sum over the M non-ignored pixels of log softmax(logits)[label]
        (a Python float; 0.0 when every pixel is ignored), where D is
        ``reduction="mean"``: M, the mean over the labelled pixels (the default);
        ``reduction="sum"``: N, each image's sum over its labelled pixels, averaged over the
        images, as the FCN reference trains (pytorch-fcn: ``size_average=False``, divided by
        the batch size, which its recipe keeps at 1).
    backward(grad_loss=1.0):
        -> d loss / d logits = grad_loss * (softmax(logits) - onehot(labels)) / D,
        zero at ignored pixels. One backward per forward: the fast route
        (:mod:`fcn_scratch.fast.softmax_in_place`) writes the gradient over the
        probabilities forward kept, and the cache says which route filled it.
    """

    REDUCTIONS = ("mean", "sum")

    def __init__(self, ignore_index=IGNORE_INDEX, reduction="mean"):
        super().__init__()
        if reduction not in self.REDUCTIONS:
            raise InputError(f"unknown loss reduction {reduction!r}; expected one of {', '.join(self.REDUCTIONS)}")
        self.ignore_index, self.reduction = ignore_index, reduction

    def extra_repr(self):
        return f"ignore_index={self.ignore_index}, reduction={self.reduction!r}"

    def check_labels(self, logits, labels):
        xp = backend.get_array_module(logits)
        n, c, h, w = logits.shape
        if tuple(labels.shape) != (n, h, w):
            raise InputError(f"labels must have shape (N, H, W) = {(n, h, w)} to match logits "
                             f"{tuple(logits.shape)}, got {tuple(labels.shape)}")
        if labels.dtype.kind not in "iu":
            raise TypeError(f"labels must be integers (class indices), got dtype {labels.dtype}")
        bad = (labels != self.ignore_index) & ((labels < 0) | (labels >= c))
        if bool(bad.any()):
            values = sorted(set(int(v) for v in backend.to_host(xp.unique(labels[bad]))[:10]))
            raise InputError(f"labels must be in [0, {c}) or the ignore index {self.ignore_index}; "
                             f"found {values}")

    def forward(self, logits, labels):
        self.check_input(logits)
        self.check_labels(logits, labels)
        xp = backend.get_array_module(logits)
        valid = labels != self.ignore_index
        count = int(valid.sum())                                        # M
        divisor = count if self.reduction == "mean" else logits.shape[0]     # D
        labels = xp.where(valid, labels, 0).astype(xp.int64)          # any class where ignored
        if fast.loss_applies(logits):
            log_p_label, probs, at_label = fast.softmax_cross_entropy_forward(logits, labels)
            self.cache = ("fast", probs, at_label, valid, divisor)
        else:
            log_p_label, probs = log_softmax_at_labels(logits, labels)
            self.cache = ("textbook", probs, labels, valid, divisor)
        return -float((log_p_label * valid).sum()) / divisor if count else 0.0

    def backward(self, grad_loss=1.0):
        route, probs, labels, valid, divisor = self.saved()     # labels: their flat positions on the fast route
        self.cache = None           # one backward per forward: the probabilities go as the gradient comes
        scale = valid * probs.dtype.type(grad_loss / max(divisor, 1))          # 0 at ignored pixels
        if route == "fast":
            return fast.softmax_cross_entropy_backward(probs, labels, scale)
        return softmax_minus_onehot(probs, labels, scale)
