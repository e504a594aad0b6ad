"""Both cores for all of a layer's work: its batch split over a pool of threads.

It replaces running a layer's fast route over the whole batch on the calling
thread. NumPy lets go of the interpreter lock inside copies, ufunc loops and
matrix products on large arrays, so threads that each take some samples of the
batch work at the same time. The fast routes call :func:`over_batch` with the
work of one part; ReLU asks by the named condition :func:`threads_apply`.

The matrix products are split too, each running on the thread that asks for
it: from the first split on, the BLAS is held to one thread per call
(threadpoolctl tells it), and it gets its threads back when the trick is
turned off (``fast.enabled(False, "threads")``). Left with its own threads,
OpenBLAS's workers keep spinning on the cores for a while after each product,
and the pool's threads would get no core to run on (BENCHMARKS.md has the
probe). So while the trick is on, matrix products in the rest of the process
run on one thread too.

Why the numbers are the same: each part writes its own slice of the outputs
and computes every sample by the same operations, in the same order, as one
thread does. Sums over the batch (the weight and bias gradients, the loss)
are left whole, on the calling thread: NumPy may add in another order when an
array is cut. Each product is the one the whole batch makes for that sample,
and OpenBLAS gives it the same bits on one thread as on several (it splits a
product's output between its threads, not the sums).
``tests/fast/test_threads.py`` holds every layer and a whole training step to it.

How many threads: ``FCN_SCRATCH_THREADS`` (default: the cores this process may
use). Work smaller than :data:`MIN_PART_BYTES` per part stays on fewer threads
(handing a part to a thread costs tens of microseconds). On the GPU nothing is split.
"""
import concurrent.futures
import os

from threadpoolctl import ThreadpoolController

from ..backend import get_array_module
from .switch import is_on, when_switched

# Below this many bytes per part, handing work to a thread costs more than it saves (BENCHMARKS.md):
# counted in column matrix for work with matrix products, in array for copies and elementwise work.
MIN_PART_BYTES = {"products": 256 * 2 ** 10, "copies": 1536 * 2 ** 10}


def _from_environment():
    value = os.environ.get("FCN_SCRATCH_THREADS", "").strip()
    if not value:
        return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"FCN_SCRATCH_THREADS must be a whole number of threads >= 1, got {value!r}")
    return int(value)


THREADS = _from_environment()
_pool = None
_blas_held = None


def _workers():
    global _pool
    if _pool is None:
        _pool = concurrent.futures.ThreadPoolExecutor(THREADS - 1, thread_name_prefix="fcn_scratch")
    return _pool


def _hold_blas():
    """From now on, one BLAS thread per call (until :func:`_release_blas`)."""
    global _blas_held
    if _blas_held is None:
        _blas_held = ThreadpoolController().limit(limits=1, user_api="blas")


def _release_blas():
    """Give the BLAS its threads back when the trick is off."""
    global _blas_held
    if _blas_held is not None and not is_on("threads"):
        _blas_held.restore_original_limits()
        _blas_held = None


when_switched(_release_blas)


def threads_apply(x):
    """The named condition for :func:`over_batch`: the ``threads`` trick is on, there is more than one
    thread, and ``x`` is a NumPy array with a batch axis (GPU work is already spread over the device)."""
    return is_on("threads") and THREADS > 1 and x.ndim > 0 and get_array_module(x).__name__ == "numpy"


def parts(length, nbytes, x, kind="copies"):
    """``length`` split into contiguous slices, one per thread (fewer for work of fewer than
    ``MIN_PART_BYTES[kind]`` bytes a part, one when :func:`threads_apply` is False), as even as can be."""
    count = max(1, min(length, THREADS, nbytes // MIN_PART_BYTES[kind])) if threads_apply(x) else 1
    bounds = [length * k // count for k in range(count + 1)]
    return [slice(lo, hi) for lo, hi in zip(bounds, bounds[1:])]


def run(work, slices, x):
    """Call ``work(k, slices[k])`` for every ``k``, the first on this thread, the rest on the pool's,
    and return when all are done (an exception in any of them is raised here). ``x`` is an array of
    the work: where :func:`threads_apply` holds for it, the BLAS runs on one thread per call."""
    if threads_apply(x):
        # also for a part that runs alone: a product on the BLAS's own threads would set them
        # spinning through the parts that follow
        _hold_blas()
    pending = [_workers().submit(work, k, part) for k, part in enumerate(slices) if k > 0]
    try:
        if slices:
            work(0, slices[0])
    finally:
        for future in pending:
            future.result()


def planes(*arrays):
    """The arrays (N, C, ...) as (N*C, 1, ...) views, so that work done plane by plane (elementwise,
    pooling) splits a batch of one image too; as they are (split by samples) unless all are contiguous."""
    if all(a.ndim > 2 and a.flags.c_contiguous for a in arrays):
        return [a.reshape((-1, 1) + a.shape[2:]) for a in arrays]
    return list(arrays)


def over_batch(x, work, nbytes=None, kind="copies"):
    """``work(k, samples)`` over the batch of ``x`` (N, ...), split in parts; ``nbytes`` is the size of
    the work (default: ``x``'s), ``kind`` "products" where it has matrix products, else "copies"."""
    run(work, parts(x.shape[0], x.nbytes if nbytes is None else nbytes, x, kind), x)

