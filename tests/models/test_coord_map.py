"""Coordinate maps: composition by hand numbers, crop_offset, and the crops they give every FCN."""
import dataclasses

import numpy as np
import pytest

from fcn_scratch.layers import Conv2d, ConvTranspose2d, Crop, Dropout, MaxPool2d, ReLU, Scale
from fcn_scratch.models import CoordMap, build, crop_offset
from fcn_scratch.models.coord_map import IMAGE

# the reference geometry at widths that build and run in milliseconds
REDUCED = dict(widths=(2, 2, 2, 2, 2), fc_channels=4, convs_per_block=(1, 1, 1, 1, 1))


def reduced(name, **kw):
    config = dict(REDUCED, **kw)
    if "vgg16" not in name:
        config.setdefault("num_classes", 3)
    return build(name, rng=np.random.default_rng(0), **config)


# ---- composition, by hand ----------------------------------------------------------------------

@pytest.mark.parametrize("layer,expected", [
    (Conv2d(1, 1, 3, padding=1), CoordMap(1, 0)),              # same-padded: every pixel stays
    (Conv2d(1, 1, 3, padding=100), CoordMap(1, -99)),          # output 0 reads input -100..-98
    (Conv2d(1, 1, 7), CoordMap(1, 3)),                         # output 0 reads input 0..6
    (Conv2d(1, 1, 4, stride=2), CoordMap(2, 1.5)),             # output j reads 2j..2j+3
    (Conv2d(1, 1, 7, stride=2, padding=3), CoordMap(2, 0)),
    (Conv2d(1, 1, 1, stride=3), CoordMap(3, 0)),
    (MaxPool2d(2, stride=2, ceil_mode=True), CoordMap(2, 0.5)),
    (MaxPool2d(3, stride=2, padding=1), CoordMap(2, 0)),
    (ConvTranspose2d(1, 1, 4, stride=2), CoordMap(0.5, -0.75)),   # input j lands on output 2j + 1.5
    (ConvTranspose2d(1, 1, 3, stride=2, padding=1), CoordMap(0.5, 0)),
    (ConvTranspose2d(1, 1, 64, stride=32), CoordMap(1 / 32, -31.5 / 32)),
    (ReLU(), IMAGE), (Dropout(0.5), IMAGE), (Scale(0.01), IMAGE),
])
def test_one_layer_from_the_image(layer, expected):
    assert IMAGE.through(layer) == expected


def test_a_chain_composes_scale_and_offset():
    start = CoordMap(2, 0.5)                                   # after a 2x2 pool of the image
    conv = Conv2d(1, 1, 3, padding=100)                        # offset + 2 * (1 - 100)
    assert start.through(conv) == CoordMap(2, 0.5 - 198)
    # conv1_1 padded by 100, pool, a 7x7 unpadded conv at stride 2: -99, then -98.5, then -98.5 + 2 * 3
    chain = IMAGE.through(Conv2d(1, 1, 3, padding=100), ReLU(), MaxPool2d(2, 2), Conv2d(1, 1, 7))
    assert chain == CoordMap(2, -92.5)
    # the coarse scores of the reference (stride 32, pixel 0 at 12.5) upsampled x2: 12.5 + 32 * (0 - 1.5) / 2
    assert CoordMap(32, 12.5).through(ConvTranspose2d(1, 1, 4, stride=2)) == CoordMap(16, -11.5)
    assert CoordMap(8, -95.5).through(ConvTranspose2d(1, 1, 16, stride=8)) == CoordMap(1, -95.5 - 7.5)
    assert IMAGE.through() == IMAGE


@pytest.mark.parametrize("k,s,p", [(3, 1, 1), (4, 2, 0), (4, 2, 1), (16, 8, 0), (7, 3, 2), (64, 32, 0)])
def test_a_transposed_convolution_undoes_its_convolution(k, s, p):
    start = CoordMap(4, -7.25)
    there = start.through(Conv2d(1, 1, k, stride=s, padding=p))
    assert there.scale == 4 * s
    assert there.through(ConvTranspose2d(1, 1, k, stride=s, padding=p)) == start


