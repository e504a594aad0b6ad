"""Writing a user's files: never over one that exists unless asked, and atomically.

A file is written to a temporary name beside its target, flushed to disk,
then renamed over it. A rename within one folder either happens completely
or not at all, so a crash (or a full disk) leaves the previous file, never
half of a new one, and no temporary file.
"""
import os
import tempfile
from pathlib import Path

import numpy as np

from .errors import InputError


def refuse_overwrite(path, overwrite):
    """A one-line InputError if ``path`` exists and replacing it was not asked for."""
    if Path(path).exists() and not overwrite:
        raise InputError(f"{path} already exists; replace it with --overwrite (overwrite=True)")


def write_atomically(path, write):
    """Call ``write(temporary path)`` for a file beside ``path``, flush it to disk, then rename it over
    ``path``; on any failure the temporary file is removed and ``path`` is as it was. Returns ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        os.chmod(tmp, 0o666 & ~_umask())           # mkstemp makes it private; what we write is an ordinary file
        write(tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def save_npz(path, arrays):
    """``np.savez`` of ``{name: array}`` into the file ``path`` itself (given a name, np.savez would add
    ".npz" to it)."""
    with open(path, "wb") as f:
        np.savez(f, **arrays)


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask
