"""Conv2d: a 2-D convolution as im2col plus one matrix product."""
from .. import backend, fast
from ..functional import (col2im, conv_output_size, im2col, kaiming_normal, matmul, matmul_sum_batch, pair,
                          zeros)
from .base import Layer


class Conv2d(Layer):
    """2-D convolution (cross-correlation, as in PyTorch), weight ``(C_out, C_in, kh, kw)``.

    forward:  x (N, C_in, H, W) -> y (N, C_out, H_out, W_out)
              y[n] = W_col @ im2col(x)[n] + b,   W_col = W.reshape(C_out, C_in*kh*kw)
              H_out = (H + 2p - kh) // s + 1   (likewise W_out)
    backward: dy (N, C_out, H_out, W_out) ->
              dW = sum_n dy[n] @ cols[n].T,  db = sum of dy over N, H, W,
              dx = col2im(W_col.T @ dy)   (skipped with ``backward(dy, input_grad=False)``)

    Weights start He-normal (fan-in ``C_in*kh*kw``), bias at zero.
    Where a trick of :mod:`fcn_scratch.fast` applies, the layer takes it by name
    (the same numbers, faster); ``fast.enabled(False)`` leaves the formulas alone.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, bias=True,
                 rng=None, dtype=None):
        super().__init__()
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = pair(kernel_size, "kernel_size")
        self.stride = pair(stride, "stride")
        self.padding = pair(padding, "padding")
        kh, kw = self.kernel_size
        rng = rng if rng is not None else backend.global_rng()
        self.add_param("weight", kaiming_normal((out_channels, in_channels, kh, kw), in_channels * kh * kw, rng, dtype))
        if bias:
            self.add_param("bias", zeros((out_channels,), dtype))

    def extra_repr(self):
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}, bias={'bias' in self.params}")

    def output_size(self, h, w):
        """``(H_out, W_out)`` for an input of ``(H, W)``."""
        return tuple(conv_output_size(size, k, s, p) for size, k, s, p in
                     zip((h, w), self.kernel_size, self.stride, self.padding))

    def forward(self, x):
        self.check_input(x, self.in_channels)
        if fast.bands_apply(self, x):              # no_grad() on a large map: no whole column matrix
            return fast.conv2d_forward_in_bands(self, x)
        n, _, h, w = x.shape
        ho, wo = self.output_size(h, w)
        if fast.columns_apply():
            y, cols = fast.conv_forward_in_parts(self, x)
        else:
            cols = im2col(x, self.kernel_size, self.stride, self.padding)
            w_col = self.params["weight"].reshape(self.out_channels, -1)
            y = matmul(w_col, cols)                               # (N, C_out, H_out*W_out)
            if "bias" in self.params:
                y += self.params["bias"][:, None]
        rebuilt = fast.columns_rebuilt_apply(self)
        self.cache = (x.shape, x if rebuilt else cols, rebuilt)    # rebuilt: backward fills cols again
        return y.reshape(n, self.out_channels, ho, wo)

    def backward(self, grad_out, input_grad=True):
        """dy (N, C_out, H_out, W_out) -> dx (N, C_in, H, W), or None when ``input_grad`` is False.

        A net's first convolution reads the image, which nothing upstream
        learns from: ``input_grad=False`` skips its input gradient (a product
        and a col2im over the full-size image), as PyTorch does for an input
        that does not require a gradient.
        """
        x_shape, cols, rebuilt = self.saved()
        n = x_shape[0]
        self.check_grad(grad_out, (n, self.out_channels) + self.output_size(*x_shape[2:]))
        dy = grad_out.reshape(n, self.out_channels, -1)
        weight = self.params["weight"]
        if self.needs_grad("weight"):
            if rebuilt:
                cols = fast.rebuild_columns(self, cols)
            if fast.tall_first_applies():
                self.grads["weight"] = fast.matmul_sum_batch_tall_first(dy, cols).reshape(weight.shape)
            else:
                self.grads["weight"] = matmul_sum_batch(dy, cols).reshape(weight.shape)
        if self.needs_grad("bias"):
            self.grads["bias"] = dy.sum(axis=(0, 2))
        if not input_grad:
            return None
        if fast.flipped_kernel_applies(self):
            return fast.input_grad_flipped_kernel(self, grad_out, x_shape)
        if fast.col2im_in_chunks_applies():
            return fast.input_grad_col2im_in_chunks(self, grad_out, x_shape)
        w_col = weight.reshape(self.out_channels, -1)
        return col2im(matmul(w_col.T, dy), x_shape, self.kernel_size, self.stride, self.padding)
