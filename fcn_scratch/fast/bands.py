"""A convolution's forward pass one band of output rows at a time, when nothing will call backward.

It replaces the textbook forward of :class:`fcn_scratch.layers.Conv2d`,
``y[n] = W_col @ im2col(x)[n] + b``, inside :func:`fcn_scratch.no_grad` on a
map whose column matrix would be larger than :data:`BAND_BYTES`. The column
matrix is ``C_in*kh*kw`` times the output's pixels: for the paper's conv1_2 on a
500 x 500 photo (padded to 700) it is 1.1 GB, for the small net's on a
3000 x 2000 image 3.5 GB. Training keeps it for the weight gradient; a
prediction needs each column once. So the output rows are cut into bands; a
band's input rows (with the padding they reach into) are copied, their
columns filled into a work array of at most ``BAND_BYTES``, and multiplied.

Why the numbers are the same: each output pixel is the product of the same
row of ``W_col`` with the same column of the same entries; only which columns
go through the BLAS together changes, so the results agree with the textbook
to float rounding (``tests/fast/test_bands.py``). The bands are split over
threads (:mod:`fcn_scratch.fast.threads`), each in its own work array.
"""
from ..backend import get_array_module
from ..functional import matmul
from ..grad_mode import grad_enabled
from . import threads
from .im2col import column_shape, fill_columns
from .switch import is_on
from .work import shared_work_array

# The column matrix of one band: large enough for a product at full speed, small beside the maps.
BAND_BYTES = 32 * 2 ** 20


def bands_apply(layer, x):
    """The named condition for :func:`conv2d_forward_in_bands`: the ``bands`` trick is on, the forward
    keeps no cache (:func:`fcn_scratch.no_grad`), and ``layer``'s column matrix of ``x`` is larger than
    :data:`BAND_BYTES`, or the batch has fewer samples than there are threads to split it over (a
    photo: its bands give every thread work)."""
    if not is_on("bands") or grad_enabled():
        return False
    n, rows, length = column_shape(x.shape, layer.kernel_size, layer.stride, layer.padding)
    nbytes = n * rows * length * x.dtype.itemsize
    return nbytes > BAND_BYTES or (threads.threads_apply(x) and n < threads.THREADS
                                   and nbytes >= threads.THREADS * threads.MIN_PART_BYTES["products"])


def conv2d_forward_in_bands(layer, x):
    """``layer`` (a Conv2d) on x (N, C_in, H, W) -> y (N, C_out, H_out, W_out), a band of rows at a time."""
    xp = get_array_module(x)
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (ph, pw) = layer.kernel_size, layer.stride, layer.padding
    ho, wo = layer.output_size(h, w)
    rows_per_band = max(1, BAND_BYTES // (c * kh * kw * wo * x.dtype.itemsize))
    if threads.threads_apply(x):            # at least one band per thread
        rows_per_band = min(rows_per_band, -(-ho * n // threads.THREADS))
    bands = [(i, top, min(top + rows_per_band, ho)) for i in range(n) for top in range(0, ho, rows_per_band)]
    slices = threads.parts(len(bands), n * c * kh * kw * ho * wo * x.dtype.itemsize, x, kind="products")
    band_in = (rows_per_band - 1) * sh + kh                          # input rows one band reads
    in_size, cols_size = c * band_in * (w + 2 * pw), c * kh * kw * rows_per_band * wo
    # one work array (the one all layers share), cut into each part's padded rows and columns
    work = shared_work_array((len(slices), in_size + cols_size), x.dtype, xp)
    y = xp.empty((n, layer.out_channels, ho, wo), dtype=x.dtype)
    w_col = layer.params["weight"].reshape(layer.out_channels, -1)
    bias = layer.params.get("bias")

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
            out = y[i].reshape(layer.out_channels, ho * wo)[:, top * wo:bottom * wo]
            matmul(w_col, cols, out=out)
            if bias is not None:
                out += bias[:, None]
    threads.run(part, slices, x)
    return y
