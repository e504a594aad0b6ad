"""The one place that knows about NumPy and CuPy.

Everything that computes on arrays asks this module for its array module
``xp`` (NumPy on the CPU, CuPy on the GPU), so the same line of code runs on
both devices: ``xp = get_array_module(x); y = xp.maximum(x, 0)``.

Devices are named ``"cpu"`` and ``"cuda"``. CuPy is imported lazily, only when
the GPU is asked for, so ``import fcn_scratch`` never needs it.
"""
import contextlib

import numpy

from .errors import InputError

DEVICES = ("cpu", "cuda")

_default_dtype = numpy.dtype(numpy.float32)


class BackendError(InputError):
    """The requested device cannot be used (CuPy missing, or no GPU): the user's choice of device is the
    input that is wrong."""


def _cupy():
    """Import CuPy and check that a GPU is usable, or say exactly what is missing."""
    try:
        import cupy
    except ImportError as exc:
        raise BackendError(
            "device 'cuda' needs CuPy, which is not installed "
            f"({exc}). Install the GPU extra: pip install -e \".[gpu]\" "
            "(it pulls cupy-cuda12x; pick the wheel that matches your CUDA)."
        ) from None
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # CuPy raises its own CUDARuntimeError types
        raise BackendError(
            f"CuPy is installed but no usable GPU was found ({exc}). "
            "Check the NVIDIA driver (nvidia-smi), or use --device cpu."
        ) from None
    if count == 0:
        raise BackendError("CuPy is installed but reports 0 GPUs; use --device cpu.")
    return cupy


def check_device(device):
    """Return ``device`` if it is a known device name, else raise InputError."""
    if device not in DEVICES:
        raise InputError(f"unknown device {device!r}; expected one of {DEVICES}")
    return device


def cuda_available():
    """True when CuPy is installed and sees at least one GPU."""
    try:
        _cupy()
    except BackendError:
        return False
    return True


def xp_for(device):
    """The array module for a device name: numpy for 'cpu', cupy for 'cuda'."""
    if check_device(device) == "cpu":
        return numpy
    return _cupy()


def get_array_module(*arrays):
    """The array module (numpy or cupy) that the given arrays live in.

    NumPy unless one of them is a CuPy array. Works without CuPy installed.
    """
    for a in arrays:
        if type(a).__module__.startswith("cupy"):
            import cupy
            return cupy
    return numpy


def device_of(array):
    """'cuda' for a CuPy array, 'cpu' otherwise."""
    return "cpu" if get_array_module(array) is numpy else "cuda"


def to_device(array, device):
    """Copy ``array`` to ``device`` (no copy if it is already there)."""
    xp = xp_for(device)
    if device == "cpu":
        return to_host(array)
    return xp.asarray(array)


def to_host(array):
    """A NumPy array with the contents of ``array`` (NumPy or CuPy)."""
    if get_array_module(array) is numpy:
        return numpy.asarray(array)
    return array.get()


def synchronize(array_or_device):
    """Wait for queued GPU work; a no-op on the CPU. Needed for honest timings."""
    device = array_or_device if isinstance(array_or_device, str) else device_of(array_or_device)
    if device == "cuda":
        _cupy().cuda.Device().synchronize()


def get_default_dtype():
    """The floating dtype new parameters and data get: float32 unless changed."""
    return _default_dtype


def set_default_dtype(dtype):
    """Set the default floating dtype (float32 or float64)."""
    global _default_dtype
    _default_dtype = check_float_dtype(dtype)


@contextlib.contextmanager
def default_dtype(dtype):
    """Temporarily change the default dtype: ``with default_dtype("float64"): ...``."""
    previous = get_default_dtype()
    set_default_dtype(dtype)
    try:
        yield
    finally:
        set_default_dtype(previous)


def check_float_dtype(dtype):
    """Return ``numpy.dtype(dtype)`` if it is float32 or float64, else raise TypeError."""
    dt = numpy.dtype(dtype)
    if dt not in (numpy.float32, numpy.float64):
        raise TypeError(f"expected dtype float32 or float64, got {dt}")
    return dt


_global_rng = numpy.random.default_rng(0)


def manual_seed(seed):
    """Reseed the generator that layers use when they are given none (like torch.manual_seed)."""
    global _global_rng
    _global_rng = numpy.random.default_rng(seed)


def global_rng():
    """The shared host generator, reseeded by :func:`manual_seed` (seed 0 at import)."""
    return _global_rng


def host_rng(seed):
    """A seeded NumPy Generator on the host.

    Initialization and data use host generators, so a seed gives the same
    numbers whether the model later runs on the CPU or the GPU.
    """
    return numpy.random.default_rng(seed)
