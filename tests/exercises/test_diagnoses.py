"""Typical mistakes, planted in the right answers: the checker rejects each with a diagnosis that names it,
and never prints the right answer."""
import types

import numpy as np
import pytest

import checker
from checker.conv_transpose import overwriting_col2im  # what col2im with = instead of += gives
from fcn_scratch import functional
from tests.exercises import solutions as right


def _im2col_tap_major(x, k, s=1, p=0):
    n, c = x.shape[:2]
    cols = right.im2col(x, k, s, p)
    return cols.reshape(n, c, k * k, -1).transpose(0, 2, 1, 3).reshape(cols.shape)


def _im2col_column_major(x, k, s=1, p=0):
    cols = right.im2col(x, k, s, p)
    ho, wo = [(d + 2 * p - k) // s + 1 for d in x.shape[2:]]
    return cols.reshape(cols.shape[:2] + (ho, wo)).transpose(0, 1, 3, 2).reshape(cols.shape)


def _pool_last_max_wins(x, k, s):
    """np.argmax on the taps reversed: the last of equal maxima wins."""
    y, _ = right.maxpool_forward(x, k, s)
    n, c, h, w = x.shape
    ho, wo = y.shape[2:]
    taps = np.stack([x[:, :, i:i + s * (ho - 1) + 1:s, j:j + s * (wo - 1) + 1:s] for i in range(k) for j in range(k)])
    tap = k * k - 1 - taps[::-1].argmax(axis=0)
    return y, (np.arange(ho)[:, None] * s + tap // k) * w + np.arange(wo)[None, :] * s + tap % k


def _pool_backward_assigns(dy, indices, x_shape):
    n, c, h, w = x_shape
    dx = np.zeros((n, c, h * w))
    dx[np.arange(n)[:, None, None, None], np.arange(c)[None, :, None, None], indices] = dy
    return dx.reshape(x_shape)


def _pool_indices_in_window(x, k, s):
    y, indices = right.maxpool_forward(x, k, s)
    w, (ho, wo) = x.shape[3], y.shape[2:]
    return y, (indices // w - np.arange(ho)[:, None] * s) * k + indices % w - np.arange(wo)[None, :] * s


def _bilinear_centred_on_a_tap(channels, k):
    factor = (k + 1) // 2
    tent = 1 - np.abs(np.arange(k) - (factor - 1)) / factor
    weight = np.zeros((channels, channels, k, k))
    weight[range(channels), range(channels)] = np.outer(tent, tent)
    return weight


def _loss_mean_over_all_pixels(logits, labels, ignore_index=255):
    loss, grad = right.softmax_cross_entropy(logits, labels, ignore_index)
    valid = labels != ignore_index
    return loss * valid.sum() / valid.size, grad


def _grad_not_zero_where_ignored(logits, labels, ignore_index=255):
    loss, grad = right.softmax_cross_entropy(logits, labels, ignore_index)
    valid = labels != ignore_index
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return loss, grad + (shifted / shifted.sum(axis=1, keepdims=True)) * ~valid[:, None] / max(valid.sum(), 1)


def _loss_without_the_max(logits, labels, ignore_index=255):
    valid = labels != ignore_index
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    picked = np.take_along_axis(p, np.where(valid, labels, 0)[:, None], axis=1)[:, 0]
    return -float((np.log(picked) * valid).sum()) / valid.sum(), right.softmax_cross_entropy(logits, labels)[1]


def _dx_padding_removed_twice(dy, x, weight, stride=1, padding=0):
    dx, dw, db = right.conv2d_backward(dy, x, weight, stride, padding)
    return (dx[:, :, padding:dx.shape[2] - padding, padding:dx.shape[3] - padding], dw, db)


def _dw_cols_times_dy(dy, x, weight, stride=1, padding=0):
    dx, _, db = right.conv2d_backward(dy, x, weight, stride, padding)
    cols = right.im2col(x, weight.shape[2], stride, padding)
    d = dy.reshape(len(x), len(weight), -1)
    return dx, (cols @ d.transpose(0, 2, 1)).sum(axis=0).reshape(weight.shape), db


def _db_averaged(dy, x, weight, stride=1, padding=0):
    dx, dw, db = right.conv2d_backward(dy, x, weight, stride, padding)
    return dx, dw, db / len(x)


def _coord_map_half_kernel(layers, start=(1.0, 0.0)):
    scale, offset = start
    for layer in layers:
        if layer[0] in ("conv", "pool"):
            _, k, s, p = layer
            scale, offset = scale * s, offset + scale * (k / 2 - p)
        else:
            scale, offset = right.coord_map([layer], (scale, offset))
    return scale, offset


def _class_iu_double_counted(confusion):
    n = confusion.astype(float)
    union = n.sum(axis=0) + n.sum(axis=1)
    return np.where(union > 0, np.diag(n) / np.where(union > 0, union, 1), np.nan)


def _fusion_crop_off_by_one(coarse, features, score_weight, score_bias, up_weight, offset):
    return right.fusion_forward(coarse, features, score_weight, score_bias, up_weight, offset + 1)


def _fusion_window_at_zero(d_fused, cache):
    *rest, offset = cache
    return right.fusion_backward(d_fused, (*rest, 0)) if offset >= 0 else right.fusion_backward(d_fused, cache)


def _fusion_one_branch(d_fused, cache):
    d_coarse, d_features, *grads = right.fusion_backward(d_fused, cache)
    return (np.zeros_like(d_coarse), d_features, *grads)


PLANTED = [
    ("im2col", dict(im2col=lambda x, k, s=1, p=0: right.im2col(x, k, s, 0)),
     "cols has shape (2, 27, 49), expected (2, 27, 81): did you forget the padding?"),
    ("im2col", dict(im2col=_im2col_tap_major), "your rows are ordered kernel tap first, then channel"),
    ("im2col", dict(im2col=_im2col_column_major), "your windows are ordered column by column"),
    ("conv_forward", dict(conv2d_forward=lambda x, w, b, s=1, p=0: right.conv2d_forward(
        x, w[:, :, ::-1, ::-1], b, s, p)), "you flipped the kernel"),
    ("conv_forward", dict(conv2d_forward=lambda x, w, b, s=1, p=0: right.conv2d_forward(x, w, 0 * b, s, p)),
     "the bias is missing"),
    ("conv_forward", dict(conv2d_forward=lambda x, w, b, s=1, p=0: right.conv2d_forward(x, w, b, s, p).reshape(
        len(x), len(w), -1)), "y has shape (2, 4, 81), expected (2, 4, 9, 9): reshape the product"),
    ("maxpool", dict(maxpool_forward=_pool_last_max_wins), "wrong only where two values tie in a window"),
    ("maxpool", dict(maxpool_backward=_pool_backward_assigns),
     "wrong only where overlapping windows share their maximum: each window's dy must be added"),
    ("maxpool", dict(maxpool_forward=_pool_indices_in_window), "your indices are positions inside the window"),
    ("conv_transpose", dict(col2im=overwriting_col2im), "where windows overlap you overwrite; col2im adds"),
    ("conv_transpose", dict(col2im=lambda c, shape, k, s=1, p=0: right.col2im(
        c, shape[:2] + (shape[2] + 2 * p, shape[3] + 2 * p), k, s, 0)), "did you remove the padding?"),
    ("conv_transpose", dict(conv_transpose2d_forward=lambda x, w, s=1, p=0: right.conv_transpose2d_forward(
        x, w.transpose(1, 0, 2, 3), s, p)), "a transposed convolution's weight is (C_in, C_out, k, k)"),
    ("bilinear", dict(bilinear_kernel=lambda c, k: functional.bilinear_kernel(1, 1, k, np.float64).repeat(c, 0).repeat(
        c, 1)), "channel c must feed only channel c"),
    ("bilinear", dict(bilinear_kernel=_bilinear_centred_on_a_tap), "your tent is centred on a tap"),
    ("softmax_cross_entropy", dict(softmax_cross_entropy=_loss_mean_over_all_pixels),
     "ignored pixels count in your loss"),
    ("softmax_cross_entropy", dict(softmax_cross_entropy=_grad_not_zero_where_ignored),
     "your gradient is not zero at ignored pixels"),
    ("softmax_cross_entropy", dict(softmax_cross_entropy=_loss_without_the_max),
     "exp overflows; subtract each pixel's largest logit first"),
    ("softmax_cross_entropy", dict(softmax_cross_entropy=lambda z, y, i=255: (
        right.softmax_cross_entropy(z, y)[0] * (y != 255).sum(),
        right.softmax_cross_entropy(z, y)[1])), "your loss is a sum; it is the mean over the M labelled pixels"),
    ("conv_backward", dict(conv2d_backward=_dx_padding_removed_twice),
     "dx has shape (2, 3, 7, 7), expected (2, 3, 9, 9): did you remove the padding?"),
    ("conv_backward", dict(conv2d_backward=_dw_cols_times_dy), "your dW equals the right one transposed"),
    ("conv_backward", dict(conv2d_backward=_db_averaged), "your db is 1/2 of the right one: sum over the batch"),
    ("crop_offset", dict(coord_map=_coord_map_half_kernel), "centred (k - 1) / 2 past its first tap, not k / 2"),
    ("crop_offset", dict(crop_offset=lambda a, b: right.crop_offset(a, b) + 1), "off by one in the crop"),
    ("crop_offset", dict(crop_offset=lambda a, b: -right.crop_offset(a, b)), "your crop has the wrong sign"),
    ("crop_offset", dict(crop_offset=lambda a, b: round((b[1] - a[1]) / a[0])),
     "maps of scales 8 and 16 lie on different grids: raise ValueError"),
    ("mean_iu", dict(class_iu=_class_iu_double_counted), "the intersection is counted twice in your union"),
    ("mean_iu", dict(mean_iu=lambda n: float(np.nan_to_num(right.class_iu(n)).mean())),
     "does not count in the mean: yours counts it as 0"),
    ("mean_iu", dict(class_iu=lambda n: np.diag(n) / n.sum(axis=1)), "that is the class accuracy"),
    ("fusion", dict(fusion_forward=_fusion_crop_off_by_one), "off by one in the crop"),
    ("fusion", dict(fusion_backward=_fusion_window_at_zero), "your gradient sits at the wrong place in the cropped"),
    ("fusion", dict(fusion_backward=_fusion_one_branch), "d_coarse is all zeros: the sum hands d_fused to both"),
]


@pytest.mark.parametrize("name, planted, diagnosis", PLANTED,
                         ids=[f"{name}-{i}" for i, (name, _, _) in enumerate(PLANTED)])
def test_a_planted_mistake_is_diagnosed(name, planted, diagnosis):
    student = types.SimpleNamespace(**{**vars(right), **planted})
    result = checker.run(checker.find(name), student)
    assert result.status == "wrong", (result.status, result.lines)
    assert diagnosis in result.lines[0], result.lines[0]


def test_every_exercise_has_at_least_two_planted_mistakes():
    counts = {checker.name_of(e): sum(name == checker.name_of(e) for name, _, _ in PLANTED) for e in checker.EXERCISES}
    assert min(counts.values()) >= 2, counts


def test_a_diagnosis_never_prints_the_right_numbers():
    """A wrong im2col that is right but for one entry: the message says where, never what it should be."""
    def one_off(x, k, s=1, p=0):
        cols = right.im2col(x, k, s, p).copy()
        cols[0, 0, 0] += 1
        return cols
    result = checker.run(checker.find("im2col"), types.SimpleNamespace(im2col=one_off))
    assert result.lines == ["cols is wrong at 1 of 4374 entries, the first at index (0, 0, 0) (largest difference 1)"]
