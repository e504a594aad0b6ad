"""Run a model over a data set and measure it with the paper's metrics."""
import time

from .. import backend
from ..metrics import ConfusionMatrix


def predict_batch(model, images):
    """Host images (N, C, H, W) -> host class predictions (N, H, W), on the model's device."""
    xp = backend.xp_for(model.device)
    logits = model(xp.asarray(images, dtype=model.dtype))
    return backend.to_host(logits.argmax(axis=1))


def evaluate(model, loader, num_classes=None, print_fn=None, every=5.0):
    """Confusion matrix over every batch of ``loader`` (model in eval mode, restored after).

    With ``print_fn``, a progress line at most every ``every`` seconds.
    Returns ``(metrics dict, ConfusionMatrix)``.
    """
    confusion = ConfusionMatrix(num_classes or model.num_classes)
    was_training = model.training
    model.eval()
    done, total, last = 0, len(loader.dataset), time.perf_counter()
    try:
        for images, labels in loader:
            confusion.update(predict_batch(model, images), labels)
            done += len(images)
            if print_fn is not None and time.perf_counter() - last >= every and done < total:
                print_fn(f"evaluated {done}/{total} images")
                last = time.perf_counter()
    finally:
        model.train(was_training)
    return confusion.compute(), confusion
