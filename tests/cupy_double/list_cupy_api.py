"""Write ``cupy_api.json``: the names real CuPy has, for the stand-in in ``cupy/`` to allow and no others.

CuPy imports without a GPU, so this runs on any machine:

    pip install --target /tmp/cupysite cupy-cuda12x cuda-pathfinder fastrlock
    PYTHONPATH=/tmp/cupysite python tests/cupy_double/list_cupy_api.py
"""
import json
import pathlib

import cupy


def public(obj):
    return sorted(name for name in dir(obj) if not name.startswith("_"))


def kinds():
    """Each public top-level name of cupy, by what it is: ufunc, function, module, type or value."""
    out = {}
    for name in public(cupy):
        value = getattr(cupy, name)
        if isinstance(value, cupy.ufunc):
            out[name] = "ufunc"
        elif type(value).__name__ == "module":
            out[name] = "module"
        elif isinstance(value, type):
            out[name] = "type"
        elif callable(value):
            out[name] = "function"
        else:
            out[name] = "value"
    return out


api = {
    "version": cupy.__version__,
    "cupy": kinds(),
    "ndarray": public(cupy.ndarray),
    "ufunc": public(cupy.add),
    "random": public(cupy.random),
    "random.Generator": public(cupy.random.Generator),
    "lib.stride_tricks": public(cupy.lib.stride_tricks),
    "cuda": public(cupy.cuda),
    "cuda.runtime": public(cupy.cuda.runtime),
    "cuda.Device": public(cupy.cuda.Device),
    "linalg": public(cupy.linalg),
}
path = pathlib.Path(__file__).with_name("cupy_api.json")
path.write_text(json.dumps(api, indent=1, sort_keys=True) + "\n")
print(f"wrote {path}: CuPy {api['version']}, {len(api['cupy'])} top-level names")
