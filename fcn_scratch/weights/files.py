"""Writing what the weights commands make: never over an existing file unless asked, and atomically."""
import os
import secrets


def refuse_overwrite(path, overwrite):
    """A one-line ValueError if ``path`` exists and replacing it was not asked for."""
    if path.exists() and not overwrite:
        raise ValueError(f"{path} already exists; replace it with --overwrite (overwrite=True)")


def write_atomically(path, write):
    """Call ``write(temporary path)`` beside ``path``, flush it to disk, then rename it over ``path``:
    a rename within one folder happens completely or not at all, so a crash leaves the old file or
    the new one, never half of one, and no temporary file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        write(temporary)
        with open(temporary, "rb") as f:
            os.fsync(f.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
