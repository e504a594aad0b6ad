"""im2col and col2im: turning a convolution into one matrix product.

A convolution slides a ``kh x kw`` window over a zero-padded image. im2col
copies every window into a column, so that the convolution becomes a single
matrix product with the flattened weights::

    x (N, C, H, W)  --im2col-->  cols (N, C*kh*kw, H_out*W_out)
    y = W.reshape(C_out, C*kh*kw) @ cols            # (N, C_out, H_out*W_out)

The copy is written as a loop over the ``kh*kw`` kernel offsets, not over
pixels: for offset ``(i, j)`` the pixels that sit under that tap of the
kernel, for every output position at once, are the strided slice
``x_pad[:, :, i : i + s*H_out : s, j : j + s*W_out : s]`` of the padded image.
That is ``kh*kw`` vectorised copies, whatever the image size. (The padded
image is never built: each slice is clipped to the real pixels, and the
entries that would read padding keep the zeros the output started with.)

col2im is the adjoint (the transpose) of im2col: it scatters each column
entry back to the pixel it came from and *adds* where windows overlap. It is
the backward pass of im2col, and the forward pass of a transposed
convolution. The same loop over offsets adds strided slices, so no
``add.at`` is needed: within one offset the slices never overlap.
"""
from ..backend import get_array_module


def pair(value, name="value"):
    """``3 -> (3, 3)``; ``(3, 5) -> (3, 5)``. Rejects anything else."""
    if isinstance(value, int) and not isinstance(value, bool):
        return (value, value)
    if (isinstance(value, (tuple, list)) and len(value) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) for v in value)):
        return tuple(value)
    raise TypeError(f"{name} must be an int or a pair of ints, got {value!r}")


def conv_output_size(size, kernel, stride, padding):
    """Output length of a convolution along one axis: ``(size + 2p - k) // s + 1``.

    Raises ValueError when the kernel is larger than the padded input.
    """
    if size + 2 * padding < kernel:
        raise ValueError(
            f"kernel of size {kernel} is larger than the padded input "
            f"({size} + 2*{padding} = {size + 2 * padding})"
        )
    return (size + 2 * padding - kernel) // stride + 1


def transposed_output_size(size, kernel, stride, padding, output_padding=0):
    """Output length of a transposed convolution: ``(size - 1) s - 2p + k + output_padding``."""
    out = (size - 1) * stride - 2 * padding + kernel + output_padding
    if out < 1:
        raise ValueError(
            f"transposed convolution would produce size {out} from input size {size} "
            f"(kernel {kernel}, stride {stride}, padding {padding})"
        )
    return out


