"""One name for a data set: the built-in toy shapes or a VOC-format folder."""
from .toy import ToySegmentation
from .voc import VOCSegmentation

TOY_DEFAULT_CLASSES = 4
VOC_DEFAULT_CLASSES = 21


def make_dataset(data, split, size, image_size, num_classes=None, seed=0):
    """``data`` "toy": ``size`` generated images of ``image_size`` pixels with ``num_classes`` classes
    (default 4), drawn from ``seed``; otherwise the path of a VOC-format folder, read whole
    (``size``, ``image_size`` and ``seed`` then do not apply), with ``num_classes`` (default 21)."""
    if data == "toy":
        return ToySegmentation(split, size, image_size, num_classes or TOY_DEFAULT_CLASSES, seed)
    return VOCSegmentation(data, split, num_classes or VOC_DEFAULT_CLASSES)
