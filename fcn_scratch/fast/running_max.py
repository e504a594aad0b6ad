"""Running max: max pooling as a running maximum of the window slices, with the arg-max kept branch-free.

It replaces :func:`fcn_scratch.functional.max_over_windows`, which stacks the
``kh*kw`` window slices and takes ``argmax``/``max`` over them, and
:func:`~fcn_scratch.functional.to_winners`, which adds each offset's share of
the gradient into a zeroed array. Here ``y`` is the running maximum of the
slices, so no stack of ``kh*kw`` copies is made, and which offset won is kept
in one byte per output; backward writes each offset's share straight in where
windows do not overlap, and zeroes nothing where they tile the input.

:class:`fcn_scratch.layers.MaxPool2d` has one fork per pass: where
:func:`pool_applies` holds, it hands its padded input to :func:`max_pool` and
its gradient to :func:`max_pool_backward`. Pooling is plane by plane, so the
``N*C`` planes (not only the ``N`` samples: one photo splits too) are cut
into parts for the threads (:mod:`.threads`). Inside ``no_grad()`` a layer
that returns no indices keeps no arg-max: nothing will read it.

Why the numbers are the same: comparisons and maxima of the same numbers, and
each gradient entry the same product: the results equal the textbook's bit
for bit, ties included, on one thread or several (``tests/fast/test_running_max.py``).
"""
from ..backend import get_array_module
from ..functional import window_slices
from . import threads
from .config import is_on


def pool_applies(x):
    """The named condition for this route: the ``running_max`` trick is on (it pools any window, stride
    and padded input)."""
    return is_on("running_max")


def max_pool(x_pad, kernel_size, stride, out_hw, keep_arg):
    """``(y, arg)`` of the padded input x_pad (N, C, H, W): y (N, C, H_out, W_out) the maximum of each
    window; arg the winning offset ``i*kw + j`` (the first on ties), or None unless ``keep_arg``."""
    xp = get_array_module(x_pad)
    shape = tuple(x_pad.shape[:2]) + tuple(out_hw)
    y = xp.empty(shape, dtype=x_pad.dtype)
    arg = xp.zeros(shape, dtype=offset_dtype(kernel_size, xp)) if keep_arg else None
    arrays = (x_pad, y, arg) if keep_arg else (x_pad, y)
    x_planes, y_planes, *arg_planes = threads.planes(*arrays)

    def part(_, planes):
        running_max(x_planes[planes], kernel_size, stride, y_planes[planes],
                    arg_planes[0][planes] if arg_planes else None)
    threads.split(part, "arithmetic", len(x_planes), *arrays)
    return y, arg


def max_pool_backward(grad_out, arg, padded_shape, kernel_size, stride):
    """d loss / d x_pad (``padded_shape``) from dy (N, C, H_out, W_out) and the winning offsets ``arg``."""
    xp = get_array_module(grad_out)
    dx_pad = gradient_array(padded_shape, arg.shape[2:], kernel_size, stride, grad_out.dtype, xp)
    dy_planes, arg_planes, dx_planes = threads.planes(grad_out, arg, dx_pad)

    def part(_, planes):
        to_winners(dy_planes[planes], arg_planes[planes], kernel_size, stride, dx_planes[planes])
    threads.split(part, "arithmetic", len(dx_planes), grad_out, arg, dx_pad)
    return dx_pad


def running_max(x_pad, kernel_size, stride, y, arg=None):
    """Write into y (N, C, H_out, W_out) the maximum of each window of x_pad (N, C, H, W) and, unless
    ``arg`` is None, into arg (N, C, H_out, W_out, zeros on entry) the winning offset ``i*kw + j`` (the
    first on ties)."""
    xp = get_array_module(x_pad)
    for t, window in window_slices(kernel_size, stride, y.shape[2:]):
        v = x_pad[window]
        if t == 0:
            y[...] = v
            continue
        if arg is not None:
            # "arg[v > y] = t" without a masked assignment, whose unpredictable branch is slow: arg < t
            # here, so adding (t - arg) exactly where v > y sets the new winners to t.
            arg += (v > y) * (arg.dtype.type(t) - arg)
        xp.maximum(y, v, out=y)


def offset_dtype(kernel_size, xp):
    """The smallest integer type that holds every window offset: one byte up to 16 x 16 windows."""
    return xp.uint8 if kernel_size[0] * kernel_size[1] < 256 else xp.int32


def gradient_array(padded_shape, out_hw, kernel_size, stride, dtype, xp):
    """The array :func:`to_winners` writes into: not zeroed where the windows tile the padded input."""
    tiled = (tuple(stride) == tuple(kernel_size)
             and tuple(padded_shape[2:]) == tuple(o * s for o, s in zip(out_hw, stride)))
    return (xp.empty if tiled else xp.zeros)(padded_shape, dtype=dtype)


def to_winners(grad_out, arg, kernel_size, stride, dx_pad):
    """Each dy (N, C, H_out, W_out) sent into dx_pad (from :func:`gradient_array`) to the element whose
    offset ``arg`` won its window. Windows that do not overlap write each element of dx at most once, so
    each offset's share is written straight in (``multiply(..., out=)``) rather than added."""
    xp = get_array_module(grad_out)
    overlapping = any(s < k for s, k in zip(stride, kernel_size))
    for t, window in window_slices(kernel_size, stride, arg.shape[2:]):
        if overlapping:
            dx_pad[window] += grad_out * (arg == t)
        else:
            xp.multiply(grad_out, arg == t, out=dx_pad[window])
