import numpy as np
import pytest

from fcn_scratch.gradcheck import check_layer, worst
from fcn_scratch.layers import Crop
from tests.helpers import host, on


def test_crop_and_backward(device, rng):
    x = rng.standard_normal((2, 3, 9, 10))
    crop = Crop((1, 2))
    y = host(crop(on(device, x), (5, 6)))
    np.testing.assert_array_equal(y, x[:, :, 1:6, 2:8])
    dx = host(crop.backward(on(device, np.ones((2, 3, 5, 6)))))
    assert dx.sum() == 2 * 3 * 5 * 6 and dx[:, :, 0].sum() == 0 and dx[:, :, :, :2].sum() == 0
    name, err, _ = worst(check_layer(Crop(2), on(device, x), (2, 3, 4, 4)))
    assert err < 1e-9


def test_crop_that_does_not_fit():
    with pytest.raises(ValueError, match=r"Crop at offset \(4, 4\) of size \(5, 5\) does not fit"):
        Crop(4)(np.zeros((1, 1, 8, 8), np.float32), (5, 5))
