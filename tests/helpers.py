"""Helpers shared by the tests."""
import sys

import numpy as np
from PIL import Image

from fcn_scratch import backend


def on(device, *arrays):
    """Move host arrays to ``device``; one array in, one out."""
    moved = tuple(backend.to_device(a, device) for a in arrays)
    return moved[0] if len(moved) == 1 else moved


def host(array):
    return backend.to_host(array)


def cupy_without_a_gpu():
    """A CuPy module whose runtime finds no device, as CuPy on a machine without a GPU (for sys.modules)."""
    def no_device():
        raise RuntimeError("cudaErrorNoDevice: no CUDA-capable device is detected")
    cupy = type(sys)("cupy")
    cupy.cuda = type(sys)("cupy.cuda")
    cupy.cuda.runtime = type(sys)("cupy.cuda.runtime")
    cupy.cuda.runtime.getDeviceCount = no_device
    return cupy


def write_sbd_folder(root, sizes, train=None, val=(), classes=21, seed=0):
    """An SBD folder as SBD stores one: for each ``{id: (H, W)}`` of ``sizes`` a random JPEG in img/ and
    random labels 0..classes-1 as GTcls.Segmentation (uint8) in cls/<id>.mat; the lists train.txt (default:
    every id) and val.txt. Returns ``{id: labels (H, W) uint8}``. Needs scipy (the extra ``sbd``)."""
    from scipy.io import savemat                # only the tests of SBD folders need scipy
    rng = np.random.default_rng(seed)
    (root / "img").mkdir(parents=True, exist_ok=True)
    (root / "cls").mkdir(exist_ok=True)
    labels = {}
    for name, (h, w) in sizes.items():
        Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(root / "img" / f"{name}.jpg")
        labels[name] = rng.integers(0, classes, (h, w)).astype(np.uint8)
        savemat(root / "cls" / f"{name}.mat", {"GTcls": {"Segmentation": labels[name],
                                                         "Boundaries": np.zeros(classes)}})
    (root / "train.txt").write_text("".join(f"{n}\n" for n in (sizes if train is None else train)))
    (root / "val.txt").write_text("".join(f"{n}\n" for n in val))
    return labels
