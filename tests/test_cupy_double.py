"""The CuPy stand-in catches the slips real CuPy catches, and accepts correct CuPy code.

Runs only where the stand-in is the "cuda" of the tests (no real GPU): it is what it checks.
"""
import sys

import numpy as np
import pytest

from tests.conftest import STAND_IN

cupy = pytest.importorskip("cupy")
pytestmark = pytest.mark.skipif(not getattr(cupy, "STAND_IN", False), reason="a real GPU runs the cuda tests")


@pytest.fixture
def d():
    return cupy.asarray(np.arange(12.0).reshape(3, 4))


def test_device_arrays_are_their_own_class(d):
    assert type(d).__module__ == "cupy" and not isinstance(d, np.ndarray)
    assert sys.modules["cupy"].__file__.startswith(str(STAND_IN))


@pytest.mark.parametrize("slip", [
    lambda d: np.asarray(d),
    lambda d: np.array([d]),
    lambda d: d + np.ones(4),
    lambda d: np.ones(4) * d,
    lambda d: cupy.maximum(d, np.zeros(4)),
    lambda d: cupy.multiply(d, 2, out=np.empty((3, 4))),
    lambda d: cupy.matmul(d, np.ones((4, 2))),
    lambda d: cupy.add(d, [1, 2, 3, 4]),
    lambda d: cupy.unravel_index(7, (3, 4)),
], ids=["numpy.asarray", "numpy.array", "host operand", "host on the left", "ufunc", "out=",
        "function", "list to a ufunc", "unravel_index of an int"])
def test_host_data_where_cupy_wants_device_data_raises_type_error(d, slip):
    with pytest.raises(TypeError):
        slip(d)


def test_implicit_conversion_names_the_way_out(d):
    with pytest.raises(TypeError, match=r"Implicit conversion to a NumPy array is not allowed.*\.get\(\)"):
        np.asarray(d)
    with pytest.raises(TypeError, match="Unsupported type <class 'numpy.ndarray'>"):
        d - np.ones(4)


def test_plotting_and_images_refuse_device_arrays(d):
    from matplotlib.figure import Figure
    from PIL import Image
    with pytest.raises(TypeError):
        Figure().subplots().imshow(d)
    with pytest.raises((TypeError, AttributeError)):      # Pillow asks for __array_interface__, which CuPy lacks
        Image.fromarray(d)


def test_assigning_a_host_array_raises_value_error(d):
    with pytest.raises(ValueError, match="non-scalar numpy.ndarray cannot be used for fill"):
        d[0] = np.ones(4)


def test_only_cupys_names_exist(d):
    with pytest.raises(AttributeError, match="has no attribute 'float128'"):
        cupy.float128
    with pytest.raises(AttributeError, match="has no attribute 'nditer'"):
        cupy.nditer
    with pytest.raises(AttributeError, match="'cupy.ndarray' object has no attribute 'resize'"):
        d.resize
    with pytest.raises(AttributeError, match="'cupy.ufunc' object has no attribute 'resolve_dtypes'"):
        cupy.add.resolve_dtypes
    assert callable(cupy.add.reduce) and callable(cupy.lib.stride_tricks.as_strided)


def test_correct_cupy_code_runs(d):
    total = (d * 2 + 1).sum()
    assert type(total) is type(d) and total.shape == ()
    assert float(total) == 144.0 and int(d[1, 2]) == 6 and bool(d[0, 1]) and d[2, 3].item() == 11.0
    np.testing.assert_array_equal(d[np.array([0, 2])].get(), np.arange(12.0).reshape(3, 4)[[0, 2]])
    assert float((np.float32(2) - d)[0, 0]) == 2.0
    out = cupy.empty((3, 4))
    assert cupy.multiply(d, 2, out=out) is out
    d[0] = 5.0
    d[1] = d[2]
    np.testing.assert_array_equal(cupy.asnumpy(d)[:2], [[5.0] * 4, [8.0, 9.0, 10.0, 11.0]])
    view = d[2]
    view *= 0
    assert float(d[2].sum()) == 0.0
    assert cupy.get_array_module(d) is cupy and cupy.get_array_module(np.ones(1)) is np
    cupy.cuda.Device().synchronize()
    assert cupy.cuda.runtime.getDeviceCount() == 1


def test_random_stream_differs_from_numpys():
    mine = cupy.random.default_rng(0).random((5,), dtype=np.float32)
    assert type(mine).__module__ == "cupy"
    assert not np.array_equal(mine.get(), np.random.default_rng(0).random((5,), dtype=np.float32))
    np.testing.assert_array_equal(cupy.random.default_rng(0).random((5,), dtype=np.float32).get(), mine.get())
