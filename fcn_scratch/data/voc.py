"""PASCAL VOC-format segmentation folders, read from local disk.

The layout::

    root/JPEGImages/<id>.jpg                 RGB images
    root/SegmentationClass/<id>.png          palette PNGs: pixel value = class index, 255 = border
    root/ImageSets/Segmentation/<split>.txt  one <id> per line

Labels are read as class indices (the PNG's palette indices, not its colours),
with 255 kept as the ignore label, as the FCN reference does.
"""
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from ..labels import IGNORE_INDEX

VOC_CLASSES = ("background", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair",
               "cow", "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa",
               "train", "tvmonitor")


def voc_palette(num_colours=256):
    """The VOC colour map: (256, 3) uint8, colour of class ``i`` from the bits of ``i``.

    Class 0 is black, 1 dark red, 2 dark green, ...; 255 (the border) is light beige.
    """
    palette = np.zeros((num_colours, 3), np.uint8)
    for i in range(num_colours):
        c, r, g, b = i, 0, 0, 0
        for j in range(8):
            r |= ((c >> 0) & 1) << (7 - j)
            g |= ((c >> 1) & 1) << (7 - j)
            b |= ((c >> 2) & 1) << (7 - j)
            c >>= 3
        palette[i] = (r, g, b)
    return palette


def save_mask(labels, path):
    """Write class indices (H, W) as a VOC palette PNG."""
    image = Image.fromarray(np.asarray(labels, np.uint8), mode="P")
    image.putpalette(voc_palette().reshape(-1).tolist())
    image.save(path)


def load_image(path):
    """An image file as (3, H, W) float32 in [0, 1]; a clear error if missing or unreadable."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"image not found: {path}")
    try:
        with Image.open(path) as im:
            rgb = np.asarray(im.convert("RGB"), np.float32) / 255.0
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise ValueError(f"cannot read image {path}: {exc}") from None
    return rgb.transpose(2, 0, 1).copy()


def load_mask(path, num_classes, ignore_index=IGNORE_INDEX):
    """A palette PNG as class indices (H, W) int64; every value must be a class or ``ignore_index``."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"mask not found: {path}")
    try:
        with Image.open(path) as im:
            if im.mode not in ("P", "L"):
                raise ValueError(f"mask {path} has mode {im.mode}; expected a palette ('P') or grey ('L') PNG "
                                 "whose pixel values are class indices")
            labels = np.asarray(im, np.int64)
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise ValueError(f"cannot read mask {path}: {exc}") from None
    bad = np.unique(labels[(labels >= num_classes) & (labels != ignore_index)])
    if bad.size:
        raise ValueError(f"mask {path} has labels {bad[:10].tolist()} outside the {num_classes} classes "
                         f"(and not the ignore value {ignore_index})")
    return labels


class VOCSegmentation:
    """A split of a VOC-format folder: ``ds[i] -> (image (3, H, W) float32, labels (H, W) int64)``.

    Sizes vary from image to image; a transform (random crop or pad) or the
    batch iterator's padding makes batches of one size.
    """

    mean = (0.485, 0.456, 0.406)
    std = (0.229, 0.224, 0.225)

    def __init__(self, root, split="train", num_classes=len(VOC_CLASSES), class_names=None):
        self.root = Path(root)
        list_file = self.root / "ImageSets" / "Segmentation" / f"{split}.txt"
        if not list_file.is_file():
            raise FileNotFoundError(f"split list not found: {list_file} (expected a VOC-format folder with "
                                    "JPEGImages/, SegmentationClass/ and ImageSets/Segmentation/)")
        self.ids = [line.strip() for line in list_file.read_text().splitlines() if line.strip()]
        if not self.ids:
            raise ValueError(f"split list {list_file} is empty")
        self.split, self.num_classes = split, num_classes
        self.class_names = list(class_names or (VOC_CLASSES if num_classes == len(VOC_CLASSES)
                                                else [f"class{i}" for i in range(num_classes)]))

    def __len__(self):
        return len(self.ids)

    def __getitem__(self, index):
        name = self.ids[index]
        image = load_image(self.root / "JPEGImages" / f"{name}.jpg")
        mask_path = self.root / "SegmentationClass" / f"{name}.png"
        labels = load_mask(mask_path, self.num_classes)
        if labels.shape != image.shape[1:]:
            raise ValueError(f"mask {mask_path} is {labels.shape[1]}x{labels.shape[0]} but its image is "
                             f"{image.shape[2]}x{image.shape[1]} (width x height)")
        return image, labels
