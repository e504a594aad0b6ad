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

    logits:        (N, C, H, W) floats; leave them as they are: the caller's net still holds them
    labels:        (N, H, W) integers in [0, C), or ignore_index
    ignore_index:  the label of pixels to leave out: any integer the caller chooses (VOC's 255 is
                   only the default; PyTorch's is -100), so compare with the argument
    returns:       (loss, dlogits): loss a float, dlogits (N, C, H, W) with the dtype of logits

        p = softmax over axis 1:  p_c = exp(z_c - max z) / sum_k exp(z_k - max z)
        M = the number of pixels whose label is not ignore_index
        loss = -(1 / M) * sum over those pixels of log p_label
        dlogits = (p - onehot(label)) / M at those pixels, 0 at ignored pixels

    Subtract each pixel's maximum before exp, so that logits of 1000 do not overflow, and take
    log p from the shifted logits (z_c - max z - log sum_k exp(z_k - max z)), not as the log of
    p, which underflows to 0 for logits 1000 apart. M counts the labelled pixels of the whole batch.
    With every pixel ignored (M = 0) the loss is 0.0 and dlogits all zeros.
    """
    raise NotImplementedError
