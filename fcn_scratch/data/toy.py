"""A built-in toy segmentation data set, drawn procedurally: no downloads.

Each sample is made from ``(seed, split, index)`` alone, so it is the same on
every machine and every run, and costs nothing to store. An image holds one
to three shapes (circle, square, triangle, ring, cross) with random sizes,
positions, rotations and colours, over a textured, noisy background. Shapes
overlap (the later one wins), run off the image borders, and have slanted or
curved boundaries, so a net that upsamples coarsely (FCN-32s) visibly loses
what one with skips (FCN-8s) keeps.
"""
import math

import numpy as np

from ..errors import InputError

SHAPES = ("circle", "square", "triangle", "ring", "cross")
CLASS_NAMES = ("background",) + SHAPES
SPLITS = {"train": 0, "val": 1, "test": 2}


def _shape_mask(kind, yy, xx, cy, cx, r, angle):
    """Boolean mask of one shape with centre (cy, cx), size r and rotation angle."""
    dy, dx = yy - cy, xx - cx
    u = dx * math.cos(angle) + dy * math.sin(angle)
    v = -dx * math.sin(angle) + dy * math.cos(angle)
    d2 = dx * dx + dy * dy
    if kind == "circle":
        return d2 <= r * r
    if kind == "square":
        return np.maximum(np.abs(u), np.abs(v)) <= 0.8 * r
    if kind == "triangle":
        inside = np.ones(yy.shape, bool)
        for k in range(3):
            a = angle + 2 * math.pi * k / 3
            inside &= dx * math.cos(a) + dy * math.sin(a) <= 0.5 * r
        return inside
    if kind == "ring":
        return (d2 <= r * r) & (d2 >= (0.55 * r) ** 2)
    if kind == "cross":
        arm = 0.32 * r
        return ((np.abs(u) <= r) & (np.abs(v) <= arm)) | ((np.abs(v) <= r) & (np.abs(u) <= arm))
    raise InputError(f"unknown shape {kind!r}")


def _background(rng, size):
    """A smooth colour gradient, faint stripes at a random angle, and pixel noise."""
    yy, xx = np.mgrid[0:size, 0:size] / size
    base = rng.uniform(0.1, 0.9, 3)
    slope = rng.uniform(-0.3, 0.3, (2, 3))
    image = base + yy[..., None] * slope[0] + xx[..., None] * slope[1]
    freq, phase, theta = rng.uniform(3, 10), rng.uniform(0, 2 * math.pi), rng.uniform(0, math.pi)
    stripes = np.sin(2 * math.pi * freq * (xx * math.cos(theta) + yy * math.sin(theta)) + phase)
    image += rng.uniform(0.0, 0.08) * stripes[..., None]
    return image, base


def make_sample(index, seed=0, split="train", image_size=64, num_classes=6):
    """One sample: image (3, S, S) float32 in [0, 1], labels (S, S) int64 in [0, num_classes).

    Class 0 is background; classes 1.. are the first ``num_classes - 1`` of
    :data:`SHAPES`. Deterministic in ``(seed, split, index)``.
    """
    if not 2 <= num_classes <= len(CLASS_NAMES):
        raise InputError(f"num_classes must be in [2, {len(CLASS_NAMES)}], got {num_classes}")
    if split not in SPLITS:
        raise InputError(f"split must be one of {sorted(SPLITS)}, got {split!r}")
    rng = np.random.default_rng([seed, SPLITS[split], index])
    s = image_size
    image, bg = _background(rng, s)
    labels = np.zeros((s, s), np.int64)
    yy, xx = np.mgrid[0:s, 0:s].astype(np.float64)
    for _ in range(rng.integers(1, 4)):
        cls = int(rng.integers(1, num_classes))
        r = rng.uniform(0.18, 0.38) * s
        # Centres stay inside the image (shapes of radius >= 0.18 s still cross its borders): a shape
        # centred outside would show a sliver whose class nobody could tell.
        cy, cx = rng.uniform(0.1, 0.9, 2) * s
        mask = _shape_mask(SHAPES[cls - 1], yy, xx, cy, cx, r, rng.uniform(0, 2 * math.pi))
        colour = rng.uniform(0, 1, 3)
        while np.abs(colour - bg).max() < 0.45:
            colour = rng.uniform(0, 1, 3)
        shade = 1 + rng.uniform(-0.15, 0.15) * (yy - cy) / s
        image[mask] = colour * shade[mask][:, None]
        labels[mask] = cls
    image += rng.normal(0, 0.04, image.shape)
    return np.clip(image, 0, 1).transpose(2, 0, 1).astype(np.float32), labels


class ToySegmentation:
    """``len(ds)`` samples of a split; ``ds[i] -> (image (3, S, S) float32, labels (S, S) int64)``.

    Splits draw from disjoint streams (the split is part of the seed), so train,
    val and test never share a sample. Samples are drawn on demand and cached.
    """

    mean = (0.5, 0.5, 0.5)
    std = (0.25, 0.25, 0.25)

    def __init__(self, split="train", size=1000, image_size=64, num_classes=6, seed=0):
        make_sample(0, seed, split, 8, num_classes)
        self.split, self.size, self.image_size = split, size, image_size
        self.num_classes, self.seed = num_classes, seed
        self.class_names = list(CLASS_NAMES[:num_classes])
        self._cache = {}

    def __len__(self):
        return self.size

    def __getitem__(self, index):
        if not 0 <= index < self.size:
            raise IndexError(f"index {index} out of range for {self.size} samples")
        if index not in self._cache:
            self._cache[index] = make_sample(index, self.seed, self.split, self.image_size, self.num_classes)
        return self._cache[index]
