"""Exercise 5, after lesson 3: the bilinear kernel that FCN's upsampling starts from.

A transposed convolution with kernel 2f and stride f, whose weights are this
kernel, upsamples by f with bilinear interpolation. FCN starts every upsampling
layer there (and keeps the last one there). Each channel is upsampled on its own.

Check:  python lessons/exercises/check.py bilinear          (add --hint for a hint)
"""
import numpy as np


def bilinear_kernel(channels, kernel_size):
    """Weights (channels, channels, k, k) for a transposed convolution that upsamples bilinearly.

    The 1-D tent over the taps t = 0 .. k-1:

        tent[t] = 1 - |t - centre| / factor,   factor = ceil(k / 2),   centre = (k - 1) / 2

    (for k = 4: 0.25, 0.75, 0.75, 0.25). The 2-D kernel is the outer product
    tent[i] * tent[j]. Channel c feeds only channel c:

        weight[c, c] = the 2-D kernel,   weight[c, d] = 0 for d != c
    """
    raise NotImplementedError
