"""The hand-written layers: each has ``forward`` and a matching ``backward``."""
from ..functional import log_softmax, softmax  # the loss's formulas, where a reader of the layers looks
from .activation import ReLU
from .base import Layer
from .conv import Conv2d
from .conv_transpose import ConvTranspose2d
from .crop import Crop
from .dropout import Dropout
from .fuse import Fuse
from .loss import SoftmaxCrossEntropy
from .pool import MaxPool2d
from .scale import Scale
from .unpool import MaxUnpool2d

__all__ = ["Layer", "Conv2d", "ConvTranspose2d", "MaxPool2d", "MaxUnpool2d", "ReLU", "Dropout", "Crop", "Fuse", "Scale",
           "SoftmaxCrossEntropy", "softmax", "log_softmax"]
