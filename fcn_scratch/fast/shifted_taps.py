"""Shifted taps: a stride-1 convolution as a sum over its kernel's taps of products on shifted views, with no
column matrix kept.

It replaces the textbook route of :class:`fcn_scratch.layers.Conv2d`,

    y[n] = W_col @ im2col(x)[n] + b,   dW = sum_n dy[n] @ im2col(x)[n].T,   dx = col2im(W_col.T @ dy),

where the column matrix (``C_in*kh*kw`` rows, a column per output pixel) would be larger than the weight
and either the batch is smaller than the threads or the matrix very large (:func:`applies`). Training
keeps that matrix from forward to backward for the weight gradient: ``kh*kw`` times the layer's input,
1.1 GB for the paper's conv1_2 on a 500 x 500 image. This route keeps only the input.

The derivation. The rows of ``im2col(x)[n]`` come in ``kh*kw`` blocks, one per tap (i, j) of the kernel:
block (i, j) holds ``x_pad[c, r + i, q + j]`` for output pixel (r, q). Pad the input once and flatten
each plane with its padded width Wp: pixel (r, q) of the padded plane sits at ``r*Wp + q``, so block
(i, j) is the contiguous slice of the flat plane that starts at ``off = i*Wp + j``, read as H_out rows of
Wp. The last ``Wp - W_out`` of each such row run past the output's width (into the next row): those output
columns are computed and dropped. ``W_col`` splits into the same blocks, ``W[:, :, i, j]``, and its
product with the column matrix is a sum over the taps:

    y_wide[n]      = sum_(i,j) W[:, :, i, j] @ x_flat[n, :, off : off + H_out*Wp]        (C_out, H_out*Wp)
    dW[:, :, i, j] = sum_n dy_wide[n] @ x_flat[n, :, off : off + H_out*Wp].T
    dx_pad         = the same sum as y_wide, over dy_wide, with the taps W[:, :, kh-1-i, kw-1-j].T

where dy_wide is dy laid out as y_wide, zero in the dropped columns, so that they add nothing to dW. The
input gradient is col2im's scatter read as a gather: padded pixel p of dx receives ``W[:, :, i, j].T @
dy_wide[:, p - off]``; the zeros that end each row of dy_wide are the zeros that a row of dy padded on the
left would start with, so with ``(kh-1)*Wp + kw-1`` zeros before and after dy_wide, dx_pad is the
forward's sum over dy with the flipped kernel, its channel axes swapped, and dx its crop.

How the sums are made: a chunk of whole output rows at a time, the chunk's ``kh*kw`` slices copied side
by side into a column matrix of that chunk alone and multiplied once, the wanted columns copied out
(with the bias); the weight gradient likewise, a chunk's product per chunk, summed over the chunks,
except where one tap's product is large enough to run at full speed over every pixel at once
(:data:`TAP_PRODUCT`), which needs no copies. Those chunks and products are what the threads share out,
each thread writing its own: a batch of one image uses every core, and the products are the same with
the threads as without.

Why the numbers are the same: every output is the same products of the same entries as the textbook
route's, summed over the taps and pixels in another grouping, so the two agree to float rounding
(``tests/fast/test_shifted_taps.py``); the dropped columns are never read, and the zeros add nothing.
"""
from ..backend import get_array_module
from ..functional import matmul
from . import threads
from .kept_buffers import shared_work_array
from .config import config, is_on

# Beyond this size a column matrix costs more to keep than the column route saves with a sample per thread.
COLUMN_BYTES = 256 * 2 ** 20

# A chunk has at least this many columns (whole output rows): with fewer, a product spends its time
# packing the weight rather than multiplying; and, with few input channels, its column matrix has about
# this many bytes, so that its product is not too small to pay for its call.
CHUNK_COLUMNS = 2048
CHUNK_BYTES = 4 * 2 ** 20

# The weight gradient's chunks are longer: their product sums over the columns.
GRADIENT_CHUNK_COLUMNS = 8192

# Where a tap's product (C_out x C_in) has at least this many entries, the weight gradient is one product
# per tap (and block of ROW_BLOCK output channels) over every pixel, from the padded input itself.
TAP_PRODUCT = 256 * 256
ROW_BLOCK = 256


