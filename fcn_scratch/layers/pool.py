"""MaxPool2d: the maximum over each window, as the maximum of strided slices."""
from .. import backend, fast
from ..errors import InputError
from ..functional import max_over_windows, pair, pool_output_size, to_winners
from ..grad_mode import grad_enabled
from .base import Layer


class MaxPool2d(Layer):
    """2-D max pooling, with PyTorch's arguments and output sizes.

    forward:  x (N, C, H, W) -> y (N, C, H_out, W_out),  y = max over each kh x kw window
              H_out = (H + 2p - kh) / s + 1, rounded down, or up with ``ceil_mode``
              (Caffe's rounding, used by the FCN reference), as PyTorch rounds it.
              With ``return_indices=True`` it returns ``(y, indices)``, indices
              being flat positions ``row * W + col`` in each input plane.
    backward: dy -> dx, each dy sent to the element that was the maximum.

    Padding counts as minus infinity, so it is never the maximum. On ties the
    gradient goes to exactly one element: the first of the tied ones in the
    window's row-major order (top row first, then left to right), as PyTorch's
    CPU kernel does.

    The window is never looped over pixel by pixel: for each of the
    ``kh*kw`` offsets ``(i, j)`` the strided slice ``x[..., i::s, j::s]``
    holds that element of every window at once. Stacked, they make
    ``windows`` (kh*kw, N, C, H_out, W_out): ``y = windows.max(0)``, and
    ``arg = windows.argmax(0)`` says which offset won, for backward
    (:func:`fcn_scratch.functional.max_over_windows`). Where the running
    maximum is on, the layer takes the fast route (:mod:`fcn_scratch.fast.running_max`)
    and its cache says so.
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, return_indices=False):
        super().__init__()
        self.kernel_size = pair(kernel_size, "kernel_size")
        self.stride = pair(stride, "stride") if stride is not None else self.kernel_size
        self.padding = pair(padding, "padding")
        if any(2 * p > k for p, k in zip(self.padding, self.kernel_size)):
            raise InputError(f"padding {self.padding} must be at most half of kernel_size {self.kernel_size}")
        self.ceil_mode = ceil_mode
        self.return_indices = return_indices

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"ceil_mode={self.ceil_mode}")

    def output_size(self, h, w):
        """``(H_out, W_out)`` for an input of ``(H, W)``."""
        return tuple(pool_output_size(size, k, s, p, self.ceil_mode) for size, k, s, p in
                     zip((h, w), self.kernel_size, self.stride, self.padding))

    def padded_shape(self, x_shape, out_hw):
        """Padded size that holds every window: ceil mode may reach past the right padding."""
        n, c, h, w = x_shape
        return (n, c) + tuple(max(size + 2 * p, (o - 1) * s + k) for size, p, o, s, k in
                              zip((h, w), self.padding, out_hw, self.stride, self.kernel_size))

    def forward(self, x):
        self.check_input(x)
        xp = backend.get_array_module(x)
        n, c, h, w = x.shape
        out_hw = self.output_size(h, w)
        (ph, pw), padded = self.padding, self.padded_shape(x.shape, out_hw)
        if padded == x.shape:
            x_pad = x
        else:
            x_pad = xp.full(padded, -xp.inf, dtype=x.dtype)
            x_pad[:, :, ph:ph + h, pw:pw + w] = x
        if fast.pool_applies(x):
            # inside no_grad() nothing reads the arg-max unless the indices are returned
            y, arg = fast.max_pool(x_pad, self.kernel_size, self.stride, out_hw,
                                   keep_arg=grad_enabled() or self.return_indices)
            self.cache = ("fast", x.shape, arg)
        else:
            y, arg = max_over_windows(x_pad, self.kernel_size, self.stride, out_hw)
            self.cache = ("textbook", x.shape, arg)
        if self.return_indices:
            return y, self.indices(arg, x.shape)
        return y

    def indices(self, arg, x_shape):
        """Flat input positions ``row * W + col`` of the maxima, from the winning offsets."""
        xp = backend.get_array_module(arg)
        (_, kw), (sh, sw), (ph, pw) = self.kernel_size, self.stride, self.padding
        ho, wo = arg.shape[2:]
        arg = arg.astype(xp.int64)
        rows = xp.arange(ho)[:, None] * sh - ph + arg // kw
        cols = xp.arange(wo)[None, :] * sw - pw + arg % kw
        return rows * x_shape[3] + cols

    def backward(self, grad_out):
        route, x_shape, arg = self.saved()
        xp = backend.get_array_module(grad_out)
        self.check_grad(grad_out, arg.shape)
        (ph, pw), (h, w) = self.padding, x_shape[2:]
        padded = self.padded_shape(x_shape, arg.shape[2:])
        if route == "fast":
            dx_pad = fast.max_pool_backward(grad_out, arg, padded, self.kernel_size, self.stride)
        else:
            dx_pad = to_winners(grad_out, arg, padded, self.kernel_size, self.stride)     # dy to the offset that won
        if dx_pad.shape == tuple(x_shape):
            return dx_pad
        return xp.ascontiguousarray(dx_pad[:, :, ph:ph + h, pw:pw + w])
