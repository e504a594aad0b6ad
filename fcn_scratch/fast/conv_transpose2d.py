"""ConvTranspose2d's fast route: by phases where they apply, else its formulas sample by sample.

:class:`fcn_scratch.layers.ConvTranspose2d` has one fork per pass: where
:func:`conv_transpose_applies` holds it hands its arrays to
:func:`conv_transpose2d_forward` and :func:`conv_transpose2d_backward`, which
compute its docstring's formulas

    forward:  y[n] = col2im(W_mat.T @ x[n])                  (the layer adds the bias)
    backward: cols = im2col(dy),  dx[n] = W_mat @ cols[n],  dW = sum_n x[n] @ cols[n].T

by the phase decomposition (:mod:`.phases`) where that trick applies, else
sample by sample, with col2im and im2col into given arrays
(:mod:`.clipped_taps`) and the weight gradient's products tall first
(:mod:`.tall_first`); every part is split over threads (:mod:`.threads`).

Why the numbers are the same: the phases agree with the formulas to float
rounding (``tests/fast/test_phases.py``); sample by sample, every product is
the one the whole batch makes for that sample and col2im and im2col into given
arrays fill the same entries in the same order
(``tests/fast/test_conv_transpose2d.py``).
"""
from ..backend import get_array_module
from ..functional import matmul
from . import phases, tall_first, threads
from .clipped_taps import col2im_into, im2col_into
from .switch import is_on


def conv_transpose_applies(layer, x):
    """The named condition for this route: a trick of it applies to ``layer`` (a ConvTranspose2d) on x."""
    return (phases.applies(layer.params["weight"].shape, layer.stride, layer.padding) or threads.applies(x)
            or is_on("tall_first"))


def conv_transpose2d_forward(x, weight, stride, padding, out_hw):
    """``(y, saved)``: y = col2im(W_mat.T @ x[n]) (N, C_out, *out_hw) for x (N, C_in, H, W) and weight
    (C_in, C_out, kh, kw); ``saved``, what :func:`conv_transpose2d_backward` reads."""
    if phases.applies(weight.shape, stride, padding):
        y, cols = phases.conv_transpose_phase(x, weight, stride, out_hw)
        return y, ("phases", cols)
    xp = get_array_module(x)
    n, c_in, h, w = x.shape
    c_out, kernel = weight.shape[1], weight.shape[2:]
    y = xp.empty((n, c_out) + tuple(out_hw), dtype=x.dtype)
    w_mat_t = weight.reshape(c_in, -1).T
    flat = x.reshape(n, c_in, h * w)

    def part(_, samples):
        col2im_into(y[samples], matmul(w_mat_t, flat[samples]), kernel, stride, padding)
    threads.split(part, "products", n, x, y)
    return y, ("samples", None)


def conv_transpose2d_backward(saved, grad_out, x, weight, stride, padding, weight_grad=True):
    """``(dx, dW)`` from ``saved`` (of :func:`conv_transpose2d_forward`), dy (N, C_out, H_out, W_out) and the
    input x: dx (N, C_in, H, W) = W_mat @ im2col(dy)[n], dW (C_in, C_out, kh, kw) = sum_n x[n] @ cols[n].T,
    None unless ``weight_grad``."""
    kind, phase_cols = saved
    if kind == "phases":
        return phases.conv_transpose_phase_backward(x.shape, phase_cols, weight, grad_out, stride, weight_grad)
    xp = get_array_module(grad_out)
    n, c_in, h, w = x.shape
    w_mat = weight.reshape(c_in, -1)
    cols = xp.empty((n, w_mat.shape[1], h * w), dtype=grad_out.dtype)
    dx = xp.empty(x.shape, dtype=grad_out.dtype)
    flat_dx = dx.reshape(n, c_in, h * w)

    def part(_, samples):
        im2col_into(cols[samples], grad_out[samples], weight.shape[2:], stride, padding)
        matmul(w_mat, cols[samples], out=flat_dx[samples])
    threads.split(part, "products", n, grad_out, cols, dx)
    d_weight = None
    if weight_grad:
        d_weight = tall_first.matmul_sum_batch(x.reshape(n, c_in, h * w), cols).reshape(weight.shape)
    return dx, d_weight
