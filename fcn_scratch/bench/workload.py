"""What is timed: the configurations, our FCN-8s on them, a batch, and one training step."""
import numpy as np

from .. import backend
from ..layers import SoftmaxCrossEntropy
from ..models import build
from ..optim import SGD

BENCH = dict(batch=8, size=128, num_classes=21, widths=(16, 32, 64, 128, 128), convs_per_block=2,
             fc_channels=256, fc6_kernel=3)
QUICK = dict(batch=2, size=64, num_classes=5, widths=(8, 8, 16, 16, 16), convs_per_block=1,
             fc_channels=32, fc6_kernel=3)
OVERRIDABLE = ("batch", "size", "num_classes")


def configuration(quick=False, **overrides):
    """The bench (or quick) configuration with ``batch``, ``size`` or ``num_classes`` replaced."""
    unknown = set(overrides) - set(OVERRIDABLE)
    if unknown:
        raise ValueError(f"cannot override {sorted(unknown)}; only {', '.join(OVERRIDABLE)}")
    return {**(QUICK if quick else BENCH), **{k: v for k, v in overrides.items() if v is not None}}


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
