"""Run a model over a data set and measure it with the paper's metrics."""
import time

from ..metrics import ConfusionMatrix
from .predict import predict_batch


def evaluate(model, loader, num_classes=None, print_fn=None, every=5.0):
    """Confusion matrix over every image of ``loader``'s data set, each predicted at its own size
    (:meth:`DataLoader.unpadded`: the metrics count real pixels only, whatever the batch size),
    the model in eval mode (restored after).

    With ``print_fn``, a progress line at most every ``every`` seconds.
    Returns ``(metrics dict, ConfusionMatrix)``.
    """
    confusion = ConfusionMatrix(num_classes or model.num_classes)
    was_training = model.training
    model.eval()
    done, total, last = 0, len(loader.dataset), time.perf_counter()
    try:
        for images, labels in loader.unpadded():
            confusion.update(predict_batch(model, images), labels)
            done += len(images)
            if print_fn is not None and time.perf_counter() - last >= every and done < total:
                print_fn(f"evaluated {done}/{total} images")
                last = time.perf_counter()
    finally:
        model.train(was_training)
    return confusion.compute(), confusion
