"""Checks exercise 4, col2im and the transposed convolution, against ``fcn_scratch.functional.col2im`` and
``fcn_scratch.layers.ConvTranspose2d``, and both against the adjoint identity."""
import numpy as np

from fcn_scratch import functional

from . import reference
from .core import adjoint_check, case, compare, same_dtype, small
from .im2col import CASES as IM2COL_CASES
from .im2col import random_cases

FILE, LESSON, TITLE = "ex04_conv_transpose", 3, "col2im and the transposed convolution, adjoints"
FUNCTIONS = ("col2im", "conv_transpose2d_forward")
HINTS = {
    "col2im": [
        "col2im walks im2col's loop backwards: for each kernel tap, the column entries go back to the pixels they "
        "were copied from, the same strided grid of the padded image.",
        "Overlapping windows copied one pixel into several columns; on the way back that pixel receives all of "
        "them: add, never assign. Then drop what landed on the padding.",
        "Start from zeros of the padded size with the dtype of cols, so that float32 stays float32.",
    ],
    "conv_transpose2d_forward": [
        "Each input pixel scatters its value times the k x k kernel into the output, s pixels further per input "
        "pixel, and overlapping patches add: col2im does the adding, once the columns are right.",
        "The columns hold, for every input pixel, C_out*k*k numbers, each a sum over the input channels of weight "
        "times pixel. As a product, the weight matrix must be indexed (C_out*k*k, C_in): the weight flattened to "
        "(C_in, C_out*k*k), then transposed. A reshape to the other shape keeps the order of the entries.",
        "The output is the size a convolution with the same k, s and p would shrink back to H.",
        "Another route gives the same numbers: spread the input with s - 1 zeros between pixels, pad by k - 1 - p "
        "and convolve (stride 1) with the kernel flipped and its channel axes swapped. Scattering uses the kernel "
        "as it is; only the convolution route flips it.",
    ],
}

TRANSPOSED = [(2, 3, 3, 4, 4, 4, 2, 0), (2, 3, 2, 4, 4, 4, 2, 0), (1, 2, 3, 3, 5, 3, 2, 1), (2, 2, 2, 3, 3, 16, 8, 0),
              (1, 3, 4, 5, 4, 3, 1, 1), (1, 2, 2, 4, 3, 5, 3, 2)]     # (N, C_in, C_out, H, W, k, s, p)


def check_col2im(student, rng):
    cases = IM2COL_CASES + list(random_cases(rng))
    for n, c, h, w, k, s, p in cases:
        x = rng.standard_normal((n, c, h, w))
        cols = rng.standard_normal(functional.im2col(x, (k, k), (s, s), (p, p)).shape)
        with case(f"cols {cols.shape}, x_shape {x.shape}, kernel_size {k}, stride {s}, padding {p}"):
            want = functional.col2im(cols, x.shape, (k, k), (s, s), (p, p))
            got = student.col2im(cols, x.shape, k, s, p)
            compare("x", got, want, {(n, c, h + 2 * p, w + 2 * p): "did you remove the padding?"}, [
                ("where windows overlap you overwrite; col2im adds",
                 lambda: overwriting_col2im(cols, x.shape, k, s, p),
                 "A pixel under several windows was copied into several columns. Going back, should it keep the "
                 "last of them, or get them all?"),
                ("your rows are read kernel tap first, then channel; im2col's row is c*k*k + i*k + j",
                 lambda: functional.col2im(cols.reshape(n, k * k, c, -1).transpose(0, 2, 1, 3).reshape(cols.shape),
                                           x.shape, (k, k), (s, s), (p, p)))])
            adjoint_check("<im2col(x), cols> against <x, col2im(cols)>",
                          float((functional.im2col(x, (k, k), (s, s), (p, p)) * cols).sum()), float((x * got).sum()))
    return len(cases)


def overwriting_col2im(cols, x_shape, k, s, p):
    """col2im with ``=`` where it should add: what the last window writes wins."""
    n, c, h, w = x_shape
    ho, wo = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
    cols, x_pad = cols.reshape(n, c, k, k, ho, wo), np.zeros((n, c, h + 2 * p, w + 2 * p))
    for i in range(k):
        for j in range(k):
            x_pad[:, :, i:i + s * ho:s, j:j + s * wo:s] = cols[:, :, i, j]
    return x_pad[:, :, p:p + h, p:p + w]


