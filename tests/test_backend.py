import pathlib
import re
import sys

import numpy as np
import pytest

from fcn_scratch import backend
from tests.helpers import cupy_without_a_gpu

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "fcn_scratch"
ARRAY_CODE = ["layers", "models", "optim", "functional", "gradcheck.py"]


def test_cpu_module_and_moves():
    x = np.arange(6.0)
    assert backend.xp_for("cpu") is np
    assert backend.get_array_module(x, 1.0) is np
    assert backend.device_of(x) == "cpu"
    assert backend.to_host(x) is x
    np.testing.assert_array_equal(backend.to_device(x, "cpu"), x)


def test_unknown_device():
    with pytest.raises(ValueError, match="unknown device 'tpu'; expected one of"):
        backend.xp_for("tpu")


def test_cuda_without_cupy_says_how_to_fix(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", None)
    with pytest.raises(backend.BackendError, match=r"needs CuPy, which is not installed.*\.\[gpu\]"):
        backend.xp_for("cuda")
    assert backend.cuda_available() is False


def test_cuda_with_cupy_but_no_gpu(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", cupy_without_a_gpu())
    with pytest.raises(backend.BackendError, match="CuPy is installed but no usable GPU.*no CUDA-capable"):
        backend.xp_for("cuda")


def test_default_dtype():
    assert backend.get_default_dtype() == np.float32
    with backend.default_dtype("float64"):
        assert backend.get_default_dtype() == np.float64
    assert backend.get_default_dtype() == np.float32
    with pytest.raises(TypeError, match="float32 or float64"):
        backend.set_default_dtype("int8")


def test_seeding_is_reproducible():
    backend.manual_seed(5)
    a = backend.global_rng().standard_normal(3)
    backend.manual_seed(5)
    np.testing.assert_array_equal(a, backend.global_rng().standard_normal(3))
    np.testing.assert_array_equal(backend.host_rng(1).random(2), backend.host_rng(1).random(2))


def test_gpu_round_trip(device):
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    d = backend.to_device(x, device)
    assert backend.device_of(d) == device
    np.testing.assert_array_equal(backend.to_host(d), x)


def test_array_code_never_imports_numpy_or_cupy():
    """Layers, models, optimizers and functional code take ``xp`` from the backend."""
    pattern = re.compile(r"^\s*(import\s+(numpy|cupy)|from\s+(numpy|cupy)[\s.])", re.M)
    offenders = []
    for entry in ARRAY_CODE:
        path = PACKAGE / entry
        for f in ([path] if path.is_file() else sorted(path.rglob("*.py"))):
            if pattern.search(f.read_text()):
                offenders.append(str(f.relative_to(PACKAGE)))
    assert offenders == []


def test_import_does_not_need_cupy():
    import subprocess
    code = "import sys; sys.modules['cupy'] = None; import fcn_scratch, fcn_scratch.layers; print('ok')"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr
