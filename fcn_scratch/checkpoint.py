"""Checkpoints: one ``.npz`` file with the weights and everything needed to rebuild the model.

Layout of the archive (read with ``allow_pickle=False``, so loading a file
never runs code):

- ``header``: a JSON string: which FCN, its constructor arguments (class names
  included), and free-form ``meta`` (epoch, metrics, ...);
- ``param/<layer>.<name>``: every parameter, on the host;
- ``extra/<key>``: any other arrays a caller keeps (optimizer state).

Files are written atomically (:func:`fcn_scratch.files.write_atomically`): to a
temporary file beside the target, flushed to disk, then renamed over it, so a
crash mid-save leaves the previous checkpoint.
"""
import contextlib
import errno
import json
import shutil
from dataclasses import dataclass, field
from numbers import Integral, Real
from pathlib import Path

import numpy as np

from . import backend
from .errors import InputError
from .files import write_atomically
from .functional import no_init
from .models import build, check_config
from .npz import load_npz, npz_array, save_npz

FORMAT = "fcn-scratch-checkpoint"
# Files of weights that are no checkpoint, by suffix: import-weights makes a checkpoint of them.
WEIGHTS_SUFFIXES = (".safetensors", ".pth", ".pt", ".tar")
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
    header = {"format": FORMAT, "version": 1, "model": model.name, "config": model.config, "meta": meta or {}}
    # the parameters themselves, not state_dict()'s copies: a large model is not held twice while saving
    arrays = {f"param/{k}": backend.to_host(v) for k, v, _ in model.named_parameters(include_frozen=True)}
    arrays.update({f"extra/{k}": backend.to_host(v) for k, v in (extra or {}).items()})
    arrays["header"] = np.array(json.dumps(header))
    return write_atomically(path, lambda tmp: save_npz(tmp, arrays))


def copy_checkpoint(source, path):
    """Copy the checkpoint ``source`` to ``path``, atomically as :func:`save_checkpoint` writes."""
    return write_atomically(path, lambda tmp: shutil.copyfile(source, tmp))


def read_header(path):
    """A checkpoint's header (``{"model", "config", "meta", ...}``), read without its arrays; one line
    naming the file for anything that keeps it from being a checkpoint's header."""
    path = Path(path)
    with _open(path) as archive:
        return _header(path, archive)


def parse_header(path, text, kind="checkpoint", where="its header", format_name=FORMAT):
    """``text``, the JSON in which the file ``path`` says what it holds, as a dict with a model name, a
    configuration and meta (and the format ``format_name``, unless None); one InputError line naming the
    file and the fault otherwise. ``kind`` and ``where``, for that line: what the file is, where the text is."""
    try:
        header = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path} is not an fcn-scratch {kind}: {where} is not JSON ({exc})") from None
    if not isinstance(header, dict):
        raise InputError(f"{path} is not an fcn-scratch {kind}: {where} is not a JSON object")
    if format_name is not None and header.get("format") != format_name:
        raise InputError(f"{path} is not an fcn-scratch {kind} (format {header.get('format')!r})")
    header.setdefault("meta", {})
    for key, type_, expected in (("model", str, "a model name"), ("config", dict, "a JSON object"),
                                 ("meta", dict, "a JSON object")):
        if not isinstance(header.get(key), type_):
            entry = f"has no {key!r} entry" if key not in header else f"has a {key!r} entry that is not {expected}"
            raise InputError(f"{path} is a damaged {kind}: {where} {entry}")
    return header


def read_extras(path, *keys):
    """``{key: array}`` of the named ``extra`` arrays of a checkpoint (those it has), without its weights."""
    path = Path(path)
    with _open(path) as archive:
        return {key: _array(path, archive, f"extra/{key}") for key in keys if f"extra/{key}" in archive.files}


def read_checkpoint(path):
    """Read a checkpoint file into a :class:`Checkpoint`, or say clearly why it cannot be read: one line
    naming the file for a missing, truncated or foreign file, a damaged header, or a parameter that
    holds NaN or infinity (a model that holds one predicts nothing)."""
    path = Path(path)
    with _open(path) as archive:
        header = _header(path, archive)
        contents = {key: _array(path, archive, key) for key in archive.files if key != "header"}
    state = {RENAMED.get(k[len("param/"):], k[len("param/"):]): v for k, v in contents.items()
             if k.startswith("param/")}
    for name, value in state.items():
        check_finite(path, name, value)
    extra = {k[len("extra/"):]: v for k, v in contents.items() if k.startswith("extra/")}
    return Checkpoint(path, header["model"], header["config"], state, extra, header["meta"])


def check_finite(path, name, value):
    """One InputError line naming the file and the parameter unless ``value`` is all finite numbers (a
    model that holds NaN or infinity predicts nothing). Checked per array: no second copy of a model."""
    if value.dtype.kind in "fc" and not np.isfinite(value).all():
        raise InputError(f"{path} is not usable: parameter {name} holds NaN or infinity")


