"""Coordinate maps: where the pixels of a map sit in the input image (Caffe's ``coord_map``).

Along one axis, pixel ``j`` of a map is centred on input coordinate
``scale * j + offset``. Every layer changes that line in its own way, so the
map of any blob is the composition of its layers' maps:

- a convolution or pooling (kernel ``k``, stride ``s``, padding ``p``): output
  pixel ``j`` is centred on its input's pixel ``s*j + (k-1)/2 - p``;
- a transposed convolution (kernel ``k``, stride ``s``, padding ``p``), the
  same line read backwards: output pixel ``i`` is centred on its input's pixel
  ``(i + p - (k-1)/2) / s``;
- an elementwise layer (ReLU, dropout, a scale) keeps every pixel where it is.

Two maps with the same scale lie on one grid, and one starts
``(offset_b - offset_a) / scale`` pixels into the other: that is the crop that
aligns them. With the reference's padding of 100 this gives FCN-8s's 5, 9 and
31, FCN-16s's 5 and 27 and FCN-32s's 19; with same-padded convolutions, f/2.
Square kernels are assumed: one axis stands for both.
"""
from dataclasses import dataclass

from ..errors import InputError
from ..layers import Conv2d, ConvTranspose2d, Dropout, MaxPool2d, ReLU, Scale


@dataclass(frozen=True)
class CoordMap:
    """Pixel ``j`` of the map is centred on input coordinate ``scale * j + offset``."""
    scale: float = 1.0
    offset: float = 0.0

    def through(self, *layers):
        """The map of the output of ``layers`` applied in order to a blob with this map."""
        scale, offset = self.scale, self.offset
        for layer in layers:
            if isinstance(layer, (Conv2d, MaxPool2d)):
                k, s, p = layer.kernel_size[0], layer.stride[0], layer.padding[0]
                scale, offset = scale * s, offset + scale * ((k - 1) / 2 - p)
            elif isinstance(layer, ConvTranspose2d):
                k, s, p = layer.kernel_size[0], layer.stride[0], layer.padding[0]
                scale, offset = scale / s, offset + scale * (p - (k - 1) / 2) / s
            elif not isinstance(layer, (ReLU, Dropout, Scale)):
                raise TypeError(f"no coordinate map for {type(layer).__name__}")
        return CoordMap(scale, offset)


IMAGE = CoordMap()


def crop_offset(big, small):
    """How many pixels into the map ``big`` the map ``small`` starts: the offset at which ``big`` is
    cropped to line up with ``small`` (negative when ``small`` starts first). Raises unless the two
    lie on one grid (same scale, a whole number of pixels apart)."""
    if big.scale != small.scale:
        raise InputError(f"cannot align maps of scales {big.scale} and {small.scale}")
    offset = (small.offset - big.offset) / big.scale
    if offset != int(offset):
        raise InputError(f"maps {big} and {small} are {offset} pixels apart, not a whole number")
    return int(offset)
