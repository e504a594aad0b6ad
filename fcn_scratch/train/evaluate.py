"""Run a model over a data set and measure it with the paper's metrics."""
from .. import backend
from ..metrics import ConfusionMatrix


def predict_batch(model, images):
    """Host images (N, C, H, W) -> host class predictions (N, H, W), on the model's device."""
    xp = backend.xp_for(model.device)
    logits = model(xp.asarray(images, dtype=model.dtype))
    return backend.to_host(logits.argmax(axis=1))


def evaluate(model, loader, num_classes=None):
    """Confusion matrix over every batch of ``loader`` (model in eval mode, restored after).

    Returns ``(metrics dict, ConfusionMatrix)``.
    """
    confusion = ConfusionMatrix(num_classes or model.num_classes)
    was_training = model.training
    model.eval()
    try:
        for images, labels in loader:
            confusion.update(predict_batch(model, images), labels)
    finally:
        model.train(was_training)
    return confusion.compute(), confusion
