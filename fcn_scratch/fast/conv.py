"""A convolution's input gradient without the full column matrix of ``dy``.

The textbook route of :class:`fcn_scratch.layers.Conv2d` is
``dx = col2im(W_col.T @ dy)``: a ``(N, C_in*kh*kw, H_out*W_out)`` product,
then a scatter-add. Two routes replace it here, both held to it by
``tests/fast/test_conv.py``:

- :func:`input_grad_flipped_kernel` (``flipped_kernel``): with stride 1 the
  input gradient is itself a convolution, of ``dy`` padded by ``k - 1 - p``
  with the kernel flipped in space and its channel axes swapped. It costs an
  ``(N, C_out*kh*kw, H*W)`` im2col and a product whose output is ``dx``
  itself, with no scatter-add: cheaper when ``C_out <= C_in``.
- :func:`input_grad_col2im_in_chunks` (``kept_buffers``): the textbook
  formula, a few samples at a time, in the work array all layers share, so the
  step's memory stays bounded whatever the batch.

Each output entry is the same sum of the same products, added in another
order (by the BLAS), so the routes agree with the textbook to float rounding.
"""
from .. import buffers
from ..backend import get_array_module
from ..functional import matmul
from .im2col import col2im_into, fill_columns
from .switch import is_on
from .work import shared_work_array


def flipped_kernel_applies(layer):
    """The named condition for :func:`input_grad_flipped_kernel`: the trick is on, ``layer`` (a Conv2d)
    has stride 1, no more output than input channels, and padding smaller than its kernel."""
    return (is_on("flipped_kernel") and layer.stride == (1, 1) and layer.out_channels <= layer.in_channels
            and all(p < k for p, k in zip(layer.padding, layer.kernel_size)))


def col2im_in_chunks_applies():
    """The named condition for :func:`input_grad_col2im_in_chunks`."""
    return is_on("kept_buffers")


def _in_chunks(route, grad_out, x_shape, bytes_per_sample):
    """Run ``route(dy_chunk, dx_chunk)`` over the batch, as many samples at a time as the shared
    work array holds (all of them when kept buffers are off)."""
    xp = get_array_module(grad_out)
    n = x_shape[0]
    chunk = buffers.samples_per_chunk(bytes_per_sample, n) if is_on("kept_buffers") else n
    dx = xp.empty(x_shape, dtype=grad_out.dtype)
    for start in range(0, n, chunk):
        route(grad_out[start:start + chunk], dx[start:start + chunk])
    return dx


def input_grad_col2im_in_chunks(layer, grad_out, x_shape):
    """``dx = col2im(W_col.T @ dy)`` (N, C_in, H, W) from dy (N, C_out, H_out, W_out), in chunks."""
    (kh, kw), (ho, wo) = layer.kernel_size, grad_out.shape[2:]
    w_col = layer.params["weight"].reshape(layer.out_channels, -1)
    rows = layer.in_channels * kh * kw

    def route(dy, dx):
        xp, n = get_array_module(dy), dy.shape[0]
        d_cols = matmul(w_col.T, dy.reshape(n, layer.out_channels, ho * wo),
                        out=shared_work_array((n, rows, ho * wo), dy.dtype, xp))
        col2im_into(dx, d_cols, layer.kernel_size, layer.stride, layer.padding)
    return _in_chunks(route, grad_out, x_shape, rows * ho * wo * grad_out.dtype.itemsize)


def input_grad_flipped_kernel(layer, grad_out, x_shape):
    """dx = conv(dy, W flipped and transposed, padding k - 1 - p) (N, C_in, H, W), for stride 1.

    dx[c, a, b] = sum over o, i, j of dy[o, a + p - i, b + p - j] * W[o, c, i, j];
    with i' = k - 1 - i that is a correlation of dy padded by k - 1 - p with
    the kernel W[o, c, k - 1 - i', k - 1 - j'].
    """
    (kh, kw), (ph, pw) = layer.kernel_size, layer.padding
    h, w = x_shape[2:]
    padding = (kh - 1 - ph, kw - 1 - pw)
    flipped = layer.params["weight"][:, :, ::-1, ::-1].transpose(1, 0, 2, 3).reshape(layer.in_channels, -1)
    rows = layer.out_channels * kh * kw

    def route(dy, dx):
        xp, n = get_array_module(dy), dy.shape[0]
        dy_cols = fill_columns(shared_work_array((n, rows, h * w), dy.dtype, xp), dy, layer.kernel_size, (1, 1),
                               padding)
        matmul(flipped, dy_cols, out=dx.reshape(n, layer.in_channels, h * w))
    return _in_chunks(route, grad_out, x_shape, rows * h * w * grad_out.dtype.itemsize)
