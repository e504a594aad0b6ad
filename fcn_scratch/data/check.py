"""Checking a data set's files before training: every fault at once, not one per epoch.

A bad mask in the validation split would otherwise surface after a whole training epoch, and
each fix would cost another start to find the next fault. :func:`check_files` opens every listed
file of every split first, the way training will read it: the image exists and decodes, its mask
exists and decodes, the two have one size, the mask's values are classes or the ignore label, and
some pixel of each split is labelled.
"""
from PIL import Image

from ..errors import InputError
from ..labels import IGNORE_INDEX
from .images import NoteOnce, read_image
from .voc import check_sizes

MAX_LISTED = 20          # faults written out one per line; the rest are counted


def check_files(splits, print_fn=print, max_listed=MAX_LISTED):
    """Open every file of ``splits`` ({split name: data set}); the data sets read from files are those
    that name them (``image_path(i)``, ``mask_path(i)``, ``read_labels(i)``: a VOC or an SBD folder), the
    others are generated and skipped. The picture reader's notes (colour modes, EXIF turns) are printed once per kind.

    Raises InputError naming every faulty file: one line for one fault; for several, a line that
    counts them and one line per fault (the first ``max_listed``).
    """
    faults, note = [], NoteOnce(print_fn)
    for split, dataset in splits.items():
        if not hasattr(dataset, "image_path"):
            continue
        found, labelled = [], 0
        for index in range(len(dataset)):
            sample_faults, sample_labelled = _check_sample(dataset, index, note)
            found += sample_faults
            labelled += sample_labelled
        if not found and not labelled:
            found.append(f"no pixel is labelled: every mask value is {IGNORE_INDEX} (ignore), so there is "
                         "nothing to learn or measure")
        faults += [f"{split} split: {fault}" for fault in found]
    if len(faults) == 1:
        raise InputError(faults[0])
    if faults:
        listed = faults[:max_listed] + ([f"and {len(faults) - max_listed} more"] if len(faults) > max_listed else [])
        raise InputError(f"the data has {len(faults)} faults:\n  "
                         + "\n  ".join(listed))


def _check_sample(dataset, index, note):
    """``([fault, ...], labelled pixels)`` of sample ``index``: its image and its mask are each opened
    whatever the other's fault, so that both are reported."""
    faults, image, labels = [], None, None
    try:
        picture = read_image(dataset.image_path(index))
        note(picture)
        image = picture.pixels
    except (OSError, InputError) as exc:
        faults.append(str(exc))
    try:
        labels = dataset.read_labels(index)
    except (OSError, InputError) as exc:
        faults.append(str(exc))
    if image is not None and labels is not None:
        try:
            check_sizes(image, labels, dataset.mask_path(index))
        except InputError as exc:
            faults.append(str(exc))
    return faults, 0 if labels is None else int((labels != IGNORE_INDEX).sum())


def check_image_sizes(dataset, limit, why):
    """One InputError line for the first image of ``dataset`` (a folder's) of more than ``limit`` pixels:
    "<file> is WxH: " and ``why`` (formatted with ``limit``). Read from the files' headers, quickly."""
    for index in range(len(dataset)):
        path = dataset.image_path(index)
        with Image.open(path) as im:
            width, height = im.size
        if width * height > limit:
            raise InputError(f"{path} is {width}x{height}: {why.format(limit=limit)}")
