"""Checks exercise 5, the bilinear kernel, against ``fcn_scratch.functional.bilinear_kernel``, and
what it is for: a transposed convolution with it reproduces a linear ramp."""
import numpy as np

from fcn_scratch import functional

from . import reference
from .core import Wrong, as_array, case, compare

FILE, LESSON, TITLE = "ex05_bilinear", 3, "the bilinear kernel of FCN's upsampling"
FUNCTIONS = ("bilinear_kernel",)
HINTS = {"bilinear_kernel": [
    "Build one dimension first: a tent that peaks at the kernel's centre (half-way between the two middle taps "
    "when k is even) and falls linearly, reaching zero one factor away from the centre, just outside the kernel.",
    "The 2-D kernel is separable: bilinear means linear along the rows times linear along the columns.",
    "Each channel is upsampled on its own: only the pairs (c, c) hold the kernel, every other pair is zero.",
]}

CASES = [(1, 4), (3, 4), (2, 16), (2, 3), (1, 5), (4, 2), (2, 1), (1, 8), (3, 6), (2, 7), (21, 64)]   # (C, k)


def _tent(k, factor, centre):
    t = np.arange(k)
    return 1 - np.abs(t - centre) / factor


def _kernel(c, tent, every_pair=False, combine=np.outer):
    weight = np.zeros((c, c) + tent.shape * 2)
    if every_pair:
        weight[...] = combine(tent, tent)
    else:
        weight[range(c), range(c)] = combine(tent, tent)
    return weight


def check_ramp(student):
    """Upsampling a ramp x2 (kernel 4, stride 2) gives a ramp: bilinear interpolation, inside the border."""
    ramp = np.arange(6.0)[None, None, None, :].repeat(6, axis=2)
    up = reference.conv_transpose(ramp, as_array("weight", student.bilinear_kernel(1, 4)), 2)[0][0, 0, 3:-3, 3:-3]
    steps = np.diff(up, axis=1)
    if not np.allclose(steps, 0.5) or not np.allclose(np.diff(up, axis=0), 0):
        raise Wrong("upsampling a ramp x2 with your kernel does not give a ramp inside the border")


def check(student):
    for c, k in CASES:
        with case(f"channels {c}, kernel_size {k}"):
            want = functional.bilinear_kernel(c, c, k, dtype=np.float64)
            factor, centre = (k + 1) // 2, (k - 1) / 2
            compare("weight", student.bilinear_kernel(c, k), want, {
                (k, k): "return the kernel for every channel pair: (C, C, k, k)",
                (c, k, k): "the weight of a transposed convolution is (C_in, C_out, k, k): (C, C, k, k)"}, [
                ("channel c must feed only channel c: the kernels between different channels are zero",
                 lambda: _kernel(c, _tent(k, factor, centre), every_pair=True)),
                ("your tent is centred on a tap; its centre is (k - 1) / 2, half-way between the two middle taps "
                 "for even k", lambda: _kernel(c, _tent(k, factor, factor - 1))),
                ("your tent has the wrong width: it falls by 1 / factor per tap, factor = ceil(k / 2)",
                 lambda: _kernel(c, _tent(k, k / 2, centre))),
                (f"right for even k, too narrow for odd k (here {k}): your factor rounds k / 2 down, so the tent "
                 "reaches zero on the kernel's end taps; factor = ceil(k / 2) puts the zeros just outside",
                 lambda: _kernel(c, _tent(k, k // 2, centre)),
                 "Write out the factor for k = 4 and for k = 5 with your formula and with ceil(k / 2). Where does "
                 "the tent reach zero in each case?"),
                ("the 2-D kernel is the outer product of the 1-D tent with itself, not a sum",
                 lambda: _kernel(c, _tent(k, factor, centre), combine=lambda a, b: (a[:, None] + b[None, :]) / 2)),
            ])
    check_ramp(student)
    return [f"{len(CASES)} kernel sizes right (odd and even, 1 to 64); x2 upsampling reproduces a ramp"]
