"""im2col and col2im into given arrays, without a padded copy; the flat-shift im2col.

They replace :func:`fcn_scratch.functional.im2col` and
:func:`~fcn_scratch.functional.col2im`, and fill the same matrices entry for
entry (copies and additions of the same numbers in the same order, so the
results are equal bit for bit); ``tests/fast/test_im2col.py`` holds them to it.

- :func:`im2col_into` writes into a kept buffer (fresh memory is page-faulted
  on first touch, which in the first layers costs as much as the copy itself)
  and never builds the padded image: each tap's slice is clipped to the real
  pixels and the entries that would read padding are set to zero.
- :func:`im2col_flat_shifts` fills the matrix of a stride-1 convolution whose
  output is as wide as its input with one long copy per tap and plane instead
  of one short copy per row, which pays on small maps (short rows); see
  :func:`flat_shifts_apply`. BENCHMARKS.md has what each buys.
"""
from ..backend import get_array_module
from ..functional import conv_output_size
from .switch import is_on
from .work import work_array

# Up to this many pixels per plane the flat-shift copies are faster than a slice per tap; on larger
# maps both are bound by memory bandwidth and the slices stream better (BENCHMARKS.md).
FLAT_SHIFT_MAX_PIXELS = 64 * 64


def columns_apply():
    """The named condition for the fast routes' im2col (:func:`fill_columns` into a work array)."""
    return is_on("kept_buffers") or is_on("flat_shifts")


def flat_shifts_apply(x_shape, kernel_size, stride, padding):
    """True when :func:`im2col_flat_shifts` can and should run: stride 1, the output as wide as the
    input (``2 * pw == kw - 1``), at most :data:`FLAT_SHIFT_MAX_PIXELS` pixels per plane."""
    h, w = x_shape[2:]
    return (is_on("flat_shifts") and tuple(stride) == (1, 1) and 2 * padding[1] == kernel_size[1] - 1
            and h * w <= FLAT_SHIFT_MAX_PIXELS)


def column_shape(x_shape, kernel_size, stride, padding):
    """The shape of ``im2col(x)``: (N, C*kh*kw, H_out*W_out) for x (N, C, H, W)."""
    n, c, h, w = x_shape
    (kh, kw), (sh, sw), (ph, pw) = kernel_size, stride, padding
    return n, c * kh * kw, conv_output_size(h, kh, sh, ph) * conv_output_size(w, kw, sw, pw)


def column_array(owner, name, x, kernel_size, stride, padding):
    """``owner``'s work array ``name`` shaped for ``im2col(x)`` (N, C*kh*kw, H_out*W_out), unfilled."""
    return work_array(owner, name, column_shape(x.shape, kernel_size, stride, padding), x.dtype,
                      get_array_module(x))


def fill_columns(out, x, kernel_size, stride, padding):
    """``im2col(x)`` written into ``out``: by flat shifts where they apply, else by clipped slices."""
    if flat_shifts_apply(x.shape, kernel_size, stride, padding):
        return im2col_flat_shifts(x, kernel_size, padding, out)
    return im2col_into(out, x, kernel_size, stride, padding)


def _taps(kernel, stride, padding, size, out_size):
    """Along one axis, for each kernel offset ``i``: ``(i, out_slice, in_slice)``.

    Output position ``o`` puts tap ``i`` on input pixel ``o*stride + i - padding``.
    ``out_slice`` holds the outputs for which that pixel lies inside the image
    and ``in_slice`` the pixels they read; the others fall in the zero padding.
    """
    for i in range(kernel):
        lo = max(0, -(-(padding - i) // stride))
        hi = min(out_size, (size - 1 - i + padding) // stride + 1)
        if hi <= lo:
            yield i, slice(0, 0), slice(0, 0)
            continue
        start = lo * stride + i - padding
        yield i, slice(lo, hi), slice(start, start + (hi - lo - 1) * stride + 1, stride)


def im2col_into(out, x, kernel_size, stride, padding):
    """:func:`fcn_scratch.functional.im2col` written into ``out`` (N, C*kh*kw, H_out*W_out), whatever
    it held: each tap copies the pixels inside the image and zeroes the entries that read padding."""
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (ph, pw) = kernel_size, stride, padding
    ho, wo = conv_output_size(h, kh, sh, ph), conv_output_size(w, kw, sw, pw)
    cols = out.reshape(n, c, kh, kw, ho, wo)
    for i, rows_out, rows_in in _taps(kh, sh, ph, h, ho):
        for j, cols_out, cols_in in _taps(kw, sw, pw, w, wo):
            tap = cols[:, :, i, j]
            tap[:, :, rows_out, cols_out] = x[:, :, rows_in, cols_in]
            tap[:, :, :rows_out.start] = 0
            tap[:, :, rows_out.stop:] = 0
            tap[:, :, :, :cols_out.start] = 0
            tap[:, :, :, cols_out.stop:] = 0
    return out


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


def col2im_into(out, cols, kernel_size, stride, padding):
    """:func:`fcn_scratch.functional.col2im` written into ``out`` (N, C, H, W), without a padded image:
    entries that fell in the padding are never added."""
    n, c, h, w = out.shape
    (kh, kw), (sh, sw), (ph, pw) = kernel_size, stride, padding
    ho, wo = conv_output_size(h, kh, sh, ph), conv_output_size(w, kw, sw, pw)
    cols = cols.reshape(n, c, kh, kw, ho, wo)
    out[...] = 0
    for i, rows_out, rows_in in _taps(kh, sh, ph, h, ho):
        for j, cols_out, cols_in in _taps(kw, sw, pw, w, wo):
            out[:, :, rows_in, cols_in] += cols[:, :, i, j, rows_out, cols_out]
    return out
