"""Training transforms, applied to an image and its labels together.

Each transform is called as ``t(image, labels, rng) -> (image, labels)`` with
image (3, H, W) float32, labels (H, W) int64 and a NumPy generator, so the
batch iterator's seed fixes every random choice.
"""
import numpy as np

from ..labels import IGNORE_INDEX


class Compose:
    """Apply transforms in order."""

    def __init__(self, *transforms):
        self.transforms = transforms

    def __call__(self, image, labels, rng):
        for t in self.transforms:
            image, labels = t(image, labels, rng)
        return image, labels


class RandomCropOrPad:
    """Cut a random ``size`` window; pad first where the image is smaller
    (image with 0, labels with the ignore index, so padding never counts)."""

    def __init__(self, size, ignore_index=IGNORE_INDEX):
        self.size = (size, size) if isinstance(size, int) else tuple(size)
        self.ignore_index = ignore_index

    def __call__(self, image, labels, rng):
        image, labels = pad_to(image, labels, self.size, self.ignore_index)
        (h, w), (th, tw) = labels.shape, self.size
        top, left = int(rng.integers(0, h - th + 1)), int(rng.integers(0, w - tw + 1))
        return image[:, top:top + th, left:left + tw], labels[top:top + th, left:left + tw]


class RandomHorizontalFlip:
    """Mirror left-right with probability ``p``."""

    def __init__(self, p=0.5):
        self.p = p

    def __call__(self, image, labels, rng):
        if rng.random() < self.p:
            return image[:, :, ::-1], labels[:, ::-1]
        return image, labels


def pad_to(image, labels, size, ignore_index=IGNORE_INDEX):
    """Pad at the bottom and right up to at least ``size`` (H, W)."""
    h, w = labels.shape
    ph, pw = max(0, size[0] - h), max(0, size[1] - w)
    if ph or pw:
        image = np.pad(image, ((0, 0), (0, ph), (0, pw)))
        labels = np.pad(labels, ((0, ph), (0, pw)), constant_values=ignore_index)
    return image, labels


def resize_image(image, size):
    """image (3, H, W) float -> (3, h, w) with ``size = (h, w)``, bilinear per channel."""
    from PIL import Image
    h, w = size
    return np.stack([np.asarray(Image.fromarray(np.ascontiguousarray(c, np.float32)).resize(
        (w, h), Image.BILINEAR)) for c in image])


def resize_labels(labels, size):
    """labels (H, W) int -> (h, w) with ``size = (h, w)``, nearest neighbour (a label is never blended)."""
    from PIL import Image
    h, w = size
    return np.asarray(Image.fromarray(labels.astype(np.int32)).resize((w, h), Image.NEAREST)).astype(
        labels.dtype)
