"""MaxUnpool2d: put each value back where max pooling found it."""
from .. import backend
from ..errors import InputError
from ..functional import pair, transposed_output_size
from .base import Layer


class MaxUnpool2d(Layer):
    """The partial inverse of MaxPool2d: "unpooling" (as in SegNet / DeconvNet).

    forward(x, indices, output_size=None):
        x, indices (N, C, H, W) -> y (N, C, H_out, W_out), all zeros except
        ``y.flat_plane[indices] = x`` (indices from ``MaxPool2d(return_indices=True)``).
        Default H_out = (H - 1) s - 2p + kh, as PyTorch; ``output_size`` (H_out, W_out)
        recovers odd sizes that pooling rounded away.
    backward: dy -> dx = dy gathered at the same indices.

    Unlike a transposed convolution it has no weights: where things go is
    decided by the encoder's pooling, not learned.
    """

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size = pair(kernel_size, "kernel_size")
        self.stride = pair(stride, "stride") if stride is not None else self.kernel_size
        self.padding = pair(padding, "padding")

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"

    def forward(self, x, indices, output_size=None):
        self.check_input(x)
        xp = backend.get_array_module(x)
        n, c, h, w = x.shape
        if tuple(indices.shape) != tuple(x.shape):
            raise InputError(f"indices have shape {tuple(indices.shape)}, expected the input's {tuple(x.shape)}")
        if output_size is None:
            out_hw = tuple(transposed_output_size(size, k, s, p) for size, k, s, p in
                           zip((h, w), self.kernel_size, self.stride, self.padding))
        else:
            out_hw = tuple(output_size)[-2:]
        plane = out_hw[0] * out_hw[1]
        if indices.size and (int(indices.min()) < 0 or int(indices.max()) >= plane):
            raise InputError(f"indices must lie in [0, {plane}) for output size {out_hw}, "
                             f"got values in [{int(indices.min())}, {int(indices.max())}]")
        flat = (xp.arange(n * c).reshape(n, c, 1, 1) * plane + indices).reshape(-1)
        y = xp.zeros(n * c * plane, dtype=x.dtype)
        y[flat] = x.reshape(-1)
        self.cache = (x.shape, flat, out_hw)
        return y.reshape((n, c) + out_hw)

    def backward(self, grad_out):
        x_shape, flat, out_hw = self.saved()
        self.check_grad(grad_out, tuple(x_shape[:2]) + out_hw)
        return grad_out.reshape(-1)[flat].reshape(x_shape)
