"""``seg11valid``: the FCN paper's validation split, VOC2011's segmentation ``val`` less SBD's ``train``.

The paper trains on SBD, whose training list shares images with VOC2011 ``val``; it validates on what
is left of ``val`` (736 images with the real folders), as pytorch-fcn does after fcn.berkeleyvision.org's
``data/pascal/seg11valid.txt``. Here the list is computed from the two folders rather than shipped.
"""
from ..errors import InputError
from .sbd import SBDSegmentation
from .splits import read_split_list
from .voc import VOCSegmentation

SEG11VALID = "seg11valid"


def seg11valid_ids(voc_root, sbd_root):
    """The ids of ``seg11valid``: the VOC folder's segmentation ``val`` list, in its order, less every id of
    the SBD folder's ``train`` list (``sbd_root`` holds ``img/``, ``cls/`` and ``train.txt``)."""
    voc_list = VOCSegmentation.list_file(voc_root, "val")
    sbd_list = SBDSegmentation.list_file(sbd_root, "train")
    for found in (voc_list, sbd_list):
        if not found.is_file():
            raise FileNotFoundError(f"split list not found: {found} ({SEG11VALID} is VOC2011's val less SBD's "
                                    "train)")
    in_sbd = set(read_split_list(sbd_list))
    ids = [name for name in read_split_list(voc_list) if name not in in_sbd]
    if not ids:
        raise InputError(f"{SEG11VALID} is empty: every id of {voc_list} is in {sbd_list}")
    return ids
