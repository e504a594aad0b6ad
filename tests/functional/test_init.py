import numpy as np
import pytest

from fcn_scratch import backend
from fcn_scratch.functional import bilinear_kernel, kaiming_normal, zeros


def test_kaiming_normal_has_he_variance():
    w = kaiming_normal((64, 32, 3, 3), 32 * 9, np.random.default_rng(0))
    assert w.dtype == np.float32
    assert abs(w.std() - np.sqrt(2 / 288)) < 0.02 * np.sqrt(2 / 288)
    assert abs(w.mean()) < 0.005


def test_kaiming_normal_is_seeded():
    a = kaiming_normal((4, 3), 3, np.random.default_rng(7))
    b = kaiming_normal((4, 3), 3, np.random.default_rng(7))
    np.testing.assert_array_equal(a, b)


def test_dtype_follows_default():
    with backend.default_dtype("float64"):
        assert zeros((2,)).dtype == np.float64
    assert zeros((2,)).dtype == np.float32
    with pytest.raises(TypeError, match="float32 or float64"):
        zeros((2,), dtype=np.int32)


def test_bilinear_kernel_values():
    w = bilinear_kernel(2, 2, 4)
    tent = np.array([0.25, 0.75, 0.75, 0.25])
    np.testing.assert_allclose(w[0, 0], np.outer(tent, tent))
    np.testing.assert_allclose(w[1, 1], np.outer(tent, tent))
    assert not w[0, 1].any() and not w[1, 0].any()
    odd = bilinear_kernel(1, 1, 3)[0, 0]
    np.testing.assert_allclose(odd[1], [0.5, 1.0, 0.5])


def test_bilinear_kernel_needs_same_channels():
    with pytest.raises(ValueError, match="in_channels=2 != out_channels=3"):
        bilinear_kernel(2, 3, 4)
