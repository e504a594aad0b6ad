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
That is ``kh*kw`` vectorised copies, whatever the image size.

col2im is the adjoint (the transpose) of im2col: it scatters each column
entry back to the pixel it came from and *adds* where windows overlap. It is
the backward pass of im2col, and the forward pass of a transposed
convolution. The same loop over offsets adds strided slices, so no
``add.at`` is needed: within one offset the slices never overlap.

These are the definitions. :mod:`fcn_scratch.fast.clipped_taps` fills the same
matrix without building the padded image, into a buffer kept between steps.
"""
from ..backend import get_array_module
from ..errors import InputError


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

    Raises InputError when the kernel is larger than the padded input.
    """
    if size + 2 * padding < kernel:
        raise InputError(
            f"kernel of size {kernel} is larger than the padded input "
            f"({size} + 2*{padding} = {size + 2 * padding})"
        )
    return (size + 2 * padding - kernel) // stride + 1


def transposed_output_size(size, kernel, stride, padding, output_padding=0):
    """Output length of a transposed convolution: ``(size - 1) s - 2p + k + output_padding``."""
    out = (size - 1) * stride - 2 * padding + kernel + output_padding
    if out < 1:
        raise InputError(
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
        raise InputError(
            f"pooling window {kernel} is larger than the padded input "
            f"({size} + 2*{padding} = {size + 2 * padding})"
        )
    span = size + 2 * padding - kernel
    out = (-(-span // stride) if ceil_mode else span // stride) + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    return out


def im2col(x, kernel_size, stride=(1, 1), padding=(0, 0)):
    """Unfold every convolution window of ``x`` into a column.

    x: (N, C, H, W)  ->  cols: (N, C*kh*kw, H_out*W_out)

    Row ``c*kh*kw + i*kw + j`` of ``cols`` holds input channel ``c`` under
    kernel tap ``(i, j)``; this is the order of a weight ``(C_out, C, kh, kw)``
    reshaped to ``(C_out, C*kh*kw)``, so ``W_col @ cols`` is the convolution.
    """
    xp = get_array_module(x)
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (ph, pw) = kernel_size, stride, padding
    ho, wo = conv_output_size(h, kh, sh, ph), conv_output_size(w, kw, sw, pw)
    x_pad = xp.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    cols = xp.empty((n, c, kh, kw, ho, wo), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            # tap (i, j) of every window: output (r, q) reads padded pixel (r*sh + i, q*sw + j)
            cols[:, :, i, j] = x_pad[:, :, i:i + sh * ho:sh, j:j + sw * wo:sw]
    return cols.reshape(n, c * kh * kw, ho * wo)


def col2im(cols, x_shape, kernel_size, stride=(1, 1), padding=(0, 0)):
    """Fold columns back into an image, adding where windows overlap (adjoint of im2col).

    cols: (N, C*kh*kw, H_out*W_out)  ->  x: x_shape = (N, C, H, W)

    ``<im2col(x), cols> == <x, col2im(cols)>`` for all x and cols.
    Pixels no window reaches (stride larger than kernel, or a remainder at the
    right edge) get zero; entries that fell in the padding are dropped.
    """
    xp = get_array_module(cols)
    n, c, h, w = x_shape
    (kh, kw), (sh, sw), (ph, pw) = kernel_size, stride, padding
    ho, wo = conv_output_size(h, kh, sh, ph), conv_output_size(w, kw, sw, pw)
    if cols.shape != (n, c * kh * kw, ho * wo):
        raise InputError(f"cols has shape {cols.shape}, expected {(n, c * kh * kw, ho * wo)} for image {x_shape}")
    cols = cols.reshape(n, c, kh, kw, ho, wo)
    x_pad = xp.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            x_pad[:, :, i:i + sh * ho:sh, j:j + sw * wo:sw] += cols[:, :, i, j]
    return x_pad[:, :, ph:ph + h, pw:pw + w]
