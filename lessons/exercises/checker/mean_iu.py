"""Checks exercise 9, IU per class and mean IU, against ``fcn_scratch.metrics.metrics_from_confusion``."""
import numpy as np

from fcn_scratch.metrics import metrics_from_confusion

from .core import Wrong, as_array, case, compare

FILE, LESSON, TITLE = "ex09_mean_iu", 7, "mean IU from a confusion matrix"
FUNCTIONS = ("class_iu", "mean_iu")
HINTS = {
    "class_iu": [
        "Three vectors say it all: the diagonal (pixels both call i), the row sums (pixels truly i) and the column "
        "sums (pixels predicted i).",
        "The union holds the pixels truly i or predicted i; adding the two sums counts the ones that are both twice.",
        "A class in neither the truth nor the prediction has an empty union: 0 / 0, no IU, nan. A class predicted "
        "but never true has a union, and IU 0.",
    ],
    "mean_iu": [
        "The mean runs over the classes that have an IU: a nan is left out, not counted as 0.",
        "A class predicted but absent from the truth has IU 0, and counts: predicting it was a mistake.",
        "With no class that has an IU (an empty confusion matrix) there is nothing to average: the mean is nan, "
        "not 0, which would claim a net that got everything wrong.",
    ],
}


def _scores(n):
    diag, truth, predicted = np.diag(n), n.sum(axis=1), n.sum(axis=0)
    union = truth + predicted - diag
    safe = np.where(union > 0, union, 1)
    return diag, truth, predicted, np.where(union > 0, diag / safe, np.nan)


def matrices(rng):
    """``(description, matrix)``: random, with a class in neither truth nor prediction, with one predicted only."""
    out = [(f"random {c} x {c}", rng.integers(0, 50, (c, c))) for c in (2, 3, 5, 21)]
    absent = rng.integers(0, 50, (4, 4))
    absent[2, :] = absent[:, 2] = 0
    predicted_only = rng.integers(0, 50, (4, 4))
    predicted_only[1, :] = 0
    return out + [("4 x 4, class 2 in neither truth nor prediction", absent),
                  ("4 x 4, class 1 predicted but absent from the truth", predicted_only),
                  ("3 x 3, every pixel right", np.diag(rng.integers(1, 50, 3)))]


def check(student):
    rng = np.random.default_rng(9)
    cases = matrices(rng)
    for description, n in cases:
        with case(f"confusion matrix {description} (rows truth, columns prediction)"):
            diag, truth, predicted, iu = _scores(n.astype(np.float64))
            want = np.array([np.nan if v is None else v for v in metrics_from_confusion(n)["per_class_iu"]])
            got = as_array("class_iu", student.class_iu(n.copy())).astype(np.float64)
            if got.shape == want.shape and (np.isnan(got) & ~np.isnan(want)).any():
                raise Wrong("your IU is nan for a class that has one: a class predicted but absent from the truth "
                            "has IU 0 (its union is not empty)" if (np.isnan(got) & (truth == 0)).any() else
                            "your IU is nan for a class that has one: only 0 / 0, a class in neither truth nor "
                            "prediction, is undefined")
            if got.shape == want.shape and (np.isnan(want) & ~np.isnan(got)).any():
                raise Wrong("a class in neither the truth nor the prediction has no IU: nan (0 / 0), not a number")
            defined = ~np.isnan(want)
            compare("class_iu", np.where(defined, got, 0), np.where(defined, want, 0), mistakes=[
                ("the intersection is counted twice in your union: union = t_i + p_i - n_ii",
                 lambda: np.where(defined, diag / (truth + predicted), 0)),
                ("that is the class accuracy n_ii / t_i: the union also holds the pixels wrongly predicted as i",
                 lambda: np.where(defined, diag / truth, 0)),
                ("that is the precision n_ii / p_i: the union also holds the pixels of class i predicted as another",
                 lambda: np.where(defined, diag / predicted, 0))])
            right, mean = metrics_from_confusion(n), as_array("mean_iu", student.mean_iu(n.copy()))
            if mean.size != 1:
                raise Wrong(f"mean_iu has shape {mean.shape}: it is one number")
            if np.isnan(mean).all():
                raise Wrong("your mean IU is nan: leave the classes with no IU out of the mean (np.nanmean)")
            compare("mean_iu", mean.reshape(()).astype(np.float64), np.array(right["mean_iu"]), mistakes=[
                        ("a class in neither the truth nor the prediction does not count in the mean: yours counts it "
                         "as 0", float(np.where(defined, iu, 0).mean())),
                        ("a class predicted but absent from the truth has IU 0, and counts in the mean",
                         lambda: float(iu[truth > 0].mean())),
                        ("that is pixel accuracy: mean IU averages the IU of each class", right["pixel_acc"]),
                        ("that is mean accuracy (n_ii / t_i averaged): mean IU averages n_ii / union_i",
                         right["mean_acc"]),
                        ("that is frequency-weighted IU: mean IU weighs every class alike", right["fw_iu"])])
    with case("confusion matrix 3 x 3 of zeros (no pixels: no class has an IU)"):
        mean = as_array("mean_iu", student.mean_iu(np.zeros((3, 3), np.int64)))
        if mean.size != 1 or not np.isnan(mean).all():
            raise Wrong("with no class that has an IU your mean IU is a number: there is nothing to average, so it "
                        "is nan (0 would claim a net that got every pixel wrong)",
                        hint="How many classes does your mean run over here, and what is a mean over none?")
    return [f"{len(cases) + 1} confusion matrices right, 2 to 21 classes (one with a class in neither truth nor "
            "prediction, one with a class predicted only, one with no IU at all: nan)"]
