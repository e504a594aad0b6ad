"""Max pooling as a running maximum, with the arg-max kept branch-free.

It replaces the textbook route of :class:`fcn_scratch.layers.MaxPool2d`,
which stacks the ``kh*kw`` window slices and takes ``argmax``/``max`` over
them. Here ``y`` is the running maximum of the slices, so no stack of
``kh*kw`` copies is made, and which offset won is kept in one byte per output.
Comparisons and maxima of the same numbers: the results equal the textbook's
bit for bit, ties included (``tests/fast/test_pool.py``).
"""
from ..backend import get_array_module
from .switch import is_on


def running_max_applies():
    """The named condition for :func:`maxpool_forward` and :func:`maxpool_backward`."""
    return is_on("running_max")


def maxpool_forward(layer, x_pad, out_hw):
    """``(y, arg)`` of ``layer`` (a MaxPool2d) on its padded input: y (N, C, H_out, W_out), the maxima;
    arg, the winning window offset ``i*kw + j`` of each (the first on ties)."""
    xp = get_array_module(x_pad)
    kh, kw = layer.kernel_size
    arg = xp.zeros(x_pad.shape[:2] + tuple(out_hw), dtype=xp.uint8 if kh * kw < 256 else xp.int32)
    y = None
    for t, window in layer.windows(out_hw):
        if y is None:
            y = x_pad[window].copy()
            continue
        v = x_pad[window]
        # "arg[v > y] = t" without a masked assignment, whose unpredictable branch is slow: arg < t
        # here, so adding (t - arg) exactly where v > y sets the new winners to t.
        arg += (v > y) * (arg.dtype.type(t) - arg)
        xp.maximum(y, v, out=y)
    return y, arg


def maxpool_backward(layer, grad_out, arg, padded_shape):
    """d loss / d x_pad (``padded_shape``) from dy and the winning offsets ``arg``.

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
    for t, window in layer.windows(out_hw):
        if overlapping:
            dx_pad[window] += grad_out * (arg == t)
        else:
            xp.multiply(grad_out, arg == t, out=dx_pad[window])
    return dx_pad
