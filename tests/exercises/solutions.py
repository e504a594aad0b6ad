"""The exercises solved with the library's own definitions, as a student might write them on top of
``fcn_scratch.functional``: what the checker must accept. Kept in the tests, not beside the exercises."""
import numpy as np

from fcn_scratch import functional
from fcn_scratch.metrics import metrics_from_confusion
from fcn_scratch.models.coord_map import CoordMap
from fcn_scratch.models.coord_map import crop_offset as library_crop_offset


def _pairs(k, s, p):
    return (k, k), (s, s), (p, p)


def im2col(x, kernel_size, stride=1, padding=0):
    return functional.im2col(x, *_pairs(kernel_size, stride, padding))


def col2im(cols, x_shape, kernel_size, stride=1, padding=0):
    return functional.col2im(cols, x_shape, *_pairs(kernel_size, stride, padding))


def conv2d_forward(x, weight, bias, stride=1, padding=0):
    n, (c_out, _, k, _) = len(x), weight.shape
    cols = im2col(x, k, stride, padding)
    y = weight.reshape(c_out, -1) @ cols + bias[:, None]
    ho = (x.shape[2] + 2 * padding - k) // stride + 1
    return y.reshape(n, c_out, ho, -1)


def conv2d_backward(dy, x, weight, stride=1, padding=0):
    n, (c_out, _, k, _) = len(x), weight.shape
    cols, d = im2col(x, k, stride, padding), dy.reshape(n, c_out, -1)
    dw = (d @ cols.transpose(0, 2, 1)).sum(axis=0).reshape(weight.shape)
    dx = col2im(weight.reshape(c_out, -1).T @ d, x.shape, k, stride, padding)
    return dx, dw, dy.sum(axis=(0, 2, 3))


def conv_transpose2d_forward(x, weight, stride=1, padding=0):
    (n, c_in, h, w), (_, c_out, k, _) = x.shape, weight.shape
    size = [(d - 1) * stride - 2 * padding + k for d in (h, w)]
    cols = weight.reshape(c_in, -1).T @ x.reshape(n, c_in, h * w)
    return col2im(cols, (n, c_out, *size), k, stride, padding)


def maxpool_forward(x, kernel_size, stride):
    n, c, h, w = x.shape
    ho, wo = (h - kernel_size) // stride + 1, (w - kernel_size) // stride + 1
    windows = np.stack([x[:, :, i:i + stride * (ho - 1) + 1:stride, j:j + stride * (wo - 1) + 1:stride]
                        for i in range(kernel_size) for j in range(kernel_size)])
    tap = windows.argmax(axis=0)
    rows = np.arange(ho)[:, None] * stride + tap // kernel_size
    cols = np.arange(wo)[None, :] * stride + tap % kernel_size
    return windows.max(axis=0), rows * w + cols


def maxpool_backward(dy, indices, x_shape):
    n, c, h, w = x_shape
    dx = np.zeros((n, c, h * w), dtype=dy.dtype)
    np.add.at(dx, (np.arange(n)[:, None, None, None], np.arange(c)[None, :, None, None], indices), dy)
    return dx.reshape(x_shape)


def bilinear_kernel(channels, kernel_size):
    return functional.bilinear_kernel(channels, channels, kernel_size, dtype=np.float64)


def softmax_cross_entropy(logits, labels, ignore_index=255):
    valid = labels != ignore_index
    count = int(valid.sum())
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    label = np.where(valid, labels, 0)[:, None]
    loss = -float((np.take_along_axis(log_p, label, axis=1)[:, 0] * valid).sum()) / max(count, 1)
    onehot = np.arange(logits.shape[1])[None, :, None, None] == label
    return loss, ((np.exp(log_p) - onehot) * (valid[:, None] / max(count, 1))).astype(logits.dtype)


def coord_map(layers, start=(1.0, 0.0)):
    scale, offset = start
    for layer in layers:
        if layer[0] in ("conv", "pool"):
            _, k, s, p = layer
            scale, offset = scale * s, offset + scale * ((k - 1) / 2 - p)
        elif layer[0] == "deconv":
            _, k, s, p = layer
            scale, offset = scale / s, offset + scale * (p - (k - 1) / 2) / s
    return scale, offset


def crop_offset(a, b):
    return library_crop_offset(CoordMap(*a), CoordMap(*b))


def class_iu(confusion):
    return np.array([np.nan if v is None else v for v in metrics_from_confusion(confusion)["per_class_iu"]])


def mean_iu(confusion):
    return metrics_from_confusion(confusion)["mean_iu"]


def fusion_forward(coarse, features, score_weight, score_bias, up_weight, offset):
    up = conv_transpose2d_forward(coarse, up_weight, 2)
    skip = conv2d_forward(features, score_weight, score_bias)
    small = skip.shape if offset >= 0 else up.shape
    o, (h, w) = abs(offset), small[2:]
    fused = (up[:, :, o:o + h, o:o + w] + skip) if offset >= 0 else (up + skip[:, :, o:o + h, o:o + w])
    return fused, (coarse, features, score_weight, up_weight, up.shape, skip.shape, offset)


def fusion_backward(d_fused, cache):
    coarse, features, score_weight, up_weight, up_shape, skip_shape, offset = cache
    o, (h, w) = abs(offset), d_fused.shape[2:]
    d_up, d_skip = np.zeros(up_shape, d_fused.dtype), np.zeros(skip_shape, d_fused.dtype)
    (d_up if offset >= 0 else d_skip)[:, :, o:o + h, o:o + w] = d_fused
    (d_skip if offset >= 0 else d_up)[...] = d_fused
    d_features, d_score_weight, d_score_bias = conv2d_backward(d_skip, features, score_weight)
    d_coarse = conv2d_forward(d_up, up_weight, np.zeros(len(up_weight), d_fused.dtype), 2)  # the adjoint
    d_up_weight = conv2d_backward(coarse, d_up, up_weight, 2)[1]
    return d_coarse, d_features, d_score_weight, d_score_bias, d_up_weight
