"""The FCN paper's four segmentation metrics, from one confusion matrix.

With ``n_ij`` the number of pixels of true class i predicted as class j and
``t_i = sum_j n_ij`` the pixels of class i (Long et al., section 5):

    pixel accuracy            sum_i n_ii / sum_i t_i
    mean accuracy             (1/n_cl) sum_i n_ii / t_i
    mean IU                   (1/n_cl) sum_i n_ii / (t_i + sum_j n_ji - n_ii)
    frequency-weighted IU     (sum_k t_k)^-1 sum_i t_i n_ii / (t_i + sum_j n_ji - n_ii)

The matrix is summed over the whole evaluated set (not averaged per image),
over the pixels that are not ignored, in int64. A class with no pixels in the
truth has no accuracy, and one absent from truth and prediction alike has no
IU: like the reference's nan-mean, such classes do not count in the means.
"""
import numpy as np

from .errors import InputError
from .labels import IGNORE_INDEX


class ConfusionMatrix:
    """Accumulate ``n_ij`` over batches; :meth:`compute` gives the metrics."""

    def __init__(self, num_classes, ignore_index=IGNORE_INDEX):
        self.num_classes, self.ignore_index = num_classes, ignore_index
        self.matrix = np.zeros((num_classes, num_classes), np.int64)

    def update(self, predictions, labels):
        """Add a batch: predictions and labels of equal shape, host integer arrays."""
        predictions, labels = np.asarray(predictions), np.asarray(labels)
        if predictions.shape != labels.shape:
            raise InputError(f"predictions {predictions.shape} and labels {labels.shape} differ in shape")
        keep = labels != self.ignore_index
        truth, pred = labels[keep].astype(np.int64), predictions[keep].astype(np.int64)
        for name, values in (("labels", truth), ("predictions", pred)):
            if values.size and (values.min() < 0 or values.max() >= self.num_classes):
                raise InputError(f"{name} must be in [0, {self.num_classes}), got values in "
                                 f"[{values.min()}, {values.max()}]")
        self.matrix += np.bincount(truth * self.num_classes + pred,
                                   minlength=self.num_classes ** 2).reshape(self.num_classes, self.num_classes)
        return self

    def compute(self):
        """``{"pixel_acc", "mean_acc", "mean_iu", "fw_iu": float, "per_class_iu": list (None where undefined)}``."""
        return metrics_from_confusion(self.matrix)


def metrics_from_confusion(matrix):
    """The four metrics and per-class IU of a confusion matrix (rows: truth, columns: prediction)."""
    n = np.asarray(matrix, np.float64)
    diag, truth, predicted = np.diag(n), n.sum(axis=1), n.sum(axis=0)
    total = truth.sum()
    union = truth + predicted - diag
    with np.errstate(divide="ignore", invalid="ignore"):
        acc = np.where(truth > 0, diag / truth, np.nan)
        iu = np.where(union > 0, diag / union, np.nan)
    present = truth > 0
    return {
        "pixel_acc": float(diag.sum() / total) if total else float("nan"),
        "mean_acc": _nanmean(acc),
        "mean_iu": _nanmean(iu),
        "fw_iu": float((truth[present] * iu[present]).sum() / total) if total else float("nan"),
        "per_class_iu": [None if np.isnan(v) else float(v) for v in iu],
    }


def _nanmean(values):
    values = values[~np.isnan(values)]
    return float(values.mean()) if values.size else float("nan")
