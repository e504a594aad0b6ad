"""Checks exercise 6, the per-pixel softmax cross-entropy and its gradient, against
``fcn_scratch.layers.SoftmaxCrossEntropy``, and the gradient against central differences of your loss."""
import numpy as np

from . import reference
from .core import Wrong, as_array, case, compare, gradient_check, same_dtype, small, unpack

FILE, LESSON, TITLE = "ex06_softmax_cross_entropy", 4, "softmax cross-entropy with ignored pixels"
FUNCTIONS = ("softmax_cross_entropy",)
HINTS = [
    "Work in log space: shifted = logits - logits.max(axis=1, keepdims=True), then "
    "log_p = shifted - log(sum(exp(shifted), axis=1, keepdims=True)). exp never sees a large number.",
    "valid = labels != ignore_index; M = valid.sum(). Replace the ignored labels by any class (np.where(valid, "
    "labels, 0)) so that you can pick log_p of the label with np.take_along_axis(log_p, labels[:, None], axis=1).",
    "loss = -(picked * valid).sum() / M: ignored pixels neither add to the sum nor count in M. When M = 0 the loss "
    "is 0.0 (and the gradient zero): guard the division.",
    "dlogits = (softmax - onehot) / M, then zero at the ignored pixels: multiply by valid[:, None]. "
    "onehot: np.arange(C)[None, :, None, None] == labels[:, None].",
]

CASES = [(2, 3, 5, 6, 0.2, 3.0), (1, 4, 7, 7, 0.0, 3.0), (2, 2, 4, 9, 0.5, 3.0), (1, 5, 3, 3, 0.3, 1000.0),
         (3, 21, 4, 4, 0.1, 3.0)]       # (N, C, H, W, share ignored, logit scale)


def _log_softmax(logits, axis):
    shifted = logits - logits.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def _picked(log_p, labels, valid):
    return np.take_along_axis(log_p, np.where(valid, labels, 0)[:, None], axis=1)[:, 0]


def _finite(name, value, logits, valid):
    """A diagnosis for nan or infinity: overflow, or a division by M = 0."""
    if np.isfinite(value).all():
        return
    if float(np.abs(logits).max()) > 100:
        raise Wrong(f"your {name} is not finite for logits as large as {float(np.abs(logits).max()):.0f}: exp "
                    f"overflows; subtract each pixel's largest logit first (log-sum-exp)")
    if not valid.any():
        raise Wrong(f"your {name} is not finite when every pixel is ignored (M = 0): then the loss is 0.0 and the "
                    f"gradient zero; guard the division")
    raise Wrong(f"your {name} has nan or infinite values")


def _mistaken(logits, labels, valid, want_loss, want_grad):
    """What the usual slips give, for the loss and for the gradient."""
    count, total = int(valid.sum()), valid.size
    picked = _picked(_log_softmax(logits, 1), labels, valid)
    loss = [
        ("ignored pixels count in your loss: they add nothing to the sum, and they do not count in M either",
         -float((picked * valid).sum()) / total),
        ("ignored pixels count in your loss: leave the pixels labelled 255 out of the sum and out of the count",
         -float(picked.sum()) / total),
        ("your loss is a sum; it is the mean over the M labelled pixels", want_loss * count),
        ("your loss is divided by the batch size N; it is the mean over the M labelled pixels",
         want_loss * count / len(logits)),
        ("your softmax runs over the wrong axis: the classes are axis 1 of (N, C, H, W)",
         lambda: -float((_picked(_log_softmax(logits, -1), labels, valid) * valid).sum()) / count),
    ]
    grad = [
        ("your gradient is M times too large: the loss is a mean over M pixels, and so is its gradient",
         want_grad * count),
        ("your gradient is divided by N*H*W; the loss is a mean over the M labelled pixels, divide by M",
         want_grad * count / total),
        ("your gradient has the wrong sign: it is softmax minus one-hot", -want_grad),
    ]
    return loss, grad


def check_case(student, logits, labels):
    valid = labels != 255
    want_loss, want_grad = reference.cross_entropy(logits, labels)
    got_loss, got_grad = unpack("softmax_cross_entropy", student.softmax_cross_entropy(logits, labels), 2,
                                ("loss", "dlogits"))
    loss = as_array("loss", got_loss)
    if loss.size != 1:
        raise Wrong(f"loss has shape {loss.shape}: it is one number, the mean over the labelled pixels")
    _finite("loss", loss, logits, valid)
    loss_mistakes, grad_mistakes = _mistaken(logits, labels, valid, want_loss, want_grad)
    compare("loss", loss.reshape(()), np.float64(want_loss), mistakes=loss_mistakes)
    grad = as_array("dlogits", got_grad)
    _finite("gradient", grad, logits, valid)
    if grad.shape == want_grad.shape and not valid.all() and np.abs(grad[np.broadcast_to(~valid[:, None],
                                                                                       grad.shape)]).max() > 0:
        raise Wrong("your gradient is not zero at ignored pixels")
    compare("dlogits", grad, want_grad, mistakes=grad_mistakes)


def check(student):
    rng = np.random.default_rng(6)
    for n, c, h, w, ignored, scale in CASES:
        logits = rng.standard_normal((n, c, h, w)) * scale
        labels = np.where(rng.random((n, h, w)) < ignored, 255, rng.integers(0, c, (n, h, w)))
        with case(f"logits {logits.shape} (scale {scale:g}), labels {labels.shape} with {int((labels == 255).sum())} "
                  "ignored"):
            check_case(student, logits, labels)
    with case("logits (1, 3, 2, 2), every label 255 (M = 0)"):
        check_case(student, rng.standard_normal((1, 3, 2, 2)), np.full((1, 2, 2), 255))
    logits = rng.standard_normal((2, 3, 3, 4))
    labels = np.where(rng.random((2, 3, 4)) < 0.25, 255, rng.integers(0, 3, (2, 3, 4)))
    with case("gradient check: logits (2, 3, 3, 4), a quarter of the pixels ignored, your loss"):
        error = gradient_check("dlogits", student.softmax_cross_entropy(logits, labels)[1],
                               lambda: float(student.softmax_cross_entropy(logits, labels)[0]), logits, entries=72)
    with case("float32 logits (2, 3, 3, 3)"):
        got = student.softmax_cross_entropy(logits.astype(np.float32)[:, :, :3, :3], labels[:, :3, :3])[1]
        same_dtype("dlogits", got, np.float32)
    return [f"{len(CASES) + 1} cases right (ignored pixels left out, logits of 1000 stable, every pixel ignored); "
            f"gradient check against your own loss {small(error)}; float32 stays float32"]
