"""Work arrays kept from one call to the next (used by :mod:`fcn_scratch.fast` only).

A training step needs the same large temporaries every time (the column
matrix of a convolution, the gradient columns of its backward pass). Fresh
memory is page-faulted on first touch, which in the first layers costs as much
as the copy that fills it; an array kept from the last step is not.

The aliasing rule, the one thing to know: ``kept(owner, name, ...)`` hands
out the *same memory* every time it is asked with the same owner and name,
holding whatever its last user wrote. So the caller writes every entry it
later reads, and an array is used only until the next request for the same
key. Per-layer keys (the owner is the layer) live from a forward to its
backward; the shared keys of :func:`shared` live within one call.
"""
import weakref

import numpy

# How many bytes of shared work array a layer uses at a time. 32 MiB holds the gradient columns of
# a few full-size samples of the bench configuration: products stay large, memory stays bounded.
SHARED_LIMIT = 32 * 2 ** 20

_kept = weakref.WeakKeyDictionary()


class _Shared:
    """The owner of the one work array that all layers share."""


_SHARED = _Shared()


def kept(owner, name, shape, dtype, xp):
    """An uninitialized ``(shape, dtype)`` array on ``xp``'s device, the same memory for the same
    ``(owner, name)`` (made anew when a larger one is asked for, or one on another device: the old one
    is let go, as after its owner moved)."""
    dtype = numpy.dtype(dtype)
    nbytes = int(numpy.prod(shape)) * dtype.itemsize
    arrays = _kept.setdefault(owner, {})
    device, block = arrays.get(name, (None, None))
    if device != xp.__name__ or block.nbytes < nbytes:
        block = xp.empty(max(nbytes, 1), dtype=xp.uint8)
        arrays[name] = (xp.__name__, block)
    return block[:nbytes].view(dtype).reshape(shape)


def shared(shape, dtype, xp, name="shared"):
    """The work array ``name`` that every layer shares, for work finished before the layer returns."""
    return kept(_SHARED, name, shape, dtype, xp)


def samples_per_chunk(bytes_per_sample, batch):
    """How many samples of ``bytes_per_sample`` fit in :data:`SHARED_LIMIT` (at least 1, at most ``batch``)."""
    return max(1, min(batch, SHARED_LIMIT // max(1, bytes_per_sample)))
