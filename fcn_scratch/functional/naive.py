"""Slow reference versions, written straight from the definitions.

They loop over output (or input) pixels, so they are obviously right and
hopelessly slow: the tests hold the fast layers to them, and the lessons and
the benchmark show what im2col buys. Host or device arrays, any float dtype.
"""
from ..backend import get_array_module
from .im2col import conv_output_size, pair, pool_output_size


def conv2d_naive(x, weight, bias=None, stride=1, padding=0):
    """y[n, o, r, c] = b[o] + sum_{i, u, v} x_pad[n, i, r*sh + u, c*sw + v] * w[o, i, u, v].

    x (N, C_in, H, W), weight (C_out, C_in, kh, kw) -> (N, C_out, H_out, W_out);
    ``stride`` and ``padding`` an int or a pair (rows, columns)
    """
    xp = get_array_module(x)
    n, _, h, w = x.shape
    c_out, _, kh, kw = weight.shape
    (sh, sw), (ph, pw) = pair(stride, "stride"), pair(padding, "padding")
    ho, wo = conv_output_size(h, kh, sh, ph), conv_output_size(w, kw, sw, pw)
    x_pad = xp.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    y = xp.zeros((n, c_out, ho, wo), dtype=x.dtype)
    for r in range(ho):
        for c in range(wo):
            window = x_pad[:, :, r * sh:r * sh + kh, c * sw:c * sw + kw]
            y[:, :, r, c] = xp.tensordot(window, weight, axes=([1, 2, 3], [1, 2, 3]))
    if bias is not None:
        y += bias.reshape(1, -1, 1, 1)
    return y


def conv_transpose2d_naive(x, weight, bias=None, stride=1, padding=0, output_padding=0):
    """Every input pixel adds ``x[n, i, r, c] * w[i, :, :, :]`` at output ``(r*s - p, c*s - p)``.

    x (N, C_in, H, W), weight (C_in, C_out, kh, kw)
    -> (N, C_out, (H-1)s - 2p + kh + output_padding, likewise for W)
    """
    xp = get_array_module(x)
    n, _, h, w = x.shape
    _, c_out, kh, kw = weight.shape
    full = xp.zeros((n, c_out, (h - 1) * stride + kh + output_padding, (w - 1) * stride + kw + output_padding),
                    dtype=x.dtype)
    for r in range(h):
        for c in range(w):
            full[:, :, r * stride:r * stride + kh, c * stride:c * stride + kw] += xp.tensordot(
                x[:, :, r, c], weight, axes=([1], [0]))
    y = full[:, :, padding:full.shape[2] - padding, padding:full.shape[3] - padding]
    if bias is not None:
        y = y + bias.reshape(1, -1, 1, 1)
    return y


def maxpool2d_naive(x, kernel_size, stride=None, padding=0, ceil_mode=False):
    """y[n, c, r, col] = max of the window at (r*s - p, col*s - p), padding being -inf.

    Returns ``(y, indices)`` with indices flat in each input plane, the first
    maximum in row-major window order on ties. x (N, C, H, W) -> (N, C, H_out, W_out) twice.
    """
    xp = get_array_module(x)
    stride = stride or kernel_size
    n, ch, h, w = x.shape
    ho = pool_output_size(h, kernel_size, stride, padding, ceil_mode)
    wo = pool_output_size(w, kernel_size, stride, padding, ceil_mode)
    y = xp.zeros((n, ch, ho, wo), dtype=x.dtype)
    indices = xp.zeros((n, ch, ho, wo), dtype=xp.int64)
    for r in range(ho):
        for c in range(wo):
            best = xp.full((n, ch), -xp.inf, dtype=x.dtype)
            for u in range(kernel_size):
                for v in range(kernel_size):
                    row, col = r * stride - padding + u, c * stride - padding + v
                    if 0 <= row < h and 0 <= col < w:
                        better = x[:, :, row, col] > best
                        best = xp.where(better, x[:, :, row, col], best)
                        indices[:, :, r, c] = xp.where(better, row * w + col, indices[:, :, r, c])
            y[:, :, r, c] = best
    return y, indices
