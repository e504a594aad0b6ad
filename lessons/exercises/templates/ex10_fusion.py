"""Exercise 10, after lesson 7: FCN-8s's skip fusion, forward and backward.

FCN-8s twice fuses deep, coarse scores ("what") with scores from a finer pool
("where"): score the pool's features with a 1x1 convolution, upsample the coarse
scores x2 with a transposed convolution, crop the larger map so that the pixels
line up (exercise 8 gives the offset), and add. Here is one such fusion with its
backward pass. Use your exercises 2, 4 and 7, or the library's layers.

Check:  python lessons/exercises/check.py fusion          (add --hint for a hint)
"""
import numpy as np


def fusion_forward(coarse, features, score_weight, score_bias, up_weight, offset):
    """Fuse upsampled coarse scores with a skip's scores.

    coarse:        (N, K, h, w)      class scores at stride 2S (K classes)
    features:      (N, F, H, W)      a pool's features at stride S
    score_weight:  (K, F, 1, 1), score_bias: (K,)   the skip's 1x1 score layer
    up_weight:     (K, K, 4, 4)      a transposed convolution, stride 2, no padding, no bias
    offset:        an int, where the skip's pixel 0 lies on the upsampled map's grid

        skip = conv(features, score_weight, score_bias)          (N, K, H, W)
        up   = conv_transpose(coarse, up_weight, stride 2)       (N, K, 2h + 2, 2w + 2)
        offset >= 0:  fused = up[:, :, o : o + H, o : o + W] + skip                   (N, K, H, W)
        offset <  0:  fused = up + skip[:, :, -o : -o + 2h + 2, -o : -o + 2w + 2]     (N, K, 2h + 2, 2w + 2)

    Returns ``(fused, cache)``: cache is anything fusion_backward will need. fused keeps the
    inputs' dtype.
    """
    raise NotImplementedError


def fusion_backward(d_fused, cache):
    """The gradients of a loss L through the fusion.

    d_fused:  dL/d fused, the shape of fused
    cache:    what fusion_forward returned
    returns:  (d_coarse, d_features, d_score_weight, d_score_bias, d_up_weight),
              each of the shape and dtype of what it is the gradient of

    The sum hands d_fused to both branches; the cropped map gets zeros of its full
    size with d_fused in the window the crop took; then each branch's own backward.
    """
    raise NotImplementedError
