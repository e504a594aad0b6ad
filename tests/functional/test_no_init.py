"""no_init(): the initializers hand out zeros of the right shape and dtype, drawing nothing."""
import threading
import warnings

import numpy as np
import pytest

from fcn_scratch import backend
from fcn_scratch.functional import bilinear_kernel, init, kaiming_normal, no_init, zeros
from fcn_scratch.models import build

SMALL = dict(widths=(4, 8, 8, 8, 8), convs_per_block=1, fc_channels=16, dropout=0.0)


class _NaNHost:
    """NumPy, except that ``empty`` hands out NaNs: uninitialized memory made visible and repeatable."""

    def __getattr__(self, name):
        return getattr(np, name)

    @staticmethod
    def empty(shape, dtype=float):
        return np.full(shape, np.nan, dtype)


@pytest.fixture
def nan_memory(monkeypatch):
    monkeypatch.setattr(init, "_host", _NaNHost())


@pytest.mark.parametrize("dtype", [None, np.float32, np.float64, "float64"])
def test_shapes_and_dtypes_are_those_of_the_filled_arrays(dtype):
    filled_w = kaiming_normal((6, 3, 3, 3), 27, np.random.default_rng(0), dtype)
    filled_z = zeros((5, 2), dtype)
    with no_init():
        w = kaiming_normal((6, 3, 3, 3), 27, np.random.default_rng(0), dtype)
        z = zeros((5, 2), dtype)
    assert (w.shape, w.dtype) == (filled_w.shape, filled_w.dtype) == ((6, 3, 3, 3), filled_w.dtype)
    assert (z.shape, z.dtype) == (filled_z.shape, filled_z.dtype) == ((5, 2), filled_z.dtype)
    assert w.flags.c_contiguous and w.flags.writeable


def test_the_default_dtype_still_decides():
    with backend.default_dtype("float64"), no_init():
        assert kaiming_normal((2, 2), 2, np.random.default_rng(0)).dtype == np.float64
        assert zeros((3,)).dtype == np.float64
    with no_init():
        assert zeros((3,)).dtype == np.float32
        with pytest.raises(TypeError, match="float32 or float64"):
            zeros((2,), dtype=np.int32)


def test_nothing_is_drawn_inside(nan_memory):
    rng = np.random.default_rng(3)
    with no_init():
        w = kaiming_normal((4, 4), 4, rng)
        z = zeros((4,))
    assert not w.any() and not z.any()
    # the generator was not advanced: the next draw is the first one of a fresh generator
    np.testing.assert_array_equal(rng.standard_normal(3), np.random.default_rng(3).standard_normal(3))
    assert np.isfinite(kaiming_normal((4, 4), 4, rng)).all() and kaiming_normal((4, 4), 4, rng).std() > 0.1


def test_a_pass_through_a_model_built_inside_computes_on_zeros(nan_memory):
    """summary builds its model inside no_init(): its pass must not compute on leftover memory (NaN,
    overflow warnings)."""
    with no_init():
        model = build("fcn8s", num_classes=3, rng=np.random.default_rng(0), **SMALL).eval()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = model(np.ones((1, 3, 40, 36), np.float32))
    assert np.isfinite(out).all()


def draws():
    """Whether an initializer draws here (outside no_init) or hands out zeros (inside)."""
    return bool(kaiming_normal((2, 2), 2, np.random.default_rng(0)).any())


def test_nesting_and_exceptions_restore():
    assert draws()
    with no_init():
        with no_init():
            pass
        assert not draws()                  # leaving the inner block does not draw again
    assert draws()
    with pytest.raises(RuntimeError):
        with no_init():
            raise RuntimeError("boom")
    assert draws()


def test_it_holds_per_thread():
    seen = {}
    with no_init():
        thread = threading.Thread(target=lambda: seen.setdefault("draws", draws()))
        thread.start()
        thread.join()
        assert not draws()
    assert seen == {"draws": True}


def test_the_bilinear_kernel_is_exact_inside():
    """A bilinear kernel is a constant, not a draw: no_init has nothing to skip in it."""
    expected = np.zeros((3, 3, 4, 4), np.float32)
    tent = np.array([0.25, 0.75, 0.75, 0.25])
    for c in range(3):
        expected[c, c] = np.outer(tent, tent)
    with no_init():
        kernel = bilinear_kernel(3, 3, 4)
    np.testing.assert_array_equal(kernel, expected)


@pytest.mark.parametrize("name", ["fcn32s", "fcn16s", "fcn8s"])
def test_a_model_built_inside_then_loaded_equals_its_source(name):
    source = build(name, num_classes=3, rng=np.random.default_rng(0), **SMALL).eval()
    rng = np.random.default_rng(1)
    for _, value, _ in source.named_parameters(include_frozen=True):
        if not value.any():
            value[...] = rng.standard_normal(value.shape) * 0.1
    with no_init():
        empty = build(name, num_classes=3, rng=np.random.default_rng(5), **SMALL).eval()
    assert not empty.conv1_1.params["weight"].any()              # nothing was drawn
    empty.load_state_dict(source.state_dict())
    for (n, a, _), (_, b, _) in zip(source.named_parameters(True), empty.named_parameters(True)):
        np.testing.assert_array_equal(a, b, err_msg=n)
    x = np.random.default_rng(2).standard_normal((2, 3, 37, 41)).astype(np.float32)
    expected = source(x)
    got = empty(x)
    assert np.isfinite(got).all() and np.abs(expected).max() > 1e-3
    np.testing.assert_array_equal(got, expected)
