"""Bands: a convolution's forward pass one band of output rows at a time, when nothing will call backward.

It replaces the textbook forward of :class:`fcn_scratch.layers.Conv2d`,
``y[n] = W_col @ im2col(x)[n] + b``, inside :func:`fcn_scratch.no_grad` on a map
whose column matrix would be larger than :data:`BAND_BYTES`, where no shifted
taps (:mod:`.shifted_taps`, which make no column matrix) come first. The column
matrix is ``C_in*kh*kw`` times the output's pixels: for the paper's conv1_2 on a
500 x 500 photo (padded to 700) it is 1.1 GB, for the small net's on a
3000 x 2000 image 3.5 GB. Training keeps it for the weight gradient; a
prediction needs each column once. So the output rows are cut into bands; a
band's input rows (with the padding they reach into) are copied, their
columns filled into a work array of at most ``BAND_BYTES``, and multiplied.
A batch with fewer samples than threads is cut into at least one band per
thread, so that every thread has work.

Why the numbers are the same: each output pixel is the product of the same
row of ``W_col`` with the same column of the same entries; only which columns
go through the BLAS together changes, so the results agree with the textbook
to float rounding (``tests/fast/test_bands.py``). The bands are split over
threads (:mod:`fcn_scratch.fast.threads`), each in its own work array.
"""
from ..backend import get_array_module
from ..functional import add_bias, conv_output_size, matmul
from ..grad_mode import grad_enabled
from . import threads
from .flat_shifts import fill_columns
from .clipped_taps import column_shape
from .kept_buffers import shared_work_array
from .switch import is_on

# The column matrix of one band: large enough for a product at full speed, small beside the maps.
BAND_BYTES = 32 * 2 ** 20


def applies(x, weight, stride, padding):
    """The named condition for :func:`conv2d_forward_in_bands`: the ``bands`` trick is on, the forward
    keeps no cache (:func:`fcn_scratch.no_grad`), and the column matrix of x (N, C_in, H, W) under weight
    (C_out, C_in, kh, kw) is larger than :data:`BAND_BYTES`."""
    if not is_on("bands") or grad_enabled():
        return False
    n, rows, length = column_shape(x.shape, weight.shape[2:], stride, padding)
    return n * rows * length * x.dtype.itemsize > BAND_BYTES


def conv2d_forward_in_bands(x, weight, bias, stride, padding):
    """x (N, C_in, H, W) -> ``W_col @ im2col(x)[n] + b`` (N, C_out, H_out*W_out), a band of output rows at a
    time; bias (C_out,) or None."""
    xp = get_array_module(x)
    n, c, h, w = x.shape
    c_out, _, kh, kw = weight.shape
    (sh, sw), (ph, pw) = stride, padding
    ho, wo = conv_output_size(h, kh, sh, ph), conv_output_size(w, kw, sw, pw)
    rows_per_band = max(1, BAND_BYTES // (c * kh * kw * wo * x.dtype.itemsize))
    y = xp.empty((n, c_out, ho * wo), dtype=x.dtype)
    if threads.applies(x):            # at least one band per thread
        rows_per_band = min(rows_per_band, -(-ho * n // threads.THREADS))
    bands = [(i, top, min(top + rows_per_band, ho)) for i in range(n) for top in range(0, ho, rows_per_band)]
    slices = threads.parts("products", len(bands), x, y, scratch_bytes=n * c * kh * kw * ho * wo * x.dtype.itemsize)
    band_in = (rows_per_band - 1) * sh + kh                          # input rows one band reads
    in_size, cols_size = c * band_in * (w + 2 * pw), c * kh * kw * rows_per_band * wo
    # one work array (the one all layers share), cut into each part's padded rows and columns
    work = shared_work_array((len(slices), in_size + cols_size), x.dtype, xp)
    w_col = weight.reshape(c_out, -1)

    def part(k, mine):
        for i, top, bottom in bands[mine]:
            first, last = top * sh - ph, (bottom - 1) * sh - ph + kh    # input rows read, padding included
            padded = work[k, :in_size].reshape(c, band_in, w + 2 * pw)[:, :last - first]
            padded[...] = 0
            lo, hi = max(first, 0), min(last, h)
            if hi > lo:                                                # else the band reads padding only
                padded[:, lo - first:hi - first, pw:pw + w] = x[i, :, lo:hi]
            cols = work[k, in_size:in_size + c * kh * kw * (bottom - top) * wo].reshape(c * kh * kw, -1)
            fill_columns(cols[None], padded[None], (kh, kw), (sh, sw), (0, 0))
            add_bias(matmul(w_col, cols, out=y[i, :, top * wo:bottom * wo])[None], bias)
    threads.run(part, slices, x, "products")
    return y
