"""The FCN family, and ``build(name, **config)`` to make one by name."""
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


def build(name, **config):
    """A model by name: ``build("fcn8s", num_classes=6, widths=(8, 16, 32, 64, 64))`` (the small
    geometry unless told otherwise), or the paper's ``build("fcn8s-vgg16")`` (21 classes by default;
    any configuration key still overrides, ``build("fcn8s-vgg16", widths=(4, 4, 8, 8, 8))``)."""
    key = name.lower()
    if key in REFERENCE:
        key, reference = REFERENCE[key]
        config = {**reference, **config}
    if key not in MODELS:
        raise InputError(f"unknown model {name!r}; expected one of {NAMES}")
    return MODELS[key](**config)


__all__ = ["Model", "FCN", "FCN32s", "FCN16s", "FCN8s", "MODELS", "REFERENCE", "NAMES", "SMALL", "VGG16",
           "CoordMap", "crop_offset", "build", "summary", "output_shapes", "recording_output_shapes"]
