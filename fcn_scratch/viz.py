"""Pictures of a run, saved as PNG: curves, predictions, the confusion matrix.

Figures are drawn with matplotlib's object interface on an Agg canvas, so they
work on machines with no display and never touch pyplot's global state.
"""
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .data.voc import voc_palette
from .labels import IGNORE_INDEX


def colorize(labels):
    """Class indices (H, W) -> VOC colours (H, W, 3) uint8."""
    return voc_palette()[np.asarray(labels).astype(np.int64) % 256]


def overlay(image, labels, alpha=0.5):
    """Blend class colours over an image (3, H, W) in [0, 1] -> (H, W, 3) float in [0, 1].
    Background (class 0) and ignored pixels (IGNORE_INDEX) stay as they are."""
    rgb = np.clip(np.asarray(image).transpose(1, 2, 0), 0, 1)
    colour = colorize(labels) / 255.0
    mask = ((labels != 0) & (labels != IGNORE_INDEX))[..., None]
    return np.where(mask, (1 - alpha) * rgb + alpha * colour, rgb)


def _save(fig, path):
    FigureCanvasAgg(fig)
    fig.savefig(path, dpi=100, bbox_inches="tight")
    return path


def plot_curves(history, path):
    """Training loss and validation mean IU per epoch, the best epoch marked."""
    from matplotlib.ticker import MaxNLocator

    epochs = [h["epoch"] for h in history]
    fig = Figure(figsize=(9, 3.5), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    ax1.plot(epochs, [h["train_loss"] for h in history], "o-")
    ax1.set(xlabel="epoch", ylabel="training loss", title="loss")
    for key, label in (("mean_iu", "mean IU"), ("pixel_acc", "pixel accuracy")):
        ax2.plot(epochs, [h[key] for h in history], "o-", label=label)
    if history:
        best = max(history, key=lambda h: h["mean_iu"])
        ax2.axvline(best["epoch"], color="grey", linestyle=":", label=f"best: epoch {best['epoch']}")
    ax2.set(xlabel="epoch", ylim=(0, 1), title="validation")
    ax2.legend(loc="best")
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    return _save(fig, path)


def plot_predictions(images, labels, predictions, path, class_names=None,
                     titles=("image", "ground truth", "prediction", "overlay")):
    """A grid: one row per example, columns image / truth / prediction / overlay, and a legend of the
    class colours (ignored pixels, IGNORE_INDEX, in their own colour).

    images (N, 3, H, W) in [0, 1]; labels, predictions (N, H, W).
    """
    n = len(images)
    fig = Figure(figsize=(8, 2.1 * n + 0.5), layout="constrained")
    axes = np.asarray(fig.subplots(n, 4, squeeze=False))
    for i in range(n):
        panels = (np.clip(images[i].transpose(1, 2, 0), 0, 1), colorize(labels[i]), colorize(predictions[i]),
                  overlay(images[i], predictions[i]))
        for j, panel in enumerate(panels):
            axes[i, j].imshow(panel, interpolation="nearest")
            axes[i, j].set_xticks([])
            axes[i, j].set_yticks([])
            if i == 0:
                axes[i, j].set_title(titles[j])
    _legend(fig, np.union1d(np.unique(labels), np.unique(predictions)), class_names)
    return _save(fig, path)


def _legend(fig, shown, class_names):
    """A legend of the colours of the classes ``shown`` under the figure (ignored pixels named so)."""
    from matplotlib.patches import Patch

    shown = np.asarray(shown).astype(np.int64)
    names = {c: (class_names[c] if class_names and c < len(class_names) else f"class {c}") for c in shown}
    names.update({IGNORE_INDEX: "ignored"} if IGNORE_INDEX in names else {})
    palette = voc_palette()
    fig.legend(handles=[Patch(color=palette[c] / 255.0, label=names[c]) for c in shown], loc="outside lower center",
               ncol=min(len(shown), 6), frameon=False)


def save_overlay(image, labels, path, class_names=None):
    """The image (3, H, W) in [0, 1] with its predicted classes (H, W) blended over it, at the image's
    own resolution, and a legend naming the classes found."""
    h, w = labels.shape
    found = np.unique(labels)
    width = max(w / 100, 3.0)                     # inches at 100 dpi: the image's own pixels, or room for a legend
    fig = Figure(figsize=(width, width * h / w + 0.3 * (1 + len(found) // 6)), layout="constrained")
    ax = fig.add_subplot()
    ax.imshow(overlay(image, labels), interpolation="nearest")
    ax.set_axis_off()
    _legend(fig, found, class_names)
    return _save(fig, path)


def plot_confusion(matrix, path, class_names=None):
    """The confusion matrix, each row normalized to the fraction of that true class ("n/a" for a class
    with no pixels)."""
    m = np.asarray(matrix, np.float64)
    totals = m.sum(axis=1, keepdims=True)
    rows = np.where(totals > 0, m / np.maximum(totals, 1), np.nan)
    names = class_names or [str(i) for i in range(len(m))]
    fig = Figure(figsize=(1.8 + 0.55 * len(m), 1.2 + 0.5 * len(m)), layout="constrained")
    ax = fig.subplots()
    im = ax.imshow(np.nan_to_num(rows), cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(m)), names, rotation=45, ha="right")
    ax.set_yticks(range(len(m)), names)
    ax.set(xlabel="predicted", ylabel="true")
    fig.suptitle("confusion (row-normalized)")
    for i in range(len(m)):
        for j in range(len(m)):
            text = "n/a" if np.isnan(rows[i, j]) else f"{rows[i, j]:.2f}"
            ax.text(j, i, text, ha="center", va="center", fontsize=7,
                    color="white" if rows[i, j] > 0.5 else "black")
    fig.colorbar(im, ax=ax)
    return _save(fig, path)