def applies(x, weight, stride, padding):
    """The named condition: the ``shifted_taps`` trick is on, the convolution has stride 1 (any kernel,
    any padding), its column matrix (``C_in*kh*kw`` rows, a column per output pixel of x (N, C_in, H, W))
    is larger than its weight (C_out, C_in, kh, kw) (where the weight is the larger, fc6 on a small map,
    the columns are the cheap side), and either the batch has fewer samples than there are threads (the
    column route splits the samples, and one image would leave all but one thread idle) or the column
    matrix is larger than :data:`COLUMN_BYTES`. With a sample per thread and smaller maps the column
    route is faster, by the copy that this one makes again in backward (BENCHMARKS.md)."""
    if not is_on("shifted_taps") or tuple(stride) != (1, 1):
        return False
    n, c = x.shape[:2]
    kh, kw = weight.shape[2:]
    _, _, ho, wo = _geometry(x.shape, (kh, kw), padding)
    column_bytes = c * kh * kw * n * ho * wo * x.dtype.itemsize
    return n * ho * wo > weight.shape[0] and (n < config().threads or column_bytes > COLUMN_BYTES)


def _geometry(x_shape, kernel, padding):
    """``(Hp, Wp, H_out, W_out)``: the padded size and the output size."""
    (h, w), (kh, kw), (ph, pw) = x_shape[2:], kernel, padding
    hp, wp = h + 2 * ph, w + 2 * pw
    return hp, wp, hp - kh + 1, wp - kw + 1


def _offsets(kernel, width):
    """Where each tap (i, j)'s slice starts in a flat plane of rows of ``width``."""
    return [i * width + j for i in range(kernel[0]) for j in range(kernel[1])]


def _tap_matrix(weight):
    """W (C_out, C_in, kh, kw) -> (C_out, kh*kw*C_in): tap (i, j)'s matrix W[:, :, i, j] in the columns
    from ``(i*kw + j)*C_in`` on, as the column matrices of the chunks hold the taps' slices."""
    return weight.transpose(0, 2, 3, 1).reshape(weight.shape[0], -1)


def _padded_flat(x, kernel, padding):
    """x (N, C, H, W) zero-padded and flattened, (N, C, Hp*Wp + kw - 1) (the last tap's last dropped
    columns read the ``kw - 1`` zeros past the end), in a shared work array; x itself, flattened, for one
    tap without padding."""
    n, c, h, w = x.shape
    (kh, kw), (ph, pw) = kernel, padding
    if (kh, kw, ph, pw) == (1, 1, 0, 0) and x.flags.c_contiguous:
        return x.reshape(n, c, h * w)
    hp, wp, _, _ = _geometry(x.shape, kernel, padding)
    out = shared_work_array((n, c, hp * wp + kw - 1), x.dtype, get_array_module(x), "shifted_input")
    out[:, :, hp * wp:] = 0
    grid = out[:, :, :hp * wp].reshape(n, c, hp, wp)
    grid[:, :, :ph] = 0
    grid[:, :, ph + h:] = 0
    grid[:, :, ph:ph + h, :pw] = 0
    grid[:, :, ph:ph + h, pw + w:] = 0
    grid[:, :, ph:ph + h, pw:pw + w] = x
    return out


def _gradient_flat(grad_out, kernel, width):
    """``(dy_ext, E)``: dy (N, C_out, H_out, W_out) laid out as the forward's wide output (rows of ``width``,
    zero past W_out), with ``E = (kh-1)*width + kw-1`` zeros before and after, (N, C_out, 2E + H_out*width),
    in a shared work array."""
    n, c_out, ho, wo = grad_out.shape
    kh, kw = kernel
    edge = (kh - 1) * width + kw - 1
    out = shared_work_array((n, c_out, 2 * edge + ho * width), grad_out.dtype, get_array_module(grad_out),
                            "shifted_gradient")
    out[:, :, :edge] = 0
    out[:, :, edge + ho * width:] = 0
    wide = out[:, :, edge:edge + ho * width].reshape(n, c_out, ho, width)
    wide[:, :, :, wo:] = 0
    wide[:, :, :, :wo] = grad_out
    return out, edge


