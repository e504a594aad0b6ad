"""Phases: a transposed convolution as a small convolution and a reshuffle, when the stride divides the kernel.

It replaces the textbook formulas of :class:`fcn_scratch.layers.ConvTranspose2d`
(forward ``col2im(W_mat.T @ x)``, backward ``im2col(dy)`` and two products):
where :func:`conv_transpose_applies` holds, the layer takes this route, split
over the threads sample by sample (:mod:`.threads`), its weight gradient's
products tall first (:mod:`.tall_first`); elsewhere, its own formulas.

FCN upsamples with kernel ``k = 2s`` and stride ``s`` (x2: k=4, s=2; x8:
k=16, s=8). Cut the output into ``s x s`` blocks. Kernel tap ``i = t*s + p``
of input pixel ``h`` lands on output row ``h*s + i = (h + t)*s + p``: offset
``p`` inside block ``h + t``. So with ``k = m*s`` each output block is fed by
an ``m x m`` neighbourhood of input pixels, and every output pixel by exactly
``m x m`` taps (2 x 2 for FCN).

That makes the transposed convolution an ordinary *convolution* with a small
``m x m`` kernel (padding ``m - 1``) that produces ``C_out * s * s`` channels,
one per output phase ``(p, q)``, followed by a reshuffle of those channels into
the ``s x s`` positions of each block ("depth to space", as in sub-pixel
convolution):

    Z[n, (o, p, q), b, c] = sum_{ch, a, e} K[(o, p, q), ch, a, e] * x_pad[n, ch, b + a, c + e]
    K[(o, p, q), ch, a, e] = W[ch, o, (m-1-a)*s + p, (m-1-e)*s + q]
    y[n, o, b*s + p, c*s + q] = Z[n, (o, p, q), b, c]

Every output pixel is the same sum of the same ``m*m*C_in`` products as on
the textbook route, added in another order, so the two agree to float
rounding (``tests/fast/test_phases.py``). What it buys: the large column
matrix of the textbook route (``m*m`` times the output: 44 MB for the bench
configuration's ``upscore8``) and its ``k*k`` strided adds are replaced by an
im2col of the small input and one transpose of the output (BENCHMARKS.md).
"""
from ..backend import get_array_module
from ..functional import matmul
from . import tall_first, threads
from .clipped_taps import col2im_into, im2col_into
from .kept_buffers import shared_work_array
from .config import is_on


def conv_transpose_applies(layer, x):
    """The named condition for this route: :func:`applies` to ``layer`` (a ConvTranspose2d)."""
    return applies(layer.params["weight"].shape, layer.stride, layer.padding)


def applies(weight_shape, stride, padding):
    """The named condition: the ``phases`` trick is on and a transposed convolution of weight (C_in, C_out,
    kh, kw) has no padding and a stride > 1 that divides its kernel, as all of FCN's upsampling layers do."""
    return (is_on("phases") and tuple(padding) == (0, 0) and any(s > 1 for s in stride)
            and all(k % s == 0 for k, s in zip(weight_shape[2:], stride)))


def phase_kernel(weight, stride):
    """W (C_in, C_out, m*sh, n*sw) -> K (C_out*sh*sw, C_in*m*n) as the formula in the module docstring."""
    c_in, c_out, kh, kw = weight.shape
    (sh, sw), m, n = stride, kh // stride[0], kw // stride[1]
    w6 = weight.reshape(c_in, c_out, m, sh, n, sw)[:, :, ::-1, :, ::-1, :]
    return w6.transpose(1, 3, 5, 0, 2, 4).reshape(c_out * sh * sw, c_in * m * n)


def _unphase_kernel(k_grad, weight_shape, stride):
    """The adjoint of :func:`phase_kernel`'s rearrangement: dK -> dW."""
    c_in, c_out, kh, kw = weight_shape
    (sh, sw), m, n = stride, kh // stride[0], kw // stride[1]
    w6 = k_grad.reshape(c_out, sh, sw, c_in, m, n).transpose(3, 0, 4, 1, 5, 2)[:, :, ::-1, :, ::-1, :]
    return w6.reshape(weight_shape)


def conv_transpose_phase(x, weight, stride, out_hw):
    """Transposed convolution (no padding, stride | kernel) as a phase convolution.

    x (N, C_in, H, W), weight (C_in, C_out, kh, kw) -> (y (N, C_out, H_out, W_out), cols), where
    ``out_hw = (H_out, W_out)`` is at least ``((H-1) sh + kh, (W-1) sw + kw)`` (rows past it, from
    output_padding, are zero) and ``cols`` is the im2col of x that the backward pass needs.
    Sample by sample, so the batch is split over threads.
    """
    xp = get_array_module(x)
    n, c_in, h, w = x.shape
    _, c_out, kh, kw = weight.shape
    (sh, sw), m, q = stride, kh // stride[0], kw // stride[1]
    hb, wb = h + m - 1, w + q - 1
    cols = xp.empty((n, c_in * m * q, hb * wb), dtype=x.dtype)
    kernel = phase_kernel(weight, stride)
    full = tuple(out_hw) == (hb * sh, wb * sw)
    y = (xp.empty if full else xp.zeros)((n, c_out) + tuple(out_hw), dtype=x.dtype)
    z = shared_work_array((n, c_out * sh * sw, hb * wb), x.dtype, xp)

    def part(_, samples):
        im2col_into(cols[samples], x[samples], (m, q), (1, 1), (m - 1, q - 1))
        matmul(kernel, cols[samples], out=z[samples])
        blocks = y[samples, :, :hb * sh, :wb * sw].reshape(-1, c_out, hb, sh, wb, sw)
        blocks[...] = z[samples].reshape(-1, c_out, sh, sw, hb, wb).transpose(0, 1, 4, 2, 5, 3)
    threads.split(part, "products", n, x, cols, y, z)
    return y, cols


def conv_transpose_phase_backward(x_shape, cols, weight, grad_out, stride, weight_grad=True):
    """Gradients of :func:`conv_transpose_phase`: ``(dx (N, C_in, H, W), dW (C_in, C_out, kh, kw))``,
    with ``dW`` None when ``weight_grad`` is False (a frozen kernel).

    The phase convolution's own backward: "space to depth" of the gradient
    (the inverse reshuffle), then ``dK = sum_n dZ[n] @ cols[n].T`` and
    ``dx = col2im(K.T @ dZ)``.
    """
    xp = get_array_module(grad_out)
    n, _, h, w = x_shape
    _, c_out, kh, kw = weight.shape
    (sh, sw), m, q = stride, kh // stride[0], kw // stride[1]
    hb, wb = h + m - 1, w + q - 1
    dz = shared_work_array((n, c_out * sh * sw, hb * wb), grad_out.dtype, xp)
    kernel_t = phase_kernel(weight, stride).T
    dx = xp.empty(x_shape, dtype=grad_out.dtype)

    def part(_, samples):
        blocks = grad_out[samples, :, :hb * sh, :wb * sw].reshape(-1, c_out, hb, sh, wb, sw)
        dz[samples].reshape(-1, c_out, sh, sw, hb, wb)[...] = blocks.transpose(0, 1, 3, 5, 2, 4)
        col2im_into(dx[samples], matmul(kernel_t, dz[samples]), (m, q), (1, 1), (m - 1, q - 1))
    threads.split(part, "products", n, grad_out, dx, dz)
    d_weight = None
    if weight_grad:
        d_weight = _unphase_kernel(tall_first.matmul_sum_batch(dz, cols), weight.shape, stride)
    return dx, d_weight
