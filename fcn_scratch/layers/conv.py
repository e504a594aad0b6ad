"""Conv2d: a 2-D convolution as im2col plus one matrix product."""
from .. import backend
from ..functional import col2im, conv_output_size, im2col, kaiming_normal, matmul_sum_batch, pair, zeros
from .base import Layer


class Conv2d(Layer):
    """2-D convolution (cross-correlation, as in PyTorch), weight ``(C_out, C_in, kh, kw)``.

    forward:  x (N, C_in, H, W) -> y (N, C_out, H_out, W_out)
              y[n] = W_col @ im2col(x)[n] + b,   W_col = W.reshape(C_out, C_in*kh*kw)
              H_out = (H + 2p - kh) // s + 1   (likewise W_out)
    backward: dy (N, C_out, H_out, W_out) ->
              dW = sum_n dy[n] @ cols[n].T,  db = sum of dy over N, H, W,
              dx = col2im(W_col.T @ dy)   (skipped with ``backward(dy, input_grad=False)``)

    With stride 1 the input gradient is itself a convolution: of ``dy``,
    padded by ``k - 1 - p``, with the kernel flipped in space and its two
    channel axes swapped. Computed that way (im2col of ``dy`` and a product
    whose output is only ``dx``) it skips the ``(N, C_in*kh*kw, H*W)`` product
    and the scatter-add of col2im, at the price of an ``(N, C_out*kh*kw, H*W)``
    im2col: the layer takes that route when ``C_out <= C_in``, where it saves
    about a third of the time. The tests hold it to the col2im route.

    Weights start He-normal (fan-in ``C_in*kh*kw``), bias at zero.
    The column matrix of the forward pass, which backward reads, lives in a
    buffer the layer reuses from one call to the next (:meth:`Layer.scratch`);
    the ones backward needs only for a moment live in the workspace that all
    layers share (:func:`fcn_scratch.backend.workspace`).
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
        xp = backend.get_array_module(x)
        kh, kw = self.kernel_size
        cols = im2col(x, self.kernel_size, self.stride, self.padding,
                      out=self.scratch("cols", (n, self.in_channels * kh * kw, ho * wo), x.dtype, xp))
        w_col = self.params["weight"].reshape(self.out_channels, -1)
        y = w_col @ cols
        if "bias" in self.params:
            y += self.params["bias"][:, None]
        self.cache = (x.shape, cols, (ho, wo))
        return y.reshape(n, self.out_channels, ho, wo)

    def backward(self, grad_out, input_grad=True):
        """dy (N, C_out, H_out, W_out) -> dx (N, C_in, H, W), or None when ``input_grad`` is False.

        A net's first convolution reads the image, which nothing upstream
        learns from: ``input_grad=False`` skips its input gradient (a product
        and a col2im over the full-size image), as PyTorch does for an input
        that does not require a gradient.
        """
        x_shape, cols, out_hw = self.saved()
        n = x_shape[0]
        self.check_grad(grad_out, (n, self.out_channels) + out_hw)
        dy = grad_out.reshape(n, self.out_channels, -1)
        weight = self.params["weight"]
        if self.needs_grad("weight"):
            self.grads["weight"] = matmul_sum_batch(dy, cols).reshape(weight.shape)
        if self.needs_grad("bias"):
            self.grads["bias"] = dy.sum(axis=(0, 2))
        if not input_grad:
            return None
        return self._input_grad(grad_out, x_shape)

    def _input_grad(self, grad_out, x_shape):
        """dx, a few samples at a time: each chunk's column matrix fits the shared workspace
        (``backend.WORKSPACE_LIMIT``), so memory stays bounded while the products stay large."""
        xp = backend.get_array_module(grad_out)
        n, _, h, w = x_shape
        (kh, kw), (ho, wo) = self.kernel_size, grad_out.shape[2:]
        as_convolution = self.input_grad_route() == "convolution"
        if as_convolution:
            per_sample = self.out_channels * kh * kw * h * w
        else:
            per_sample = self.in_channels * kh * kw * ho * wo
        chunk = backend.samples_per_chunk(per_sample * grad_out.dtype.itemsize, n)
        dx = xp.empty(x_shape, dtype=grad_out.dtype)
        route = self._input_grad_as_convolution if as_convolution else self._input_grad_by_col2im
        for start in range(0, n, chunk):
            route(grad_out[start:start + chunk], dx[start:start + chunk])
        return dx

    def input_grad_route(self):
        """How :meth:`backward` computes dx: ``"convolution"`` (of dy with the flipped kernel; stride 1
        and ``C_out <= C_in``) or ``"col2im"``."""
        if (self.stride == (1, 1) and self.out_channels <= self.in_channels
                and all(p < k for p, k in zip(self.padding, self.kernel_size))):
            return "convolution"
        return "col2im"

    def _input_grad_by_col2im(self, grad_out, dx):
        """dx = col2im(W_col.T @ dy), written into ``dx``: the adjoint of the forward pass."""
        xp = backend.get_array_module(grad_out)
        n, (kh, kw), (ho, wo) = dx.shape[0], self.kernel_size, grad_out.shape[2:]
        dy = grad_out.reshape(n, self.out_channels, ho * wo)
        w_col = self.params["weight"].reshape(self.out_channels, -1)
        d_cols = xp.matmul(w_col.T, dy, out=backend.workspace((n, self.in_channels * kh * kw, ho * wo), dy.dtype, xp))
        col2im(d_cols, dx.shape, self.kernel_size, self.stride, self.padding, out=dx)

    def _input_grad_as_convolution(self, grad_out, dx):
        """dx = conv(dy, W flipped and transposed, padding k - 1 - p), for stride 1, written into ``dx``.

        dx[c, a, b] = sum over o, i, j of dy[o, a + p - i, b + p - j] * W[o, c, i, j];
        with i' = k - 1 - i that is a correlation of dy padded by k - 1 - p with
        the kernel W[o, c, k - 1 - i', k - 1 - j'].
        """
        xp = backend.get_array_module(grad_out)
        (kh, kw), (ph, pw) = self.kernel_size, self.padding
        n, _, h, w = dx.shape
        flipped = self.params["weight"][:, :, ::-1, ::-1].transpose(1, 0, 2, 3).reshape(self.in_channels, -1)
        dy_cols = im2col(grad_out, self.kernel_size, (1, 1), (kh - 1 - ph, kw - 1 - pw),
                         out=backend.workspace((n, self.out_channels * kh * kw, h * w), grad_out.dtype, xp))
        xp.matmul(flipped, dy_cols, out=dx.reshape(n, self.in_channels, h * w))
