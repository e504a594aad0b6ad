"""Checkpoints: one ``.npz`` file with the weights and everything needed to rebuild the model.

Layout of the archive (read with ``allow_pickle=False``, so loading a file
never runs code):

- ``header``: a JSON string: which FCN, its constructor arguments (class names
  included), and free-form ``meta`` (epoch, metrics, ...);
- ``param/<layer>.<name>``: every parameter, on the host;
- ``extra/<key>``: any other arrays a caller keeps (optimizer state).

Files are written atomically: to a temporary file beside the target, flushed
to disk, then renamed over it. A rename within one folder either happens
completely or not at all, so a crash mid-save leaves the previous checkpoint.
"""
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import backend
from .functional import no_init
from .models import build

FORMAT = "fcn-scratch-checkpoint"
# Parameters written under an earlier name: FCN-32s's final upsampling took pytorch-fcn's name, "upscore".
RENAMED = {"upscore32.weight": "upscore.weight"}


@dataclass
class Checkpoint:
    """What :func:`read_checkpoint` returns."""
    path: Path
    model_name: str
    config: dict
    state: dict
    extra: dict = field(default_factory=dict)
    meta: dict = field(default_factory=dict)


def save_checkpoint(path, model, extra=None, meta=None):
    """Write ``model`` (and ``extra`` arrays, ``meta`` JSON) to ``path`` atomically."""
    path = Path(path)
    header = {"format": FORMAT, "version": 1, "model": model.name, "config": model.config, "meta": meta or {}}
    # the parameters themselves, not state_dict()'s copies: a large model is not held twice while saving
    arrays = {f"param/{k}": backend.to_host(v) for k, v, _ in model.named_parameters(include_frozen=True)}
    arrays.update({f"extra/{k}": backend.to_host(v) for k, v in (extra or {}).items()})
    arrays["header"] = np.array(json.dumps(header))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, 0o666 & ~_umask())           # mkstemp makes it private; a checkpoint is an ordinary file
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def read_checkpoint(path):
    """Read a checkpoint file into a :class:`Checkpoint`, or say clearly why it cannot be read."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint not found: {path}")
    try:
        with np.load(path, allow_pickle=False) as archive:
            contents = {key: archive[key] for key in archive.files}
    except Exception as exc:
        raise ValueError(f"{path} is not a readable checkpoint (truncated or corrupt?): {exc}") from None
    if "header" not in contents:
        raise ValueError(f"{path} is not an fcn-scratch checkpoint: it has no header")
    header = json.loads(str(contents.pop("header")))
    if header.get("format") != FORMAT:
        raise ValueError(f"{path} is not an fcn-scratch checkpoint (format {header.get('format')!r})")
    state = {RENAMED.get(k[len("param/"):], k[len("param/"):]): v for k, v in contents.items()
             if k.startswith("param/")}
    extra = {k[len("extra/"):]: v for k, v in contents.items() if k.startswith("extra/")}
    return Checkpoint(path, header["model"], header["config"], state, extra, header.get("meta", {}))


def load_model(path, device="cpu", dtype=None):
    """Rebuild the model a checkpoint describes, load its weights, and move it to ``device``.

    Returns ``(model, checkpoint)``.
    """
    ckpt = read_checkpoint(path)
    with no_init():                     # every parameter comes from the file: no random draw, no second copy
        model = build(ckpt.model_name, **ckpt.config, dtype=dtype)
    _load_state(model, ckpt)
    ckpt.state.clear()                  # the model holds the arrays now
    return model.to(device), ckpt


def load_into(model, path):
    """Load a checkpoint's weights into an existing model, which must be the same kind of FCN
    with the same configuration. Returns the :class:`Checkpoint`."""
    ckpt = read_checkpoint(path)
    if ckpt.model_name != model.name:
        raise ValueError(f"{ckpt.path} holds a {ckpt.model_name} but the model is a {model.name}")
    _load_state(model, ckpt)
    return ckpt


def _load_state(model, ckpt):
    try:
        model.load_state_dict(ckpt.state)
    except ValueError as exc:
        raise ValueError(f"{ckpt.path}: {exc}") from None
