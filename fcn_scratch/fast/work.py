"""Where the fast routes get their work arrays: kept ones (:mod:`fcn_scratch.buffers`) while the
``kept_buffers`` trick is on, fresh ones otherwise. The aliasing rule of ``buffers`` applies."""
from .. import buffers
from .switch import is_on


def work_array(owner, name, shape, dtype, xp):
    """An uninitialized array for ``owner``'s work ``name``: the same memory each step, or fresh."""
    if is_on("kept_buffers"):
        return buffers.kept(owner, name, shape, dtype, xp)
    return xp.empty(shape, dtype=dtype)


def shared_work_array(shape, dtype, xp):
    """An uninitialized array for work that is over before the caller returns."""
    if is_on("kept_buffers"):
        return buffers.shared(shape, dtype, xp)
    return xp.empty(shape, dtype=dtype)