def pool_output_size(size, kernel, stride, padding, ceil_mode):
    """Output length of max pooling, as PyTorch (and Caffe with ``ceil_mode``) computes it.

    floor mode: ``(size + 2p - k) // s + 1``; ceil mode rounds the division up,
    but drops a last window that would start inside the right padding. In ceil
    mode a window may hang over the end, so even a 1-pixel map gives one output.
    """
    if size < 1 or (not ceil_mode and size + 2 * padding < kernel):
        raise ValueError(
            f"pooling window {kernel} is larger than the padded input "
            f"({size} + 2*{padding} = {size + 2 * padding})"
        )
    span = size + 2 * padding - kernel
    out = (-(-span // stride) if ceil_mode else span // stride) + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    return out


def _taps(kernel, stride, padding, size, out_size):
    """Along one axis, for each kernel offset ``i``: ``(i, out_slice, in_slice)``.

    Output position ``o`` puts tap ``i`` on input pixel ``o*stride + i - padding``.
    ``out_slice`` holds the outputs for which that pixel lies inside the image
    and ``in_slice`` the pixels they read; the others fall in the zero padding,
    which is therefore never built.
    """
    for i in range(kernel):
        lo = max(0, -(-(padding - i) // stride))
        hi = min(out_size, (size - 1 - i + padding) // stride + 1)
        if hi <= lo:
            yield i, slice(0, 0), slice(0, 0)
            continue
        start = lo * stride + i - padding
        yield i, slice(lo, hi), slice(start, start + (hi - lo - 1) * stride + 1, stride)


def im2col(x, kernel_size, stride=(1, 1), padding=(0, 0), out=None):
    """Unfold every convolution window of ``x`` into a column.

    x: (N, C, H, W)  ->  cols: (N, C*kh*kw, H_out*W_out)

    Row ``c*kh*kw + i*kw + j`` of ``cols`` holds input channel ``c`` under
    kernel tap ``(i, j)``; this is the order of a weight ``(C_out, C, kh, kw)``
    reshaped to ``(C_out, C*kh*kw)``, so ``W_col @ cols`` is the convolution.

    ``out`` (N, C*kh*kw, H_out*W_out), if given, is filled instead of a new
    array: a buffer kept from one step to the next is not page-faulted again
    (fresh memory costs as much as the copy itself in the first layers).
    Every entry is written, the padding ones with zeros.

    Stride-1 convolutions whose output is as wide as their input (3x3 with
    padding 1, 1x1) on maps of at most :data:`FLAT_SHIFT_MAX_PIXELS` pixels take
    :func:`_im2col_flat_shifts`, which fills the same matrix with fewer,
    longer copies; the tests hold the two routes to each other.
    """
    n, c, h, w = x.shape
    if tuple(stride) == (1, 1) and 2 * padding[1] == kernel_size[1] - 1 and h * w <= FLAT_SHIFT_MAX_PIXELS:
        return _im2col_flat_shifts(x, kernel_size, padding, out)
    xp = get_array_module(x)
    (kh, kw), (sh, sw), (ph, pw) = kernel_size, stride, padding
    ho = conv_output_size(h, kh, sh, ph)
    wo = conv_output_size(w, kw, sw, pw)
    fresh = out is None
    if fresh:
        out = xp.zeros((n, c * kh * kw, ho * wo), dtype=x.dtype)
    cols = out.reshape(n, c, kh, kw, ho, wo)
    for i, rows_out, rows_in in _taps(kh, sh, ph, h, ho):
        for j, cols_out, cols_in in _taps(kw, sw, pw, w, wo):
            tap = cols[:, :, i, j]
            tap[:, :, rows_out, cols_out] = x[:, :, rows_in, cols_in]
            if not fresh:
                tap[:, :, :rows_out.start] = 0
                tap[:, :, rows_out.stop:] = 0
                tap[:, :, :, :cols_out.start] = 0
                tap[:, :, :, cols_out.stop:] = 0
    return out


# Up to this many pixels per plane, :func:`im2col` takes the flat-shift route (measured on 2 cores:
# 1.3-2x faster than the slice per tap on maps of 64 x 64 and smaller, 0.5-0.6x on 128 x 128, where
# both are bound by memory bandwidth and the row copies stream better).
FLAT_SHIFT_MAX_PIXELS = 64 * 64


def _im2col_flat_shifts(x, kernel_size, padding, out=None):
    """im2col for stride 1 when the output is as wide as the input (``2 * pw == kw - 1``).

    Flatten each plane. Output pixel ``(r, col)`` reads, under tap ``(i, j)``,
    input pixel ``(r + i - ph, col + j - pw)``, whose flat index is the output's
    own flat index ``r*W + col`` plus ``(i - ph)*W + (j - pw)``: every tap is the
    flattened image shifted by one number, so it is one contiguous copy per
    plane instead of one per row. Reading past a row's end wraps into the next
    row; those entries (the ``|j - pw|`` columns at one edge) belong to the
    padding and are zeroed afterwards, as are the rows shifted in from above
    or below the image. Small maps have short rows, where the per-row cost of
    the slice-per-tap route dominates; :data:`FLAT_SHIFT_MAX_PIXELS` says where.
    """
    xp = get_array_module(x)
    n, c, h, w = x.shape
    (kh, kw), (ph, pw) = kernel_size, padding
    ho = conv_output_size(h, kh, 1, ph)
    size = ho * w
    if out is None:
        out = xp.empty((n, c * kh * kw, size), dtype=x.dtype)
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


def col2im(cols, x_shape, kernel_size, stride=(1, 1), padding=(0, 0), out=None):
    """Fold columns back into an image, adding where windows overlap (adjoint of im2col).

    cols: (N, C*kh*kw, H_out*W_out)  ->  x: x_shape = (N, C, H, W)
    (written into ``out``, if given, instead of a new array)

    ``<im2col(x), cols> == <x, col2im(cols)>`` for all x and cols.
    Pixels no window reaches (stride larger than kernel, or a remainder at the
    right edge) get zero; entries that fell in the padding are dropped.
    """
    xp = get_array_module(cols)
    n, c, h, w = x_shape
    (kh, kw), (sh, sw), (ph, pw) = kernel_size, stride, padding
    ho = conv_output_size(h, kh, sh, ph)
    wo = conv_output_size(w, kw, sw, pw)
    if cols.shape != (n, c * kh * kw, ho * wo):
        raise ValueError(f"cols has shape {cols.shape}, expected {(n, c * kh * kw, ho * wo)} for image {x_shape}")
    cols = cols.reshape(n, c, kh, kw, ho, wo)
    if out is None:
        x = xp.zeros(x_shape, dtype=cols.dtype)
    else:
        x = out
        x[...] = 0
    for i, rows_out, rows_in in _taps(kh, sh, ph, h, ho):
        for j, cols_out, cols_in in _taps(kw, sw, pw, w, wo):
            x[:, :, rows_in, cols_in] += cols[:, :, i, j, rows_out, cols_out]
    return x
