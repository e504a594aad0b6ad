"""Checks exercise 8, coordinate maps and the crops they give, against ``fcn_scratch.models.coord_map``
and the crops of the library's FCN-8s: the small net's 1, 1, 4 and the paper's 5, 9, 31."""
import operator

import numpy as np

from fcn_scratch.functional import no_init
from fcn_scratch.layers import Conv2d, ConvTranspose2d, MaxPool2d, ReLU
from fcn_scratch.models import build
from fcn_scratch.models.configs import VGG16
from fcn_scratch.models.coord_map import CoordMap, crop_offset

from .core import Wrong, case, compare

FILE, LESSON, TITLE = "ex08_crop_offset", 7, "the crop offset from coordinate maps"
FUNCTIONS = ("coord_map", "crop_offset")
HINTS = {
    "coord_map": [
        "Keep a (scale, offset) pair and carry it through the layers in order; each layer changes it as the "
        "docstring's table says, starting from the map it is given.",
        "A layer's shift is counted in its input's pixels, so it is multiplied by the scale before the layer. "
        "Compute the new offset from the old scale, then the new scale (or both from the old pair at once).",
        "A transposed convolution runs the convolution's line backwards: the scale is divided by the stride, and "
        "the shift has the other sign and is divided by the stride.",
    ],
    "crop_offset": [
        "b's pixel 0 sits at input coordinate b's offset. How far is that from a's pixel 0, counted in a's pixels?",
        "A crop can line up two maps only on one grid: the same scale, and a whole number of a's pixels apart. "
        "Anything else is a ValueError, not a rounded crop.",
        "Check by hand with the small net (3x3 convolutions padded by 1, 2x2 pools): a stride-S map has offset "
        "(S - 1) / 2, and the x2 upsampling of score_fr lands 1 pixel off the pool4 scores.",
    ],
}

KINDS = {"conv": Conv2d, "pool": MaxPool2d, "deconv": ConvTranspose2d}


def as_spec(layer):
    """A library layer as the exercise's tuple: ("conv" | "pool" | "deconv", k, s, p), or ("relu",)."""
    for kind, cls in KINDS.items():
        if isinstance(layer, cls):
            return (kind, layer.kernel_size[0], layer.stride[0], layer.padding[0])
    return ("relu",)


def as_layer(spec):
    if spec[0] == "relu":
        return ReLU()
    kind, k, s, p = spec
    with no_init():
        return MaxPool2d(k, s, p) if kind == "pool" else KINDS[kind](1, 1, k, s, p)


def reference(specs, start):
    end = CoordMap(*start).through(*[as_layer(spec) for spec in specs])
    return np.array([end.scale, end.offset])


UPDATE_ORDER = ("Both new values come from the old pair. When you update the scale first, what scale does the "
                "offset's line then read?")


def _layer_mistakes(spec, start):
    """What the usual slips make of one layer's map."""
    scale, offset = start
    if spec[0] == "relu":
        return []
    _, k, s, p = spec
    if spec[0] == "deconv":
        return [
            ("a transposed convolution divides the scale by its stride",
             (scale * s, offset + scale * (p - (k - 1) / 2) / s)),
            ("a transposed convolution runs the convolution's line backwards: its shift has the other sign",
             (scale / s, offset + scale * ((k - 1) / 2 - p) / s)),
            ("the shift of a transposed convolution is divided by its stride",
             (scale / s, offset + scale * (p - (k - 1) / 2))),
            ("the shift is counted in the input's pixels: multiply it by the scale before this layer",
             (scale / s, offset + (p - (k - 1) / 2) / s)),
            ("your offset uses the scale after this layer: the new scale was computed first and then used for the "
             "shift, which is counted in the pixels of the layer's input (the scale before it)",
             (scale / s, offset + scale / s * (p - (k - 1) / 2) / s), UPDATE_ORDER),
        ]
    return [
        ("a window of k taps is centred (k - 1) / 2 past its first tap, not k / 2",
         (scale * s, offset + scale * (k / 2 - p))),
        ("padding moves the first tap p pixels before the map: subtract p",
         (scale * s, offset + scale * ((k - 1) / 2 + p))),
        ("each layer's shift is counted in its input's pixels: multiply it by the scale so far",
         (scale * s, offset + (k - 1) / 2 - p)),
        ("the shift is counted in the input's pixels: multiply it by the scale before this layer, not after",
         (scale * s, offset + scale * s * ((k - 1) / 2 - p)), UPDATE_ORDER),
    ]


