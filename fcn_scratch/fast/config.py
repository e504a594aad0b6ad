"""The fast routes' configuration, in one object you can see: which tricks are on, how many threads
work, and the work arrays kept.

    >>> from fcn_scratch import fast
    >>> fast.config()
    Config(tricks_off=(), threads=2, work_arrays_mb=0.0)

Each layer runs its textbook route (the formulas of its docstring, built on
:mod:`fcn_scratch.functional`) unless a trick of its fast route is on *and*
applies to the call; inside that route each piece asks for its trick by name
(:func:`is_on`). All tricks are on by default. Turn them off

- for a whole process: ``FCN_SCRATCH_FAST=0 python ...``;
- for a block of code: ``with fcn_scratch.fast.enabled(False): ...``;
- one at a time, to see what it buys: ``with fast.enabled(False, "phases"): ...``.

The threads: ``FCN_SCRATCH_THREADS`` (default: the cores this process may
use), or ``with fast.threads_used(1): ...`` for a block.

The environment is read the first time the configuration is asked for, not at
import, and a bad value is an :class:`~fcn_scratch.errors.InputError` of one
line then. Like :func:`fcn_scratch.no_grad`, a change made inside a ``with``
block holds for the thread that made it and for the work that thread hands
to the pool's threads, and for no other thread: every thread starts from the
environment's configuration, and has its own shared work arrays
(:class:`fcn_scratch.buffers.WorkArrays`), which ``fast.config().work.release()``
lets go.

Every trick gives the textbook route's numbers (to float rounding), and a test
holds it to them, so the switch changes the time a step takes, not what it computes.
"""
import contextlib
import contextvars
import dataclasses
import os

from ..buffers import WorkArrays
from ..errors import InputError

# Every trick, by the name its route asks for it; what each does is in the module named beside it.
TRICKS = {
    "shifted_taps": "a stride-1 convolution as products on shifted views of its padded input, no column matrix kept (fast/shifted_taps.py)",
    "clipped_taps": "im2col and col2im into kept arrays by slices clipped to the image, without a padded copy (fast/clipped_taps.py)",
    "kept_buffers": "work arrays kept from one step to the next instead of fresh ones (fast/kept_buffers.py)",
    "flat_shifts": "im2col of a small same-width stride-1 convolution as one long copy per tap (fast/flat_shifts.py)",
    "tall_first": "the weight gradient's product with the tall column matrix on the left (fast/tall_first.py)",
    "phases": "a transposed convolution as a small convolution and a reshuffle (fast/phases.py)",
    "running_max": "max pooling as a running maximum with a branch-free arg-max (fast/running_max.py)",
    "softmax_in_place": "the loss's softmax computed in place, turned into its own gradient (fast/softmax_in_place.py)",
    "threads": "the fast routes' work split over a pool of threads, the BLAS one thread per part meanwhile (fast/threads.py)",
}


@dataclasses.dataclass(frozen=True)
class Config:
    """What the fast routes do on this thread: ``tricks_off`` (names of :data:`TRICKS`), ``threads`` (how
    many share a route's work) and ``work`` (the shared work arrays)."""
    tricks_off: frozenset
    threads: int
    work: WorkArrays = dataclasses.field(repr=False, compare=False)

    def __repr__(self):
        return (f"Config(tricks_off={tuple(sorted(self.tricks_off))}, threads={self.threads}, "
                f"work_arrays_mb={self.work.nbytes / 2 ** 20:.1f})")


def _tricks_off_from_environment():
    value = os.environ.get("FCN_SCRATCH_FAST", "1").strip().lower()
    if value in ("0", "false", "off", "no"):
        return frozenset(TRICKS)
    if value in ("", "1", "true", "on", "yes"):
        return frozenset()
    raise InputError(f"FCN_SCRATCH_FAST must be 0 or 1, got {os.environ['FCN_SCRATCH_FAST']!r}")


def _threads_from_environment():
    value = os.environ.get("FCN_SCRATCH_THREADS", "").strip()
    if not value:
        return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if not value.isdigit() or int(value) < 1:
        raise InputError(f"FCN_SCRATCH_THREADS must be a whole number of threads >= 1, got {value!r}")
    return int(value)


_current = contextvars.ContextVar("fcn_scratch_fast_config")


def config():
    """This thread's :class:`Config`: on its first call, the environment's (``FCN_SCRATCH_FAST``,
    ``FCN_SCRATCH_THREADS``) with work arrays of its own."""
    try:
        return _current.get()
    except LookupError:
        start = Config(_tricks_off_from_environment(), _threads_from_environment(), WorkArrays())
        _current.set(start)
        return start


@contextlib.contextmanager
def _configured(changes):
    """Within the block, this thread's configuration with ``changes(config)`` (a dict of fields) made."""
    start = config()
    token = _current.set(dataclasses.replace(start, **changes(start)))
    try:
        yield
    finally:
        _current.reset(token)


def is_on(trick):
    """True when ``trick`` (a key of :data:`TRICKS`) may be used."""
    if trick not in TRICKS:
        raise InputError(f"unknown trick {trick!r}; expected one of {sorted(TRICKS)}")
    return trick not in config().tricks_off


def tricks_off():
    """The names of the tricks now turned off."""
    return sorted(config().tricks_off)


def enabled(flag, *tricks):
    """Within the block, turn the named tricks (all of them if none is named) on or off."""
    names = tricks or tuple(TRICKS)
    for name in names:
        is_on(name)
    return _configured(lambda start: {"tricks_off": (start.tricks_off - set(names)) if flag
                                      else (start.tricks_off | set(names))})


def threads_used(count):
    """Within the block, let ``count`` threads (>= 1) share a fast route's work."""
    if not isinstance(count, int) or count < 1:
        raise InputError(f"threads must be a whole number >= 1, got {count!r}")
    return _configured(lambda start: {"threads": count})
