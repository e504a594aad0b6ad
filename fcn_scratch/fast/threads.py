"""Both cores for all of a layer's work: its batch split over a pool of threads.

It replaces running a layer's fast route over the whole batch on the calling
thread. NumPy lets go of the interpreter lock inside copies, ufunc loops and
matrix products on large arrays, so threads that each take some samples of the
batch work at the same time. The layers call :func:`over_batch` (or
:func:`over_axis` for a sum over the batch, split along another axis).

The matrix products are split too, each running on the thread that asks for
it: within a split the BLAS is held to one thread per call (threadpoolctl
tells it). Left with its own threads, OpenBLAS's workers keep spinning on the
cores for a while after each product, and the pool's threads would get no core
to run on (BENCHMARKS.md has the probe).

Why the numbers are the same: each part writes its own slice of the outputs
and computes every sample by the same operations, in the same order, as one
thread does. A sum over the batch is split along another axis, never along
the batch. A matrix product gives the same bits on one BLAS thread as on
several: the BLAS splits the output between its threads, never a sum.
``tests/fast/test_threads.py`` holds every layer and a whole training step to it.

How many threads: ``FCN_SCRATCH_THREADS`` (default: the cores this process may
use). Work smaller than :data:`MIN_BYTES_PER_PART` per part stays on fewer
threads (starting a part costs tens of microseconds). On the GPU nothing is split.
"""
import concurrent.futures
import contextlib
import os

from ..backend import get_array_module
from .switch import is_on

# Parts smaller than this cost more to hand to a thread than they save (BENCHMARKS.md).
MIN_BYTES_PER_PART = 256 * 2 ** 10


def _from_environment():
    value = os.environ.get("FCN_SCRATCH_THREADS", "").strip()
    if not value:
        return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"FCN_SCRATCH_THREADS must be a whole number of threads >= 1, got {value!r}")
    return int(value)


THREADS = _from_environment()
_pool = None
_blas = None


def _workers():
    global _pool
    if _pool is None:
        _pool = concurrent.futures.ThreadPoolExecutor(THREADS - 1, thread_name_prefix="fcn_scratch")
    return _pool


def _blas_controller():
    global _blas
    if _blas is None:
        from threadpoolctl import ThreadpoolController
        _blas = ThreadpoolController().select(user_api="blas")
    return _blas


def threads_apply(x):
    """The named condition for :func:`over_batch`: the ``threads`` trick is on, there is more than one
    thread, and ``x`` is a NumPy array (GPU work is already spread over the device)."""
    return is_on("threads") and THREADS > 1 and get_array_module(x).__name__ == "numpy"


def parts(length, nbytes, x):
    """``length`` split into contiguous slices, one per thread (fewer for small work, one when
    :func:`threads_apply` is False), as even as they can be."""
    count = min(length, THREADS, max(1, nbytes // MIN_BYTES_PER_PART)) if threads_apply(x) else 1
    bounds = [length * k // count for k in range(count + 1)]
    return [slice(lo, hi) for lo, hi in zip(bounds, bounds[1:])]


@contextlib.contextmanager
def _blas_on_calling_thread(hold):
    # Held for a part that runs alone too: a product on the BLAS's own threads would set them
    # spinning through the parts that follow.
    if not hold:
        yield
        return
    with _blas_controller().limit(limits=1):
        yield


def run(work, slices, x):
    """Call ``work(k, slices[k])`` for every ``k``, the first on this thread, the rest on the pool's,
    and return when all are done (an exception in any of them is raised here). ``x`` is an array of
    the work: where :func:`threads_apply` holds for it, every BLAS call inside runs on one thread."""
    with _blas_on_calling_thread(threads_apply(x)):
        pending = [_workers().submit(work, k, part) for k, part in enumerate(slices) if k > 0]
        try:
            if slices:
                work(0, slices[0])
        finally:
            for future in pending:
                future.result()


def over_batch(x, work, nbytes=None):
    """``work(k, samples)`` over the batch of ``x`` (N, ...), split in parts; ``nbytes`` is the size of
    the work (default: ``x``'s)."""
    run(work, parts(x.shape[0], x.nbytes if nbytes is None else nbytes, x), x)
