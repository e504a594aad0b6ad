"""Exercise 6, after lesson 4: the per-pixel softmax cross-entropy, with ignored pixels.

FCN's loss: a softmax over the classes at every pixel, and the mean negative
log-probability of the true class over the pixels that have a label. VOC marks
object borders 255, "ignore": such a pixel adds nothing to the loss, does not
count in the mean, and gets no gradient.

Check:  python lessons/exercises/check.py softmax_cross_entropy          (add --hint for a hint)
"""
import numpy as np


def softmax_cross_entropy(logits, labels, ignore_index=255):
    """The mean cross-entropy over labelled pixels, and its gradient.

    logits:   (N, C, H, W) floats
    labels:   (N, H, W) integers in [0, C), or ignore_index
    returns:  (loss, dlogits): loss a float, dlogits (N, C, H, W)

        p = softmax over axis 1:  p_c = exp(z_c - max z) / sum_k exp(z_k - max z)
        M = the number of pixels whose label is not ignore_index
        loss = -(1 / M) * sum over those pixels of log p_label
        dlogits = (p - onehot(label)) / M at those pixels, 0 at ignored pixels

    Subtract each pixel's maximum before exp, so that logits of 1000 do not overflow.
    With every pixel ignored (M = 0) the loss is 0.0 and dlogits all zeros.
    """
    raise NotImplementedError
