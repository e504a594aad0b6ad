"""Run a model over a data set and measure it with the paper's metrics."""
import errno
import json
import os
import time
from pathlib import Path

from ..checkpoint import load_model
from ..data import DataLoader, Preprocessing, check_files, make_dataset
from ..errors import InputError
from ..files import check_writable, refuse_overwrite, write_atomically
from ..metrics import ConfusionMatrix
from ..models import name_of
from .defaults import TOY_DATA
from .predict import predict_batch
from .report import format_metrics


def evaluate(model, loader, num_classes=None, print_fn=None, every=5.0):
    """Confusion matrix over every image of ``loader``'s data set, each predicted at its own size
    (:meth:`DataLoader.unpadded`: the metrics count real pixels only, whatever the batch size),
    the model in eval mode (restored after).

    With ``print_fn``, a progress line at most every ``every`` seconds.
    Returns ``(metrics dict, ConfusionMatrix)``.
    """
    confusion = ConfusionMatrix(num_classes or model.num_classes)
    done, total, last = 0, len(loader.dataset), time.perf_counter()
    with model.predicting():
        for images, labels in loader.unpadded():
            confusion.update(predict_batch(model, images), labels)
            done += len(images)
            if print_fn is not None and time.perf_counter() - last >= every and done < total:
                print_fn(f"evaluated {done}/{total} images")
                last = time.perf_counter()
    return confusion.compute(), confusion


def evaluate_checkpoint(checkpoint, data="toy", split="val", size=None, image_size=None, num_classes=None, seed=0,
                        batch_size=8, device="cpu", out=None, overwrite=False, sbd=None, print_fn=print):
    """What ``fcn-scratch evaluate`` does: measure a checkpoint on ``make_dataset(data, split, size, ...)``
    (``size`` by default the toy validation size, ``image_size`` the checkpoint's training size; ``sbd`` the
    SBD folder that the split seg11valid is computed with),
    print the metrics, write them as JSON to ``out`` (by default ``eval_<checkpoint name>_<split>.json``
    beside the checkpoint; an existing one only with ``overwrite``). Returns ``(metrics dict, path)``."""
    checkpoint = Path(checkpoint)
    out = Path(out) if out else checkpoint.with_name(f"eval_{checkpoint.stem}_{split}.json")
    if out.is_dir():
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(out))
    refuse_overwrite(out, overwrite)           # before the work, not after it
    check_writable(out)
    model, ckpt = load_model(checkpoint, device)
    num_classes = model.num_classes if num_classes is None else num_classes
    image_size = image_size or ckpt.meta.get("image_size", TOY_DATA["image_size"])
    dataset = make_dataset(data, split, size or TOY_DATA["val_size"], image_size, num_classes, seed, sbd=sbd)
    if dataset.num_classes != model.num_classes:
        raise InputError(f"the data has {dataset.num_classes} classes but the model predicts {model.num_classes}")
    check_files({split: dataset}, print_fn=print_fn)
    loader = DataLoader(dataset, batch_size, preprocessing=Preprocessing.from_meta(ckpt.meta))
    metrics, _ = evaluate(model, loader, print_fn=print_fn)
    sizes = "at their own sizes" if data != "toy" else f"of {image_size} x {image_size}"
    print_fn(f"{name_of(model)} from {checkpoint} on {data} / {split} ({len(dataset)} images {sizes})")
    print_fn(format_metrics(metrics, model.class_names))
    text = json.dumps({"checkpoint": str(checkpoint), "data": str(data), "split": split, **metrics}, indent=2)
    write_atomically(out, lambda tmp: Path(tmp).write_text(text))
    print_fn(f"wrote {out}")
    return metrics, out
