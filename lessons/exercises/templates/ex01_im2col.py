"""Exercise 1, after lesson 1: im2col, every convolution window as a column.

A convolution slides a k x k window over the zero-padded image. im2col copies
each window into one column of a matrix; then the whole convolution is one
matrix product with the flattened weights (exercise 2), which NumPy hands to
a fast BLAS.

Write im2col below, then check it:

    python lessons/exercises/check.py im2col          (add --hint for a hint)
"""
import numpy as np


def im2col(x, kernel_size, stride=1, padding=0):
    """Unfold every ``kernel_size x kernel_size`` window of ``x`` into a column.

    x:     (N, C, H, W)
    cols:  (N, C*k*k, H_out*W_out),   H_out = (H + 2p - k) // s + 1, W_out likewise

        cols[n, c*k*k + i*k + j, r*W_out + q] = x_pad[n, c, r*s + i, q*s + j]

    with k = kernel_size, s = stride, p = padding, and x_pad the image with p
    zeros added on each side of H and of W. Rows go channel first, then kernel
    row i, then kernel column j: the order of a weight (C_out, C, k, k) reshaped
    to (C_out, C*k*k). Columns go output row r first, then output column q.
    Keep the input's dtype (float32 in, float32 out).
    """
    raise NotImplementedError
