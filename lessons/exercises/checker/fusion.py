"""Checks exercise 10, FCN-8s's skip fusion forward and backward, against the library's layers
(Conv2d, ConvTranspose2d, Fuse) and central differences."""
import numpy as np

from .core import case, compare, gradient_check, same_dtype, small, unpack
from .reference import Fusion

FILE, LESSON, TITLE = "ex10_fusion", 7, "FCN-8s's skip fusion, forward and backward"
FUNCTIONS = ("fusion_forward", "fusion_backward")
HINTS = {
    "fusion_forward": [
        "Three steps, each one an exercise you wrote: score the features (a 1x1 convolution), upsample the coarse "
        "scores (a transposed convolution, stride 2), crop the larger map so that pixel centres coincide, and add.",
        "The offset says where the skip's pixel 0 lies on the upsampled grid; a negative one means the skip's map "
        "is the larger one, and it is the one cropped.",
        "Whatever backward will need goes in the cache: the inputs, the weights, the offset, and the shapes "
        "before the crop.",
    ],
    "fusion_backward": [
        "A sum hands its gradient to both of its inputs unchanged.",
        "A crop's backward: zeros of the uncropped size, with the gradient written into the window the crop took.",
        "Then each branch's own backward: the score layer is a convolution; the upsampling is the adjoint of a "
        "convolution with the same weight, so its input gradient is that convolution.",
    ],
}

CASES = [(2, 3, 4, 4, 4, 8, 8, 1), (1, 2, 3, 4, 3, 7, 5, 1), (1, 2, 2, 3, 3, 6, 6, 0), (1, 3, 2, 3, 3, 18, 18, -5),
         (2, 2, 3, 2, 4, 15, 17, -4), (1, 2, 2, 4, 4, 7, 7, 2)]     # (N, K, F, h, w, H, W, offset)
NAMES = ("d_coarse", "d_features", "d_score_weight", "d_score_bias", "d_up_weight")


def inputs(rng, n, k, f, h, w, big_h, big_w):
    """coarse (N, K, h, w), features (N, F, H, W), score_weight (K, F, 1, 1), score_bias (K,),
    up_weight (K, K, 4, 4)."""
    return [rng.standard_normal(shape) for shape in ((n, k, h, w), (n, f, big_h, big_w), (k, f, 1, 1), (k,),
                                                     (k, k, 4, 4))]


def forward_mistakes(args, offset, want):
    coarse, features, score_weight, score_bias, up_weight = args
    n, k = want.shape[:2]
    up_shape = (n, k, 2 * coarse.shape[2] + 2, 2 * coarse.shape[3] + 2)
    shapes = {up_shape: "crop the upsampled scores to the skip's size: they overhang it",
              (n, k) + features.shape[2:]: "for a negative offset the skip's scores are the larger map: crop them to "
                                           "the upsampled scores' size"}
    values = [("off by one in the crop", lambda: Fusion(*args, offset + 1).out),
              ("off by one in the crop", lambda: Fusion(*args, offset - 1).out),
              ("the score layer's bias is missing", lambda: Fusion(*args[:3], 0 * score_bias, up_weight, offset).out),
              ("you read up_weight as (C_out, C_in, 4, 4); a transposed convolution's weight is (C_in, C_out, 4, 4)",
               lambda: Fusion(*args[:4], up_weight.transpose(1, 0, 2, 3).copy(), offset).out)]
    return shapes, values


def backward_mistakes(right, d_fused, offset):
    """``{name: [(sentence, what the mistake gives)]}`` for the five gradients."""
    want = right.backward(d_fused)
    moved = {window: (lambda window=window: right.backward(d_fused, window))
             for window in (0, abs(offset) - 1, abs(offset) + 1) if window >= 0 and window != abs(offset)}
    known = {name: [] for name in NAMES}
    for window, wrong in moved.items():     # window 0 first: the offset forgotten, then off by one
        sentence = ("your gradient sits at the wrong place in the cropped map, at pixel 0: it goes back into the "
                    "window the crop took, at the offset" if window == 0 else
                    "off by one in the crop: the gradient goes back into the window the forward crop took")
        for i, name in enumerate(NAMES):
            known[name].append((sentence, lambda wrong=wrong, i=i: wrong()[i]))
    for i, name in enumerate(NAMES[:2]):
        known[name].append((f"{name} is all zeros: the sum hands d_fused to both branches", np.zeros_like(want[i])))
    known["d_up_weight"].append(("your d_up_weight has its channel axes swapped: up_weight is (C_in, C_out, 4, 4)",
                                 want[4].transpose(1, 0, 2, 3)))
    return want, known


def check(student):
    rng = np.random.default_rng(10)
    for n, k, f, h, w, big_h, big_w, offset in CASES:
        args = inputs(rng, n, k, f, h, w, big_h, big_w)
        with case(f"coarse {args[0].shape}, features {args[1].shape}, score_weight {args[2].shape}, "
                  f"up_weight {args[4].shape}, offset {offset}"):
            right = Fusion(*args, offset)
            fused, cache = unpack("fusion_forward", student.fusion_forward(*args, offset), 2, ("fused", "cache"))
            compare("fused", fused, right.out, *forward_mistakes(args, offset, right.out))
            d_fused = rng.standard_normal(right.out.shape)
            want, known = backward_mistakes(right, d_fused, offset)
            got = unpack("fusion_backward", student.fusion_backward(d_fused, cache), 5, NAMES)
            for name, mine, right_one in zip(NAMES, got, want):
                compare(name, mine, right_one, mistakes=known[name])
    args, g = inputs(rng, 1, 2, 3, 3, 3, 16, 16), rng.standard_normal((1, 2, 8, 8))
    with case("gradient check: coarse (1, 2, 3, 3), features (1, 3, 16, 16), offset -4"):
        _, cache = student.fusion_forward(*args, -4)
        got = student.fusion_backward(g, cache)
        error = max(gradient_check(name, mine, lambda: float((Fusion(*args, -4).out * g).sum()), wrt)
                    for name, mine, wrt in zip(NAMES, got, args))
    with case("float32 coarse (1, 2, 3, 3), features (1, 3, 6, 6), offset 1"):
        args = [a.astype(np.float32) for a in inputs(rng, 1, 2, 3, 3, 3, 6, 6)]
        fused, cache = student.fusion_forward(*args, 1)
        same_dtype("fused", fused, np.float32)
        for name, mine in zip(NAMES, student.fusion_backward(np.ones_like(fused), cache)):
            same_dtype(name, mine, np.float32)
    return [f"{len(CASES)} cases right, forward and all five gradients (offsets -5 to 2: the upsampled scores "
            f"cropped, or the skip's); gradient check {small(error)}; float32 stays float32"]
