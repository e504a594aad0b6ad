"""ReLU over the planes of a map, split by :mod:`fcn_scratch.fast.threads`.

It replaces the textbook route of :class:`fcn_scratch.layers.ReLU`
(``mask = x > 0``, ``y = x * mask``, ``dx = dy * mask``) with the same two
operations on each part: elementwise, so the same numbers. The parts are cut
from the N*C planes, not the N samples, so that one image splits too.
Inside :func:`fcn_scratch.no_grad` no mask is kept and ``y = max(x, 0)``:
the same values, except that a negative input gives +0 where ``x * mask`` gives -0.
"""
from ..backend import get_array_module
from ..grad_mode import grad_enabled
from . import threads


def relu_forward(x, inplace):
    """``(y, mask)``: y = x * (x > 0), written over x when ``inplace``; mask, the bools (None inside
    ``no_grad()``, where y = max(x, 0))."""
    xp = get_array_module(x)
    y = x if inplace else xp.empty_like(x)
    x_planes, y_planes = threads.planes(x, y)
    if not grad_enabled():
        threads.over_batch(x_planes, lambda _, part: xp.maximum(x_planes[part], 0, out=y_planes[part]))
        return y, None
    mask = xp.empty(x.shape, dtype=bool)
    x_planes, y_planes, mask_planes = threads.planes(x, y, mask)

    def part(_, planes):
        xp.greater(x_planes[planes], 0, out=mask_planes[planes])
        xp.multiply(x_planes[planes], mask_planes[planes], out=y_planes[planes])
    threads.over_batch(x_planes, part)
    return y, mask


def relu_backward(grad_out, mask, inplace):
    """dx = dy * mask, written over dy when ``inplace``."""
    xp = get_array_module(grad_out)
    dx = grad_out if inplace else xp.empty_like(grad_out)
    dy_planes, mask_planes, dx_planes = threads.planes(grad_out, mask, dx)

    def part(_, planes):
        xp.multiply(dy_planes[planes], mask_planes[planes], out=dx_planes[planes])
    threads.over_batch(dx_planes, part)
    return dx
