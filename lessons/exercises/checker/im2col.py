"""Checks exercise 1, im2col, against ``fcn_scratch.functional.im2col``."""
import numpy as np

from fcn_scratch import functional

from .core import case, compare, same_dtype

FILE, LESSON, TITLE = "ex01_im2col", 1, "im2col: every convolution window as a column"
FUNCTIONS = ("im2col",)
HINTS = {"im2col": [
    "Count first: how many windows fit along H once p zeros pad each side, at stride s? The result holds one "
    "column per window and one row per (channel, kernel tap).",
    "Loop over what is small, the k*k kernel taps, not the pixels. The pixels under tap (i, j) of every window "
    "form a regular grid of the padded image, every s-th pixel from (i, j) on: one slice takes them all.",
    "The row order is the weight's: a weight (C_out, C, k, k) flattened to C*k*k entries per row has the channel "
    "first, then the kernel row, then the column. An array indexed (N, C, k, k, H_out, W_out) flattens in "
    "exactly that order.",
    "Try it by hand: np.arange(16.).reshape(1, 1, 4, 4) with kernel 2, stride 2, no padding has four windows; "
    "the first column is the top-left window read row by row, the second the window to its right.",
]}

CASES = [(2, 3, 9, 9, 3, 1, 1), (1, 2, 7, 5, 3, 2, 0), (2, 1, 6, 8, 2, 2, 1), (1, 3, 5, 6, 1, 1, 0),
         (2, 2, 10, 7, 4, 3, 2), (1, 2, 8, 8, 3, 2, 1)]      # (N, C, H, W, k, s, p)


def reference(x, k, s, p):
    return functional.im2col(x, (k, k), (s, s), (p, p))


def random_cases(rng, count=6):
    for _ in range(count):
        k, s, p = int(rng.integers(1, 5)), int(rng.integers(1, 4)), int(rng.integers(0, 3))
        yield (int(rng.integers(1, 3)), int(rng.integers(1, 4)), int(rng.integers(k, 12)), int(rng.integers(k, 12)),
               k, s, p)


def mistakes(x, k, s, p, want):
    """What the usual slips give, made from the right answer."""
    n, rows, cols = want.shape
    c, (_, _, h, w) = rows // (k * k), x.shape
    ho, wo = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
    shapes = {(n, cols, rows): "rows and columns swapped? Rows are the C*k*k entries of a window, columns the "
                               "H_out*W_out windows",
              (n, c * k * k, (ho + 1) * (wo + 1)): "off by one in H_out and W_out: (H + 2p - k) // s + 1",
              (n, c * k * k, (ho - 1) * (wo - 1)): "off by one in H_out and W_out: (H + 2p - k) // s + 1"}
    if p:
        shapes.setdefault(reference(x, k, s, 0).shape, "did you forget the padding?")
    if s > 1:
        shapes.setdefault(reference(x, k, 1, p).shape, "did you use the stride?")
    values = [
        ("your rows are ordered kernel tap first, then channel; a weight (C_out, C, k, k) reshaped to "
         "(C_out, C*k*k) has the channel first: row c*k*k + i*k + j",
         lambda: want.reshape(n, c, k * k, cols).transpose(0, 2, 1, 3).reshape(n, rows, cols)),
        ("kernel rows and columns are swapped: row c*k*k + i*k + j holds kernel row i, column j",
         lambda: want.reshape(n, c, k, k, cols).transpose(0, 1, 3, 2, 4).reshape(n, rows, cols)),
        ("your windows are ordered column by column: column r*W_out + q is output row r, column q",
         lambda: want.reshape(n, rows, ho, wo).transpose(0, 1, 3, 2).reshape(n, rows, cols)),
        ("the padding must be zeros, not copies of the border pixels",
         lambda: reference(np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), mode="edge"), k, s, 0)),
    ]
    return shapes, values


def check(student):
    rng = np.random.default_rng(1)
    cases = CASES + list(random_cases(rng))
    for n, c, h, w, k, s, p in cases:
        x = rng.standard_normal((n, c, h, w))
        with case(f"x {x.shape}, kernel_size {k}, stride {s}, padding {p}"):
            want = reference(x, k, s, p)
            shapes, values = mistakes(x, k, s, p, want)
            compare("cols", student.im2col(x, k, s, p), want, shapes, values)
    with case("x float32 (2, 3, 6, 6), kernel_size 3, stride 1, padding 1"):
        same_dtype("cols", student.im2col(rng.standard_normal((2, 3, 6, 6)).astype(np.float32), 3, 1, 1), np.float32)
    return [f"{len(cases)} cases right (kernels 1-4, strides 1-3, padding 0-2, H and W apart); "
            "float32 stays float32"]
