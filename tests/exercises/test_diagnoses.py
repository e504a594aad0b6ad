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


def dilated_route(x, weight, stride=1, padding=0, flip=True, swap=True):
    """The transposed convolution as a convolution: the input spread by s - 1 zeros between pixels, padded by
    k - 1 - p, convolved at stride 1 with the kernel flipped and its channel axes swapped. Right as it stands."""
    (n, c_in, h, w), k = x.shape, weight.shape[2]
    spread = np.zeros((n, c_in, (h - 1) * stride + 1, (w - 1) * stride + 1), x.dtype)
    spread[:, :, ::stride, ::stride] = x
    kernel = weight.transpose(1, 0, 2, 3) if swap else weight
    kernel = kernel[:, :, ::-1, ::-1] if flip else kernel
    return right.conv2d_forward(spread, kernel, np.zeros(len(kernel), x.dtype), 1, k - 1 - padding)


def _scatter_flipped(x, weight, stride=1, padding=0):
    return right.conv_transpose2d_forward(x, weight[:, :, ::-1, ::-1], stride, padding)


def _weight_reshaped_not_transposed(x, weight, stride=1, padding=0):
    (n, c_in, h, w), (_, c_out, k, _) = x.shape, weight.shape
    size = [(d - 1) * stride - 2 * padding + k for d in (h, w)]
    cols = weight.reshape(c_out * k * k, c_in) @ x.reshape(n, c_in, h * w)
    return right.col2im(cols, (n, c_out, *size), k, stride, padding)


def _loss_max_subtracted_in_place(logits, labels, ignore_index=255):
    logits -= logits.max(axis=1, keepdims=True)
    return right.softmax_cross_entropy(logits, labels, ignore_index)


def _loss_ignores_its_ignore_index(logits, labels, ignore_index=255):
    """Tests labels != 255, whatever the caller says: a label -1 then picks the last class, and counts."""
    return right.softmax_cross_entropy(logits, labels, 255)


def _loss_log_of_an_underflowed_p(logits, labels, ignore_index=255):
    valid = labels != ignore_index
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    p = shifted / shifted.sum(axis=1, keepdims=True)
    picked = np.take_along_axis(p, np.where(valid, labels, 0)[:, None], axis=1)[:, 0]
    loss = -float((np.log(picked) * valid).sum()) / max(valid.sum(), 1)
    return loss, right.softmax_cross_entropy(logits, labels, ignore_index)[1]


def _loss_mean_of_image_means(logits, labels, ignore_index=255):
    losses, grads = zip(*(right.softmax_cross_entropy(logits[i:i + 1], labels[i:i + 1], ignore_index)
                          for i in range(len(logits))))
    return float(np.mean(losses)), np.concatenate(grads) / len(logits)


def _dw_first_image_only(dy, x, weight, stride=1, padding=0):
    dx, _, db = right.conv2d_backward(dy, x, weight, stride, padding)
    return dx, right.conv2d_backward(dy[:1], x[:1], weight, stride, padding)[1], db


def _db_first_image_only(dy, x, weight, stride=1, padding=0):
    dx, dw, _ = right.conv2d_backward(dy, x, weight, stride, padding)
    return dx, dw, dy[0].sum(axis=(1, 2))


