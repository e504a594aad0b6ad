"""Key maps: which array of a weights file fills which parameter of our model.

Three families of files are recognized by their names:

- ``pytorch-fcn``: pytorch-fcn's FCN state dicts (``conv1_1.weight`` ... ``fc6``,
  ``fc7``, ``score_fr``, ``score_pool4``, ``score_pool3``, ``upscore*``), and our own
  checkpoints and exports. The names are ours: the map is the identity. ``upscore*``
  may be absent: they are fixed bilinear kernels, which a fresh model already has.
- ``torchvision-vgg16``: torchvision's VGG16 ImageNet classifier. ``features`` is a
  Sequential of conv, ReLU per convolution and a pool closing each block, so VGG16's
  convolutions sit at ``features.{0,2,5,7,10,12,14,17,19,21,24,26,28}``.
  ``classifier.0`` is fc6 as a Linear layer, (4096, 25088) = (4096, 512 * 7 * 7): it
  reshapes to the 7x7 convolution (4096, 512, 7, 7), which computes the same on a 7x7
  map and slides over a larger one. ``classifier.3`` (4096, 4096) is fc7, a 1x1
  convolution (4096, 4096, 1, 1).
- ``timm-vgg16``: timm's ``vgg16.tv_in1k``, the same weights with fc6 and fc7 already
  convolutions: ``pre_logits.fc1`` (4096, 512, 7, 7) and ``pre_logits.fc2``.

From the two classifiers only the encoder, fc6 and fc7 are taken; their 1000-way
ImageNet layer (``classifier.6``, ``head.fc``) gives way to the score layers, which stay
at zero, and the upsampling stays bilinear: the paper's starting point for training.
"""
import math
import re
from dataclasses import dataclass
from typing import NamedTuple

from ..errors import InputError

FAMILIES = ("pytorch-fcn", "torchvision-vgg16", "timm-vgg16")

# The classifiers' fc6 and fc7 (prefixes of their keys), their ImageNet layer, and whether
# fc6/fc7 are stored as Linear layers (out, in * kh * kw) rather than as convolutions.
CLASSIFIERS = {
    "torchvision-vgg16": dict(fc6="classifier.0", fc7="classifier.3", imagenet="classifier.6", linear=True),
    "timm-vgg16": dict(fc6="pre_logits.fc1", fc7="pre_logits.fc2", imagenet="head.fc", linear=False),
}


class Source(NamedTuple):
    """Where a parameter comes from: the file's ``key``, the ``file_shape`` it must have there,
    and the parameter's ``shape`` (the array is reshaped to it)."""
    key: str
    file_shape: tuple
    shape: tuple


@dataclass(frozen=True)
class KeyMap:
    """``sources``: ``{parameter name: Source}``; ``optional``: parameters a file may lack (the model
    keeps its own); ``ignored``: file keys read past."""
    family: str
    sources: dict
    optional: frozenset = frozenset()
    ignored: frozenset = frozenset()


def recognize(keys):
    """The family of a file from its keys, or a one-line InputError naming the first few."""
    keys = set(keys)
    if "conv1_1.weight" in keys:
        return "pytorch-fcn"
    if "features.0.weight" in keys:
        return "timm-vgg16" if "pre_logits.fc1.weight" in keys else "torchvision-vgg16"
    raise InputError(f"the keys are none of pytorch-fcn's (conv1_1.weight, ...), torchvision's or timm's VGG16 "
                     f"(features.0.weight, ...); the file has {', '.join(sorted(keys)[:4]) or 'no arrays'}"
                     f"{', ...' if len(keys) > 4 else ''}")


def key_map(family, model_shapes):
    """The :class:`KeyMap` of ``family`` onto a model's parameters, ``{name: shape}``."""
    if family == "pytorch-fcn":
        return KeyMap(family, {name: Source(name, shape, shape) for name, shape in model_shapes.items()},
                      optional=frozenset(name for name in model_shapes if name.startswith("upscore")))
    if family not in CLASSIFIERS:
        raise InputError(f"unknown key family {family!r}; expected one of {FAMILIES}")
    classifier = CLASSIFIERS[family]
    sources = {}
    for conv, index in _features_indices(model_shapes).items():
        for param in ("weight", "bias"):
            shape = model_shapes[f"{conv}.{param}"]
            sources[f"{conv}.{param}"] = Source(f"features.{index}.{param}", shape, shape)
    for layer in ("fc6", "fc7"):
        weight, bias = model_shapes[f"{layer}.weight"], model_shapes[f"{layer}.bias"]
        stored = (weight[0], math.prod(weight[1:])) if classifier["linear"] else weight
        sources[f"{layer}.weight"] = Source(f"{classifier[layer]}.weight", stored, weight)
        sources[f"{layer}.bias"] = Source(f"{classifier[layer]}.bias", bias, bias)
    imagenet = classifier["imagenet"]
    return KeyMap(family, sources, ignored=frozenset({f"{imagenet}.weight", f"{imagenet}.bias"}))


def _features_indices(model_shapes):
    """``{"conv1_1": 0, "conv1_2": 2, "conv2_1": 5, ...}``: each convolution's place in a VGG
    ``features`` Sequential, where every convolution is followed by a ReLU and every block by a pool."""
    matches = map(re.compile(r"conv(\d+)_(\d+)\.weight").fullmatch, model_shapes)
    convs = sorted(tuple(map(int, m.groups())) for m in matches if m)
    indices, index, block = {}, 0, convs[0][0]
    for b, i in convs:
        if b != block:
            index, block = index + 1, b      # the pool that closed the previous block
        indices[f"conv{b}_{i}"] = index
        index += 2                           # the convolution and its ReLU
    return indices