def test_layers_without_a_map_are_refused():
    with pytest.raises(TypeError, match="no coordinate map for Crop"):
        IMAGE.through(ReLU(), Crop(1))


def test_maps_are_values():
    assert CoordMap(2, 1) == CoordMap(2.0, 1.0) and hash(CoordMap(2, 1)) == hash(CoordMap(2.0, 1.0))
    with pytest.raises(dataclasses.FrozenInstanceError):
        IMAGE.offset = 3


# ---- crop_offset -------------------------------------------------------------------------------

def test_crop_offset_is_signed_in_pixels_of_the_map():
    assert crop_offset(CoordMap(16, -11.5), CoordMap(16, -91.5)) == -5
    assert crop_offset(CoordMap(16, -91.5), CoordMap(16, -11.5)) == 5
    assert crop_offset(CoordMap(1, -31), IMAGE) == 31
    assert crop_offset(CoordMap(8, 3.5), CoordMap(8, 3.5)) == 0
    assert isinstance(crop_offset(CoordMap(2, 0), CoordMap(2, 4)), int)


def test_crop_offset_of_maps_on_different_grids():
    with pytest.raises(ValueError, match="cannot align maps of scales 2 and 4"):
        crop_offset(CoordMap(2, 0), CoordMap(4, 0))
    with pytest.raises(ValueError, match="are 0.5 pixels apart, not a whole number"):
        crop_offset(CoordMap(2, 0), CoordMap(2, 1))
    with pytest.raises(ValueError, match="not a whole number"):
        crop_offset(CoordMap(8, -95.5), CoordMap(8, -95.0))


# ---- the crops of every FCN --------------------------------------------------------------------

def crops(model):
    return {name: layer.offset for name, layer in model.layers.items() if isinstance(layer, Crop)
            or type(layer).__name__ == "Fuse"}


@pytest.mark.parametrize("name,expected", [
    ("fcn8s-vgg16", {"fuse_pool4": -5, "fuse_pool3": -9, "crop_upscore8": (31, 31)}),
    ("fcn8s-atonce-vgg16", {"fuse_pool4": -5, "fuse_pool3": -9, "crop_upscore8": (31, 31)}),
    ("fcn16s-vgg16", {"fuse_pool4": -5, "crop_upscore16": (27, 27)}),
    ("fcn32s-vgg16", {"crop_upscore": (19, 19)}),
    ("fcn8s", {"fuse_pool4": 1, "fuse_pool3": 1, "crop_upscore8": (4, 4)}),
    ("fcn16s", {"fuse_pool4": 1, "crop_upscore16": (8, 8)}),
    ("fcn32s", {"crop_upscore": (16, 16)}),
])
def test_the_computed_crops(name, expected):
    assert crops(reduced(name)) == expected


def test_the_crops_do_not_depend_on_widths_or_convolutions_per_block():
    for kw in (dict(widths=(4, 4, 8, 8, 8)), dict(convs_per_block=(2, 2, 3, 3, 3)), dict(fc_channels=16)):
        assert crops(reduced("fcn8s-vgg16", **kw)) == {"fuse_pool4": -5, "fuse_pool3": -9,
                                                       "crop_upscore8": (31, 31)}
        assert crops(reduced("fcn8s", **kw)) == {"fuse_pool4": 1, "fuse_pool3": 1, "crop_upscore8": (4, 4)}


def test_at_once_scales_the_skips_and_the_staged_net_does_not():
    at_once, staged = reduced("fcn8s-atonce-vgg16"), reduced("fcn8s-vgg16")
    assert at_once.scale_pool4.factor == 0.01 and at_once.scale_pool3.factor == 0.0001
    assert staged.scale_pool4.factor == 1.0 and staged.scale_pool3.factor == 1.0
    assert at_once.config["at_once"] is True and staged.config["at_once"] is False


