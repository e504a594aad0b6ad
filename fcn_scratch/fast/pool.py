"""Max pooling as a running maximum, with the arg-max kept branch-free.

It replaces the textbook route of :class:`fcn_scratch.layers.MaxPool2d`,
which stacks the ``kh*kw`` window slices and takes ``argmax``/``max`` over
them. Here ``y`` is the running maximum of the slices, so no stack of
``kh*kw`` copies is made, and which offset won is kept in one byte per output.
Comparisons and maxima of the same numbers: the results equal the textbook's
bit for bit, ties included (``tests/fast/test_pool.py``).
"""
from ..backend import get_array_module
from ..grad_mode import grad_enabled
from . import threads
from .switch import is_on


def running_max_applies():
    """The named condition for :func:`maxpool_forward` and :func:`maxpool_backward`."""
    return is_on("running_max")


def maxpool_forward(layer, x_pad, out_hw):
    """``(y, arg)`` of ``layer`` (a MaxPool2d) on its padded input: y (N, C, H_out, W_out), the maxima;
    arg, the winning window offset ``i*kw + j`` of each (the first on ties), or None inside
    :func:`fcn_scratch.no_grad` when the layer returns no indices (nothing will read it).
    The planes are split over threads."""
    xp = get_array_module(x_pad)
    kh, kw = layer.kernel_size
    planes, = threads.planes(x_pad)
    y = xp.empty(planes.shape[:2] + tuple(out_hw), dtype=x_pad.dtype)
    keep_arg = grad_enabled() or layer.return_indices
    arg = xp.zeros(y.shape, dtype=xp.uint8 if kh * kw < 256 else xp.int32) if keep_arg else None

    def part(_, samples):
        x_part, y_part = planes[samples], y[samples]
        for t, window in layer.windows(out_hw):
            v = x_part[window]
            if t == 0:
                y_part[...] = v
                continue
            if keep_arg:
                # "arg[v > y] = t" without a masked assignment, whose unpredictable branch is slow: arg < t
                # here, so adding (t - arg) exactly where v > y sets the new winners to t.
                arg_part = arg[samples]
                arg_part += (v > y_part) * (arg.dtype.type(t) - arg_part)
            xp.maximum(y_part, v, out=y_part)
    threads.over_batch(planes, part)
    shape = x_pad.shape[:2] + tuple(out_hw)
    return y.reshape(shape), (arg.reshape(shape) if keep_arg else None)


def maxpool_backward(layer, grad_out, arg, padded_shape):
    """d loss / d x_pad (``padded_shape``) from dy and the winning offsets ``arg``, the planes split over threads.

    Windows that do not overlap write each element of dx at most once, so each
    offset's share is written straight in (``multiply(..., out=)``) rather than
    added; when they also tile the padded input, dx needs no zeroing first.
    """
    xp = get_array_module(grad_out)
    out_hw = arg.shape[2:]
    overlapping = any(s < k for s, k in zip(layer.stride, layer.kernel_size))
    tiled = (layer.stride == layer.kernel_size
             and tuple(padded_shape[2:]) == tuple(o * s for o, s in zip(out_hw, layer.stride)))
    dx_pad = (xp.empty if tiled else xp.zeros)(padded_shape, dtype=grad_out.dtype)
    dy_planes, arg_planes, dx_planes = threads.planes(grad_out, arg, dx_pad)

    def part(_, samples):
        dy, won, dx = dy_planes[samples], arg_planes[samples], dx_planes[samples]
        for t, window in layer.windows(out_hw):
            if overlapping:
                dx[window] += dy * (won == t)
            else:
                xp.multiply(dy, won == t, out=dx[window])
    threads.over_batch(dx_planes, part)
    return dx_pad
