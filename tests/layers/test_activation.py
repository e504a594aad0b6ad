import numpy as np
import pytest

from fcn_scratch.gradcheck import check_layer, worst
from fcn_scratch.layers import ReLU
from tests.helpers import host, on


def test_values_and_gradient(device, rng):
    relu = ReLU()
    x = np.array([[-2.0, -0.0, 0.5, 3.0]])
    np.testing.assert_array_equal(host(relu(on(device, x))), [[0, 0, 0.5, 3.0]])
    np.testing.assert_array_equal(host(relu.backward(on(device, np.ones_like(x)))), [[0, 0, 1, 1]])
    away_from_kink = rng.standard_normal((2, 3, 4, 5))
    away_from_kink += np.sign(away_from_kink) * 0.1
    name, err, where = worst(check_layer(ReLU(), on(device, away_from_kink)))
    assert err < 1e-9


def test_keeps_dtype():
    assert ReLU()(np.ones((1, 2), np.float32)).dtype == np.float32


def test_rejects_integers():
    with pytest.raises(TypeError, match="floating-point input"):
        ReLU()(np.ones((2, 2), np.int32))


def test_inplace_writes_over_its_input_and_gradient_with_the_same_values(device, rng):
    x = on(device, rng.standard_normal((2, 3, 4, 5)))
    dy = on(device, rng.standard_normal((2, 3, 4, 5)))
    plain = ReLU()
    y, dx = host(plain(x)), host(plain.backward(dy))
    inplace = ReLU(inplace=True)
    x2, dy2 = x.copy(), dy.copy()
    y2 = inplace(x2)
    assert y2 is x2
    np.testing.assert_array_equal(host(y2), y)
    dx2 = inplace.backward(dy2)
    assert dx2 is dy2
    np.testing.assert_array_equal(host(dx2), dx)
    assert "inplace=True" in repr(inplace)
