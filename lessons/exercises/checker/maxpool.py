"""Checks exercise 3, max pooling with indices and its backward, against ``fcn_scratch.layers.MaxPool2d``."""
import numpy as np

from . import reference
from .core import Wrong, as_array, case, close, compare, gradient_check, same_dtype, small, unpack

FILE, LESSON, TITLE = "ex03_maxpool", 2, "max pooling: forward with indices, backward with ties"
FUNCTIONS = ("maxpool_forward", "maxpool_backward")
HINTS = {
    "maxpool_forward": [
        "Gather every window's k*k candidates at once: one strided slice of x per kernel tap (i, j) holds that tap "
        "of every window. Stacked, their maximum is y.",
        "The index comes from the tap that won: the window's first row and column, plus the tap's row and column "
        "within the window, give the pixel's place in its (H, W) plane.",
        "Ties: np.argmax returns the first of equal maxima, so stacking the taps in row-major window order makes "
        "'the first' the tie rule, for free.",
    ],
    "maxpool_backward": [
        "Every dy goes to the one pixel its window took. The indices are flat positions in each (H, W) plane, so a "
        "view of dx with the plane flattened takes them as they are.",
        "Two overlapping windows (k > s) can take the same pixel, and then it must get both gradients. What does "
        "an indexed += do when one index appears twice in a single assignment?",
        "NumPy's indexed += reads every element once and writes once, so repeated indices add once; np.add.at is "
        "the unbuffered form, adding once per occurrence.",
    ],
}
CASES = [(2, 3, 8, 8, 2, 2), (1, 2, 7, 9, 3, 2), (2, 2, 6, 5, 2, 1), (1, 1, 9, 9, 3, 3), (1, 2, 10, 7, 3, 1)]


def random_cases(rng, count=4):
    for _ in range(count):
        k = int(rng.integers(1, 4))
        yield (int(rng.integers(1, 3)), int(rng.integers(1, 4)), int(rng.integers(k, 11)), int(rng.integers(k, 11)),
               k, int(rng.integers(1, 4)))


def _windows(x, k, s, ho, wo):
    return np.stack([x[:, :, i:i + s * (ho - 1) + 1:s, j:j + s * (wo - 1) + 1:s] for i in range(k) for j in range(k)])


def _tied(x, k, s, ho, wo):
    """(N, C, H_out, W_out): True where a window's maximum occurs more than once."""
    windows = _windows(x, k, s, ho, wo)
    return (windows == windows.max(axis=0)).sum(axis=0) > 1


def check_forward(student, x, k, s):
    want, want_idx, _ = reference.pool(x, k, s)
    n, c, ho, wo = want.shape
    (_, _, h, w) = x.shape
    y, idx = unpack("maxpool_forward", student.maxpool_forward(x, k, s), 2, ("y", "indices"))
    shapes = {(n, c, h - k + 1, w - k + 1): "did you use the stride?",
              (n, c, -(-(h - k) // s) + 1, -(-(w - k) // s) + 1): "H_out = (H - k) // s + 1: a window must fit "
                                                                 "inside the image (round down)"}
    compare("y", y, want, shapes, [("that is average pooling: take the maximum of each window",
                                    lambda: _windows(x, k, s, ho, wo).mean(axis=0))])
    idx = as_array("indices", idx)
    if idx.dtype.kind not in "iu":
        raise Wrong(f"indices have dtype {idx.dtype}: make them integers (np.int64)")
    rows, cols = want_idx // w, want_idx % w
    taps = (rows - np.arange(ho)[:, None] * s) * k + (cols - np.arange(wo)[None, :] * s)
    planes = np.arange(n * c).reshape(n, c, 1, 1) * h * w
    if idx.shape == want.shape and not np.array_equal(idx, want_idx):
        tied = _tied(x, k, s, ho, wo)
        if tied.any() and not (idx != want_idx)[~tied].any():
            raise Wrong("wrong only where two values tie in a window: the first maximum in row-major window "
                        "order (top row first, left to right) wins, as np.argmax picks it",
                        hint="On a tie, which of the equal maxima does your code keep: the first it meets, or the "
                             "last? And in which order does it meet the taps of a window?")
    compare("indices", idx, want_idx, mistakes=[
        ("your indices are positions inside the window (0 to k*k - 1); they are flat positions row*W + col in "
         "the input plane", taps),
        ("your indices are column-major (col*H + row); they are row-major: row*W + col", cols * h + rows),
        ("your indices count over the whole array; they are positions within each (H, W) plane",
         planes + want_idx)])
    return idx


def check_backward(student, x, k, s, rng):
    _, want_idx, _ = reference.pool(x, k, s)
    dy = rng.standard_normal(want_idx.shape)
    want = reference.pool_backward(dy, x, k, s)
    dx = as_array("dx", student.maxpool_backward(dy, want_idx, x.shape))
    if dx.shape != want.shape or close(dx, want):
        return compare("dx", dx, want)
    wrong = np.abs(dx - want) > 1e-9 * np.abs(want).max()
    counts = np.zeros(x.shape[:2] + (x.shape[2] * x.shape[3],))
    np.add.at(counts, (np.arange(x.shape[0])[:, None, None, None], np.arange(x.shape[1])[None, :, None, None],
                       want_idx), 1)
    if not wrong.reshape(counts.shape)[counts < 2].any():
        raise Wrong("wrong only where overlapping windows share their maximum: each window's dy must be added "
                    "there, and added once per window (dx[..., idx] = dy keeps only one of them, and so does "
                    "dx[..., idx] += dy)",
                    hint="Two windows took the same pixel, so that pixel appears twice among the indices of one "
                         "assignment. An indexed += reads all the old values first and writes each place once: the "
                         "second window's gradient overwrites the first's instead of adding to it.")
    if close(dx[0, 0], want[0, 0]):
        raise Wrong("dx is right in the first (H, W) plane only: the indices are per plane, for every n and c")
    compare("dx", dx, want)


def check(student):
    rng = np.random.default_rng(3)
    cases = CASES + list(random_cases(rng))
    for n, c, h, w, k, s in cases:
        continuous = rng.standard_normal((n, c, h, w))
        ties = rng.integers(0, 3, (n, c, h, w)).astype(np.float64)
        for x, kind in ((continuous, "no ties"), (ties, "values 0, 1, 2: many ties")):
            with case(f"x {x.shape} ({kind}), kernel_size {k}, stride {s}"):
                check_forward(student, x, k, s)
                check_backward(student, x, k, s, rng)
    x, g = rng.standard_normal((2, 2, 7, 7)), rng.standard_normal((2, 2, 3, 3))
    with case("gradient check: x (2, 2, 7, 7), kernel_size 3, stride 2, your indices"):
        _, idx = student.maxpool_forward(x, 3, 2)
        error = gradient_check("dx", student.maxpool_backward(g, idx, x.shape),
                               lambda: float((reference.pool(x, 3, 2)[0] * g).sum()), x)
    with case("float32 x (2, 3, 6, 6), kernel_size 2, stride 2"):
        x = rng.standard_normal((2, 3, 6, 6)).astype(np.float32)
        y, idx = student.maxpool_forward(x, 2, 2)
        same_dtype("y", y, np.float32)
        same_dtype("dx", student.maxpool_backward(np.ones_like(y), idx, x.shape), np.float32)
    return [f"{len(cases)} cases right, each without and with ties (first maximum wins), overlapping windows "
            f"added; gradient check {small(error)}; float32 stays float32"]
