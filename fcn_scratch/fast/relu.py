"""ReLU over the batch split by :mod:`fcn_scratch.fast.threads`.

It replaces the textbook route of :class:`fcn_scratch.layers.ReLU`
(``mask = x > 0``, ``y = x * mask``, ``dx = dy * mask``) with the same two
operations on each part of the batch: elementwise, so the same numbers.
"""
from ..backend import get_array_module
from . import threads


def relu_forward(x, inplace):
    """``(y, mask)``: y = x * (x > 0) (N, ...), written over x when ``inplace``; mask, the bools."""
    xp = get_array_module(x)
    mask = xp.empty(x.shape, dtype=bool)
    y = x if inplace else xp.empty_like(x)

    def part(_, samples):
        xp.greater(x[samples], 0, out=mask[samples])
        xp.multiply(x[samples], mask[samples], out=y[samples])
    threads.over_batch(x, part)
    return y, mask


def relu_backward(grad_out, mask, inplace):
    """dx = dy * mask (N, ...), written over dy when ``inplace``."""
    xp = get_array_module(grad_out)
    dx = grad_out if inplace else xp.empty_like(grad_out)

    def part(_, samples):
        xp.multiply(grad_out[samples], mask[samples], out=dx[samples])
    threads.over_batch(grad_out, part)
    return dx
