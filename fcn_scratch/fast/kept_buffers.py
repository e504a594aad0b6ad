"""Kept buffers: the fast routes' work arrays kept from one step to the next instead of fresh ones.

It replaces the fresh arrays the textbook routes allocate on every call (the
column matrix of a convolution, the gradient columns of its backward pass).
Fresh memory is page-faulted on first touch, which in the first layers costs
as much as the copy that fills it; an array kept from the last step is not.
The arrays come from :mod:`fcn_scratch.buffers`, whose aliasing rule applies:
the caller writes every entry it later reads.

Why the numbers are the same: only where the memory comes from changes, and
every entry read was written in this call. Work that needs a column matrix
only for a moment (an input gradient's) goes through the batch a chunk of
samples at a time in the one shared array (:func:`in_chunks`), so the step's
memory stays bounded whatever the batch; each sample's products are the ones
the whole batch makes for it. ``tests/fast/test_kept_buffers.py`` holds both to it.
"""
import math

from .. import buffers
from ..backend import get_array_module
from . import threads
from .config import config, is_on


def work_array(owner, name, shape, dtype, xp):
    """An uninitialized array for ``owner``'s work ``name``: the same memory each step, or fresh."""
    if is_on("kept_buffers"):
        return buffers.kept(owner, name, shape, dtype, xp)
    return xp.empty(shape, dtype=dtype)


def shared_work_array(shape, dtype, xp, name="shared"):
    """An uninitialized array for work that is over before the caller returns: one per ``name``, for work
    that needs several at once, kept in this thread's configuration (:func:`.config.config`)."""
    if is_on("kept_buffers"):
        return config().work.get(name, shape, dtype, xp)
    return xp.empty(shape, dtype=dtype)


def in_chunks(route, count, work_shape, *arrays):
    """``route(samples, work)`` for slices of ``range(count)``, in the threads' parts of ``arrays`` (all
    that the route reads and writes but its work array, the first deciding the device and dtype; the
    route's work has matrix products). Each part has its own
    share of the shared work array and goes through its samples as many at a time as the share holds
    (:func:`fcn_scratch.buffers.samples_per_chunk`; all at once with kept buffers off). ``work`` is
    (samples, *work_shape)."""
    first = arrays[0]
    per_sample = math.prod(work_shape) * first.dtype.itemsize
    slices = threads.parts("products", count, *arrays, scratch_bytes=count * per_sample)
    chunk = max(part.stop - part.start for part in slices)
    if is_on("kept_buffers"):
        chunk = min(chunk, buffers.samples_per_chunk(per_sample * len(slices), count))
    work = shared_work_array((len(slices) * chunk,) + tuple(work_shape), first.dtype, get_array_module(first))

    def part(k, samples):
        mine = work[k * chunk:(k + 1) * chunk]
        for start in range(samples.start, samples.stop, chunk):
            stop = min(start + chunk, samples.stop)
            route(slice(start, stop), mine[:stop - start])
    threads.run(part, slices, first, "products")
