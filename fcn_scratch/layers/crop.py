"""Crop: cut a spatial window out of a map (how FCN aligns maps of different sizes)."""
from .. import backend
from ..errors import InputError
from ..functional import pair
from .base import Layer


class Crop(Layer):
    """Cut the window ``[oy : oy + H, ox : ox + W]`` out of every plane.

    forward(x, size):  x (N, C, H_in, W_in) -> y (N, C, H, W) with ``(H, W) = size``
                       (a shape tuple, or the last two of a reference map's shape)
    backward:          dy -> dx, zeros outside the window, dy inside it

    FCN upsamples a coarse score map to a map slightly larger than the finer
    one it is fused with, then crops it at a fixed ``offset`` so that pixel
    centres line up (see ``fcn_scratch.models.fcn``).
    """

    def __init__(self, offset):
        super().__init__()
        self.offset = pair(offset, "offset")

    def extra_repr(self):
        return f"offset={self.offset}"

    def forward(self, x, size):
        self.check_input(x)
        (oy, ox), (h, w) = self.offset, tuple(size)[-2:]
        if oy + h > x.shape[2] or ox + w > x.shape[3]:
            raise InputError(f"Crop at offset {self.offset} of size {(h, w)} does not fit in input "
                             f"of spatial size {tuple(x.shape[2:])}")
        self.cache = x.shape
        return x[:, :, oy:oy + h, ox:ox + w]

    def backward(self, grad_out):
        x_shape = self.saved()
        (oy, ox), (h, w) = self.offset, grad_out.shape[2:]
        self.check_grad(grad_out, tuple(x_shape[:2]) + (h, w))
        dx = backend.get_array_module(grad_out).zeros(x_shape, dtype=grad_out.dtype)
        dx[:, :, oy:oy + h, ox:ox + w] = grad_out
        return dx
