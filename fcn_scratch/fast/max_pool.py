"""MaxPool2d's fast route: its planes split over threads, pooled by the running maximum or the definitions.

:class:`fcn_scratch.layers.MaxPool2d` has one fork per pass: where
:func:`pool_applies` holds, it hands its padded input to :func:`max_pool` and
its gradient to :func:`max_pool_backward`. Pooling is plane by plane, so the
``N*C`` planes (not only the ``N`` samples: one photo splits too) are cut
into parts for the threads (:mod:`.threads`), and each part is pooled by the
running maximum (:mod:`.running_max`) where that trick is on, else by the
definitions (:func:`fcn_scratch.functional.max_over_windows`,
:func:`~fcn_scratch.functional.to_winners`). Inside ``no_grad()`` a layer that
returns no indices keeps no arg-max: nothing will read it.

Why the numbers are the same: every plane is pooled by the same operations as
the whole batch; ``tests/fast/test_max_pool.py`` and ``tests/fast/test_threads.py``
hold the route to the textbook one, bit for bit.
"""
from ..backend import get_array_module
from ..functional import max_over_windows, to_winners
from . import running_max, threads
from .switch import is_on


def pool_applies(x):
    """The named condition for this route: the ``running_max`` trick is on, or the threads apply to x."""
    return is_on("running_max") or threads.applies(x)


def max_pool(x_pad, kernel_size, stride, out_hw, keep_arg):
    """``(y, arg)`` of the padded input x_pad (N, C, H, W): y (N, C, H_out, W_out) the maximum of each
    window; arg the winning offset ``i*kw + j`` (the first on ties), or None unless ``keep_arg``."""
    xp = get_array_module(x_pad)
    shape = tuple(x_pad.shape[:2]) + tuple(out_hw)
    y = xp.empty(shape, dtype=x_pad.dtype)
    arg = xp.zeros(shape, dtype=running_max.offset_dtype(kernel_size, xp)) if keep_arg else None
    arrays = (x_pad, y, arg) if keep_arg else (x_pad, y)
    x_planes, y_planes, *arg_planes = threads.planes(*arrays)
    by_running_max = is_on("running_max")

    def part(_, planes):
        mine = arg_planes[0][planes] if arg_planes else None
        if by_running_max:
            running_max.running_max(x_planes[planes], kernel_size, stride, y_planes[planes], mine)
            return
        y_planes[planes], won = max_over_windows(x_planes[planes], kernel_size, stride, out_hw)
        if mine is not None:
            mine[...] = won
    threads.split(part, "arithmetic", len(x_planes), *arrays)
    return y, arg


def max_pool_backward(grad_out, arg, padded_shape, kernel_size, stride):
    """d loss / d x_pad (``padded_shape``) from dy (N, C, H_out, W_out) and the winning offsets ``arg``."""
    xp = get_array_module(grad_out)
    by_running_max = is_on("running_max")
    if by_running_max:
        dx_pad = running_max.gradient_array(padded_shape, arg.shape[2:], kernel_size, stride, grad_out.dtype, xp)
    else:
        dx_pad = xp.empty(padded_shape, dtype=grad_out.dtype)
    dy_planes, arg_planes, dx_planes = threads.planes(grad_out, arg, dx_pad)

    def part(_, planes):
        if by_running_max:
            running_max.to_winners(dy_planes[planes], arg_planes[planes], kernel_size, stride, dx_planes[planes])
        else:
            dx_planes[planes] = to_winners(dy_planes[planes], arg_planes[planes], dx_planes[planes].shape,
                                           kernel_size, stride)
    threads.split(part, "arithmetic", len(dx_planes), grad_out, arg, dx_pad)
    return dx_pad
