"""Weights in: a pytorch-fcn, torchvision or timm file (or our own) becomes an fcn-scratch checkpoint."""
import math
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from ..checkpoint import check_finite, save_checkpoint
from ..data import CAFFE_VGG, PRESETS, TORCHVISION_IMAGENET, VOC_CLASSES, Preprocessing
from ..errors import InputError
from ..files import check_writable, refuse_overwrite
from ..functional import no_init
from ..models import build
from .fit import check_fit
from .key_maps import key_map, recognize
from .read import open_weights

# What each family's weights learned on. pytorch-fcn's files come from Caffe. Our own checkpoints and
# exports say what theirs learned on, and that wins.
FAMILY_PREPROCESSING = {"pytorch-fcn": CAFFE_VGG, "torchvision-vgg16": TORCHVISION_IMAGENET,
                        "timm-vgg16": TORCHVISION_IMAGENET}


@dataclass
class Imported:
    """What :func:`import_weights` did: ``loaded`` parameters came from the file, ``kept`` ones are
    as a fresh model starts them (zero score layers, bilinear upsampling)."""
    path: Path
    source: Path
    family: str
    model_name: str
    num_loaded: int
    num_parameters: int
    kept: list
    preprocessing: Preprocessing
    class_names: list


def import_weights(src, model_name, out, num_classes=None, class_names=None, preprocessing=None,
                   overwrite=False, **config):
    """Read ``src`` (.safetensors, .npz or .pth), map its keys onto ``build(model_name, **config)``'s
    parameters, and write our checkpoint to ``out``, with the input preprocessing and class names.

    ``num_classes``: by default the file's (its score_fr), else 21 (VOC's, the paper's). ``class_names``:
    by default the file's own (our checkpoints and exports), else VOC's for 21 classes. ``preprocessing``:
    a :class:`Preprocessing` or a preset name ("caffe", "torchvision", "identity"); by default what
    the file records, else its family's (pytorch-fcn: Caffe's BGR 0-255; torchvision and timm: ImageNet's).

    The file is read one array at a time, and the model takes each array itself (a reshape is a view),
    so memory holds one copy of the weights (a .pth too: PyTorch reads it whole, and its arrays become
    the model's).
    Returns an :class:`Imported`.
    """
    src, out = Path(src), Path(out)
    if out.suffix.lower() != ".npz":
        raise InputError(f"{out}: import-weights writes a checkpoint, an .npz; name it .npz (`export` then "
                         "writes its weights as .safetensors for PyTorch)")
    refuse_overwrite(out, overwrite)
    check_writable(out)
    if isinstance(preprocessing, str):
        if preprocessing not in PRESETS:
            raise InputError(f"unknown preprocessing {preprocessing!r}; expected one of {sorted(PRESETS)}")
        preprocessing = PRESETS[preprocessing]
    with open_weights(src) as weights:
        family = recognize(weights.shapes)
        own_config = weights.about.get("config", {})
        if num_classes is None:
            score = weights.shapes.get("score_fr.weight") if family == "pytorch-fcn" else None
            num_classes = score[0] if score else len(VOC_CLASSES)
        if class_names is None:
            named = own_config.get("class_names") or (VOC_CLASSES if num_classes == len(VOC_CLASSES) else None)
            class_names = list(named) if named and len(named) == num_classes else None
        make = partial(build, model_name, num_classes=num_classes, class_names=class_names, **config)
        with no_init():                 # no random draws (134 million for the paper's nets): shapes first
            model = make()
        model_shapes = {name: tuple(value.shape) for name, value, _ in model.named_parameters(include_frozen=True)}
        mapping = key_map(family, model_shapes)
        check_fit(mapping, weights.shapes, src.name, model_name)
        loaded = [name for name, source in mapping.sources.items() if source.key in weights.shapes]
        if len(loaded) < len(model_shapes):
            model = make()              # what the file lacks starts as a fresh model starts it
        for name in loaded:
            source = mapping.sources[name]
            # one parameter at a time; the model keeps the array it is given where the dtype is already its own
            array = weights.read(source.key)
            check_finite(src, source.key, array)
            model.load_matching({name: array.reshape(source.shape)})
    if preprocessing is None:
        preprocessing = (Preprocessing.from_meta(weights.about.get("meta", {})) if weights.about
                         else FAMILY_PREPROCESSING[family])
    meta = {"preprocessing": preprocessing.to_dict(), "source": src.name, "key_family": family}
    save_checkpoint(out, model, meta=meta)
    num_loaded = sum(math.prod(model_shapes[name]) for name in loaded)
    kept = list(dict.fromkeys(name.rsplit(".", 1)[0] for name in model_shapes if name not in loaded))
    return Imported(out, src, family, model_name, num_loaded, model.num_parameters(), kept, preprocessing,
                    model.class_names)

