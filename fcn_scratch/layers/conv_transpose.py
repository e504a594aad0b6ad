"""ConvTranspose2d: the adjoint of a convolution, the FCN paper's "deconvolution"."""
from .. import backend, fast
from ..errors import InputError
from ..functional import (add_bias, col2im, im2col, kaiming_normal, matmul, matmul_sum_batch, pair,
                          transposed_output_size, zeros)
from .base import Layer


class ConvTranspose2d(Layer):
    """Transposed convolution, weight ``(C_in, C_out, kh, kw)`` as in PyTorch.

    It is the backward pass of a Conv2d run forward: each input pixel scatters
    a ``kh x kw`` patch, weighted by the kernel, into the output at stride ``s``.

    forward:  x (N, C_in, H, W) -> y (N, C_out, H_out, W_out)
              y[n] = col2im(W_mat.T @ x[n]) + b,   W_mat = W.reshape(C_in, C_out*kh*kw)
              H_out = (H - 1) s - 2p + kh + output_padding
    backward: dy -> cols = im2col(dy),  dx[n] = W_mat @ cols[n],
              dW = sum_n x[n] @ cols[n].T,  db = sum of dy over N, H, W

    With stride ``f`` and kernel ``2f`` it upsamples by ``f``; weights from
    :func:`fcn_scratch.functional.bilinear_kernel` make that bilinear.
    Weights otherwise start He-normal with fan-in ``C_in*kh*kw / (sh*sw)``,
    the number of input values that reach one output pixel.
    Where the stride divides the kernel, as in all of FCN's upsampling layers,
    forward takes the fast route (:mod:`fcn_scratch.fast.phases`: a small
    convolution and a reshuffle) and its cache says so, and backward follows it.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0,
                 bias=True, rng=None, dtype=None):
        super().__init__()
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = pair(kernel_size, "kernel_size")
        self.stride = pair(stride, "stride")
        self.padding = pair(padding, "padding")
        self.output_padding = pair(output_padding, "output_padding")
        if any(op >= s for op, s in zip(self.output_padding, self.stride)):
            raise InputError(f"output_padding {self.output_padding} must be smaller than stride {self.stride}")
        kh, kw = self.kernel_size
        rng = rng if rng is not None else backend.global_rng()
        fan_in = max(1, in_channels * kh * kw // (self.stride[0] * self.stride[1]))
        self.add_param("weight", kaiming_normal((in_channels, out_channels, kh, kw), fan_in, rng, dtype))
        if bias:
            self.add_param("bias", zeros((out_channels,), dtype))

    def extra_repr(self):
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}, output_padding={self.output_padding}, "
                f"bias={'bias' in self.params}")

    def output_size(self, h, w):
        """``(H_out, W_out)`` for an input of ``(H, W)``."""
        return tuple(transposed_output_size(size, k, s, p, op) for size, k, s, p, op in
                     zip((h, w), self.kernel_size, self.stride, self.padding, self.output_padding))

    def forward(self, x):
        self.check_input(x, self.in_channels)
        n, _, h, w = x.shape
        ho, wo = self.output_size(h, w)
        weight = self.params["weight"]
        if fast.conv_transpose_applies(self, x):
            y, cols = fast.conv_transpose_phase(x, weight, self.stride, (ho, wo))
            self.cache = ("fast", x, cols)
        else:
            w_mat = weight.reshape(self.in_channels, -1)
            y = col2im(matmul(w_mat.T, x.reshape(n, self.in_channels, h * w)),
                       (n, self.out_channels, ho, wo), self.kernel_size, self.stride, self.padding)
            self.cache = ("textbook", x, None)
        return add_bias(y, self.params.get("bias"))

    def backward(self, grad_out):
        route, x, cols = self.saved()
        n, _, h, w = x.shape
        self.check_grad(grad_out, (n, self.out_channels) + self.output_size(h, w))
        weight = self.params["weight"]
        if self.needs_grad("bias"):
            self.grads["bias"] = grad_out.sum(axis=(0, 2, 3))
        if route == "fast":
            dx, d_weight = fast.conv_transpose_phase_backward(x.shape, cols, weight, grad_out, self.stride,
                                                              weight_grad=self.needs_grad("weight"))
        else:
            cols = im2col(grad_out, self.kernel_size, self.stride, self.padding)
            d_weight = None
            if self.needs_grad("weight"):
                d_weight = matmul_sum_batch(x.reshape(n, self.in_channels, h * w), cols).reshape(weight.shape)
            dx = matmul(weight.reshape(self.in_channels, -1), cols).reshape(x.shape)
        if d_weight is not None:
            self.grads["weight"] = d_weight
        return dx
