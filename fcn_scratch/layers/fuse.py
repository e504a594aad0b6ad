"""Fuse: the sum of two score maps on one grid, the larger cropped to the smaller (FCN's skip fusion)."""
from ..errors import InputError
from .base import Layer
from .crop import Crop


class Fuse(Layer):
    """``a + b`` for two maps whose pixels lie on the same grid, one starting ``offset`` pixels into the other.

    forward(a, b):  a (N, C, Ha, Wa), b (N, C, Hb, Wb) -> (N, C, H, W), the smaller of the two sizes
                    offset >= 0: b's pixel 0 is a's pixel ``offset``: y = a[.., o:o+Hb, o:o+Wb] + b
                    offset <  0: a's pixel 0 is b's pixel ``-offset``: y = a + b[.., -o:-o+Ha, ...]
    backward:       dy -> (da, db): the sum hands dy to both; the cropped one gets zeros outside its window

    The offset comes from coordinate maps (:mod:`fcn_scratch.models.coord_map`).
    In the small nets the upsampled scores overhang the skip's map (offset 1,
    the upsampled map is cropped); in the reference the padding of 100 makes
    the skip's map the larger one (offsets -5 and -9, the skip is cropped).
    """

    def __init__(self, offset):
        super().__init__()
        self.offset = int(offset)
        self.crop = Crop(abs(self.offset))

    def extra_repr(self):
        return f"offset={self.offset}"

    def forward(self, a, b):
        self.check_input(a)
        self.check_input(b)
        if a.shape[:2] != b.shape[:2] or a.dtype != b.dtype:
            raise InputError(f"Fuse adds maps of one batch, channels and dtype; got {tuple(a.shape)} {a.dtype} "
                             f"and {tuple(b.shape)} {b.dtype}")
        if self.offset >= 0:
            return self.crop(a, b.shape) + b
        return a + self.crop(b, a.shape)

    def backward(self, grad_out):
        if self.offset >= 0:
            return self.crop.backward(grad_out), grad_out
        return grad_out, self.crop.backward(grad_out)
