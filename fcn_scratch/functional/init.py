"""Weight initializers. They build host (NumPy) arrays from a seeded host
generator, so a seed gives the same network on the CPU and on the GPU; the
model then moves its parameters to its device.

Inside :func:`no_init` they hand out zeros instead: for a model whose every
parameter is about to be read from a file (as PyTorch's ``skip_init``), or
whose shapes alone are wanted (``summary``), so that building the paper's 134
million parameters costs neither the time of drawing them nor memory (large
zeros are fresh pages from the system, not resident until written), and a
pass through such a model computes on zeros, not on whatever the memory held.
"""
import contextlib
import math
import threading

from ..backend import check_float_dtype, get_default_dtype, xp_for
from ..errors import InputError

_host = xp_for("cpu")
_state = threading.local()


@contextlib.contextmanager
def no_init():
    """Within the block, :func:`kaiming_normal` returns zeros, drawing nothing."""
    previous = getattr(_state, "skipped", False)
    _state.skipped = True
    try:
        yield
    finally:
        _state.skipped = previous


def _skipped():
    return getattr(_state, "skipped", False)


def kaiming_normal(shape, fan_in, rng, dtype=None):
    """He (Kaiming) normal: ``N(0, 2 / fan_in)``, which keeps the activation
    variance steady through ReLU layers (He et al., 2015).

    shape: any; fan_in: inputs feeding one output (``C_in * kh * kw`` for a convolution).
    """
    dtype = check_float_dtype(dtype or get_default_dtype())
    if _skipped():
        return _host.zeros(shape, dtype)
    return (rng.standard_normal(shape) * math.sqrt(2.0 / fan_in)).astype(dtype)


def zeros(shape, dtype=None):
    """All zeros (the FCN score layers and every bias start here)."""
    return _host.zeros(shape, dtype=check_float_dtype(dtype or get_default_dtype()))


def bilinear_kernel(in_channels, out_channels, kernel_size, dtype=None):
    """Weights ``(in, out, k, k)`` that make a ConvTranspose2d do bilinear upsampling.

    For upsampling by ``f`` use ``k = 2f`` and stride ``f``. The 1-D filter is a
    tent ``1 - |t - centre| / factor`` with ``factor = ceil(k / 2)`` and the
    centre half-way between the two middle taps for even ``k``; the 2-D kernel
    is its outer product. Channel ``c`` maps only to channel ``c`` (the FCN
    initialization), so ``in_channels`` must equal ``out_channels``.
    """
    if in_channels != out_channels:
        raise InputError(
            f"bilinear_kernel maps each channel to itself; got in_channels={in_channels} "
            f"!= out_channels={out_channels}"
        )
    factor = (kernel_size + 1) // 2
    centre = factor - 1 if kernel_size % 2 == 1 else factor - 0.5
    t = _host.arange(kernel_size)
    tent = 1 - _host.abs(t - centre) / factor
    # zeros made here, not by zeros(): the kernel is exact even inside no_init()
    weight = _host.zeros((in_channels, out_channels, kernel_size, kernel_size),
                         dtype=check_float_dtype(dtype or get_default_dtype()))
    channels = _host.arange(in_channels)
    weight[channels, channels] = _host.outer(tent, tent)
    return weight