def _chunks(n, rows, width, columns):
    """``(chunks, longest)``: each of n samples' ``rows`` rows of ``width`` cut into chunks ``(sample, top,
    bottom)`` of whole rows, as even as can be, of about ``columns`` columns, in whole rounds of the threads
    over the batch (one image gives each thread as much), at most one per row; ``longest``, the most
    columns of one. They depend on the geometry and the process's thread count, not on whether the threads
    are used, so the products are the same with them and without."""
    rounds = -(-max(n, n * (rows * width // columns)) // config().threads) * config().threads
    count = max(1, min(rows, -(-rounds // n)))
    bounds = [rows * k // count for k in range(count + 1)]
    return [(s, top, bottom) for s in range(n) for top, bottom in zip(bounds, bounds[1:])], -(-rows // count) * width


def _columns(src, offsets, start, length, work):
    """The column matrix of a chunk, (len(offsets)*C, length): each tap's slice of src (C, F) from ``start``
    copied into ``work`` (or, for one tap, the slice itself)."""
    if len(offsets) == 1:
        return src[:, start + offsets[0]:start + offsets[0] + length]
    cols = work[:len(offsets) * src.shape[0] * length].reshape(len(offsets), src.shape[0], length)
    for t, off in enumerate(offsets):
        cols[t] = src[:, start + off:start + off + length]
    return cols.reshape(-1, length)


def _correlate(src, matrix, kernel, width, first_row, first_column, dst, bias=None):
    """dst[n, :, r] = columns ``first_column`` on of ``sum_t W_t @ src[n, :, g*width + off_t : ...]`` for
    the rows ``g = first_row + r`` of a grid of rows of ``width``, the taps t = (i, j) of ``kernel`` at
    ``off_t = i*width + j``, plus ``bias`` (C_dst,) if given.

    src (N, C_src, F), the flat planes; matrix (C_dst, kh*kw*C_src), the taps' matrices side by side
    (:func:`_tap_matrix`); dst (N, C_dst, rows, W_dst), written.
    """
    xp = get_array_module(src)
    n, c_src, _ = src.shape
    c_dst, rows, w_dst = dst.shape[1:]
    offsets = _offsets(kernel, width)
    size = len(offsets) * c_src
    chunks, longest = _chunks(n, rows, width, max(CHUNK_COLUMNS, CHUNK_BYTES // (size * src.dtype.itemsize)))
    # one tap read in place, its product written in place: no copies at all (a 1x1 convolution)
    direct = size == c_src and first_column == 0 and w_dst == width and dst.flags.c_contiguous
    flat_dst = dst.reshape(n, c_dst, rows * w_dst)
    slices = threads.parts("products", len(chunks), src, dst, scratch_bytes=len(chunks) * (size + c_dst) * longest
                           * src.dtype.itemsize)
    work = shared_work_array((len(slices), (size + c_dst) * longest), src.dtype, xp, "shifted_chunks")

    def part(k, mine):
        for s, top, bottom in chunks[mine]:
            start, length = (first_row + top) * width, (bottom - top) * width
            if direct:
                out = matmul(matrix, src[s, :, start:start + length], out=flat_dst[s, :, top * width:bottom * width])
                if bias is not None:
                    out += bias[:, None]
                continue
            out = work[k, size * longest:size * longest + c_dst * length].reshape(c_dst, length)
            matmul(matrix, _columns(src[s], offsets, start, length, work[k]), out=out)
            wanted = out.reshape(c_dst, bottom - top, width)[:, :, first_column:first_column + w_dst]
            if bias is None:
                dst[s, :, top:bottom] = wanted
            else:
                xp.add(wanted, bias[:, None, None], out=dst[s, :, top:bottom])
    threads.run(part, slices, src, "products")


def conv2d_forward(x, weight, bias, padding):
    """x (N, C_in, H, W) -> ``W_col @ im2col(x)[n] + b`` (N, C_out, H_out*W_out), stride 1; weight (C_out,
    C_in, kh, kw), bias (C_out,) or None."""
    xp = get_array_module(x)
    n = x.shape[0]
    c_out, _, kh, kw = weight.shape
    _, wp, ho, wo = _geometry(x.shape, (kh, kw), padding)
    y = xp.empty((n, c_out, ho, wo), dtype=x.dtype)
    _correlate(_padded_flat(x, (kh, kw), padding), _tap_matrix(weight), (kh, kw), wp, 0, 0, y, bias)
    return y.reshape(n, c_out, ho * wo)


def conv2d_backward(x, grad_out, weight, padding, weight_grad=True, input_grad=True):
    """``(dW, dx)`` for x (N, C_in, H, W), the input forward kept, and dy (N, C_out, H_out, W_out): dW
    (C_out, C_in*kh*kw) = sum_n dy[n] @ im2col(x)[n].T, None unless ``weight_grad``; dx (N, C_in, H, W) =
    col2im(W_col.T @ dy), None unless ``input_grad``."""
    xp = get_array_module(x)
    n, c, h, w = x.shape
    c_out, _, kh, kw = weight.shape
    _, wp, ho, wo = _geometry(x.shape, (kh, kw), padding)
    dy_ext, edge = _gradient_flat(grad_out.reshape(n, c_out, ho, wo), (kh, kw), wp)
    d_weight = dx = None
    if weight_grad:
        by = _weight_gradient_by_taps if c * c_out >= TAP_PRODUCT else _weight_gradient_by_chunks
        d_taps = by(_padded_flat(x, (kh, kw), padding), dy_ext[:, :, edge:edge + ho * wp], (kh, kw), wp)
        d_weight = d_taps.reshape(c_out, kh, kw, c).transpose(0, 3, 1, 2).reshape(c_out, -1)
    if input_grad:
        dx = xp.empty((n, c, h, w), dtype=x.dtype)
        flipped = _tap_matrix(weight[:, :, ::-1, ::-1].transpose(1, 0, 2, 3))
        _correlate(dy_ext, flipped, (kh, kw), wp, padding[0], padding[1], dx)
    return d_weight, dx


def _weight_gradient_by_chunks(x_flat, dy_wide, kernel, width):
    """(C_out, kh*kw*C_in), the taps side by side: ``sum_n dy_wide[n] @ cols[n].T`` from x_flat (N, C_in, F)
    and dy_wide (N, C_out, L), a chunk of columns at a time (the chunk's column matrix made as the forward
    makes it), each chunk's product kept and the products summed in their order."""
    xp = get_array_module(x_flat)
    n, c, _ = x_flat.shape
    c_out, length = dy_wide.shape[1:]
    offsets = _offsets(kernel, width)
    size = len(offsets) * c
    chunks, longest = _chunks(n, length // width, width, GRADIENT_CHUNK_COLUMNS)
    products = xp.empty((len(chunks), c_out, size), dtype=x_flat.dtype)
    slices = threads.parts("products", len(chunks), x_flat, dy_wide, products,
                           scratch_bytes=len(chunks) * size * longest * x_flat.dtype.itemsize)
    work = shared_work_array((len(slices), size * longest), x_flat.dtype, xp, "shifted_chunks")

    def part(k, mine):
        for i, (s, top, bottom) in zip(range(mine.start, mine.stop), chunks[mine]):
            start, stop = top * width, bottom * width
            cols = _columns(x_flat[s], offsets, start, stop - start, work[k])
            matmul(dy_wide[s, :, start:stop], cols.T, out=products[i])
    threads.run(part, slices, x_flat, "products")
    return products[0] if len(chunks) == 1 else products.sum(axis=0)


def _weight_gradient_by_taps(x_flat, dy_wide, kernel, width):
    """(C_out, kh*kw*C_in), the taps side by side: for each tap, ``sum_n dy_wide[n] @ x_flat[n, :, off :
    off + L].T`` from x_flat (N, C_in, F) and dy_wide (N, C_out, L), one product per tap, block of
    :data:`ROW_BLOCK` output channels and sample, over every pixel at once."""
    xp = get_array_module(x_flat)
    n, c, _ = x_flat.shape
    c_out, length = dy_wide.shape[1:]
    offsets = _offsets(kernel, width)
    blocks = [slice(lo, min(lo + ROW_BLOCK, c_out)) for lo in range(0, c_out, ROW_BLOCK)]
    items = [(t, rows) for t in range(len(offsets)) for rows in blocks]
    d_taps = xp.empty((c_out, len(offsets), c), dtype=x_flat.dtype)
    slices = threads.parts("products", len(items), x_flat, dy_wide, d_taps)
    scratch = shared_work_array((len(slices), min(ROW_BLOCK, c_out), c), x_flat.dtype, xp, "shifted_chunks")

    def part(k, mine):
        for t, rows in items[mine]:
            total, off = d_taps[rows, t], offsets[t]
            product = scratch[k, :rows.stop - rows.start]
            for s in range(n):
                matmul(dy_wide[s, rows], x_flat[s, :, off:off + length].T, out=product)
                if s:
                    total += product
                else:
                    total[...] = product
    threads.run(part, slices, x_flat, "products")
    return d_taps.reshape(c_out, -1)
