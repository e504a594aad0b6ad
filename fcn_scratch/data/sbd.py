"""SBD, the Semantic Boundaries Dataset (Hariharan et al., 2011): the images the FCN paper trains on.

The layout (``benchmark_RELEASE/dataset``)::

    root/img/<id>.jpg       images
    root/cls/<id>.mat       MATLAB files: GTcls.Segmentation, the class indices (H, W), 0 = background
    root/train.txt          8,498 ids
    root/val.txt            2,857 ids

Its classes are VOC's, and its labels have no border of 255. A ``.mat`` file is read with scipy, needed
for this format only (the optional extra ``sbd``).
"""
import zlib
from pathlib import Path

import numpy as np

from ..errors import InputError
from .voc import VOC_CLASSES, VOCSegmentation, check_labels

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
    loadmat, MatReadError = _scipy_loadmat(path)
    if not path.is_file():
        raise FileNotFoundError(f"labels not found: {path}")
    try:
        mat = loadmat(path, mat_dtype=False, squeeze_me=True, struct_as_record=False)
    # what scipy raises for bytes that are no MATLAB file it reads: its own error, or one from parsing them
    # (a file shorter than a header's fields: IndexError; a damaged compressed member: zlib's; v7.3, which
    # is HDF5: NotImplementedError)
    except (MatReadError, ValueError, TypeError, IndexError, OSError, NotImplementedError, zlib.error) as exc:
        raise InputError(f"cannot read labels {path} as a MATLAB v5 file (SBD's format): {exc}") from None
    if "GTcls" not in mat:
        raise InputError(f"{path} has no GTcls; expected SBD's class labels (cls/<id>.mat)")
    labels = getattr(mat["GTcls"], "Segmentation", None)
    if labels is None:
        raise InputError(f"{path} has no GTcls.Segmentation; expected SBD's class labels (cls/<id>.mat)")
    labels = np.asarray(labels)
    if labels.ndim != 2 or labels.dtype.kind not in "iu":
        raise InputError(f"{path}: GTcls.Segmentation is {labels.dtype} of shape {labels.shape}; expected class "
                         "indices (H, W), as in SBD's cls/<id>.mat")
    return check_labels(labels.astype(np.int64), num_classes, path)


def _scipy_loadmat(path):
    """``(scipy.io.loadmat, its MatReadError)``, or one InputError line saying how to install scipy."""
    try:
        from scipy.io import loadmat
        from scipy.io.matlab import MatReadError
    except ImportError:
        raise InputError(f"reading SBD's labels ({path}) needs scipy: {INSTALL_SCIPY}") from None
    return loadmat, MatReadError


class SBDSegmentation(VOCSegmentation):
    """A split (``train`` or ``val``) of an SBD folder: ``ds[i] -> (image (3, H, W) float32, labels (H, W)
    int64)``, read as a VOC folder is, but for where the files are and the labels' format."""

    IMAGES = "img"
    LAYOUT = "an SBD folder with img/, cls/ and train.txt, val.txt"

    def __init__(self, root, split="train", num_classes=len(VOC_CLASSES), class_names=None, ids=None):
        super().__init__(root, split, num_classes, class_names, ids)
        # without scipy no label can be read: say so once here, not once per file in the check
        _scipy_loadmat(self.root / "cls")

    @staticmethod
    def list_file(root, split):
        return Path(root) / f"{split}.txt"

    def mask_path(self, index):
        return self.root / "cls" / f"{self.ids[index]}.mat"

    def read_labels(self, index):
        return load_mat_labels(self.mask_path(index), self.num_classes)