# where pixel j of each map sits in the image, derived by hand (see the module docstring of coord_map):
# reference: conv1_1 -> j - 99; each pool -> 2j + 0.5 of its input; the 7x7 unpadded fc6 -> j + 3.
# small: every map at stride S is centred at S*j + (S - 1)/2.
HAND_MAPS = {
    "vgg16": {"pool1": CoordMap(2, -98.5), "pool3": CoordMap(8, -95.5), "pool4": CoordMap(16, -91.5),
              "pool5": CoordMap(32, -83.5), "score_fr": CoordMap(32, 12.5)},
    "small": {"pool1": CoordMap(2, 0.5), "pool3": CoordMap(8, 3.5), "pool4": CoordMap(16, 7.5),
              "pool5": CoordMap(32, 15.5), "score_fr": CoordMap(32, 15.5)},
}


@pytest.mark.parametrize("geometry,name", [("vgg16", "fcn8s-vgg16"), ("small", "fcn8s")])
def test_the_maps_of_the_encoder(geometry, name):
    maps = reduced(name).maps
    assert maps["image"] == IMAGE and maps["conv1_1"] == CoordMap(1, -99 if geometry == "vgg16" else 0)
    for blob, expected in HAND_MAPS[geometry].items():
        assert maps[blob] == expected, blob


# ---- the crops line the pixels up ----------------------------------------------------------------

def ramps(shape, coord_map):
    """Two planes (1, 2, h, w) holding each pixel's image coordinate: its row's in plane 0, its column's in 1."""
    h, w = shape[-2:]
    rows = coord_map.scale * np.arange(h) + coord_map.offset
    cols = coord_map.scale * np.arange(w) + coord_map.offset
    return np.stack([np.repeat(rows[:, None], w, 1), np.repeat(cols[None, :], h, 0)])[None]


@pytest.mark.parametrize("name,paths", [("fcn8s-vgg16", 3), ("fcn16s-vgg16", 2), ("fcn32s-vgg16", 1),
                                        ("fcn8s", 3), ("fcn16s", 2), ("fcn32s", 1)])
@pytest.mark.parametrize("hw", [(200, 170), (233, 201)])
def test_every_fused_pixel_holds_one_image_coordinate(name, paths, hw):
    """Fill the coarse scores and each skip's input with the image coordinate of every pixel (a ramp, from
    the hand-derived maps above). Bilinear upsampling reproduces a ramp, and the score layers pass it on
    unchanged, so when every crop lines the pixel centres up each sum adds the same coordinate ``paths``
    times: the logits at image pixel (i, j) are ``paths * (i, j)``. A crop one pixel off adds its map's
    stride there."""
    model = reduced(name, num_classes=2, dtype=np.float64).eval()
    x = np.zeros((1, 3) + hw)
    score_fr, skips = model.encode(x)                         # only the sizes of the real maps
    geometry = HAND_MAPS["vgg16" if "vgg16" in name else "small"]
    for layer in ("score_pool4", "score_pool3"):
        if hasattr(model, layer):
            getattr(model, layer).params["weight"][...] = np.eye(2).reshape(2, 2, 1, 1)
            getattr(model, layer).params["bias"][...] = 0
    fed = (ramps(score_fr.shape, geometry["score_fr"]),
           {pool: ramps(skips[pool].shape, geometry[pool]) for pool in ("pool3", "pool4")})
    model.encode = lambda image: fed
    logits = model(x)
    assert logits.shape == (1, 2) + hw
    # where all the upsamplings interpolate: a coarse pixel's stride inside the coarse scores' first and last centres
    inner = []
    for axis in (0, 1):
        first = geometry["score_fr"].offset + 32
        last = geometry["score_fr"].offset + 32 * (score_fr.shape[2 + axis] - 1) - 32
        inner.append(np.arange(int(np.ceil(first)), int(np.floor(last)) + 1))
        assert len(inner[axis]) >= 64 and inner[axis][-1] < hw[axis]
    rows, cols = inner
    window = logits[0][:, rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    np.testing.assert_allclose(window[0], np.repeat(paths * rows[:, None], len(cols), 1), rtol=0, atol=1e-9)
    np.testing.assert_allclose(window[1], np.repeat(paths * cols[None, :], len(rows), 0), rtol=0, atol=1e-9)
