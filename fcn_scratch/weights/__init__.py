"""Weights in and out: pytorch-fcn's, torchvision's and timm's files become checkpoints
(:func:`import_weights`), and checkpoints become files PyTorch loads (:func:`export`)."""
from .export import export
from .fit import check_fit
from .import_weights import Imported, import_weights
from .key_maps import FAMILIES, KeyMap, Source, key_map, recognize
from .read import WeightsFile, open_weights

__all__ = ["export", "check_fit", "Imported", "import_weights", "FAMILIES", "KeyMap", "Source", "key_map",
           "recognize", "WeightsFile", "open_weights"]
