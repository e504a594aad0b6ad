"""What a network wants done to an image before it sees it, carried with its weights.

Our images are float32 RGB in [0, 1]. Weights trained elsewhere learned on other inputs:
pytorch-fcn's (converted from Caffe) on BGR pixels in 0-255 minus a per-channel mean,
torchvision's ImageNet classifiers on RGB in [0, 1] normalized by mean and std. A
:class:`Preprocessing` records which, and turns our images into what the net learned on:

    x (3, H, W) or (N, 3, H, W) in [0, 1]  ->  (reorder(x) * scale - mean) / std,  float32

``mean`` and ``std`` are given in the net's channel order (for BGR weights, B first).
"""
from dataclasses import dataclass

import numpy as np

from ..errors import InputError

CHANNEL_ORDERS = ("RGB", "BGR")


@dataclass(frozen=True)
class Preprocessing:
    """Channel order, scale, mean and std of a net's input; the defaults change nothing."""
    channel_order: str = "RGB"
    scale: float = 1.0
    mean: tuple = (0.0, 0.0, 0.0)
    std: tuple = (1.0, 1.0, 1.0)

    def __post_init__(self):
        if self.channel_order not in CHANNEL_ORDERS:
            raise InputError(f"channel_order must be one of {CHANNEL_ORDERS}, got {self.channel_order!r}")
        if len(self.mean) != 3 or len(self.std) != 3:
            raise InputError(f"mean and std need 3 values each, got {len(self.mean)} and {len(self.std)}")
        if not self.scale > 0 or not all(s > 0 for s in self.std):
            raise InputError(f"scale and std must be positive, got scale {self.scale} and std {tuple(self.std)}")
        # frozen: tuples of floats, so that records compare equal and print alike whatever they were given as
        object.__setattr__(self, "scale", float(self.scale))
        object.__setattr__(self, "mean", tuple(float(m) for m in self.mean))
        object.__setattr__(self, "std", tuple(float(s) for s in self.std))

    def __call__(self, images):
        """images (3, H, W) or (N, 3, H, W) float32 in [0, 1], RGB -> the net's input, same shape, float32."""
        if images.ndim not in (3, 4) or images.shape[-3] != 3:
            raise InputError(f"expected RGB images (3, H, W) or (N, 3, H, W), got shape {tuple(images.shape)}")
        if self.channel_order == "BGR":
            images = images[..., ::-1, :, :]
        per_channel = (3, 1, 1)
        mean = np.asarray(self.mean, np.float32).reshape(per_channel)
        std = np.asarray(self.std, np.float32).reshape(per_channel)
        return ((images * np.float32(self.scale) - mean) / std).astype(np.float32, copy=False)

    def __str__(self):
        return f"{self.channel_order}, x{self.scale:g}, mean {_numbers(self.mean)}, std {_numbers(self.std)}"

    def to_dict(self):
        """A JSON-ready dict, as checkpoints keep it under ``meta["preprocessing"]``."""
        return {"channel_order": self.channel_order, "scale": self.scale, "mean": list(self.mean),
                "std": list(self.std)}

    @classmethod
    def from_dict(cls, d):
        return cls(d["channel_order"], d["scale"], tuple(d["mean"]), tuple(d["std"]))

    @classmethod
    def from_meta(cls, meta):
        """The preprocessing a checkpoint's ``meta`` records: ``meta["preprocessing"]``; else the
        ``mean`` and ``std`` that checkpoints kept before it (RGB, scale 1); else none."""
        if "preprocessing" in meta:
            return cls.from_dict(meta["preprocessing"])
        if "mean" in meta and "std" in meta:
            return cls("RGB", 1.0, tuple(meta["mean"]), tuple(meta["std"]))
        return cls()


def _numbers(values):
    return "(" + ", ".join(f"{v:g}" for v in values) + ")"


# pytorch-fcn's weights, converted from Caffe: BGR pixels in 0-255 minus the VGG mean, no std
# (torchfcn/datasets/voc.py, mean_bgr).
CAFFE_VGG = Preprocessing("BGR", 255.0, (104.00698793, 116.66876762, 122.67891434), (1.0, 1.0, 1.0))
# torchvision's ImageNet classifiers (and timm's ``tv_in1k`` copies of them): RGB in [0, 1], ImageNet mean and std.
TORCHVISION_IMAGENET = Preprocessing("RGB", 1.0, (0.485, 0.456, 0.406), (0.229, 0.224, 0.225))

PRESETS = {"caffe": CAFFE_VGG, "torchvision": TORCHVISION_IMAGENET, "identity": Preprocessing()}
