"""One name for a data set: the built-in toy shapes, a VOC-format folder or an SBD folder."""
from pathlib import Path

from ..errors import InputError
from .sbd import SEG11VALID, SBDSegmentation, sbd_root, seg11valid_ids
from .toy import ToySegmentation
from .voc import VOCSegmentation

TOY_DEFAULT_CLASSES = 4
VOC_DEFAULT_CLASSES = 21


def make_dataset(data, split, size, image_size, num_classes=None, seed=0, sbd=None):
    """``data`` "toy": ``size`` generated images of ``image_size`` pixels with ``num_classes`` classes
    (default 4), drawn from ``seed``; otherwise the path of an SBD folder (recognized by its layout) or a
    VOC-format folder, read whole (``size``, ``image_size`` and ``seed`` then do not apply), with
    ``num_classes`` (default 21). The split ``seg11valid`` of a VOC folder without its own list is VOC's
    ``val`` less the SBD folder ``sbd``'s ``train``."""
    if data == "toy":
        return ToySegmentation(split, size, image_size, num_classes or TOY_DEFAULT_CLASSES, seed)
    classes = num_classes or VOC_DEFAULT_CLASSES
    root = sbd_root(data)
    if root is not None:
        return SBDSegmentation(root, split, classes)
    if split == SEG11VALID and not (Path(data) / "ImageSets" / "Segmentation" / f"{SEG11VALID}.txt").is_file():
        if sbd is None:
            raise InputError(f"{data} has no {SEG11VALID} list: seg11valid is VOC2011's val less SBD's train; "
                             "give the SBD folder with --sbd")
        sbd_folder = sbd_root(sbd)
        if sbd_folder is None:
            raise InputError(f"--sbd {sbd} is not an SBD folder (expected img/, cls/ and train.txt, or "
                             "benchmark_RELEASE/ holding them in dataset/)")
        return VOCSegmentation(data, SEG11VALID, classes, ids=seg11valid_ids(data, sbd_folder))
    return VOCSegmentation(data, split, classes)