def import_hint(path):
    """How to make a checkpoint of the weights file ``path``."""
    return f"make a checkpoint of it with `fcn-scratch import-weights {path} --out {Path(path).stem}.npz`"


@contextlib.contextmanager
def _open(path):
    """The file's archive, open; FileNotFoundError or one InputError line when it is no readable .npz
    (a weights file's says how to make a checkpoint of it)."""
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, "a folder, not a checkpoint", str(path))
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint not found: {path}")
    if path.name.lower().endswith(WEIGHTS_SUFFIXES):
        raise InputError(f"{path} holds weights, not an fcn-scratch checkpoint; {import_hint(path)}")
    with load_npz(path, _unreadable) as archive:
        yield archive


def _array(path, archive, key):
    return npz_array(path, archive, key, _unreadable)


def _unreadable(path, exc):
    return InputError(f"{path} is not a readable checkpoint (truncated or corrupt?): {exc}")


def _header(path, archive):
    """The header of an open checkpoint, checked (:func:`parse_header`)."""
    if "header" not in archive.files:
        raise InputError(f"{path} is not an fcn-scratch checkpoint: it has no header; if it holds weights, "
                         f"{import_hint(path)}")
    return parse_header(path, str(_array(path, archive, "header")))


def _whole(value, least):
    return isinstance(value, Integral) and not isinstance(value, bool) and value >= least


def _wholes(value, least, count):
    return isinstance(value, (list, tuple)) and len(value) == count and all(_whole(v, least) for v in value)


# What each configuration value of an FCN must be, and how to say it: a header is untrusted (edited by hand,
# written by another tool) and may hold anything, and its fault is one line here, not a failure somewhere in
# building the model.
CONFIG_KINDS = {
    "num_classes": (lambda v: _whole(v, 1), "a whole number of at least 1"),
    "in_channels": (lambda v: _whole(v, 1), "a whole number of at least 1"),
    "widths": (lambda v: _wholes(v, 1, 5), "the channels of the 5 encoder blocks, each a whole number of at least 1"),
    "convs_per_block": (lambda v: _whole(v, 1) or _wholes(v, 1, 5), "one number or 5, each at least 1"),
    "conv1_padding": (lambda v: _whole(v, 0), "a whole number of at least 0"),
    "fc_channels": (lambda v: _whole(v, 1), "a whole number of at least 1"),
    "fc6_kernel": (lambda v: _whole(v, 1), "a whole number of at least 1"),
    "fc6_padding": (lambda v: v is None or _whole(v, 0), "None (keep the size) or a whole number of at least 0"),
    "dropout": (lambda v: isinstance(v, Real) and not isinstance(v, bool) and 0 <= v < 1,
                "a probability in [0, 1)"),
    "learn_final_upsampling": (lambda v: isinstance(v, bool), "True or False"),
    "at_once": (lambda v: isinstance(v, bool), "True or False"),
    "class_names": (lambda v: v is None or (isinstance(v, (list, tuple)) and all(isinstance(n, str) for n in v)),
                    "None or a list of names"),
}


def check_config_kinds(config):
    """One InputError line for the first value of a header's ``config`` that is not what
    :data:`CONFIG_KINDS` says it must be."""
    for name, value in config.items():
        accepts, expected = CONFIG_KINDS[name]
        if not accepts(value):
            raise InputError(f"{name} must be {expected}, got {value!r}")


def load_model(path, device="cpu", dtype=None):
    """Rebuild the model a checkpoint describes, load its weights, and move it to ``device``.

    Returns ``(model, checkpoint)``.
    """
    ckpt = read_checkpoint(path)
    try:
        check_config(ckpt.model_name, ckpt.config)
        check_config_kinds(ckpt.config)
        with no_init():                 # every parameter comes from the file: no random draw, no second copy
            model = build(ckpt.model_name, **ckpt.config, dtype=dtype)
    except InputError as exc:
        raise InputError(f"{ckpt.path} describes no model this version builds: {exc}") from None
    _load_state(model, ckpt)
    ckpt.state.clear()                  # the model holds the arrays now
    return model.to(device), ckpt


def load_into(model, path):
    """Load a checkpoint's weights into an existing model, which must be the same kind of FCN
    with the same configuration. Returns the :class:`Checkpoint`."""
    ckpt = read_checkpoint(path)
    if ckpt.model_name != model.name:
        raise InputError(f"{ckpt.path} holds a {ckpt.model_name} but the model is a {model.name}")
    _load_state(model, ckpt)
    return ckpt


def _load_state(model, ckpt):
    try:
        model.load_state_dict(ckpt.state)
    except InputError as exc:
        raise InputError(f"{ckpt.path}: {exc}") from None
