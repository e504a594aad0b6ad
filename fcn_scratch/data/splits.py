"""Split lists: the text files that name a split's images, one id per line.

A VOC folder keeps them in ``ImageSets/Segmentation/<split>.txt``, an SBD folder in ``<split>.txt``.
They are read as other tools write them (a byte-order mark, Windows line ends, ids with their image
suffix) and written plainly, so that a run can record a split it computed (``seg11valid``).
"""
from pathlib import Path

from ..errors import InputError
from ..files import write_atomically
from .images import IMAGE_SUFFIXES


def read_split_list(list_file):
    """The ids of a split list: one per line, blank lines skipped, a byte-order mark and Windows line
    ends allowed, an image suffix after an id dropped (``a.jpg`` is ``a``)."""
    try:
        text = list_file.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"split list {list_file} is not UTF-8 text (byte {exc.start}); expected one id per "
                         "line") from None
    ids = []
    for line in text.splitlines():
        name = line.strip()
        if Path(name).suffix.lower() in IMAGE_SUFFIXES:
            name = name[:-len(Path(name).suffix)]
        if name:
            ids.append(name)
    return ids


def write_split_list(path, ids):
    """Write ``ids`` as a split list at ``path``: one id per line, atomically."""
    write_atomically(path, lambda tmp: Path(tmp).write_text("".join(f"{i}\n" for i in ids)))
