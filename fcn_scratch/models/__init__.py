"""The FCN family, and ``build(name, **config)`` to make one by name."""
from .base import Model
from .fcn import FCN, FCN8s, FCN16s, FCN32s
from .summary import summary

MODELS = {"fcn32s": FCN32s, "fcn16s": FCN16s, "fcn8s": FCN8s}


def build(name, **config):
    """``build("fcn8s", num_classes=6, widths=(8, 16, 32, 64, 64))`` -> an FCN8s."""
    key = name.lower().replace("-", "")
    if key not in MODELS:
        raise ValueError(f"unknown model {name!r}; expected one of {sorted(MODELS)}")
    return MODELS[key](**config)


__all__ = ["Model", "FCN", "FCN32s", "FCN16s", "FCN8s", "MODELS", "build", "summary"]
