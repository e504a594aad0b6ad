"""ReLU's fast route: the planes of a map split over threads.

It replaces the textbook route of :class:`fcn_scratch.layers.ReLU`
(``mask = x > 0``, ``y = x * mask``, ``dx = dy * mask``) with the same
operations on each part (:mod:`.threads`), cut from the ``N*C`` planes, not
the ``N`` samples, so that one image splits too. Inside
:func:`fcn_scratch.no_grad` no mask is kept and ``y = max(x, 0)``.

Why the numbers are the same: the operations are elementwise, so each part
gives what the whole does; inside ``no_grad()`` the values are the same,
except that a negative input gives +0 where ``x * mask`` gives -0
(``tests/fast/test_relu.py``).
"""
from ..backend import get_array_module
from ..grad_mode import grad_enabled
from . import threads


def relu_applies(x):
    """The named condition for this route: the threads apply to x (:func:`.threads.applies`)."""
    return threads.applies(x)


def relu_forward(x, inplace):
    """``(y, mask)``: y = x * (x > 0), written over x when ``inplace``; mask, the bools (None inside
    ``no_grad()``, where y = max(x, 0))."""
    xp = get_array_module(x)
    y = x if inplace else xp.empty_like(x)
    if not grad_enabled():
        x_planes, y_planes = threads.planes(x, y)
        threads.split(lambda _, part: xp.maximum(x_planes[part], 0, out=y_planes[part]), "copies",
                      len(x_planes), x, y)
        return y, None
    mask = xp.empty(x.shape, dtype=bool)
    x_planes, y_planes, mask_planes = threads.planes(x, y, mask)

    def part(_, planes):
        xp.greater(x_planes[planes], 0, out=mask_planes[planes])
        xp.multiply(x_planes[planes], mask_planes[planes], out=y_planes[planes])
    threads.split(part, "copies", len(x_planes), x, y, mask)
    return y, mask


def relu_backward(grad_out, mask, inplace):
    """dx = dy * mask, written over dy when ``inplace``."""
    xp = get_array_module(grad_out)
    dx = grad_out if inplace else xp.empty_like(grad_out)
    dy_planes, mask_planes, dx_planes = threads.planes(grad_out, mask, dx)

    def part(_, planes):
        xp.multiply(dy_planes[planes], mask_planes[planes], out=dx_planes[planes])
    threads.split(part, "copies", len(dx_planes), grad_out, mask, dx)
    return dx
