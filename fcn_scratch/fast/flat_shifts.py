"""Flat shifts: im2col of a small same-width stride-1 convolution as one long copy per tap and plane.

It replaces :func:`fcn_scratch.fast.clipped_taps.im2col_into` (one short copy per
row and tap, clipped to the image) where the convolution has stride 1, its
output is as wide as its input (``2 * pw == kw - 1``, as every 3x3 convolution
padded by 1) and the maps are small: short rows make many short copies, and
one copy per plane is faster up to :data:`FLAT_SHIFT_MAX_PIXELS` pixels per
plane (BENCHMARKS.md has what it buys).

Why the numbers are the same: every entry of the column matrix is the same
input pixel, or a zero of the padding, copied once; the results are equal bit
for bit (``tests/fast/test_flat_shifts.py``).
"""
from ..functional import conv_output_size
from .clipped_taps import im2col_into
from .config import is_on

# Up to this many pixels per plane the flat-shift copies are faster than a slice per tap; on larger
# maps both are bound by memory bandwidth and the slices stream better (BENCHMARKS.md).
FLAT_SHIFT_MAX_PIXELS = 64 * 64


def applies(x_shape, kernel_size, stride, padding):
    """The named condition for :func:`im2col_flat_shifts`: the ``flat_shifts`` trick is on, stride 1, the
    output as wide as the input (``2 * pw == kw - 1``), at most :data:`FLAT_SHIFT_MAX_PIXELS` pixels per plane."""
    h, w = x_shape[2:]
    return (is_on("flat_shifts") and tuple(stride) == (1, 1) and 2 * padding[1] == kernel_size[1] - 1
            and h * w <= FLAT_SHIFT_MAX_PIXELS)


def fill_columns(out, x, kernel_size, stride, padding):
    """``im2col(x)`` written into ``out``: by flat shifts where they apply, else by clipped slices."""
    if applies(x.shape, kernel_size, stride, padding):
        return im2col_flat_shifts(x, kernel_size, padding, out)
    return im2col_into(out, x, kernel_size, stride, padding)


def im2col_flat_shifts(x, kernel_size, padding, out):
    """:func:`fcn_scratch.functional.im2col` for stride 1 and ``2 * pw == kw - 1``, into ``out``.

    Flatten each plane. Output pixel ``(r, col)`` reads, under tap ``(i, j)``,
    input pixel ``(r + i - ph, col + j - pw)``, whose flat index is the output's
    own flat index ``r*W + col`` plus ``(i - ph)*W + (j - pw)``: every tap is the
    flattened image shifted by one number, one contiguous copy per plane.
    Reading past a row's end wraps into the next row; those entries (the
    ``|j - pw|`` columns at one edge) belong to the padding and are zeroed
    afterwards, as are the rows shifted in from above or below the image.
    """
    n, c, h, w = x.shape
    (kh, kw), (ph, pw) = kernel_size, padding
    ho = conv_output_size(h, kh, 1, ph)
    size = ho * w
    flat = x.reshape(n, c, h * w)
    cols = out.reshape(n, c, kh, kw, size)
    for i in range(kh):
        for j in range(kw):
            shift = (i - ph) * w + (j - pw)
            lo = max(0, -shift)
            hi = max(lo, min(size, h * w - shift))
            tap = cols[:, :, i, j]
            tap[:, :, lo:hi] = flat[:, :, lo + shift:hi + shift]
            tap[:, :, :lo] = 0
            tap[:, :, hi:] = 0
            wrapped = j - pw
            grid = tap.reshape(n, c, ho, w)
            if wrapped < 0:
                grid[:, :, :, :-wrapped] = 0
            elif wrapped > 0:
                grid[:, :, :, w - wrapped:] = 0
    return out
