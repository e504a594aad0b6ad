"""Threads: a fast route's work split over a pool of threads, one per core the process may use.

It replaces running a fast route's per-sample (or per-plane) work on the
calling thread. NumPy lets go of the interpreter lock inside copies, ufunc
loops and matrix products on large arrays, so threads that each take some
samples of the batch work at the same time. Every fast route hands its work
to :func:`split` (or to :func:`parts` and :func:`run`, where it sizes work
arrays per part first); the layers never call this module.

The matrix products are split with the rest, each running on the thread that
asks for it, so while the parts of work with products run the BLAS is held to
one thread per call (threadpoolctl tells it), and when :func:`run` returns it
has the thread counts it had before: a user's own products elsewhere in the
process keep the BLAS's threads. Left with its own threads inside the parts, OpenBLAS's
workers would keep spinning on the cores for a while after each product, and
the pool's threads would get no core to run on (BENCHMARKS.md has the probe).
A split that runs as one part holds the BLAS too, for the same reason: a
product on the BLAS's own threads would set them spinning through the parts
that follow.

Why the numbers are the same: each part writes its own slice of the outputs
and computes every sample by the same operations, in the same order, as one
thread does. Sums over the batch (the weight and bias gradients, the loss)
are left whole, on the calling thread: NumPy may add in another order when an
array is cut. Each product is the one the whole batch makes for that sample
(or, for one sample, the rows of it: :func:`matmul_rows`), and OpenBLAS gives
it the same bits on one thread as on several where each entry's sum has at
most 448 terms or a multiple of 32 (measured with its SkylakeX kernel: it
splits a product's output between its threads); longer sums of other lengths
it cuts differently on several threads, and there the two agree to rounding.
``tests/fast/test_threads.py`` holds every layer and a whole training step to it.

How many threads: the configuration's (:func:`.config.config`: ``FCN_SCRATCH_THREADS``, by default the
cores this process may use). The size of a piece of work is the bytes of the arrays it reads and
writes, its scratch arrays included; work of fewer than :data:`MIN_PART_BYTES`
per part stays on fewer threads (handing a part to a thread costs tens of
microseconds). Each part runs under the configuration of the thread that
split the work. On the GPU nothing is split.
"""
import concurrent.futures
import contextvars
import sys
import threading

from threadpoolctl import ThreadpoolController

from ..backend import get_array_module
from ..functional import matmul
from .config import config, is_on

# Below this many bytes read and written per part, handing work to a thread costs more than it saves,
# by the kind of work (BENCHMARKS.md, 2026-12-04): matrix products carry the most arithmetic per byte;
# "arithmetic" is several operations per element (pooling's comparisons and arg-max, the softmax's exp);
# "copies" is copies and one-pass elementwise work (im2col, ReLU), whose parts compete for the memory
# more than they add arithmetic.
MIN_PART_BYTES = {"products": 320 * 2 ** 10, "arithmetic": 1 * 2 ** 20, "copies": 6 * 2 ** 20}

_pool = (0, None)
_pool_lock = threading.Lock()
_blas = (None, [])


def _workers(count):
    """A pool of at least ``count`` threads, made anew (larger) when asked for more than it has; the old
    one finishes what it was given and goes when no caller holds it."""
    global _pool
    with _pool_lock:
        if _pool[0] < count:
            _pool = count, concurrent.futures.ThreadPoolExecutor(count, thread_name_prefix="fcn_scratch")
        return _pool[1]


def _blas_libraries():
    """threadpoolctl's handles on the BLAS libraries loaded in the process, looked for again whenever a
    module was imported since the last look (a BLAS comes with the import of an extension: NumPy's,
    PyTorch's, SciPy's)."""
    global _blas
    if _blas[0] != len(sys.modules):
        _blas = (len(sys.modules), ThreadpoolController().select(user_api="blas").lib_controllers)
    return _blas[1]


