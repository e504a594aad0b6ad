"""Exercise 2, after lesson 1: Conv2d's forward pass, im2col and one matrix product.

The layer every FCN is made of. A deep-learning convolution is a
cross-correlation (no kernel flip), with one bias per output channel.
Use your im2col (``from ex01_im2col import im2col``) or, if it is not done
yet, the library's: ``fcn_scratch.functional.im2col(x, (k, k), (s, s), (p, p))``.

Check:  python lessons/exercises/check.py conv_forward          (add --hint for a hint)
"""
import numpy as np


def conv2d_forward(x, weight, bias, stride=1, padding=0):
    """A 2-D convolution of ``x`` with ``weight``, plus ``bias``.

    x:       (N, C_in, H, W)
    weight:  (C_out, C_in, k, k)
    bias:    (C_out,)
    y:       (N, C_out, H_out, W_out),   H_out = (H + 2p - k) // s + 1, W_out likewise

        y[n, o, r, q] = bias[o] + sum over c, i, j of x_pad[n, c, r*s + i, q*s + j] * weight[o, c, i, j]

    As matrices: y[n] = W_col @ cols[n] + bias[:, None], with
    W_col = weight.reshape(C_out, C_in*k*k) and cols = im2col(x, k, s, p).
    Keep the input's dtype.
    """
    raise NotImplementedError
