"""Scale: y = factor * x, a constant, and its backward."""
import numpy as np
import pytest

from fcn_scratch import no_grad
from fcn_scratch.gradcheck import check_layer, worst
from fcn_scratch.layers import Scale
from tests.helpers import host, on


@pytest.mark.parametrize("factor,expected", [
    (0.5, [[0.5, -1.0], [1.5, 0.0]]),
    (1, [[1.0, -2.0], [3.0, 0.0]]),
    (0, [[0.0, 0.0], [0.0, 0.0]]),
    (-2, [[-2.0, 4.0], [-6.0, 0.0]]),
])
def test_forward_values(device, factor, expected):
    x = np.array([[1.0, -2.0], [3.0, 0.0]]).reshape(1, 1, 2, 2)
    y = host(Scale(factor)(on(device, x)))
    np.testing.assert_array_equal(y, np.reshape(expected, (1, 1, 2, 2)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_keeps_the_dtype_and_any_shape(device, rng, dtype):
    x = rng.standard_normal((2, 3, 5)).astype(dtype)
    y = Scale(0.0001)(on(device, x))
    assert y.shape == (2, 3, 5) and y.dtype == dtype                  # a float32 map is not upcast
    np.testing.assert_allclose(host(y), x * 0.0001, rtol=1e-6 if dtype == np.float32 else 1e-15)


@pytest.mark.parametrize("factor", [0.01, 1.0, -3.0])
def test_backward_equals_central_differences(device, rng, factor):
    x = on(device, rng.standard_normal((2, 3, 4, 5)))
    results = check_layer(Scale(factor), x)
    assert set(results) == {"input"}                                  # a constant: no parameter
    name, err, where = worst(results)
    assert err < 1e-8, f"{name} off by {err:.2e} at {where}"


def test_backward_values(device):
    scale = Scale(0.01)
    scale(on(device, np.zeros((1, 2, 2, 2), np.float32)))
    dx = host(scale.backward(on(device, np.full((1, 2, 2, 2), 3.0, np.float32))))
    assert dx.dtype == np.float32
    np.testing.assert_allclose(dx, np.full((1, 2, 2, 2), 0.03), rtol=1e-6)


def test_backward_is_the_adjoint_of_forward(device, rng):
    x = on(device, rng.standard_normal((2, 2, 6, 5)))
    y = on(device, rng.standard_normal((2, 2, 6, 5)))
    scale = Scale(-0.7)
    out = scale(x)
    dx = scale.backward(y)
    assert float((out * y).sum()) == pytest.approx(float((x * dx).sum()), rel=1e-12)


def test_backward_needs_a_forward_with_grad():
    scale = Scale(2)
    with pytest.raises(RuntimeError, match="Scale.backward called before forward"):
        scale.backward(np.ones(3))
    with no_grad():
        assert scale(np.ones(3)).tolist() == [2.0, 2.0, 2.0]
    with pytest.raises(RuntimeError, match="Scale.backward called before forward"):
        scale.backward(np.ones(3))


def test_refuses_integers_and_shows_its_factor():
    with pytest.raises(TypeError, match="floating-point input"):
        Scale(2)(np.ones((1, 1, 2, 2), np.int64))
    assert repr(Scale(0.0001)) == "Scale(factor=0.0001)"
    assert Scale(1).params == {}