def random_spec(rng):
    kind = ["conv", "pool", "deconv", "relu"][int(rng.integers(4))]
    if kind == "relu":
        return ("relu",)
    k = int(rng.integers(1, 8))
    return (kind, k, int(rng.integers(1, 4)), int(rng.integers(0, k // 2 + 1)))


def check_maps(student, rng):
    singles = [("conv", 3, 1, 1), ("conv", 7, 1, 0), ("pool", 2, 2, 0), ("pool", 3, 2, 1), ("deconv", 4, 2, 0),
               ("deconv", 16, 8, 0), ("deconv", 3, 2, 1), ("relu",), ("conv", 1, 1, 0)]
    for spec in singles + [random_spec(rng) for _ in range(8)]:
        for start in ((1.0, 0.0), (float(2 ** rng.integers(1, 5)), float(rng.integers(-40, 40)) + 0.5)):
            with case(f"coord_map([{spec}], start={start})"):
                got = student.coord_map([spec], start)
                if spec == ("relu",) and not np.allclose(np.asarray(got, float), start):
                    raise Wrong("a ReLU keeps every pixel where it is: the map passes through unchanged")
                compare("your (scale, offset)", got, reference([spec], start),
                        mistakes=_layer_mistakes(spec, start))
    stacks = [[random_spec(rng) for _ in range(int(rng.integers(2, 7)))] for _ in range(6)]
    for specs in stacks:
        with case(f"coord_map({specs})"):
            compare("your (scale, offset)", student.coord_map(specs, (1.0, 0.0)), reference(specs, (1.0, 0.0)))
    return len(singles) + 8 + len(stacks)


def check_crops(student, rng):
    pairs = [((8.0, 3.5), (8.0, 11.5)), ((16.0, -91.5), (16.0, -11.5)), ((8.0, -95.5), (8.0, -23.5)),
             ((1.0, -31.0), (1.0, 0.0)), ((4.0, 1.5), (4.0, 1.5))]
    for _ in range(6):
        scale = float(2 ** rng.integers(0, 5))
        a = float(rng.integers(-50, 50)) + 0.5
        pairs.append(((scale, a), (scale, a + scale * int(rng.integers(-9, 10)))))
    for a, b in pairs:
        with case(f"crop_offset({a}, {b})"):
            got, want = student.crop_offset(a, b), crop_offset(CoordMap(*a), CoordMap(*b))
            try:
                operator.index(got)
            except TypeError:
                raise Wrong(f"crop_offset returned {got!r} ({type(got).__name__}): a crop is a whole number of "
                            f"pixels, return an int") from None
            compare("your crop", np.array(float(got)), np.array(float(want)), mistakes=[
                ("your crop has the wrong sign: which map starts first?", -want),
                ("your crop is in input pixels: divide by the scale to count the map's pixels",
                 b[1] - a[1]),
                ("off by one in the crop", want + 1), ("off by one in the crop", want - 1)])
    for a, b, why in (((8.0, 3.5), (16.0, 7.5), "maps of scales 8 and 16 lie on different grids"),
                      ((8.0, 3.5), (8.0, 7.5), "maps half a pixel apart cannot be aligned by a crop")):
        with case(f"crop_offset({a}, {b})"):
            if not student.raises(ValueError, "crop_offset", a, b):
                raise Wrong(f"{why}: raise ValueError")
    return len(pairs) + 2


def net_crops(student, model):
    """The model's three crops from your functions: score_pool4, score_pool3 and the output."""
    maps, current = {}, (1.0, 0.0)
    for name in model.features:
        current = maps[name] = tuple(student.coord_map([as_spec(getattr(model, name))], current))
    up2 = student.coord_map([as_spec(model.upscore2)], maps["score_fr"])
    skip4 = student.coord_map([as_spec(model.score_pool4)], maps["pool4"])
    crop4 = student.crop_offset(up2, skip4)
    up4 = student.coord_map([as_spec(model.upscore_pool4)], skip4 if crop4 >= 0 else up2)
    skip3 = student.coord_map([as_spec(model.score_pool3)], maps["pool3"])
    crop3 = student.crop_offset(up4, skip3)
    final = student.coord_map([as_spec(model.upscore8)], skip3 if crop3 >= 0 else up4)
    return crop4, crop3, student.crop_offset(final, (1.0, 0.0))


def narrow(geometry):
    """An FCN-8s of the given geometry, two channels wide: its crops, none of its cost."""
    with no_init():
        return build("fcn8s", num_classes=2, **{**geometry, "widths": (2,) * 5, "fc_channels": 2})


def check(student):
    rng = np.random.default_rng(8)
    maps, crops = check_maps(student, rng), check_crops(student, rng)
    found = []
    for title, model in (("the course's FCN-8s", narrow({})), ("the paper's FCN-8s", narrow(VGG16))):
        want = (model.fuse_pool4.offset, model.fuse_pool3.offset, model.crop_upscore8.offset[0])
        with case(f"{title}, its layers in order"):
            got = net_crops(student, model)
            if tuple(got) != want:
                off = " (off by one in the crop)" if all(abs(g - w) == 1 for g, w in zip(got, want)) else ""
                raise Wrong(f"{title}: your maps give the crops {tuple(got)}, which do not line its maps up{off}")
        found.append(f"{title} {abs(want[0])}, {abs(want[1])}, {want[2]}")
    return [f"{maps} maps and {crops} crops right (and ValueError off the grid); crops of "
            + " and ".join(found)]
