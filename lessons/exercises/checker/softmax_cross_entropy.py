"""Checks exercise 6, the per-pixel softmax cross-entropy and its gradient, against
``fcn_scratch.layers.SoftmaxCrossEntropy``, and the gradient against central differences of your loss."""
import numpy as np

from . import reference
from .core import Wrong, as_array, case, close, compare, gradient_check, same_dtype, small, unpack

FILE, LESSON, TITLE = "ex06_softmax_cross_entropy", 4, "softmax cross-entropy with ignored pixels"
FUNCTIONS = ("softmax_cross_entropy",)
HINTS = {"softmax_cross_entropy": [
    "Work in log space: log p_c is z_c minus the log of the sum of exp over the classes. Shifting all of a "
    "pixel's logits by one number changes no probability, and its largest logit is the shift that keeps exp "
    "from overflowing.",
    "Which pixels count: those whose label is not ignore_index, whatever value the caller passes. An ignored "
    "pixel still needs some class to look up; what it picks there is then multiplied by zero.",
    "The mean runs over the labelled pixels of the whole batch: one sum and one count M for all images together. "
    "With M = 0 there is nothing to average, and the loss is 0.",
    "The derivative of -log p_label with respect to the logits is the softmax minus the one-hot label; the mean "
    "divides it by M, and an ignored pixel gets none.",
]}

CASES = [(2, 3, 5, 6, 0.2, 3.0), (1, 4, 7, 7, 0.0, 3.0), (2, 2, 4, 9, 0.5, 3.0), (1, 5, 3, 3, 0.3, 1000.0),
         (3, 21, 4, 4, 0.1, 3.0)]       # (N, C, H, W, share ignored, logit scale)


def _log_softmax(logits, axis):
    shifted = logits - logits.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def _picked(log_p, labels, valid):
    return np.take_along_axis(log_p, np.where(valid, labels, 0)[:, None], axis=1)[:, 0]


def _finite(student, name, value, logits, valid):
    """A diagnosis for nan or infinity, from probes that separate the causes: exp overflowing, log(0) after an
    underflow, a division by M = 0."""
    if np.isfinite(value).all():
        return
    def finite_on(first, second, label):
        """Your loss is finite for one pixel with logits (first, second) and this label."""
        got = student.softmax_cross_entropy(np.array([first, second], np.float64).reshape(1, 2, 1, 1),
                                            np.full((1, 1, 1), label))
        return bool(np.isfinite(as_array("loss", unpack("softmax_cross_entropy", got, 2, ("loss", "dlogits"))[0]))
                    .all())
    if not finite_on(1000.0, 0.0, 0):
        raise Wrong(f"your {name} is not finite for a pixel with logits 1000 and 0: exp overflows (exp(1000) is "
                    f"infinity, and infinity / infinity is nan); subtract each pixel's largest logit first",
                    hint="The softmax does not change when every logit of a pixel moves by the same number. Which "
                         "number makes the largest exp exactly 1?")
    if not finite_on(0.0, -1000.0, 1):
        raise Wrong(f"your {name} is infinite for a pixel with logits 0 and -1000, labelled 1: exp(-1000) underflows "
                    f"to 0, and log(0) is -infinity. The log-probability itself, -1000, is an ordinary number: take "
                    f"it as the shifted logit minus the log of the sum, never as the log of a probability",
                    hint="A probability of exp(-1000) is 0 in floating point, yet its log is just -1000. Which way "
                         "of writing log p never computes p first?")
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
        ("your loss is the mean of each image's mean: it is one mean over the M labelled pixels of the whole batch, "
         "so an image with more labelled pixels weighs more",
         lambda: float(np.mean([-(picked[i] * valid[i]).sum() / max(valid[i].sum(), 1) for i in range(len(valid))])),
         "Count the labelled pixels per image in the case shown: do the images have the same number? When they "
         "do not, a mean of means is not the mean of all the pixels."),
        ("your softmax runs over the wrong axis: the classes are axis 1 of (N, C, H, W)",
         lambda: -float((_picked(_log_softmax(logits, -1), labels, valid) * valid).sum()) / count),
    ]
    grad = [
        ("your gradient is M times too large: the loss is a mean over M pixels, and so is its gradient",
         want_grad * count),
        ("your gradient is divided by N*H*W; the loss is a mean over the M labelled pixels, divide by M",
         want_grad * count / total),
        ("your gradient has the wrong sign: it is softmax minus one-hot", -want_grad),
        ("your gradient is that of the mean of each image's mean: the loss is one mean over the M labelled pixels "
         "of the whole batch, so every pixel's gradient is divided by the same M",
         lambda: want_grad * count / (len(valid) * np.maximum(valid.sum(axis=(1, 2)), 1)[:, None, None, None])),
    ]
    return loss, grad


def check_case(student, logits, labels, ignore_index=255):
    valid = labels != ignore_index
    as_255 = np.where(valid, labels, 255)       # the same pixels ignored, marked the library's way
    want_loss, want_grad = reference.cross_entropy(logits, as_255)
    try:
        compare_case(student, logits, labels, ignore_index, want_loss, want_grad)
    except Wrong:
        if ignore_index == 255 or not right_for(student, logits, as_255, want_loss, want_grad):
            raise
        raise Wrong(f"right when the ignored label is 255, wrong when the caller passes ignore_index={ignore_index}: "
                    f"the pixels to leave out are those labelled ignore_index, whatever its value (255 is only the "
                    f"default)", hint="Where in your function does the argument ignore_index appear?") from None


def right_for(student, logits, labels, want_loss, want_grad):
    """True when your function gets this case right with the ignored pixels labelled 255 (the default)."""
    loss, grad = unpack("softmax_cross_entropy", student.softmax_cross_entropy(logits, labels, 255), 2,
                        ("loss", "dlogits"))
    loss, grad = as_array("loss", loss).astype(np.float64), as_array("dlogits", grad)
    return loss.size == 1 and close(loss.reshape(()), np.float64(want_loss)) and close(grad, want_grad)


def compare_case(student, logits, labels, ignore_index, want_loss, want_grad):
    valid = labels != ignore_index
    got_loss, got_grad = unpack("softmax_cross_entropy", student.softmax_cross_entropy(logits, labels, ignore_index),
                                2, ("loss", "dlogits"))
    loss = as_array("loss", got_loss)
    if loss.size != 1:
        raise Wrong(f"loss has shape {loss.shape}: it is one number, the mean over the labelled pixels")
    _finite(student, "loss", loss, logits, valid)
    loss_mistakes, grad_mistakes = _mistaken(logits, labels, valid, want_loss, want_grad)
    compare("loss", loss.reshape(()), np.float64(want_loss), mistakes=loss_mistakes)
    grad = as_array("dlogits", got_grad)
    _finite(student, "gradient", grad, logits, valid)
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
    logits = rng.standard_normal((2, 4, 5, 5)) * 3
    labels = np.where(rng.random((2, 5, 5)) < 0.3, -1, rng.integers(0, 4, (2, 5, 5)))
    with case(f"logits {logits.shape}, ignore_index=-1, labels {labels.shape} with {int((labels == -1).sum())} "
              "labelled -1"):
        check_case(student, logits, labels, ignore_index=-1)
    logits = rng.standard_normal((2, 3, 3, 4))
    labels = np.where(rng.random((2, 3, 4)) < 0.25, 255, rng.integers(0, 3, (2, 3, 4)))
    with case("gradient check: logits (2, 3, 3, 4), a quarter of the pixels ignored, your loss"):
        error = gradient_check("dlogits", student.softmax_cross_entropy(logits, labels)[1],
                               lambda: float(student.softmax_cross_entropy(logits, labels)[0]), logits, entries=72)
    with case("float32 logits (2, 3, 3, 3)"):
        got = student.softmax_cross_entropy(logits.astype(np.float32)[:, :, :3, :3], labels[:, :3, :3])[1]
        same_dtype("dlogits", got, np.float32)
    return [f"{len(CASES) + 2} cases right (ignored pixels left out, whatever ignore_index says; logits of 1000 "
            "stable; every pixel ignored); "
            f"gradient check against your own loss {small(error)}; float32 stays float32"]
