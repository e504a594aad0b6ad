"""Flipped kernel: a stride-1 convolution's input gradient as a convolution of ``dy``.

It replaces the textbook input gradient of :class:`fcn_scratch.layers.Conv2d`,
``dx = col2im(W_col.T @ dy)``: a ``(N, C_in*kh*kw, H_out*W_out)`` product, then
a scatter-add. With stride 1 the input gradient is itself a convolution, of
``dy`` padded by ``k - 1 - p`` with the kernel flipped in space and its channel
axes swapped:

    dx[c, a, b] = sum over o, i, j of dy[o, a + p - i, b + p - j] * W[o, c, i, j];

with ``i' = k - 1 - i`` that is a correlation of dy padded by ``k - 1 - p``
with the kernel ``W[o, c, k - 1 - i', k - 1 - j']``. It costs an
``(N, C_out*kh*kw, H*W)`` im2col and a product whose output is dx itself, with
no scatter-add: cheaper when ``C_out <= C_in``.

Why the numbers agree: each entry of dx is the same sum of the same products,
added in another order (by the BLAS), so the two agree with the textbook to
float rounding (``tests/fast/test_flipped_kernel.py``).
"""
from ..functional import matmul
from .flat_shifts import fill_columns
from .kept_buffers import in_chunks
from .switch import is_on


def applies(weight_shape, stride, padding):
    """The named condition: the ``flipped_kernel`` trick is on, and a convolution of weight (C_out, C_in,
    kh, kw) has stride 1, no more output than input channels, and padding smaller than its kernel."""
    c_out, c_in, kh, kw = weight_shape
    return (is_on("flipped_kernel") and tuple(stride) == (1, 1) and c_out <= c_in
            and all(p < k for p, k in zip(padding, (kh, kw))))


def input_gradient(grad_out, weight, padding, dx):
    """dx (N, C_in, H, W), written, from dy (N, C_out, H, W) and weight (C_out, C_in, kh, kw), for stride 1."""
    c_out, c_in, kh, kw = weight.shape
    h, w = dx.shape[2:]
    flipped_padding = (kh - 1 - padding[0], kw - 1 - padding[1])
    flipped = weight[:, :, ::-1, ::-1].transpose(1, 0, 2, 3).reshape(c_in, -1)

    def route(samples, work):
        dy_cols = fill_columns(work, grad_out[samples], (kh, kw), (1, 1), flipped_padding)
        matmul(flipped, dy_cols, out=dx[samples].reshape(-1, c_in, h * w))
    in_chunks(route, dx.shape[0], (c_out * kh * kw, h * w), grad_out, dx)
    return dx
