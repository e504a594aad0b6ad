"""ReLU: max(0, x)."""
from .. import backend
from .base import Layer


class ReLU(Layer):
    """Rectified linear unit.

    forward:  x (any shape) -> y = max(0, x)
    backward: dy -> dx = dy * [x > 0]   (the gradient at exactly 0 is taken as 0)
    """

    def forward(self, x):
        self.check_input(x, ndim=None)
        xp = backend.get_array_module(x)
        mask = x > 0
        self.cache = mask
        return xp.multiply(x, mask, dtype=x.dtype)

    def backward(self, grad_out):
        mask = self.saved()
        self.check_grad(grad_out, mask.shape)
        return backend.get_array_module(grad_out).multiply(grad_out, mask, dtype=grad_out.dtype)
