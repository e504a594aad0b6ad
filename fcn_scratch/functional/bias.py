"""The bias of a convolution: one number per output channel, added at every pixel."""


def add_bias(y, bias):
    """``y[n, c, ...] += bias[c]``, in place, for y (N, C, ...) and bias (C,) (or None: no bias); returns y."""
    if bias is not None:
        y += bias.reshape((1, -1) + (1,) * (y.ndim - 2))
    return y
