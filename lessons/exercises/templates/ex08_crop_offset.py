"""Exercise 8, after lesson 7 (and lesson 12): the crop offset from coordinate maps.

Along one axis, pixel j of a feature map is centred on input coordinate
scale * j + offset: its coordinate map (scale, offset). The image is (1, 0).
Each layer changes the map its own way; FCN adds two maps only where their
pixels lie on one grid, after cropping the larger one by the offset the maps
give. That is how the reference net gets its crops 5, 9 and 31 (lesson 12),
and the course's nets theirs (1, 1 and 4).

A layer is a tuple: ("conv", k, s, p), ("pool", k, s, p), ("deconv", k, s, p)
for a transposed convolution, or ("relu",) for any layer that keeps every
pixel where it is (ReLU, dropout).

Check:  python lessons/exercises/check.py crop_offset          (add --hint for a hint)
"""


def coord_map(layers, start=(1.0, 0.0)):
    """The coordinate map (scale, offset) of the output of ``layers``, applied in order to a map ``start``.

    Through one layer, from (scale, offset):

        conv or pool:  (scale * s,  offset + scale * ((k - 1) / 2 - p))
        deconv:        (scale / s,  offset + scale * (p - (k - 1) / 2) / s)
        relu:          (scale,      offset)

    Returns a tuple of two floats.
    """
    raise NotImplementedError


def crop_offset(a, b):
    """Where b's pixel 0 lies on a's grid, in a's pixels: the crop that lines the two maps up.

    a, b:     coordinate maps (scale, offset)
    returns:  an int,  (b.offset - a.offset) / scale

    Positive: b starts that many pixels into a, so a is cropped there; negative: a
    starts inside b, so b is cropped at minus that. Raise ValueError when the two
    maps have different scales, or lie a fraction of a pixel apart.
    """
    raise NotImplementedError
