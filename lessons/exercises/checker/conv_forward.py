"""Checks exercise 2, Conv2d's forward pass, against ``fcn_scratch.layers.Conv2d``."""
import numpy as np

from . import reference
from .core import case, compare, same_dtype

FILE, LESSON, TITLE = "ex02_conv_forward", 1, "Conv2d forward: im2col and one matrix product"
FUNCTIONS = ("conv2d_forward",)
HINTS = {"conv2d_forward": [
    "Once every window is a column, the whole convolution is one matrix product: which matrix of the weights, "
    "multiplied by the columns, makes one output channel per row?",
    "One bias per output channel, added at every pixel of that channel: broadcasting adds it everywhere once "
    "the bias has an axis of length 1 where the pixels are.",
    "No kernel flip: a deep-learning convolution is a cross-correlation, and im2col's row order is already the "
    "order of the weight's entries flattened.",
]}

CASES = [(2, 3, 4, 9, 9, 3, 1, 1), (1, 2, 5, 7, 6, 3, 2, 0), (2, 4, 4, 8, 8, 3, 1, 1), (1, 3, 2, 6, 9, 1, 1, 0),
         (2, 2, 3, 9, 7, 4, 2, 2), (1, 1, 3, 5, 5, 5, 1, 2)]      # (N, C_in, C_out, H, W, k, s, p)


def random_cases(rng, count=5):
    for _ in range(count):
        k = int(rng.integers(1, 5))
        yield (int(rng.integers(1, 3)), int(rng.integers(1, 5)), int(rng.integers(1, 5)), int(rng.integers(k, 11)),
               int(rng.integers(k, 11)), k, int(rng.integers(1, 3)), int(rng.integers(0, 3)))


def mistakes(x, weight, bias, s, p, want):
    n, c_out, ho, wo = want.shape
    shapes = {(n, c_out, ho * wo): "reshape the product to (N, C_out, H_out, W_out)"}
    if p:
        shapes.setdefault(reference.conv(x, weight, bias, s, 0)[0].shape, "did you forget the padding?")
    if s > 1:
        shapes.setdefault(reference.conv(x, weight, bias, 1, p)[0].shape, "did you use the stride?")
    values = [
        ("you flipped the kernel: that is the textbook convolution; a deep-learning convolution (PyTorch's, "
         "this package's) is a cross-correlation, with no flip",
         lambda: reference.conv(x, weight[:, :, ::-1, ::-1].copy(), bias, s, p)[0]),
        ("the bias is missing", lambda: reference.conv(x, weight, 0 * bias, s, p)[0]),
        ("the bias is added twice", lambda: reference.conv(x, weight, 2 * bias, s, p)[0]),
        ("kernel rows and columns are swapped",
         lambda: reference.conv(x, weight.transpose(0, 1, 3, 2).copy(), bias, s, p)[0]),
        ("you read the weight as (C_in, C_out, k, k); a Conv2d weight is (C_out, C_in, k, k)",
         lambda: reference.conv(x, weight.transpose(1, 0, 2, 3).copy(), bias, s, p)[0]),
    ]
    return shapes, values


def check(student):
    rng = np.random.default_rng(2)
    cases = CASES + list(random_cases(rng))
    for n, c_in, c_out, h, w, k, s, p in cases:
        x, weight = rng.standard_normal((n, c_in, h, w)), rng.standard_normal((c_out, c_in, k, k))
        bias = rng.standard_normal(c_out)
        with case(f"x {x.shape}, weight {weight.shape}, bias {bias.shape}, stride {s}, padding {p}"):
            want = reference.conv(x, weight, bias, s, p)[0]
            shapes, values = mistakes(x, weight, bias, s, p, want)
            compare("y", student.conv2d_forward(x, weight, bias, s, p), want, shapes, values)
    with case("float32 x (2, 3, 6, 6), weight (4, 3, 3, 3), stride 1, padding 1"):
        x, weight, bias = (rng.standard_normal(shape).astype(np.float32) for shape in ((2, 3, 6, 6), (4, 3, 3, 3), 4))
        same_dtype("y", student.conv2d_forward(x, weight, bias, 1, 1), np.float32)
    return [f"{len(cases)} cases right (kernels 1-5, strides 1-2, padding 0-2); float32 stays float32"]
