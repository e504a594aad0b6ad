"""What is timed: the configurations, our FCN-8s on them, a batch, one training step and one prediction;
and the real-size workload, the paper's VGG16 FCN-8s predicting one photo-sized image and training on it."""
import time

import numpy as np

from .. import backend
from ..errors import InputError
from ..functional import no_init
from ..layers import SoftmaxCrossEntropy
from ..models import build
from ..optim import SGD

BENCH = dict(batch=8, size=128, num_classes=21, widths=(16, 32, 64, 128, 128), convs_per_block=2,
             fc_channels=256, fc6_kernel=3)
QUICK = dict(batch=2, size=64, num_classes=5, widths=(8, 8, 16, 16, 16), convs_per_block=1,
             fc_channels=32, fc6_kernel=3)
# The real-size workload: the paper's net (pytorch-fcn's FCN-8s) on a PASCAL VOC-sized image, inference.
REAL = dict(model="fcn8s-vgg16", batch=1, size=500, num_classes=21)
REAL_QUICK = dict(REAL, size=224)
OVERRIDABLE = ("batch", "size", "num_classes")


def configuration(quick=False, real_size=False, **overrides):
    """The bench (or quick) configuration, or with ``real_size`` the real-size one (500 x 500, or
    224 x 224 if ``quick``), with ``batch``, ``size`` or ``num_classes`` replaced."""
    unknown = set(overrides) - set(OVERRIDABLE)
    if unknown:
        raise InputError(f"cannot override {sorted(unknown)}; only {', '.join(OVERRIDABLE)}")
    base = (REAL_QUICK if quick else REAL) if real_size else (QUICK if quick else BENCH)
    return {**base, **{k: v for k, v in overrides.items() if v is not None}}


def make_model(cfg, device):
    """FCN-8s of the configuration, seeded, with small random score layers (a fresh net's are zero,
    which would make the top of the step trivially cheap)."""
    model = build("fcn8s", num_classes=cfg["num_classes"], widths=cfg["widths"],
                  convs_per_block=cfg["convs_per_block"], fc_channels=cfg["fc_channels"],
                  fc6_kernel=cfg["fc6_kernel"], rng=backend.host_rng(0))
    for layer in (model.score_fr, model.score_pool4, model.score_pool3):
        layer.params["weight"][...] = backend.host_rng(1).standard_normal(layer.params["weight"].shape) * 0.01
    return model.to(device)


def inputs(cfg, device):
    """A seeded batch: images (N, 3, S, S) float32 and labels (N, S, S)."""
    rng = backend.host_rng(0)
    xp = backend.xp_for(device)
    x = xp.asarray(rng.standard_normal((cfg["batch"], 3, cfg["size"], cfg["size"])).astype(np.float32))
    y = xp.asarray(rng.integers(0, cfg["num_classes"], (cfg["batch"], cfg["size"], cfg["size"])))
    return x, y


def our_setup(cfg, device):
    """Our FCN-8s on the configuration: ``(model, x, step)``, ``step()`` being one SGD training step."""
    model = make_model(cfg, device)
    x, y = inputs(cfg, device)
    loss = SoftmaxCrossEntropy()
    optimizer = SGD(model, lr=1e-4, momentum=0.9)

    def step():
        loss(model(x), y)
        model.backward(loss.backward(), input_grad=False)
        optimizer.step()
    return model, x, step


def prediction(model, x):
    """``predict()``: one forward pass of ``model`` on ``x`` as a prediction makes it, in eval mode and
    inside ``no_grad()`` (where the inference-only tricks apply); the model is left in the mode it had."""
    def predict():
        with model.predicting():
            model(x)
    return predict


def fill_random(model, seed=0):
    """Overwrite every parameter in place with seeded uniform numbers of He's scale, +-sqrt(6 / fan_in)
    (fan_in: all but a weight's first axis; a bias takes its layer's weight's), so activations stay
    near 1 through the sixteen layers. In place and in float32: no temporary of the model's size, and
    a tenth of the time of drawing normal numbers in float64 as ``build`` does."""
    rng = backend.host_rng(seed)
    for layer in model.layers.values():
        weight = layer.params.get("weight")
        if weight is None:
            continue
        bound = np.float32(np.sqrt(6.0 / (weight.size // weight.shape[0])))
        for value in layer.params.values():
            rng.random(out=value, dtype=value.dtype)
            value -= np.float32(0.5)
            value *= 2 * bound


def real_input(cfg):
    """The real-size workload's seeded image batch, (N, 3, S, S) float32, on the host."""
    return backend.host_rng(0).standard_normal((cfg["batch"], 3, cfg["size"], cfg["size"]), dtype=np.float32)


def real_labels(cfg):
    """The real-size workload's seeded labels, (N, S, S) int64 in [0, num_classes), on the host."""
    return backend.host_rng(1).integers(0, cfg["num_classes"], (cfg["batch"], cfg["size"], cfg["size"]))


def timed_phases(forward, backward, update):
    """One training step from its three phases, as a function returning the seconds of each."""
    def step():
        times = [time.perf_counter()]
        for phase in (forward, backward, update):
            phase()
            times.append(time.perf_counter())
        return [b - a for a, b in zip(times, times[1:])]
    return step


def real_training_step(cfg):
    """One SGD step of our paper's FCN-8s on the real-size configuration, as pytorch-fcn trains it
    (the loss summed over the pixels, ``SGD(lr=1e-10, momentum=0.99, weight_decay=5e-4)``, upscore8
    frozen): ``step()``, returning the seconds of its forward, backward and update."""
    model, x = real_setup(cfg)
    model.train()
    labels, loss = real_labels(cfg), SoftmaxCrossEntropy(reduction="sum")
    optimizer = SGD(model, lr=1e-10, momentum=0.99, weight_decay=5e-4)
    return timed_phases(lambda: loss(model(x), labels), lambda: model.backward(loss.backward(), input_grad=False),
                        optimizer.step)


def real_setup(cfg):
    """Our paper's FCN-8s on the real-size configuration, in eval mode: ``(model, x)``. Built inside
    ``no_init`` (no initialization to throw away) and filled by :func:`fill_random`."""
    with no_init():
        model = build(cfg["model"], num_classes=cfg["num_classes"])
    fill_random(model)
    return model.eval(), real_input(cfg)
