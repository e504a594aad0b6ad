"""Scale: multiply by a fixed number (the at-once FCN-8s damps its skips with it)."""
from .base import Layer


class Scale(Layer):
    """y = factor * x, a constant, not a parameter.

    forward:  x (any shape) -> factor * x
    backward: dy -> factor * dy

    The reference FCN-8s trained "at once" (all skips from the start, not
    staged 32s -> 16s -> 8s) scales pool4 by 0.01 and pool3 by 0.0001 before
    their score layers, so the fine skips start small beside the coarse
    scores. The staged nets use a factor of 1.
    """

    def __init__(self, factor):
        super().__init__()
        self.factor = float(factor)

    def extra_repr(self):
        return f"factor={self.factor:g}"

    def forward(self, x):
        self.check_input(x, ndim=None)
        self.cache = True
        return x * x.dtype.type(self.factor)

    def backward(self, grad_out):
        self.saved()
        return grad_out * grad_out.dtype.type(self.factor)
