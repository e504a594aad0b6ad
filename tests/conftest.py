"""Shared fixtures: every test that takes ``device`` runs on NumPy and on "cuda": real CuPy where a GPU
is there, the strict CuPy stand-in of ``tests/cupy_double`` everywhere else; and every test runs in
an empty folder of its own, so that what the current folder holds (a ``runs/`` of the README's
training) changes no result, and no test writes there."""
import os
import pathlib
import sys

import numpy as np
import pytest

from fcn_scratch import backend

STAND_IN = pathlib.Path(__file__).resolve().parent / "cupy_double"
ROOT = STAND_IN.parents[1]


def _real_gpu():
    """A description of the real CuPy and GPU, or None when there is none to use."""
    try:
        import cupy
        if cupy.cuda.runtime.getDeviceCount() < 1:
            return None
        name = cupy.cuda.runtime.getDeviceProperties(0)["name"]
        return f"CuPy {cupy.__version__} on {name.decode() if isinstance(name, bytes) else name}"
    except Exception:
        return None


def _use_the_stand_in():
    """Make ``import cupy`` find the stand-in, here and in the subprocesses tests start."""
    for name in [m for m in sys.modules if m == "cupy" or m.startswith("cupy.")]:
        del sys.modules[name]
    sys.path.insert(0, str(STAND_IN))
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(STAND_IN), os.environ.get("PYTHONPATH")]))


# Subprocesses started from a test's own folder find the package where an editable install does not.
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
CUDA = _real_gpu()
if CUDA is None:
    _use_the_stand_in()
    CUDA = "CuPy stand-in (tests/cupy_double), not a GPU"


def pytest_report_header(config):
    return f"cuda tests: {CUDA}"


def pytest_terminal_summary(terminalreporter):
    """The same line at the end, where ``pytest -q`` (which drops the header) shows it too."""
    terminalreporter.write_line(f"cuda tests: {CUDA}")


@pytest.fixture(autouse=True)
def own_folder(tmp_path_factory, monkeypatch):
    """Run the test in an empty folder of its own (not its ``tmp_path``, which it may list)."""
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))


@pytest.fixture(params=["cpu", pytest.param("cuda", marks=pytest.mark.gpu)])
def device(request):
    """The device name: "cpu", or "cuda" (a real GPU, or the CuPy stand-in; see the report header)."""
    return request.param


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


@pytest.fixture
def float64():
    """Run a test with float64 as the default dtype (gradient checks)."""
    with backend.default_dtype(np.float64):
        yield


@pytest.fixture(params=["fast", "textbook"])
def route(request):
    """Run a test with every trick of ``fcn_scratch.fast`` on, and again with all of them off."""
    from fcn_scratch import fast
    with fast.enabled(request.param == "fast"):
        yield request.param
