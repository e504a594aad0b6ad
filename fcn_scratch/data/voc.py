"""PASCAL VOC-format segmentation folders, read from local disk.

The layout::

    root/JPEGImages/<id>.jpg                 images (another picture suffix, .png or .JPG, also does)
    root/SegmentationClass/<id>.png          palette PNGs: pixel value = class index, 255 = border
    root/ImageSets/Segmentation/<split>.txt  one <id> per line

Labels are read as class indices (the PNG's palette indices, not its colours),
with 255 kept as the ignore label, as the FCN reference does. Images go through
the one picture reader (:mod:`.images`: EXIF orientation, every colour mode).

Folders written by other tools differ in small ways, which are taken as meant: a
list saved with a byte-order mark or Windows line ends, ids written with their
image suffix (``a.jpg``), images saved as PNG or with upper-case suffixes.
"""
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from ..errors import InputError
from ..labels import IGNORE_INDEX
from .images import IMAGE_SUFFIXES, load_image
from .splits import read_split_list

# The modes whose pixel values a mask can hold as class indices, read exactly as stored.
MASK_MODES = ("P", "L", "1", "I;16", "I;16L", "I;16B", "I;16N", "I")

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


def load_mask(path, num_classes, ignore_index=IGNORE_INDEX):
    """A palette PNG as class indices (H, W) int64, its pixel values exactly as stored (a mask is never
    turned by EXIF, resampled or converted); every value must be a class or ``ignore_index``."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"mask not found: {path}")
    try:
        with Image.open(path) as im:
            if im.mode not in MASK_MODES:
                raise InputError(f"mask {path} has mode {im.mode}; expected a palette ('P') or grey ('L') PNG "
                                 "whose pixel values are class indices")
            labels = np.asarray(im).astype(np.int64)      # as stored: no EXIF turn, no resampling, no palette
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise InputError(f"cannot read mask {path}: {exc}") from None
    return check_labels(labels, num_classes, path, ignore_index)


def check_labels(labels, num_classes, path, ignore_index=IGNORE_INDEX):
    """``labels`` (H, W), read from ``path``, unless a value is neither a class nor ``ignore_index``: then
    one InputError line naming the file and the values."""
    bad = np.unique(labels[((labels < 0) | (labels >= num_classes)) & (labels != ignore_index)])
    if bad.size:
        raise InputError(f"mask {path} has labels {bad[:10].tolist()} outside the {num_classes} classes "
                         f"(and not the ignore value {ignore_index})")
    return labels


def check_sizes(image, labels, mask_path):
    """An InputError naming the mask unless ``labels`` (H, W) has the size of ``image`` (3, H, W)."""
    if labels.shape != image.shape[1:]:
        raise InputError(f"mask {mask_path} is {labels.shape[1]}x{labels.shape[0]} but its image is "
                         f"{image.shape[2]}x{image.shape[1]} (width x height)")


class VOCSegmentation:
    """A split of a VOC-format folder: ``ds[i] -> (image (3, H, W) float32, labels (H, W) int64)``.

    Sizes vary from image to image; a transform (random crop or pad) or the
    batch iterator's padding makes batches of one size. :meth:`image_path` and
    :meth:`mask_path` name the files of sample ``i``, :meth:`read_labels` reads
    its labels (``data.check`` opens them all before training). ``ids``: the
    split's ids where they are computed rather than listed (``seg11valid``);
    ``computed`` says so. An SBD folder is read by a subclass that changes only
    where the files are and how labels are read (:class:`.sbd.SBDSegmentation`).
    """

    mean = (0.485, 0.456, 0.406)
    std = (0.229, 0.224, 0.225)
    IMAGES = "JPEGImages"           # the folder of the images; LAYOUT: the folder as a missing list names it
    LAYOUT = "a VOC-format folder with JPEGImages/, SegmentationClass/ and ImageSets/Segmentation/"

    def __init__(self, root, split="train", num_classes=len(VOC_CLASSES), class_names=None, ids=None):
        self.root = Path(root)
        self.computed = ids is not None
        if ids is None:
            list_file = self.list_file(self.root, split)
            if not list_file.is_file():
                raise FileNotFoundError(f"split list not found: {list_file} (expected {self.LAYOUT})")
            ids = read_split_list(list_file)
            if not ids:
                raise InputError(f"split list {list_file} is empty")
        self.ids = list(ids)
        self.split, self.num_classes = split, num_classes
        self.class_names = list(class_names or (VOC_CLASSES if num_classes == len(VOC_CLASSES)
                                                else [f"class{i}" for i in range(num_classes)]))
        self._images = _pictures_by_stem(self.root / self.IMAGES)

    @staticmethod
    def list_file(root, split):
        """The split list of ``split`` in the folder ``root``."""
        return Path(root) / "ImageSets" / "Segmentation" / f"{split}.txt"

    def __len__(self):
        return len(self.ids)

    def image_path(self, index):
        """``<images>/<id>.jpg``, or the id's picture of another suffix where there is no such JPEG."""
        name = self.ids[index]
        return self._images.get(name, self.root / self.IMAGES / f"{name}.jpg")

    def mask_path(self, index):
        return self.root / "SegmentationClass" / f"{self.ids[index]}.png"

    def read_labels(self, index):
        """Sample ``index``'s labels (H, W) int64, checked to be classes or the ignore label."""
        return load_mask(self.mask_path(index), self.num_classes)

    def __getitem__(self, index):
        image = load_image(self.image_path(index))
        labels = self.read_labels(index)
        check_sizes(image, labels, self.mask_path(index))
        return image, labels


def _pictures_by_stem(folder):
    """``{stem: path}`` of the pictures in ``folder``, a ``.jpg`` first where a stem has several (one
    listing of the folder, not a look-up per id)."""
    if not folder.is_dir():
        return {}
    found = {}
    for path in sorted(folder.iterdir(), key=lambda p: (p.suffix != ".jpg", p.name)):
        if path.suffix.lower() in IMAGE_SUFFIXES:
            found.setdefault(path.stem, path)
    return found
