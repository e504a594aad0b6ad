"""The one switch for every speed trick.

Each layer runs its textbook route (the formulas of its docstring, built on
:mod:`fcn_scratch.functional`) unless a trick of its fast route is on *and*
applies to the call; inside that route each piece asks for its trick by
name. All tricks are on by default. Turn them off

- for a whole process: ``FCN_SCRATCH_FAST=0 python ...``;
- for a block of code: ``with fcn_scratch.fast.enabled(False): ...``;
- one at a time, to see what it buys: ``with fast.enabled(False, "phases"): ...``.

Every trick gives the textbook route's numbers (to float rounding), and a test
holds it to them, so the switch changes the time a step takes, not what it computes.
"""
import contextlib
import os

from ..errors import InputError

# Every trick, by the name its route asks for it; what each does is in the module named beside it.
TRICKS = {
    "shifted_taps": "a stride-1 convolution as products on shifted views of its padded input, no column matrix kept (fast/shifted_taps.py)",
    "clipped_taps": "im2col and col2im into kept arrays by slices clipped to the image, without a padded copy (fast/clipped_taps.py)",
    "kept_buffers": "work arrays kept from one step to the next instead of fresh ones (fast/kept_buffers.py)",
    "flat_shifts": "im2col of a small same-width stride-1 convolution as one long copy per tap (fast/flat_shifts.py)",
    "flipped_kernel": "a stride-1 convolution's input gradient as a convolution of dy (fast/flipped_kernel.py)",
    "tall_first": "the weight gradient's product with the tall column matrix on the left (fast/tall_first.py)",
    "rebuilt_columns": "the first convolution keeps its input, not its 9x larger columns, and fills them again in backward (fast/rebuilt_columns.py)",
    "phases": "a transposed convolution as a small convolution and a reshuffle (fast/phases.py)",
    "running_max": "max pooling as a running maximum with a branch-free arg-max (fast/running_max.py)",
    "softmax_in_place": "the loss's softmax computed in place, turned into its own gradient (fast/softmax_in_place.py)",
    "bands": "a convolution under no_grad() fills and multiplies its columns one band of output rows at a time (fast/bands.py)",
    "threads": "the fast routes' work split over a pool of threads, the BLAS one thread per part meanwhile (fast/threads.py)",
}


def _from_environment():
    value = os.environ.get("FCN_SCRATCH_FAST", "1").strip().lower()
    if value in ("0", "false", "off", "no"):
        return set(TRICKS)
    if value in ("", "1", "true", "on", "yes"):
        return set()
    raise InputError(f"FCN_SCRATCH_FAST must be 0 or 1, got {os.environ['FCN_SCRATCH_FAST']!r}")


_off = _from_environment()


def is_on(trick):
    """True when ``trick`` (a key of :data:`TRICKS`) may be used."""
    if trick not in TRICKS:
        raise InputError(f"unknown trick {trick!r}; expected one of {sorted(TRICKS)}")
    return trick not in _off


def tricks_off():
    """The names of the tricks now turned off."""
    return sorted(_off)


@contextlib.contextmanager
def enabled(flag, *tricks):
    """Within the block, turn the named tricks (all of them if none is named) on or off."""
    global _off
    names = tricks or tuple(TRICKS)
    for name in names:
        is_on(name)
    previous = set(_off)
    _off = (_off - set(names)) if flag else (_off | set(names))
    try:
        yield
    finally:
        _off = previous
