"""Writing a user's files: never over one that exists unless asked, and atomically.

A file is written to a temporary name beside its target, flushed to disk,
then renamed over it. A rename within one folder either happens completely
or not at all, so a crash (or a full disk) leaves the previous file, never
half of a new one, and no temporary file.
"""
import errno
import os
import secrets
from pathlib import Path

from .errors import InputError


def refuse_overwrite(path, overwrite):
    """A one-line InputError if ``path`` exists and replacing it was not asked for."""
    if Path(path).exists() and not overwrite:
        raise InputError(f"{path} already exists; replace it with --overwrite (overwrite=True)")


def temporary_files(folder, name="*"):
    """The temporary files :func:`write_atomically` leaves beside ``name`` in ``folder`` when its process is
    killed mid-write (any name: all of them)."""
    return Path(folder).glob(f".{name}.*.tmp")


def check_writable(path):
    """Raise the OSError that writing ``path`` would meet (a read-only folder, a folder that is a file),
    naming ``path``, before any work that would be lost to it: :func:`write_atomically`'s temporary file
    is made beside it and removed."""
    _remove(_temporary(Path(path))[0])


def write_atomically(path, write):
    """Call ``write(temporary path)`` for a file beside ``path``, flush it to disk, then rename it over
    ``path``; on any failure the temporary file is removed and ``path`` is as it was. Returns ``path``.
    The file gets the mode of any new file of the process (0644 under the usual umask), whatever mode
    ``write`` gives it."""
    path = Path(path)
    tmp, mode = _temporary(path)
    try:
        write(tmp)
        os.chmod(tmp, mode)               # a writer that makes the file anew may make it private (safetensors)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        _remove(tmp)
        raise
    return path


def _remove(tmp):
    if os.path.exists(tmp):
        os.unlink(tmp)


def _temporary(path):
    """``(name, mode)``: a new empty file beside ``path``, made as any new file of the process is (so its
    mode is what the umask gives, without changing the umask to read it). An OSError names ``path``."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            tmp = path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp"
            try:
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
                break
            except FileExistsError:
                continue
    except OSError as exc:
        code = exc.errno or errno.EIO
        raise type(exc)(code, f"cannot write there ({os.strerror(code)})", str(path)) from None
    mode = os.fstat(fd).st_mode & 0o777
    os.close(fd)
    return tmp, mode
