"""Shared fixtures: every test that takes ``device`` runs on NumPy, and on CuPy when a GPU is there."""
import numpy as np
import pytest

from fcn_scratch import backend

_cuda = None


def cuda_ok():
    global _cuda
    if _cuda is None:
        _cuda = backend.cuda_available()
    return _cuda


@pytest.fixture(params=["cpu", pytest.param("cuda", marks=pytest.mark.gpu)])
def device(request):
    """The device name; the 'cuda' case skips cleanly without CuPy and a GPU."""
    if request.param == "cuda" and not cuda_ok():
        pytest.skip("needs CuPy and a CUDA GPU (pip install -e '.[gpu]')")
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
