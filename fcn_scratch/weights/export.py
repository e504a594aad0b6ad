"""Weights out: a checkpoint's parameters with PyTorch's names and layouts, for PyTorch users.

Our state dict already is PyTorch's: the same names (``conv1_1.weight`` ... ``upscore8.weight``)
and layouts (Conv2d (out, in, kh, kw), ConvTranspose2d (in, out, kh, kw)), so the file loads
into the equivalent PyTorch module with ``load_state_dict(strict=True)``; a reference-geometry
model into pytorch-fcn's FCN8s. Arrays are written float32 and contiguous, as PyTorch keeps them.
"""
import json
from pathlib import Path

import numpy as np

from ..checkpoint import check_finite
from ..data import Preprocessing
from ..errors import InputError
from ..files import check_writable, refuse_overwrite, write_atomically
from ..npz import save_npz
from .read import ABOUT_KEY, open_weights

FORMATS = (".safetensors", ".npz")


def export(checkpoint_path, out, overwrite=False):
    """Write ``checkpoint_path``'s parameters to ``out``: ``.safetensors`` (with the model, its
    configuration and input preprocessing as metadata, so that ``import_weights`` gets them back),
    or ``.npz`` (arrays only). Returns ``{name: shape}`` of what was written."""
    checkpoint_path, out = Path(checkpoint_path), Path(out)
    if out.suffix.lower() not in FORMATS:
        raise InputError(f"{out}: cannot tell the format from {out.suffix!r}; name it .safetensors or .npz")
    refuse_overwrite(out, overwrite)
    check_writable(out)
    with open_weights(checkpoint_path) as weights:
        if not weights.about:
            raise InputError(f"{checkpoint_path} is not an fcn-scratch checkpoint (it does not say which model "
                             "it holds)")
        arrays = {name: np.ascontiguousarray(weights.read(name), dtype=np.float32) for name in weights.shapes}
    for name, array in arrays.items():
        check_finite(checkpoint_path, name, array)
    about = {"model": weights.about["model"], "config": weights.about["config"],
             "meta": {"preprocessing": Preprocessing.from_meta(weights.about["meta"]).to_dict()}}
    if out.suffix.lower() == ".safetensors":
        from safetensors.numpy import save_file
        write_atomically(out, lambda path: save_file(arrays, path, metadata={ABOUT_KEY: json.dumps(about)}))
    else:
        write_atomically(out, lambda path: save_npz(path, arrays))
    return {name: array.shape for name, array in arrays.items()}
