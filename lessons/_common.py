"""What every lesson shares: its command-line flags, a timer, and saving figures.

Not a lesson itself; each lesson imports it (``python lessons/NN_name.py`` puts
this folder on the import path).
"""
import argparse
import time
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from fcn_scratch import backend


def parse_args(doc, name, extra=None):
    """``--quick`` (seconds, for the tests), ``--out DIR`` and ``--device cpu|cuda``."""
    parser = argparse.ArgumentParser(description=doc.strip().splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: runs in seconds")
    parser.add_argument("--out", default=str(Path(__file__).parent / "out" / name),
                        help="where the figures go (default: lessons/out/%(default)s)".replace("%(default)s", name))
    parser.add_argument("--device", default="cpu", choices=list(backend.DEVICES))
    if extra:
        extra(parser)
    args = parser.parse_args()
    args.out = Path(args.out)
    args.out.mkdir(parents=True, exist_ok=True)
    return args


def figure(rows=1, cols=1, size=(4, 3.2)):
    """A matplotlib figure (no display needed) and its axes."""
    fig = Figure(figsize=(size[0] * cols, size[1] * rows), layout="constrained")
    return fig, fig.subplots(rows, cols, squeeze=False)


def save(fig, args, name):
    """Save ``fig`` as ``<out>/<name>.png`` and say so."""
    FigureCanvasAgg(fig)
    path = args.out / f"{name}.png"
    fig.savefig(path, dpi=90, bbox_inches="tight")
    print(f"  saved {path}")
    return path


def prediction_grid(images, labels, predictions, args, name, class_names):
    """Save ``<out>/<name>.png``: one row per example, columns image, truth and each net's prediction,
    and under them a legend of the class colours.

    images (N, 3, H, W) in [0, 1]; labels (N, H, W); predictions {title: (N, H, W) classes};
    class_names, one per class index.
    """
    from matplotlib.patches import Patch

    from fcn_scratch.data import voc_palette
    from fcn_scratch.viz import colorize

    fig, ax = figure(len(images), 2 + len(predictions), (2.2, 2.2))
    for row in range(len(images)):
        panels = [(np.clip(images[row].transpose(1, 2, 0), 0, 1), "image"), (colorize(labels[row]), "truth")]
        panels += [(colorize(predicted[row]), title) for title, predicted in predictions.items()]
        for col, (panel, title) in enumerate(panels):
            ax[row, col].imshow(panel, interpolation="nearest")
            ax[row, col].axis("off")
            if row == 0:
                ax[row, col].set_title(title)
    palette = voc_palette() / 255.0
    fig.legend(handles=[Patch(color=palette[c], label=n) for c, n in enumerate(class_names)],
               loc="outside lower center", ncol=len(class_names), frameon=False)
    return save(fig, args, name)


def timed(fn, repeats=3):
    """Best of ``repeats`` wall-clock seconds of ``fn()``, and its result."""
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def section(title):
    print(f"\n== {title} " + "=" * max(0, 66 - len(title)))
