"""Reading a weights file one array at a time: safetensors, NumPy ``.npz``, PyTorch ``.pth``/``.pt``.

Nothing here runs code from a file: safetensors holds tensors and a header only, an
``.npz`` is read with ``allow_pickle=False``, and a ``.pth`` only through
``torch.load(weights_only=True)``, whose unpickler builds tensors and plain containers
and refuses everything else (and only where PyTorch is installed).

:func:`open_weights` returns a :class:`WeightsFile`:

- ``shapes``: ``{name: shape}`` as stored, read from the headers where the format has
  them (safetensors, ``.npz``), so that a file is checked before its arrays are read;
- ``about``: what the file says of itself, ``{"model", "config", "meta"}`` for an
  fcn-scratch checkpoint or export, ``{}`` for anything else;
- ``read(name)``: the array, on the host; the file keeps no reference to it, so a
  caller that drops each array after use holds one at a time.
"""
import errno
import pickle
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from ..checkpoint import parse_header
from ..errors import InputError
from ..npz import DAMAGED_ARRAY, load_npz, npz_array

# The safetensors metadata entry in which an fcn-scratch export describes its model (JSON).
ABOUT_KEY = "fcn-scratch"


@dataclass
class WeightsFile:
    """An open weights file; use it in a ``with`` block, or :meth:`close` it."""
    path: Path
    shapes: dict
    about: dict
    read: Callable
    closing: ExitStack = field(default_factory=ExitStack)

    def close(self):
        self.closing.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def open_weights(path):
    """Open ``path`` by its suffix (.safetensors, .npz, .pth, .pt, .pth.tar) for reading one array at a time."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, "a folder, not a weights file", str(path))
    if not path.is_file():
        raise FileNotFoundError(f"weights file not found: {path}")
    suffix = ".pth" if path.name.endswith(".pth.tar") else path.suffix.lower()
    if suffix not in READERS:
        raise InputError(f"{path}: unknown weights format {path.suffix!r}; expected .safetensors, .npz, .pth or .pt")
    closing = ExitStack()
    try:
        return READERS[suffix](path, closing)
    except BaseException:
        closing.close()
        raise


def _open_safetensors(path, closing):
    from safetensors import SafetensorError, safe_open
    try:
        handle = closing.enter_context(safe_open(str(path), framework="numpy"))
        shapes = {name: tuple(handle.get_slice(name).get_shape()) for name in handle.keys()}
        metadata = handle.metadata() or {}
    except SafetensorError as exc:
        raise InputError(f"{path} is not a readable safetensors file: {exc}") from None
    about = {}
    if ABOUT_KEY in metadata:
        about = _about(parse_header(path, metadata[ABOUT_KEY], "export", f"its {ABOUT_KEY!r} metadata",
                                    format_name=None))
    return WeightsFile(path, shapes, about, handle.get_tensor, closing)


def _open_npz(path, closing):
    """A plain ``.npz`` of arrays, or an fcn-scratch checkpoint (``header`` and ``param/<name>``; the
    optimizer's ``extra/`` arrays are not weights and are left unread)."""
    archive = closing.enter_context(load_npz(path, _unreadable))
    # NumPy lists a member that is no .npy under its own name, and hands it over as bytes
    foreign = [name for name in archive.zip.namelist() if not name.endswith(".npy")]
    if foreign:
        raise _unreadable(path, f"its member {foreign[0]!r} is not a .npy array")
    try:
        shapes = {name: _npy_shape(archive.zip, name) for name in archive.files}
    except DAMAGED_ARRAY as exc:
        raise _unreadable(path, exc) from None
    if "header" not in shapes:
        return WeightsFile(path, shapes, {}, _reader(path, archive), closing)
    about = _about(parse_header(path, str(_reader(path, archive)("header"))))
    prefix = "param/"
    params = {name[len(prefix):]: shape for name, shape in shapes.items() if name.startswith(prefix)}
    return WeightsFile(path, params, about, _reader(path, archive, prefix), closing)


def _about(header):
    return {key: header[key] for key in ("model", "config", "meta")}


def _reader(path, archive, prefix=""):
    """``read(name)``: the array ``prefix + name`` of an open .npz, or one InputError line if it is damaged."""
    return lambda name: npz_array(path, archive, prefix + name, _unreadable)


def _unreadable(path, exc):
    return InputError(f"{path} is not a readable .npz file: {exc}")


def _npy_shape(zip_file, name):
    """An array's shape from its ``.npy`` header, without reading the array."""
    with zip_file.open(name + ".npy") as f:
        major, _ = np.lib.format.read_magic(f)
        # versions 2 and 3 share one header layout (3 only allows UTF-8 in field names)
        read_header = np.lib.format.read_array_header_1_0 if major == 1 else np.lib.format.read_array_header_2_0
        return tuple(read_header(f)[0])


def _open_torch(path, closing):
    try:
        import torch
    except ImportError:
        raise InputError(f"{path} is a PyTorch file and PyTorch is not installed here; convert it to safetensors "
                         f"where PyTorch is, then import that: {_conversion(path)}") from None
    try:
        loaded = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        raise InputError(f"{path} holds more than tensors (a whole pickled model?) or is not a PyTorch file; "
                         "torch.load(weights_only=True) refuses it: save the model's state_dict() instead") from None
    except (RuntimeError, EOFError, OSError) as exc:
        raise InputError(f"{path} is not a readable PyTorch file (truncated or corrupt?): "
                         f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
    tensors = _state_dict(loaded, path, torch.Tensor)
    shapes = {name: tuple(t.shape) for name, t in tensors.items()}

    def read(name):
        tensor = tensors.pop(name).detach()          # popped: the file's copy goes when the caller drops it
        return (tensor.float() if tensor.dtype == torch.bfloat16 else tensor).numpy()   # NumPy has no bfloat16

    return WeightsFile(path, shapes, {}, read, closing)


def _state_dict(loaded, path, tensor_type):
    """The tensors of a loaded ``.pth``: a state dict, or one kept under "state_dict" or "model_state_dict"
    (training checkpoints keep the optimizer and epoch beside it)."""
    if isinstance(loaded, dict):
        for wrapper in ("state_dict", "model_state_dict"):
            if isinstance(loaded.get(wrapper), dict):
                loaded = loaded[wrapper]
                break
        tensors = {name: value for name, value in loaded.items() if isinstance(value, tensor_type)}
        if tensors:
            return tensors
        what = f"a dict without tensors (keys: {', '.join(map(str, list(loaded)[:6]))})"
    else:
        what = f"a {type(loaded).__name__}"
    raise InputError(f"{path} holds {what}, not a state dict of tensors (nor one under 'state_dict' or "
                     "'model_state_dict')")


def _conversion(path):
    """A command that turns the state dict of a .pth into a .safetensors beside it."""
    target = path.with_suffix(".safetensors").name
    return (f"python -c \"import torch; from safetensors.torch import save_file; save_file({{k: v.contiguous() "
            f"for k, v in torch.load('{path.name}', map_location='cpu', weights_only=True).items()}}, '{target}')\"")


READERS = {".safetensors": _open_safetensors, ".npz": _open_npz, ".pth": _open_torch, ".pt": _open_torch}