def check_transposed(student, rng):
    for n, c_in, c_out, h, w, k, s, p in TRANSPOSED:
        x, weight = rng.standard_normal((n, c_in, h, w)), rng.standard_normal((c_in, c_out, k, k))
        with case(f"x {x.shape}, weight {weight.shape}, stride {s}, padding {p}"):
            want = reference.conv_transpose(x, weight, s, p)[0]
            got = student.conv_transpose2d_forward(x, weight, s, p)
            ho, wo = want.shape[2:]
            n_cols = c_out * k * k
            compare("y", got, want, {
                (n, c_out, ho + 2 * p, wo + 2 * p): "did you remove the padding?",
                (n, c_out, h * s, w * s): "H_out = (H - 1) * s - 2p + k, not H * s",
                (n, c_in, ho, wo): "you read the weight as (C_out, C_in, k, k); a transposed convolution's weight is "
                                   "(C_in, C_out, k, k)"},
                [("your y is the transposed convolution with the weight's two channel axes swapped: its weight is "
                  "(C_in, C_out, k, k); scattering reads it as it is, a convolution of the dilated input swaps "
                  "the axes", lambda: reference.conv_transpose(x, weight.transpose(1, 0, 2, 3).copy(), s, p)[0],
                  "Which axis of the weight meets the input's channels? In a transposed convolution it is the "
                  "first one, the reverse of a convolution's weight."),
                 ("your y equals the transposed convolution with the kernel flipped: scattering uses the kernel as "
                  "it is; a convolution of the dilated input needs it flipped (weight[:, :, ::-1, ::-1])",
                  lambda: reference.conv_transpose(x, weight[:, :, ::-1, ::-1].copy(), s, p)[0],
                  "Follow one input pixel: it scatters its value times the kernel, tap (i, j) landing i rows and "
                  "j columns after its patch's corner. A convolution gathers instead; gathering the same patch "
                  "meets the taps in the opposite order."),
                 ("your columns come from a weight matrix of the right shape and the wrong entries: reshaping the "
                  "weight straight to (C_out*k*k, C_in) reorders it without transposing; the product needs the "
                  "(C_in, C_out*k*k) matrix transposed",
                  lambda: functional.col2im(weight.reshape(n_cols, c_in) @ x.reshape(n, c_in, -1), want.shape,
                                            (k, k), (s, s), (p, p)),
                  "A reshape keeps the entries in their memory order and only regroups them; a transpose moves "
                  "them. Which of the two turns rows of C_out*k*k weights into columns?"),
                 ("where two scattered patches overlap you overwrite; col2im adds",
                  lambda: overwriting_col2im(weight.reshape(c_in, n_cols).T @ x.reshape(n, c_in, -1), want.shape,
                                             k, s, p))])
            y = rng.standard_normal(want.shape)
            conv_y = reference.conv(y, weight, np.zeros(c_in), s, p)[0]
            gap = adjoint_check("<conv(y), x> against <y, conv_transpose(x)> (the same weight)",
                                float((conv_y * x).sum()), float((y * np.asarray(got)).sum()))
    return gap


def check(student):
    rng = np.random.default_rng(4)
    count = check_col2im(student, rng)
    with case("float32 cols (1, 18, 9), x_shape (1, 2, 6, 6), kernel_size 3, stride 2, padding 1"):
        cols = rng.standard_normal((1, 18, 9)).astype(np.float32)
        same_dtype("x", student.col2im(cols, (1, 2, 6, 6), 3, 2, 1), np.float32)
    gap = check_transposed(student, rng)
    with case("float32 x (1, 2, 3, 3), weight (2, 2, 4, 4), stride 2"):
        x, weight = (rng.standard_normal(shape).astype(np.float32) for shape in ((1, 2, 3, 3), (2, 2, 4, 4)))
        same_dtype("y", student.conv_transpose2d_forward(x, weight, 2, 0), np.float32)
    return [f"col2im: {count} cases right, the adjoint of im2col; float32 stays float32",
            f"conv_transpose2d_forward: {len(TRANSPOSED)} cases right (FCN's x2 and x8 among them), "
            f"<conv(y), x> = <y, conv_T(x)> (difference {small(gap)}); float32 stays float32"]
