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
backward, and go with the layer; the shared ones of a :class:`WorkArrays`
live within one call, and go when it lets them go.
"""
import weakref

import numpy

# How many bytes of shared work array a layer uses at a time. 32 MiB holds the gradient columns of
# a few full-size samples of the bench configuration: products stay large, memory stays bounded.
SHARED_LIMIT = 32 * 2 ** 20

_kept = weakref.WeakKeyDictionary()


def _block(arrays, name, shape, dtype, xp):
    """From ``arrays`` ({name: (device, block)}), an uninitialized ``(shape, dtype)`` view of the block
    ``name``, made anew when a larger one is asked for, or one on another device (the old one let go)."""
    dtype = numpy.dtype(dtype)
    nbytes = int(numpy.prod(shape)) * dtype.itemsize
    device, block = arrays.get(name, (None, None))
    if device != xp.__name__ or block.nbytes < nbytes:
        arrays[name] = None                 # the old block goes before the new one is made
        block = xp.empty(max(nbytes, 1), dtype=xp.uint8)
        arrays[name] = (xp.__name__, block)
    return block[:nbytes].view(dtype).reshape(shape)


def kept(owner, name, shape, dtype, xp):
    """An uninitialized ``(shape, dtype)`` array on ``xp``'s device, the same memory for the same
    ``(owner, name)`` while ``owner`` lives (made anew when a larger one is asked for, or one on another
    device: the old one is let go, as after its owner moved)."""
    return _block(_kept.setdefault(owner, {}), name, shape, dtype, xp)


class WorkArrays:
    """The work arrays that every layer of a thread shares, for work finished before the layer returns:
    one per name, each as large as its largest use so far."""

    def __init__(self):
        self._arrays = {}

    def get(self, name, shape, dtype, xp):
        """The work array ``name`` as an uninitialized ``(shape, dtype)`` array on ``xp``'s device."""
        return _block(self._arrays, name, shape, dtype, xp)

    @property
    def nbytes(self):
        """The bytes kept."""
        return sum(block.nbytes for _, block in self._arrays.values())

    def release(self):
        """Let every work array go (the next request makes a fresh one)."""
        self._arrays.clear()


def samples_per_chunk(bytes_per_sample, batch):
    """How many samples of ``bytes_per_sample`` fit in :data:`SHARED_LIMIT` (at least 1, at most ``batch``)."""
    return max(1, min(batch, SHARED_LIMIT // max(1, bytes_per_sample)))
