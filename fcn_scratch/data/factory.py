"""One name for a data set: the built-in toy shapes, a VOC-format folder or an SBD folder."""
from ..errors import InputError
from .sbd import SBDSegmentation, sbd_root
from .seg11valid import SEG11VALID, seg11valid_ids
from .toy import ToySegmentation
from .voc import VOCSegmentation

TOY_DEFAULT_CLASSES = 4
VOC_DEFAULT_CLASSES = 21


def make_dataset(data, split, size, image_size, num_classes=None, seed=0, sbd=None):
    """``data`` "toy": ``size`` generated images of ``image_size`` pixels with ``num_classes`` classes
    (default 4), drawn from ``seed``; otherwise the path of a folder read whole (``size``, ``image_size``
    and ``seed`` then do not apply) with ``num_classes`` (default 21): an SBD folder (``img/`` and
    ``cls/``, or ``benchmark_RELEASE`` holding them in ``dataset/``), a VOC-format folder otherwise.
    The split ``seg11valid`` of a VOC folder without such a list is computed: its ``val`` less the
    ``train`` of the SBD folder ``sbd``."""
    if data == "toy":
        return ToySegmentation(split, size, image_size, num_classes or TOY_DEFAULT_CLASSES, seed)
    classes = num_classes or VOC_DEFAULT_CLASSES
    root = sbd_root(data)
    if root is not None:
        return SBDSegmentation(root, split, classes)
    list_file = VOCSegmentation.list_file(data, split)
    if not list_file.parent.is_dir():
        raise FileNotFoundError(f"split list not found: {list_file} (expected {VOCSegmentation.LAYOUT}, or "
                                f"{SBDSegmentation.LAYOUT}, or its benchmark_RELEASE/)")
    if split == SEG11VALID and not list_file.is_file():
        return VOCSegmentation(data, split, classes, ids=seg11valid_ids(data, _sbd_folder(data, sbd)))
    return VOCSegmentation(data, split, classes)


def _sbd_folder(voc_root, sbd):
    """The SBD folder ``sbd`` that ``seg11valid`` of ``voc_root`` is computed with; one InputError line
    where none was given or it is not one."""
    if sbd is None:
        raise InputError(f"{voc_root} has no list {SEG11VALID}.txt: {SEG11VALID} is computed from VOC2011's val "
                         "and SBD's train list; give the SBD folder with --sbd FOLDER")
    root = sbd_root(sbd)
    if root is None:
        raise InputError(f"--sbd {sbd} is not an SBD folder (expected img/ and cls/, or benchmark_RELEASE/ "
                         "holding them in dataset/)")
    return root
