import numpy as np
import pytest

from fcn_scratch.gradcheck import check_layer, numerical_gradient, relative_error, worst
from fcn_scratch.layers import Conv2d


def test_numerical_gradient_of_a_known_function():
    x = np.array([1.0, -2.0, 0.5])
    g = numerical_gradient(lambda: float((x ** 3).sum()), x)
    np.testing.assert_allclose(g, 3 * x ** 2, rtol=1e-9)
    np.testing.assert_array_equal(x, [1.0, -2.0, 0.5])


def test_needs_float64():
    with pytest.raises(TypeError, match="need float64"):
        numerical_gradient(lambda: 0.0, np.zeros(3, np.float32))


def test_relative_error_reports_where():
    a = np.zeros((2, 3))
    b = np.zeros((2, 3))
    a[1, 2], b[1, 2], a[0, 0], b[0, 0] = 1.0, 1.5, 2.0, 2.0
    err, where = relative_error(a, b)
    assert err == pytest.approx(0.25) and where == (1, 2)


def test_catches_a_wrong_backward():
    class Broken(Conv2d):
        def backward(self, grad_out):
            dx = super().backward(grad_out)
            self.grads["bias"] = self.grads["bias"] * 1.01
            return dx

    layer = Broken(2, 2, 3, dtype=np.float64, rng=np.random.default_rng(0))
    results = check_layer(layer, np.random.default_rng(1).standard_normal((1, 2, 5, 5)))
    name, err, _ = worst(results)
    assert name == "bias" and err > 1e-3
    assert results["weight"][0] < 1e-8
