"""The FCN family, and ``build(name, **config)`` to make one by name."""
import inspect

from ..errors import InputError
from .base import Model
from .configs import SMALL, VGG16
from .coord_map import CoordMap, crop_offset
from .fcn import FCN, FCN8s, FCN16s, FCN32s
from .summary import output_shapes, recording_output_shapes, summary

MODELS = {"fcn32s": FCN32s, "fcn16s": FCN16s, "fcn8s": FCN8s}

# The paper's nets by name: (the class, its configuration). They have pytorch-fcn's parameter names and
# shapes, so its trained files load into them (``python -m fcn_scratch import-weights``).
REFERENCE = {
    "fcn32s-vgg16": ("fcn32s", dict(VGG16, num_classes=21)),
    "fcn16s-vgg16": ("fcn16s", dict(VGG16, num_classes=21)),
    "fcn8s-vgg16": ("fcn8s", dict(VGG16, num_classes=21)),
    "fcn8s-atonce-vgg16": ("fcn8s", dict(VGG16, num_classes=21, at_once=True)),
}
NAMES = sorted(MODELS) + sorted(REFERENCE)
# Arguments of how a model is made, not of which model it is: no model's ``config`` holds them.
NOT_CONFIG = ("rng", "dtype")


def build(name, **config):
    """A model by name: ``build("fcn8s", num_classes=6, widths=(8, 16, 32, 64, 64))`` (the small
    geometry unless told otherwise), or the paper's ``build("fcn8s-vgg16")`` (21 classes by default;
    any configuration key still overrides, ``build("fcn8s-vgg16", widths=(4, 4, 8, 8, 8))``)."""
    model_class, config = _resolve(name, config)
    return model_class(**config)


def name_of(model):
    """The name ``build`` knows ``model`` by: a reference net's ("fcn8s-vgg16") where its geometry is one,
    else its class's ("fcn8s")."""
    plain = {key: list(value) if isinstance(value, tuple) else value for key, value in model.config.items()}
    for name, (kind, config) in REFERENCE.items():
        if kind == model.name and all(plain.get(key, False) == (list(value) if isinstance(value, tuple) else value)
                                      for key, value in config.items() if key != "num_classes") \
                and plain.get("at_once", False) == config.get("at_once", False):
            return name
    return model.name


def check_config(name, config):
    """One InputError line if ``config`` has a key that ``build(name, ...)``'s model does not take, or
    lacks one it needs that ``name`` does not fill (the paper's nets fill theirs); an unknown name is one too."""
    model_class, filled = _resolve(name, {})
    accepted, required = _arguments(model_class)
    accepted -= set(NOT_CONFIG)
    unknown, missing = sorted(set(config) - accepted), sorted(required - set(config) - set(filled))
    faults = [f"{verb} {', '.join(map(repr, keys))}" for verb, keys in (("takes no", unknown), ("needs", missing))
              if keys]
    if faults:
        raise InputError(f"{name} {' and '.join(faults)} (its configuration keys: {', '.join(sorted(accepted))})")


def _resolve(name, config):
    """The class ``build(name, **config)`` makes, and the arguments it gets."""
    key = name.lower()
    if key in REFERENCE:
        key, reference = REFERENCE[key]
        config = {**reference, **config}
    if key not in MODELS:
        raise InputError(f"unknown model {name!r}; expected one of {NAMES}")
    return MODELS[key], config


def _arguments(model_class):
    """The names of keyword arguments ``model_class`` takes and of those it needs, with those its
    ``**config`` hands on to a base class."""
    accepted, required = set(), set()
    for owner in model_class.__mro__:
        if "__init__" not in vars(owner):
            continue
        parameters = list(inspect.signature(owner.__init__).parameters.values())[1:]       # not self
        named = [p for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
        accepted |= {p.name for p in named}
        required |= {p.name for p in named if p.default is p.empty}
        if not any(p.kind is p.VAR_KEYWORD for p in parameters):
            break
    return accepted, required


__all__ = ["Model", "FCN", "FCN32s", "FCN16s", "FCN8s", "MODELS", "REFERENCE", "NAMES", "SMALL", "VGG16",
           "CoordMap", "crop_offset", "build", "name_of", "check_config", "summary", "output_shapes", "recording_output_shapes"]
