"""The ``.npz`` file of named arrays, the one format both a checkpoint and an exported file of weights are:
written into the very file named, read with ``allow_pickle=False`` (so reading a file never runs code), and
every way NumPy, zipfile and the decompressors under it fail on a damaged one known by name."""
import lzma
import tokenize
import zipfile
import zlib

import numpy as np

# What np.load raises for a file that is no .npz, or one cut short: BadZipFile; EOFError (an empty file);
# ValueError (bytes it takes for a pickle, which allow_pickle=False refuses; a lone .npy it cannot read);
# tokenize's TokenError (an old-style .npy header NumPy's parser cannot read). An OSError there comes from
# the file system, not from the file's bytes, and stays one.
NOT_NPZ = (zipfile.BadZipFile, EOFError, ValueError, tokenize.TokenError)
# ...and what reading an array of one raises: its bytes altered (CRC, zlib, bz2's OSError, lzma), its offset
# outside the file (OSError), a member zipfile cannot read (RuntimeError: encrypted; NotImplementedError, one
# too: compressed by a method it lacks).
DAMAGED_ARRAY = NOT_NPZ + (zlib.error, lzma.LZMAError, OSError, RuntimeError)


def save_npz(path, arrays):
    """``np.savez`` of ``{name: array}`` into the file ``path`` itself (given a name, np.savez would add
    ".npz" to it)."""
    with open(path, "wb") as f:
        np.savez(f, **arrays)


def load_npz(path, unreadable):
    """``np.load`` of an .npz of named arrays (a context manager, as NumPy's); a file that is none is
    ``unreadable(path, reason)``, the InputError raised."""
    try:
        archive = np.load(path, allow_pickle=False)
    except NOT_NPZ as exc:
        raise unreadable(path, exc) from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise unreadable(path, "it holds a single array, not named ones")
    return archive


def npz_array(path, archive, key, unreadable):
    """The array ``key`` of an open .npz; a member cut short, damaged or not an array is
    ``unreadable(path, reason)``, the InputError raised."""
    try:
        value = archive[key]
    except DAMAGED_ARRAY as exc:
        raise unreadable(path, exc) from None
    if not isinstance(value, np.ndarray):           # NumPy hands over a member that is no .npy as its bytes
        raise unreadable(path, f"its member {key!r} is not a .npy array")
    return value
