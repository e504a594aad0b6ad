"""The right answers, from the library's layers on their textbook routes (``fast`` off), in float64.

Each function takes the exercise's arguments (square kernels, one stride, one padding) and
hands them to the layer that defines the idea, so the checker holds you to the package's own
definitions. Never printed: the checker only says how your answer differs from these.
"""
import numpy as np

from fcn_scratch import fast
from fcn_scratch.functional import no_init
from fcn_scratch.layers import Conv2d, ConvTranspose2d, Fuse, MaxPool2d, SoftmaxCrossEntropy


def _with(make, *args, params, **kwargs):
    """A layer built without drawing weights (``no_init``), holding ``params``."""
    with no_init():
        layer = make(*args, **kwargs)
    layer.params.update(params)
    layer.grads.update({name: np.zeros_like(value) for name, value in params.items()})
    return layer


def conv(x, weight, bias, stride=1, padding=0):
    """Conv2d's forward, and the layer (its cache ready for backward)."""
    c_out, c_in, k, _ = weight.shape
    layer = _with(Conv2d, c_in, c_out, k, stride, padding, dtype=x.dtype, params=dict(weight=weight, bias=bias))
    with fast.enabled(False):
        return layer.forward(x), layer


def conv_backward(dy, x, weight, stride=1, padding=0):
    """``(dx, dW, db)`` of Conv2d."""
    _, layer = conv(x, weight, np.zeros(weight.shape[0], x.dtype), stride, padding)
    with fast.enabled(False):
        dx = layer.backward(dy)
    return dx, layer.grads["weight"], layer.grads["bias"]


def conv_transpose(x, weight, stride=1, padding=0):
    """ConvTranspose2d's forward (no bias), and the layer."""
    c_in, c_out, k, _ = weight.shape
    layer = _with(ConvTranspose2d, c_in, c_out, k, stride, padding, bias=False, dtype=x.dtype,
                  params=dict(weight=weight))
    with fast.enabled(False):
        return layer.forward(x), layer


def pool(x, kernel_size, stride):
    """``(y, indices)`` of MaxPool2d (floor rounding, no padding), and the layer."""
    layer = MaxPool2d(kernel_size, stride, return_indices=True)
    with fast.enabled(False):
        y, indices = layer.forward(x)
    return y, indices, layer


def pool_backward(dy, x, kernel_size, stride):
    _, _, layer = pool(x, kernel_size, stride)
    with fast.enabled(False):
        return layer.backward(dy)


def cross_entropy(logits, labels, ignore_index=255):
    """``(loss, dlogits)`` of SoftmaxCrossEntropy."""
    layer = SoftmaxCrossEntropy(ignore_index)
    with fast.enabled(False):
        return layer.forward(logits, labels), layer.backward()


class Fusion:
    """FCN-8s's skip, step by step: score the pool features (a 1x1 convolution), upsample the coarse
    scores x2 (a transposed convolution, kernel 4, stride 2, no bias), crop the larger map, add."""

    def __init__(self, coarse, features, score_weight, score_bias, up_weight, offset):
        self.up, self.up_layer = conv_transpose(coarse, up_weight, 2)
        self.skip, self.score_layer = conv(features, score_weight, score_bias)
        self.fuse, self.offset = Fuse(offset), offset
        self.out = self.fuse.forward(self.up, self.skip)

    def backward(self, d_fused, window=None):
        """``(d_coarse, d_features, d_score_weight, d_score_bias, d_up_weight)``. ``window`` puts the
        cropped map's gradient at another offset than the crop's (what a misplaced window gives)."""
        d_up, d_skip = self.fuse.backward(d_fused)
        if window is not None:
            cropped = d_up if self.offset >= 0 else d_skip
            moved = np.zeros_like(cropped)
            h, w = d_fused.shape[2:]
            moved[:, :, window:window + h, window:window + w] = d_fused
            d_up, d_skip = (moved, d_skip) if self.offset >= 0 else (d_up, moved)
        with fast.enabled(False):
            d_coarse = self.up_layer.backward(d_up)
            d_features = self.score_layer.backward(d_skip)
        return (d_coarse, d_features, self.score_layer.grads["weight"], self.score_layer.grads["bias"],
                self.up_layer.grads["weight"])
