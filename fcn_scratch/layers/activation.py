"""ReLU: max(0, x)."""
from .. import backend, fast
from .base import Layer


class ReLU(Layer):
    """Rectified linear unit.

    forward:  x (any shape) -> y = max(0, x)
    backward: dy -> dx = dy * [x > 0]   (the gradient at exactly 0 is taken as 0)

    With ``inplace=True`` (as PyTorch's ``nn.ReLU(inplace=True)``) forward
    writes y over x and backward writes dx over dy: no new array of the
    activation's size per call, which in a net's first block saves the
    allocation and first touch of an 8 MB array twice per step. Only for
    arrays nothing else reads afterwards, such as a convolution's fresh output
    inside a model; the layer then keeps just the one-byte mask. On the CPU
    the planes are split over threads where that trick applies
    (:mod:`fcn_scratch.fast.relu`): the same two operations, the same numbers;
    the cache says which route filled it.
    """

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""

    def forward(self, x):
        self.check_input(x, ndim=None)
        if fast.relu_applies(x):
            y, mask = fast.relu_forward(x, self.inplace)
            self.cache = ("fast", mask)
            return y
        xp = backend.get_array_module(x)
        mask = x > 0
        self.cache = ("textbook", mask)
        return xp.multiply(x, mask, out=x if self.inplace else None, dtype=x.dtype)

    def backward(self, grad_out):
        route, mask = self.saved()
        self.check_grad(grad_out, mask.shape)
        if route == "fast":
            return fast.relu_backward(grad_out, mask, self.inplace)
        xp = backend.get_array_module(grad_out)
        return xp.multiply(grad_out, mask, out=grad_out if self.inplace else None, dtype=grad_out.dtype)
