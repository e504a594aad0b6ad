"""Conv2d: a 2-D convolution as im2col plus one matrix product."""
from .. import backend, fast
from ..functional import (add_bias, col2im, conv_output_size, im2col, kaiming_normal, matmul, matmul_sum_batch,
                          pair, zeros)
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
    Where a trick of :mod:`fcn_scratch.fast` applies, forward takes the fast
    route (:mod:`fcn_scratch.fast.conv2d`: the same formulas, faster) and its
    cache says so, and backward follows it; ``fast.enabled(False)`` leaves the
    formulas alone.
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
        n, _, h, w = x.shape
        ho, wo = self.output_size(h, w)
        weight, bias = self.params["weight"], self.params.get("bias")
        if fast.conv_applies(self, x):
            y, saved = fast.conv2d_forward(x, weight, bias, self.stride, self.padding, owner=self)
            self.cache = ("fast", x.shape, saved)
        else:
            cols = im2col(x, self.kernel_size, self.stride, self.padding)
            y = add_bias(matmul(weight.reshape(self.out_channels, -1), cols), bias)   # (N, C_out, H_out*W_out)
            self.cache = ("textbook", x.shape, cols)
        return y.reshape(n, self.out_channels, ho, wo)

    def backward(self, grad_out, input_grad=True):
        """dy (N, C_out, H_out, W_out) -> dx (N, C_in, H, W), or None when ``input_grad`` is False.

        A net's first convolution reads the image, which nothing upstream
        learns from: ``input_grad=False`` skips its input gradient (a product
        and a col2im over the full-size image), as PyTorch does for an input
        that does not require a gradient.
        """
        route, x_shape, saved = self.saved()
        n = x_shape[0]
        self.check_grad(grad_out, (n, self.out_channels) + self.output_size(*x_shape[2:]))
        dy = grad_out.reshape(n, self.out_channels, -1)
        weight = self.params["weight"]
        if self.needs_grad("bias"):
            self.grads["bias"] = dy.sum(axis=(0, 2))
        if route == "fast":
            d_weight, dx = fast.conv2d_backward(saved, grad_out, weight, self.stride, self.padding, x_shape,
                                                weight_grad=self.needs_grad("weight"), input_grad=input_grad)
        else:
            cols, w_col = saved, weight.reshape(self.out_channels, -1)
            d_weight = matmul_sum_batch(dy, cols) if self.needs_grad("weight") else None
            dx = None
            if input_grad:
                dx = col2im(matmul(w_col.T, dy), x_shape, self.kernel_size, self.stride, self.padding)
        if d_weight is not None:
            self.grads["weight"] = d_weight.reshape(weight.shape)
        return dx
