"""A convolution's forward pass in kept buffers; its input gradient without the full column matrix of ``dy``.

:func:`forward_in_parts` is the textbook forward ``y[n] = W_col @ im2col(x)[n] + b``
with the columns in the layer's kept work array (``kept_buffers``,
``flat_shifts``), sample by sample: the same products, so the same numbers,
and the batch can be split over threads (:mod:`fcn_scratch.fast.threads`).

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
from . import threads
from .im2col import col2im_into, column_array, column_shape, columns_apply, fill_columns
from .switch import is_on
from .work import shared_work_array

# A convolution reading at most this many channels (an image) rebuilds its columns in backward.
REBUILT_MAX_CHANNELS = 3


def columns_rebuilt_apply(layer):
    """The named condition for :func:`rebuild_columns`: the ``rebuilt_columns`` trick is on, ``layer``
    (a Conv2d) takes the fast route (:func:`forward_in_parts`) and reads at most
    :data:`REBUILT_MAX_CHANNELS` channels."""
    return is_on("rebuilt_columns") and columns_apply() and layer.in_channels <= REBUILT_MAX_CHANNELS


def _shared_columns(layer, x):
    """The work array all layers share, shaped for ``im2col(x)`` of ``layer``, unfilled."""
    shape = column_shape(x.shape, layer.kernel_size, layer.stride, layer.padding)
    return shared_work_array(shape, x.dtype, get_array_module(x))


def forward_in_parts(layer, x):
    """``(y, cols)`` of ``layer`` (a Conv2d) on x (N, C_in, H, W): y (N, C_out, H_out*W_out) and the
    column matrix, kept in the layer's work array ``"cols"`` for backward (in the work array all
    layers share where :func:`columns_rebuilt_apply`: backward makes them again)."""
    xp = get_array_module(x)
    if columns_rebuilt_apply(layer):
        cols = _shared_columns(layer, x)
    else:
        cols = column_array(layer, "cols", x, layer.kernel_size, layer.stride, layer.padding)
    y = xp.empty((x.shape[0], layer.out_channels, cols.shape[2]), dtype=x.dtype)
    w_col = layer.params["weight"].reshape(layer.out_channels, -1)
    bias = layer.params.get("bias")

    def part(_, samples):
        fill_columns(cols[samples], x[samples], layer.kernel_size, layer.stride, layer.padding)
        matmul(w_col, cols[samples], out=y[samples])
        if bias is not None:
            y[samples] += bias[:, None]
    threads.over_batch(x, part, nbytes=cols.nbytes, kind="products")
    return y, cols


def rebuild_columns(layer, x):
    """``im2col(x)`` (N, C_in*kh*kw, H_out*W_out) made again in backward, in the shared work array.

    The first convolution reads the image: 3 channels, whose column matrix
    is 9 times the image and the cheapest of all to fill. Keeping x and
    filling the columns again for the weight gradient gives the same numbers
    and keeps the larger array only while it is used.
    """
    cols = _shared_columns(layer, x)

    def part(_, samples):
        fill_columns(cols[samples], x[samples], layer.kernel_size, layer.stride, layer.padding)
    threads.over_batch(x, part, nbytes=cols.nbytes)
    return cols


def flipped_kernel_applies(layer):
    """The named condition for :func:`input_grad_flipped_kernel`: the trick is on, ``layer`` (a Conv2d)
    has stride 1, no more output than input channels, and padding smaller than its kernel."""
    return (is_on("flipped_kernel") and layer.stride == (1, 1) and layer.out_channels <= layer.in_channels
            and all(p < k for p, k in zip(layer.padding, layer.kernel_size)))


def col2im_in_chunks_applies():
    """The named condition for :func:`input_grad_col2im_in_chunks`."""
    return is_on("kept_buffers")


def _in_chunks(route, grad_out, x_shape, rows, length):
    """Run ``route(dy_chunk, dx_chunk, work)`` over the batch, split over threads (each part in its
    own share of the work array all layers share, as many samples at a time as that share holds;
    all of its samples at once when kept buffers are off). ``work`` is (samples, rows, length)."""
    xp = get_array_module(grad_out)
    n = x_shape[0]
    per_sample = rows * length * grad_out.dtype.itemsize
    slices = threads.parts(n, n * per_sample, grad_out, kind="products")
    chunk = max(part.stop - part.start for part in slices)
    if is_on("kept_buffers"):
        chunk = min(chunk, buffers.samples_per_chunk(per_sample * len(slices), n))
    work = shared_work_array((len(slices) * chunk, rows, length), grad_out.dtype, xp)
    dx = xp.empty(x_shape, dtype=grad_out.dtype)

    def part(k, samples):
        mine = work[k * chunk:(k + 1) * chunk]
        for start in range(samples.start, samples.stop, chunk):
            stop = min(start + chunk, samples.stop)
            route(grad_out[start:stop], dx[start:stop], mine[:stop - start])
    threads.run(part, slices, grad_out)
    return dx


def input_grad_col2im_in_chunks(layer, grad_out, x_shape):
    """``dx = col2im(W_col.T @ dy)`` (N, C_in, H, W) from dy (N, C_out, H_out, W_out), in chunks."""
    (kh, kw), (ho, wo) = layer.kernel_size, grad_out.shape[2:]
    w_col = layer.params["weight"].reshape(layer.out_channels, -1)
    rows = layer.in_channels * kh * kw

    def route(dy, dx, work):
        d_cols = matmul(w_col.T, dy.reshape(dy.shape[0], layer.out_channels, ho * wo), out=work)
        col2im_into(dx, d_cols, layer.kernel_size, layer.stride, layer.padding)
    return _in_chunks(route, grad_out, x_shape, rows, ho * wo)


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

    def route(dy, dx, work):
        dy_cols = fill_columns(work, dy, layer.kernel_size, (1, 1), padding)
        matmul(flipped, dy_cols, out=dx.reshape(dy.shape[0], layer.in_channels, h * w))
    return _in_chunks(route, grad_out, x_shape, rows, h * w)