def _bilinear_factor_rounded_down(channels, k):
    tent = 1 - np.abs(np.arange(k) - (k - 1) / 2) / max(k // 2, 1)
    weight = np.zeros((channels, channels, k, k))
    weight[range(channels), range(channels)] = np.outer(tent, tent)
    return weight


def _coord_map_scale_before_offset(layers, start=(1.0, 0.0)):
    scale, offset = start
    for layer in layers:
        if layer[0] == "deconv":
            _, k, s, p = layer
            scale = scale / s
            offset = offset + scale * (p - (k - 1) / 2) / s
        else:
            scale, offset = right.coord_map([layer], (scale, offset))
    return scale, offset


def _coord_map_consumes_its_list(layers, start=(1.0, 0.0)):
    scale, offset = start
    while layers:
        scale, offset = right.coord_map([layers.pop(0)], (scale, offset))
    return scale, offset


def _pool_backward_indexed_add(dy, indices, x_shape):
    n, c, h, w = x_shape
    dx = np.zeros((n, c, h * w), dy.dtype)
    dx[np.arange(n)[:, None, None, None], np.arange(c)[None, :, None, None], indices] += dy
    return dx.reshape(x_shape)


def _conv_first_image_only(x, weight, bias, stride=1, padding=0):
    y = right.conv2d_forward(x, weight, bias, stride, padding)
    y[1:] = right.conv2d_forward(x[:1], weight, bias, stride, padding)
    return y


def _conv_product_the_other_way(x, weight, bias, stride=1, padding=0):
    n, (c_out, _, k, _) = len(x), weight.shape
    cols = right.im2col(x, k, stride, padding)
    y = cols.transpose(0, 2, 1) @ weight.reshape(c_out, -1).T + bias
    return y.reshape(n, c_out, (x.shape[2] + 2 * padding - k) // stride + 1, -1)


def _mean_iu_zero_when_none(confusion):
    return float(np.nan_to_num(right.mean_iu(confusion)))


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
        x, w.transpose(1, 0, 2, 3), s, p)), "with the weight's two channel axes swapped: its weight is (C_in, C_out"),
    ("bilinear", dict(bilinear_kernel=lambda c, k: functional.bilinear_kernel(1, 1, k, np.float64).repeat(c, 0).repeat(
        c, 1)), "channel c must feed only channel c"),
    ("bilinear", dict(bilinear_kernel=_bilinear_centred_on_a_tap), "your tent is centred on a tap"),
    ("softmax_cross_entropy", dict(softmax_cross_entropy=_loss_mean_over_all_pixels),
     "ignored pixels count in your loss"),
    ("softmax_cross_entropy", dict(softmax_cross_entropy=_grad_not_zero_where_ignored),
     "your gradient is not zero at ignored pixels"),
    ("softmax_cross_entropy", dict(softmax_cross_entropy=_loss_without_the_max),
     "exp overflows (exp(1000) is infinity, and infinity / infinity is nan); subtract each pixel's largest logit"),
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
    # what a student tried on the exercises (2026-12-08): wrong solutions that passed, diagnoses that pointed
    # the wrong way or named only the array
    ("softmax_cross_entropy", dict(softmax_cross_entropy=_loss_max_subtracted_in_place),
     "your softmax_cross_entropy() changed its argument logits in place"),
    ("softmax_cross_entropy", dict(softmax_cross_entropy=_loss_ignores_its_ignore_index),
     "right when the ignored label is 255, wrong when the caller passes ignore_index=-1"),
    ("conv_transpose", dict(col2im=lambda c, shape, k, s=1, p=0: right.col2im(c.astype(np.float64), shape, k, s, p)),
     "x is float64 for float32 inputs"),
    ("conv_transpose", dict(conv_transpose2d_forward=lambda x, w, s=1, p=0: dilated_route(x, w, s, p, flip=False)),
     "your y equals the transposed convolution with the kernel flipped: scattering uses the kernel as it is; a "
     "convolution of the dilated input needs it flipped"),
    ("conv_transpose", dict(conv_transpose2d_forward=_scatter_flipped),
     "your y equals the transposed convolution with the kernel flipped"),
    ("conv_transpose", dict(conv_transpose2d_forward=lambda x, w, s=1, p=0: dilated_route(x, w, s, p, swap=False)),
     "with the weight's two channel axes swapped"),
    ("softmax_cross_entropy", dict(softmax_cross_entropy=_loss_log_of_an_underflowed_p),
     "exp(-1000) underflows to 0, and log(0) is -infinity"),
    ("conv_transpose", dict(conv_transpose2d_forward=_weight_reshaped_not_transposed),
     "reshaping the weight straight to (C_out*k*k, C_in) reorders it without transposing"),
    ("conv_backward", dict(conv2d_backward=_dw_first_image_only), "your dW is the first image's alone"),
    ("conv_backward", dict(conv2d_backward=_db_first_image_only), "your db is the first image's alone"),
    ("softmax_cross_entropy", dict(softmax_cross_entropy=_loss_mean_of_image_means),
     "your loss is the mean of each image's mean"),
    ("bilinear", dict(bilinear_kernel=_bilinear_factor_rounded_down),
     "right for even k, too narrow for odd k (here 3)"),
    ("crop_offset", dict(coord_map=_coord_map_scale_before_offset), "your offset uses the scale after this layer"),
    ("crop_offset", dict(coord_map=_coord_map_consumes_its_list), "your coord_map() changed its argument layers"),
    ("maxpool", dict(maxpool_backward=_pool_backward_indexed_add),
     "and added once per window (dx[..., idx] = dy keeps only one of them, and so does dx[..., idx] += dy)"),
    ("maxpool", dict(maxpool_forward=lambda x, k, s: tuple(a.astype(np.float64) if a.dtype.kind == "f" else a
                                                         for a in right.maxpool_forward(x, k, s))),
     "y is float64 for float32 inputs"),
    ("mean_iu", dict(mean_iu=_mean_iu_zero_when_none), "with no class that has an IU your mean IU is a number"),
    ("conv_forward", dict(conv2d_forward=_conv_first_image_only),
     "the wrong entries lie only at index 1 of axis 0 (size 2): right everywhere else"),
    ("conv_forward", dict(conv2d_forward=_conv_product_the_other_way), "the right values, in the wrong places"),
    ("fusion", dict(fusion_forward=lambda *args: (right.fusion_forward(*args)[0].astype(np.float64),
                                                  right.fusion_forward(*args)[1])),
     "fused is float64 for float32 inputs"),
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
