"""What a finished run leaves for a person: the metrics printed, results.json and the plots."""
import json

import numpy as np

from ..checkpoint import load_model
from ..data import pad_to
from ..viz import plot_confusion, plot_curves, plot_predictions
from .evaluate import evaluate
from .predict import predict_batch


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


def write_report(out, history, val_set, val_loader, device, seconds, continued_from=None, print_fn=print):
    """After training, in the run folder ``out``: curves, the best model's metrics, its confusion
    matrix and example predictions (``results.json``, ``curves.png``, ``confusion.png``,
    ``predictions.png``). ``continued_from``: the checkpoint of another run folder that this run
    resumed, recorded in ``results.json``."""
    model, ckpt = load_model(out / "best.npz", device)
    metrics, confusion = evaluate(model, val_loader)
    class_names = model.class_names
    plot_curves(history, out / "curves.png")
    plot_confusion(confusion.matrix, out / "confusion.png", class_names)
    examples = [val_set[i] for i in range(min(6, len(val_set)))]
    images, labels = val_loader.collate(examples)
    predictions = predict_batch(model, images)
    raw_images = np.stack([pad_to(img, lab, labels.shape[1:])[0] for img, lab in examples])
    plot_predictions(raw_images, labels, predictions, out / "predictions.png", class_names)
    result = {"best_epoch": ckpt.meta["epoch"], "seconds": round(seconds, 1),
              **{k: metrics[k] for k in ("pixel_acc", "mean_acc", "mean_iu", "fw_iu", "per_class_iu")},
              "class_names": class_names, **({"continued_from": continued_from} if continued_from else {})}
    (out / "results.json").write_text(json.dumps(result, indent=2))
    print_fn(format_metrics(metrics, class_names))
    print_fn(f"trained in {seconds:.0f}s; best epoch {ckpt.meta['epoch']}; "
             f"wrote {out}/best.npz, last.npz, metrics.jsonl, results.json, curves.png, confusion.png, predictions.png")
