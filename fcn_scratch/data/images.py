"""Reading a picture file as a person sees it: one reader for training, evaluation and prediction.

A viewer turns a photo upright by its EXIF orientation and shows every colour mode as colours on
the screen; :func:`read_image` does the same and returns

    pixels (3, H, W) float32 RGB in [0, 1],  H x W as shown (after the EXIF turn)

with notes that say what it did to a mode other than plain RGB, so that a caller can say it once
per mode (:class:`NoteOnce`). Pillow's own ``convert("RGB")`` clips 16- and 32-bit grey at 255
(most such images come out white) and drops transparency to whatever colour hides under it;
here grey of more than 8 bits is scaled by its depth or its range, and transparent pixels are
laid over white, as a page shows them.

Masks are not pictures: their pixel values are class indices, read by ``voc.load_mask`` exactly
as stored, never turned, resampled or converted.
"""
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ..errors import InputError

# The files predict takes from a folder, and the images a VOC folder may hold besides JPEGs.
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp")
EXIF_ORIENTATION = 0x0112           # the EXIF tag; 1 is upright, 2-8 are mirrorings and quarter turns
SIXTEEN_BIT = ("I;16", "I;16L", "I;16B", "I;16N")
WITH_ALPHA = ("RGBA", "RGBa", "LA", "La", "PA")
# What becomes of each mode Pillow converts without losing anything a viewer would show.
CONVERTED = {"1": "black and white", "L": "grey, the same value in all three channels",
             "P": "its palette's colours", "CMYK": "CMYK converted without a colour profile",
             "YCbCr": "YCbCr converted", "LAB": "CIELAB converted", "HSV": "HSV converted",
             "RGBX": "its fourth (padding) channel dropped"}
# Why a picture could not be read: Pillow's own errors, and the one it raises for an image so large
# that decoding it could exhaust memory.
UNREADABLE = (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError)


@dataclass(frozen=True)
class Picture:
    """What :func:`read_image` read: ``pixels`` (3, H, W) float32 RGB in [0, 1], the file's colour
    ``mode``, and ``notes``: ``(kind, text)`` pairs saying what was done to it (none for an upright
    RGB file), one kind per colour mode and treatment, and one for an EXIF turn."""
    pixels: np.ndarray
    mode: str
    notes: tuple = ()


def read_image(path):
    """The picture in ``path`` as a viewer shows it (see the module's docstring). A missing file is a
    FileNotFoundError; anything that cannot be read as a picture, a one-line InputError naming the
    file and, where it got that far, its colour mode."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"image not found: {path}")
    mode = None
    try:
        with Image.open(path) as im:
            mode = im.mode
            orientation = im.getexif().get(EXIF_ORIENTATION, 1)
            im = ImageOps.exif_transpose(im)
            rgb, how = _to_rgb(im)
    except UNREADABLE as exc:
        in_mode = f" (colour mode {mode})" if mode else ""
        raise InputError(f"cannot read image {path}{in_mode}: {exc}") from None
    notes = []
    if how:
        notes.append((f"{mode}: {how}",
                      f"{path} has colour mode {mode}; it (and any other {mode} image) is read as RGB: {how}"))
    if orientation != 1:
        notes.append(("EXIF", f"{path} is turned as its EXIF orientation ({orientation}) says, as viewers show "
                              "it; so is every image that has one"))
    return Picture(np.ascontiguousarray(rgb.transpose(2, 0, 1)), mode, tuple(notes))


def load_image(path):
    """The picture in ``path`` as (3, H, W) float32 RGB in [0, 1]: :func:`read_image` without its notes."""
    return read_image(path).pixels


def _to_rgb(im):
    """An opened image -> ``(pixels (H, W, 3) float32 in [0, 1], what was done or None)``."""
    if im.mode == "RGB":
        return np.asarray(im, np.float32) / 255.0, None
    if im.mode in SIXTEEN_BIT:
        grey = np.asarray(im, np.float32) / 65535.0
        return _grey(grey), "16-bit grey, scaled by its depth (0-65535 to 0-1), not clipped at 255"
    if im.mode == "I":
        values = np.asarray(im, np.float64)
        if values.min() >= 0 and values.max() <= 65535:
            return _grey(values / 65535.0), "32-bit grey holding 16-bit values, scaled by that depth (0-65535 to 0-1)"
        return _grey(_stretch(values)), "32-bit grey, scaled by its own range (lowest value to 0, highest to 1)"
    if im.mode == "F":
        values = np.asarray(im, np.float64)
        if not np.isfinite(values).all():
            raise InputError("floating-point grey that holds NaN or infinite values")
        if values.min() >= 0 and values.max() <= 1:
            return _grey(values), "floating-point grey, kept as its values in [0, 1]"
        return _grey(_stretch(values)), "floating-point grey, scaled by its own range (lowest value to 0, highest to 1)"
    if im.mode in WITH_ALPHA or "transparency" in im.info:
        rgba = np.asarray(im.convert("RGBA"), np.float32) / 255.0
        alpha = rgba[..., 3:]
        return rgba[..., :3] * alpha + (1.0 - alpha), "transparent pixels laid over white, as a page shows them"
    if im.mode in CONVERTED:
        return np.asarray(im.convert("RGB"), np.float32) / 255.0, CONVERTED[im.mode]
    raise InputError("this reader knows no way from it to RGB")


def _grey(values):
    """(H, W) grey in [0, 1] -> (H, W, 3) float32."""
    return np.repeat(values.astype(np.float32)[..., None], 3, axis=2)


def _stretch(values):
    """Values -> [0, 1], lowest to 0 and highest to 1 (all 0 for a flat image)."""
    low, span = values.min(), values.max() - values.min()
    return (values - low) / span if span > 0 else np.zeros_like(values)


class NoteOnce:
    """Print each kind of :attr:`Picture.notes` the first time a picture brings it."""

    def __init__(self, print_fn=print):
        self.print, self.said = print_fn, set()

    def __call__(self, picture):
        for kind, text in picture.notes:
            if kind not in self.said:
                self.said.add(kind)
                self.print(f"note: {text}")
