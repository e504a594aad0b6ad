"""Exercise 3, after lesson 2: max pooling, forward with indices and backward with ties.

Max pooling keeps the largest value of each window; its gradient flows only
to the element that won. The indices say which one won, so that backward (and
unpooling, lesson 3) can find it again. On ties exactly one element wins: the
first in the window's row-major order (top row first, then left to right), as
in PyTorch and in the package's MaxPool2d. No padding here, and windows that do
not fit are dropped (floor rounding).

Check:  python lessons/exercises/check.py maxpool          (add --hint for a hint)
"""
import numpy as np


def maxpool_forward(x, kernel_size, stride):
    """The maximum of each ``kernel_size x kernel_size`` window at ``stride``, and where it was.

    x:        (N, C, H, W)
    y:        (N, C, H_out, W_out),   H_out = (H - k) // s + 1, W_out likewise
    indices:  (N, C, H_out, W_out) integers: the flat position row * W + col, in its
              (H, W) input plane, of the element that y[n, c, r, q] came from

        y[n, c, r, q] = max over i, j < k of x[n, c, r*s + i, q*s + j]

    Returns ``(y, indices)``. On ties the first maximum in row-major window order wins.
    y keeps x's dtype (float32 in, float32 out: the next layer expects it).
    """
    raise NotImplementedError


def maxpool_backward(dy, indices, x_shape):
    """The gradient of max pooling: each dy goes to the element its window took.

    dy:       (N, C, H_out, W_out)
    indices:  (N, C, H_out, W_out), from maxpool_forward
    x_shape:  (N, C, H, W)
    dx:       (N, C, H, W)

        dx[n, c].flat[indices[n, c, r, q]] += dy[n, c, r, q]   for every (r, q)

    Overlapping windows (k > s) can take the same element: then it gets the sum.
    dx keeps dy's dtype.
    """
    raise NotImplementedError
