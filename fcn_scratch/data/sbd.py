"""SBD, the Semantic Boundaries Dataset (Hariharan et al., 2011): the images the FCN paper trains on, and
the split it validates on, ``seg11valid``.

The layout (``benchmark_RELEASE/dataset``)::

    root/img/<id>.jpg       images
    root/cls/<id>.mat       MATLAB files: GTcls.Segmentation, the class indices (H, W), 0 = background
    root/train.txt          8,498 ids
    root/val.txt            2,857 ids

SBD's training list shares images with VOC2011's segmentation ``val``. The paper (and pytorch-fcn, after
fcn.berkeleyvision.org's ``data/pascal/seg11valid.txt``) validates on what is left of VOC2011 ``val``
without them: ``seg11valid``, 736 images, which :func:`seg11valid_ids` computes from the two folders.

A ``.mat`` file is read with scipy, needed for this format only (the optional extra ``sbd``).
"""
import zlib
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..files import write_atomically
from .voc import VOCSegmentation, check_labels, read_split_list

SEG11VALID = "seg11valid"
INSTALL_SCIPY = 'pip install "fcn-scratch[sbd]" (or pip install scipy)'


def sbd_root(path):
    """The SBD folder at ``path`` (it has ``img/`` and ``cls/``), or in its ``dataset/`` (``path`` is
    ``benchmark_RELEASE``); None where neither is one."""
    for root in (Path(path), Path(path) / "dataset"):
        if (root / "img").is_dir() and (root / "cls").is_dir():
            return root
    return None


def load_mat_labels(path, num_classes):
    """SBD's class labels of one image: ``GTcls.Segmentation`` of the ``.mat`` file ``path`` as (H, W)
    int64, every value a class or the ignore label. One InputError line for a file that is not a MATLAB
    file, lacks them, or holds something else; FileNotFoundError for a missing one."""
    path = Path(path)
    try:
        from scipy.io import loadmat
        from scipy.io.matlab import MatReadError
    except ImportError:
        raise InputError(f"reading SBD's labels ({path}) needs scipy: {INSTALL_SCIPY}") from None
    if not path.is_file():
        raise FileNotFoundError(f"labels not found: {path}")
    try:
        mat = loadmat(path, squeeze_me=True, struct_as_record=False)
    # what scipy raises for bytes that are no MATLAB file: its own error, or one from parsing them (a file
    # shorter than a header's fields: IndexError; a damaged compressed member: zlib's)
    except (MatReadError, ValueError, TypeError, IndexError, OSError, NotImplementedError, zlib.error) as exc:
        raise InputError(f"cannot read labels {path}: not a MATLAB file ({exc})") from None
    if "GTcls" not in mat:
        raise InputError(f"{path} has no GTcls; expected SBD's class labels (cls/<id>.mat)")
    labels = getattr(mat["GTcls"], "Segmentation", None)
    if not isinstance(labels, np.ndarray) or labels.ndim != 2 or labels.dtype.kind not in "iu":
        raise InputError(f"{path}: GTcls.Segmentation is not a map of class indices (H, W); expected SBD's class "
                         "labels (cls/<id>.mat)")
    return check_labels(labels.astype(np.int64), num_classes, path)


class SBDSegmentation(VOCSegmentation):
    """A split (``train`` or ``val``) of an SBD folder: ``ds[i] -> (image (3, H, W) float32, labels (H, W)
    int64)``, read as a VOC folder is, but for where the files are and the labels' format."""

    IMAGES = "img"
    LAYOUT = "an SBD folder with img/, cls/ and train.txt, val.txt"

    def list_file(self, split):
        return self.root / f"{split}.txt"

    def mask_path(self, index):
        return self.root / "cls" / f"{self.ids[index]}.mat"

    def read_labels(self, index):
        return load_mat_labels(self.mask_path(index), self.num_classes)


def seg11valid_ids(voc_root, sbd):
    """The ids of ``seg11valid``: the VOC folder's segmentation ``val`` list, in its order, less every id
    of the SBD folder ``sbd``'s ``train`` list."""
    voc_list = Path(voc_root) / "ImageSets" / "Segmentation" / "val.txt"
    sbd_list = Path(sbd) / "train.txt"
    for found in (voc_list, sbd_list):
        if not found.is_file():
            raise FileNotFoundError(f"split list not found: {found} (seg11valid is VOC2011's val less SBD's train)")
    in_sbd = set(read_split_list(sbd_list))
    return [i for i in read_split_list(voc_list) if i not in in_sbd]


def write_split_list(path, ids):
    """A split list: one id per line, written atomically."""
    write_atomically(path, lambda tmp: Path(tmp).write_text("".join(f"{i}\n" for i in ids)))
