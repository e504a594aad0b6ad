"""Checks exercise 7, Conv2d's backward pass, against ``fcn_scratch.layers.Conv2d`` and central differences."""
import numpy as np

from . import reference
from .conv_forward import CASES, random_cases
from .core import case, compare, gradient_check, same_dtype, small, unpack

FILE, LESSON, TITLE = "ex07_conv_backward", 5, "Conv2d backward: dW, db and dx"
FUNCTIONS = ("conv2d_backward",)
HINTS = {"conv2d_backward": [
    "Keep the forward's pieces: the windows as columns, and dy with one row per output channel. Every gradient "
    "is one product of these, or a sum.",
    "db: each bias value was added at every output pixel of every image; its gradient gathers dy from all of them.",
    "dW: every image used the same weight, y[n] = W_col @ cols[n], so every image's product adds to dW: a sum over "
    "the batch (not an average: the loss already holds its 1/M), then the weight's shape.",
    "dx: the columns' gradient is the weight matrix transposed times dy, image by image; col2im folds it back, "
    "adding where windows overlap and dropping what fell on the padding.",
]}


FIRST_IMAGE = ("With one image your gradient would be right; with two it is not. Which images does your "
               "product see: all N, or the one you indexed?")


def mistakes(dy, x, weight, s, p, want):
    """``{name: (shapes, values)}``: what the usual slips give, for dx, dW and db."""
    (n, c_in, h, w), (c_out, _, k, _) = x.shape, weight.shape
    _, dw, db = want
    dx_shapes = {(n, c_in, h + 2 * p, w + 2 * p): "did you remove the padding? (col2im's result must be cut back "
                                                  "to x's size)",
                 (n, c_in, h - 2 * p, w - 2 * p): "did you remove the padding? (twice: your dx is 2p smaller than x)",
                 (n, c_in * k * k, dy.shape[2] * dy.shape[3]): "fold the columns' gradient back into an image with "
                                                                "col2im"}
    dw_shapes = {(c_in * k * k, c_out): "your dW is (C_in*k*k, C_out): the right one transposed",
                 (c_out, c_in * k * k): "reshape dW to the weight's shape (C_out, C_in, k, k)",
                 (n,) + weight.shape: "sum dW over the batch: one gradient for the one weight",
                 (c_in, c_out, k, k): "its channel axes are swapped: the weight is (C_out, C_in, k, k)"}
    db_shapes = {(n, c_out): "sum db over the batch too", (c_out, 1): "db has the bias's shape (C_out,)"}
    dw_values = [
        ("your dW equals the right one transposed: (C_in*k*k, C_out) read back as (C_out, C_in, k, k)",
         lambda: dw.reshape(c_out, -1).T.reshape(weight.shape)),
        ("your dW has its channel axes swapped: the weight is (C_out, C_in, k, k)",
         lambda: dw.transpose(1, 0, 2, 3)),
        ("your dW is the kernel flipped: no flip anywhere in a cross-correlation's gradients",
         lambda: dw[:, :, ::-1, ::-1]),
        (f"your dW is 1/{n} of the right one: sum over the batch, don't average", dw / n),
        ("your dW is the first image's alone: every image of the batch used the weight, so each adds its "
         "product to dW", lambda: reference.conv_backward(dy[:1], x[:1], weight, s, p)[1], FIRST_IMAGE),
    ]
    db_values = [(f"your db is 1/{n} of the right one: sum over the batch, don't average", db / n),
                 ("your db is the first image's alone: the bias was added in every image, so db sums dy over the "
                  "batch too", lambda: dy[:1].sum(axis=(0, 2, 3)), FIRST_IMAGE)]
    dx_values = [("your dx is what the flipped kernel gives: use the weight as it is, W_col.T @ dy",
                  lambda: reference.conv_backward(dy, x, weight[:, :, ::-1, ::-1].copy(), s, p)[0])]
    return {"dx": (dx_shapes, dx_values), "dW": (dw_shapes, dw_values), "db": (db_shapes, db_values)}


def check(student):
    rng = np.random.default_rng(7)
    cases = CASES + list(random_cases(rng))
    for n, c_in, c_out, h, w, k, s, p in cases:
        x, weight = rng.standard_normal((n, c_in, h, w)), rng.standard_normal((c_out, c_in, k, k))
        dy = rng.standard_normal(reference.conv(x, weight, np.zeros(c_out), s, p)[0].shape)
        with case(f"dy {dy.shape}, x {x.shape}, weight {weight.shape}, stride {s}, padding {p}"):
            want = reference.conv_backward(dy, x, weight, s, p)
            got = unpack("conv2d_backward", student.conv2d_backward(dy, x, weight, s, p), 3, ("dx", "dW", "db"))
            known = mistakes(dy, x, weight, s, p, want)
            for name, mine, right in zip(("dx", "dW", "db"), got, want):
                compare(name, mine, right, *known[name])
    x, weight, bias = rng.standard_normal((2, 2, 5, 6)), rng.standard_normal((3, 2, 3, 3)), rng.standard_normal(3)
    g = rng.standard_normal((2, 3, 3, 3))
    with case("gradient check: x (2, 2, 5, 6), weight (3, 2, 3, 3), stride 2, padding 1"):
        dx, dw, db = student.conv2d_backward(g, x, weight, 2, 1)
        loss = lambda: float((reference.conv(x, weight, bias, 2, 1)[0] * g).sum())    # noqa: E731
        error = max(gradient_check(name, mine, loss, wrt)
                    for name, mine, wrt in (("dx", dx, x), ("dW", dw, weight), ("db", db, bias)))
    with case("float32 dy (2, 4, 6, 6), x (2, 3, 6, 6), weight (4, 3, 3, 3), stride 1, padding 1"):
        dy, x, weight = (rng.standard_normal(shape).astype(np.float32) for shape in ((2, 4, 6, 6), (2, 3, 6, 6),
                                                                                     (4, 3, 3, 3)))
        for name, got in zip(("dx", "dW", "db"), student.conv2d_backward(dy, x, weight, 1, 1)):
            same_dtype(name, got, np.float32)
    return [f"{len(cases)} cases right for dx, dW and db (kernels 1-5, strides 1-2, padding 0-2); "
            f"gradient check {small(error)}; float32 stays float32"]
