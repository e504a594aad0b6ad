"""What a finished run leaves for a person: the metrics printed, results.json and the plots."""
import json

import numpy as np

from ..data import pad_to
from ..viz import plot_confusion, plot_curves, plot_predictions


def format_metrics(metrics, class_names):
    """The paper's four metrics and the per-class IU as a small table."""
    lines = ["metric                 value",
             f"pixel accuracy         {metrics['pixel_acc']:.4f}",
             f"mean accuracy          {metrics['mean_acc']:.4f}",
             f"mean IU                {metrics['mean_iu']:.4f}",
             f"frequency-weighted IU  {metrics['fw_iu']:.4f}",
             "", "class                  IU"]
    for name, iu in zip(class_names, metrics["per_class_iu"]):
        lines.append(f"{name:<22} {'n/a' if iu is None else f'{iu:.4f}'}")
    return "\n".join(lines)


def write_report(out, result, val_set, print_fn=print):
    """After training, in the run folder ``out``, from what :meth:`Trainer.fit` measured (``result``, a
    :class:`FitResult`): the curves, the best epoch's metrics, confusion matrix and example predictions
    (``results.json``, ``curves.png``, ``confusion.png``, ``predictions.png``), nothing evaluated again."""
    metrics, class_names = result.best_metrics, val_set.class_names
    plot_curves(result.history, out / "curves.png")
    drawn = ["curves.png"]
    if result.confusion is not None:
        plot_confusion(result.confusion, out / "confusion.png", class_names)
        examples = [val_set[i] for i in range(len(result.example_predictions))]
        h, w = result.example_predictions.shape[1:]
        padded = [pad_to(img, lab, (h, w)) for img, lab in examples]
        plot_predictions(np.stack([img for img, _ in padded]), np.stack([lab for _, lab in padded]),
                         result.example_predictions, out / "predictions.png", class_names)
        drawn += ["confusion.png", "predictions.png"]
    else:
        print_fn(f"note: {out / 'best.npz'} keeps no confusion matrix or example predictions (it was written "
                 "before checkpoints kept them): `evaluate` it for them")
    record = {"best_epoch": result.best_epoch, "seconds": round(result.seconds, 1),
              **{k: metrics[k] for k in ("pixel_acc", "mean_acc", "mean_iu", "fw_iu", "per_class_iu")},
              "class_names": class_names,
              **({"continued_from": result.continued_from} if result.continued_from else {})}
    (out / "results.json").write_text(json.dumps(record, indent=2))
    print_fn(format_metrics(metrics, class_names))
    print_fn(f"trained in {result.seconds:.0f}s; best epoch {result.best_epoch}; "
             f"wrote {out}/best.npz, last.npz, metrics.jsonl, results.json, {', '.join(drawn)}")
