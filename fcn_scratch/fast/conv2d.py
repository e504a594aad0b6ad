"""Conv2d's fast route: where its tricks are chosen, on arrays.

:class:`fcn_scratch.layers.Conv2d` has one fork per pass: where
:func:`conv_applies` holds it hands its arrays to :func:`conv2d_forward` and
:func:`conv2d_backward`, which compute its docstring's formulas

    forward:  y[n] = W_col @ im2col(x)[n] + b
    backward: dW = sum_n dy[n] @ cols[n].T,   dx = col2im(W_col.T @ dy)

piece by piece, each piece by its trick where that trick's switch is on and
applies, and by the definition otherwise:

- where a stride-1 convolution's column matrix would be larger than its weight and either one image
  (fewer samples than threads) or too large to keep, no column matrix at all: sums of products on
  shifted views of the padded input, which is all it keeps, and likewise in backward (:mod:`.shifted_taps`);
- else sample by sample (the rows of its products shared by the threads where the batch is one sample):
  the columns filled by flat shifts (:mod:`.flat_shifts`) or by clipped slices (:mod:`.clipped_taps`)
  into the layer's kept work array (:mod:`.kept_buffers`);
- the weight gradient's per-sample products tall first (:mod:`.tall_first`);
- the input gradient as the product ``W_col.T @ dy`` and col2im, a chunk of samples at a time in the
  shared work array (:mod:`.kept_buffers`);
- every part of it split over threads (:mod:`.threads`).

Why the numbers are the same: each piece is held by its own test to the
definition it replaces, and ``tests/fast/test_conv2d.py`` holds the whole
route to the layer's textbook route with each trick on and off.
"""
from ..backend import get_array_module
from ..functional import add_bias, matmul
from . import shifted_taps, tall_first, threads
from .flat_shifts import fill_columns
from .clipped_taps import col2im_into, column_shape
from .kept_buffers import in_chunks, shared_work_array, work_array
from .config import is_on

# The tricks of this route, each of which applies to any convolution the layer can be given.
_ANY_CONVOLUTION = ("shifted_taps", "clipped_taps", "kept_buffers", "flat_shifts", "tall_first")


def conv_applies(layer, x):
    """The named condition for this route: a trick of it applies to ``layer`` (a Conv2d) on x."""
    return any(is_on(name) for name in _ANY_CONVOLUTION) or threads.applies(x)


def conv2d_forward(x, weight, bias, stride, padding, owner):
    """``(y, saved)``: y = W_col @ im2col(x)[n] + b (N, C_out, H_out*W_out) for x (N, C_in, H, W), weight
    (C_out, C_in, kh, kw) and bias (C_out,) or None; ``saved``, what :func:`conv2d_backward` reads.
    ``owner`` (the layer) owns the kept column matrix. Each part adds the bias to its own output, while
    that is still in the cache."""
    if shifted_taps.applies(x, weight, stride, padding):
        return shifted_taps.conv2d_forward(x, weight, bias, padding), ("input", x)
    xp = get_array_module(x)
    kernel = weight.shape[2:]
    cols = work_array(owner, "cols", column_shape(x.shape, kernel, stride, padding), x.dtype, xp)
    y = xp.empty((x.shape[0], weight.shape[0], cols.shape[2]), dtype=x.dtype)
    w_col = weight.reshape(weight.shape[0], -1)
    if x.shape[0] == 1:                     # one sample: the threads share its product's rows
        fill_columns(cols, x, kernel, stride, padding)
        add_bias(threads.matmul_rows(w_col, cols[0], y[0])[None], bias)
        return y, ("columns", cols)

    def part(_, samples):
        fill_columns(cols[samples], x[samples], kernel, stride, padding)
        add_bias(matmul(w_col, cols[samples], out=y[samples]), bias)
    threads.split(part, "products", x.shape[0], x, cols, y)
    return y, ("columns", cols)


def conv2d_backward(saved, grad_out, weight, stride, padding, x_shape, weight_grad=True, input_grad=True):
    """``(dW, dx)`` from ``saved`` (of :func:`conv2d_forward`) and dy (N, C_out, H_out, W_out):
    dW (C_out, C_in*kh*kw) = sum_n dy[n] @ cols[n].T, None unless ``weight_grad``;
    dx ``x_shape`` = col2im(W_col.T @ dy), None unless ``input_grad``."""
    kind, kept = saved
    if kind == "input":
        return shifted_taps.conv2d_backward(kept, grad_out, weight, padding, weight_grad, input_grad)
    dy = grad_out.reshape(grad_out.shape[0], grad_out.shape[1], -1)
    d_weight = tall_first.matmul_sum_batch(dy, kept) if weight_grad else None
    dx = None
    if input_grad:
        dx = get_array_module(grad_out).empty(x_shape, dtype=grad_out.dtype)
        _col2im_of_product(dy, weight, stride, padding, dx)
    return d_weight, dx


def _col2im_of_product(dy, weight, stride, padding, dx):
    """dx = col2im(W_col.T @ dy), written into dx (N, C_in, H, W) from dy (N, C_out, H_out*W_out), a chunk
    of samples at a time."""
    w_col_t = weight.reshape(weight.shape[0], -1).T
    kernel = weight.shape[2:]
    if dx.shape[0] == 1:                    # one sample: the threads share its product's rows
        work = shared_work_array((1, w_col_t.shape[0], dy.shape[2]), dy.dtype, get_array_module(dy))
        col2im_into(dx, threads.matmul_rows(w_col_t, dy[0], work[0])[None], kernel, stride, padding)
        return

    def route(samples, work):
        col2im_into(dx[samples], matmul(w_col_t, dy[samples], out=work), kernel, stride, padding)
    in_chunks(route, dx.shape[0], (w_col_t.shape[0], dy.shape[2]), dy, dx)
