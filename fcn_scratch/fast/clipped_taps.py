"""Clipped taps: im2col and col2im into given arrays, by slices clipped to the image, without a padded copy.

They replace :func:`fcn_scratch.functional.im2col` and
:func:`~fcn_scratch.functional.col2im` inside the fast routes, which keep their
column matrices in work arrays (:mod:`fcn_scratch.fast.kept_buffers`): fresh
memory is page-faulted on first touch, which in the first layers costs as much
as the copy itself. :func:`im2col_into` never builds the padded image: each
tap's slice is clipped to the real pixels and the entries that would read
padding are set to zero; :func:`col2im_into` never adds the entries that fell
in the padding. With the ``clipped_taps`` trick off they write what the
definitions return into the same arrays.

Why the numbers are the same: they fill the same matrices entry for entry
(copies and additions of the same numbers in the same order), so the results
are equal bit for bit; ``tests/fast/test_clipped_taps.py`` holds them to it.
"""
from ..functional import col2im, conv_output_size, im2col
from .config import is_on


def column_shape(x_shape, kernel_size, stride, padding):
    """The shape of ``im2col(x)``: (N, C*kh*kw, H_out*W_out) for x (N, C, H, W)."""
    n, c, h, w = x_shape
    (kh, kw), (sh, sw), (ph, pw) = kernel_size, stride, padding
    return n, c * kh * kw, conv_output_size(h, kh, sh, ph) * conv_output_size(w, kw, sw, pw)


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
    if not is_on("clipped_taps"):
        out[...] = im2col(x, kernel_size, stride, padding)
        return out
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


def col2im_into(out, cols, kernel_size, stride, padding):
    """:func:`fcn_scratch.functional.col2im` written into ``out`` (N, C, H, W), without a padded image:
    entries that fell in the padding are never added."""
    if not is_on("clipped_taps"):
        out[...] = col2im(cols, out.shape, kernel_size, stride, padding)
        return out
    n, c, h, w = out.shape
    (kh, kw), (sh, sw), (ph, pw) = kernel_size, stride, padding
    ho, wo = conv_output_size(h, kh, sh, ph), conv_output_size(w, kw, sw, pw)
    cols = cols.reshape(n, c, kh, kw, ho, wo)
    out[...] = 0
    for i, rows_out, rows_in in _taps(kh, sh, ph, h, ho):
        for j, cols_out, cols_in in _taps(kw, sw, pw, w, wo):
            out[:, :, rows_in, cols_in] += cols[:, :, i, j, rows_out, cols_out]
    return out