def _blas_to_one_thread():
    """Set every BLAS library to one thread per call; return ``[(library, its count before)]`` of those
    that had more, for :func:`run` to set back."""
    held = [(library, library.get_num_threads()) for library in _blas_libraries()]
    held = [(library, count) for library, count in held if count != 1]
    for library, _ in held:
        library.set_num_threads(1)
    return held


def applies(x):
    """The named condition for splitting work on ``x``: the ``threads`` trick is on, the configuration has
    more than one thread, and ``x`` is a NumPy array (GPU work is already spread over the device)."""
    return is_on("threads") and config().threads > 1 and get_array_module(x).__name__ == "numpy"


def paying_parts(kind, nbytes):
    """How many threads work of ``nbytes`` read and written pays for: at most one per thread, each part
    at least ``MIN_PART_BYTES[kind]`` (one part however small the work)."""
    return max(1, min(config().threads, nbytes // MIN_PART_BYTES[kind]))


def parts(kind, count, *arrays, scratch_bytes=0):
    """``range(count)`` cut into contiguous slices, as even as can be: one per thread, fewer where a part
    would read and write less than ``MIN_PART_BYTES[kind]`` of ``arrays`` (all the work's arrays, whole,
    the first on its device) and ``scratch_bytes`` (its scratch arrays), one where :func:`applies` is
    False. ``kind``, a key of :data:`MIN_PART_BYTES`: "products" for work with matrix products,
    "arithmetic", or "copies"."""
    pieces = 1
    if applies(arrays[0]):
        pieces = max(1, min(count, paying_parts(kind, sum(a.nbytes for a in arrays) + scratch_bytes)))
    bounds = [count * k // pieces for k in range(pieces + 1)]
    return [slice(lo, hi) for lo, hi in zip(bounds, bounds[1:])]


def run(work, slices, x, kind):
    """Call ``work(k, slices[k])`` for every ``k``, the first on this thread, the rest on the pool's,
    and return when all are done (an exception in any of them is raised here). ``x`` is an array of
    the work, ``kind`` as in :func:`parts`: work with products, where :func:`applies` holds for x, runs
    with the BLAS at one thread per call, and the BLAS has its thread counts back when this returns."""
    held = _blas_to_one_thread() if kind == "products" and applies(x) else []
    try:
        pool = _workers(len(slices) - 1) if len(slices) > 1 else None
        pending = [pool.submit(contextvars.copy_context().run, work, k, part) for k, part in enumerate(slices) if k > 0]
        try:
            if slices:
                work(0, slices[0])
        finally:
            for future in pending:
                future.result()
    finally:
        for library, count in held:
            library.set_num_threads(count)


def split(work, kind, count, *arrays, scratch_bytes=0):
    """``work(k, part)`` over ``range(count)`` (samples or planes), in the :func:`parts` of the work's
    arrays (and scratch bytes)."""
    run(work, parts(kind, count, *arrays, scratch_bytes=scratch_bytes), arrays[0], kind)


def matmul_rows(a, b, out):
    """``out = a @ b`` for a (P, K), b (K, L) and out (P, L), the rows of a and out cut into the parts the
    work pays for (:func:`parts`), one product each: the work of a batch of one sample, which a split over
    the samples would leave to one thread. Each row is the one the whole product gives it (the BLAS, on
    its own threads, splits a product's output between them too)."""
    run(lambda _, rows: matmul(a[rows], b, out=out[rows]), parts("products", a.shape[0], a, b, out), a, "products")
    return out


def planes(*arrays):
    """The arrays (N, C, ...) as (N*C, 1, ...) views, so that work done plane by plane (elementwise,
    pooling) splits a batch of one image too; as they are (split by samples) unless all are contiguous."""
    if all(a.ndim > 2 and a.flags.c_contiguous for a in arrays):
        return [a.reshape((-1, 1) + a.shape[2:]) for a in arrays]
    return list(arrays)
