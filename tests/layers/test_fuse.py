"""Fuse: the sum of two maps on one grid, the larger cropped to the smaller, and its backward."""
import numpy as np
import pytest

from fcn_scratch import no_grad
from fcn_scratch.gradcheck import numerical_gradient, relative_error
from fcn_scratch.layers import Fuse
from tests.helpers import host, on


def numeric_fuse_gradients(fuse, a, b, g):
    """Central differences of ``sum(fuse(a, b) * g)`` with respect to ``a`` and to ``b``."""
    def loss():
        return float((fuse.forward(a, b) * g).sum())
    return numerical_gradient(loss, a), numerical_gradient(loss, b)


def test_positive_offset_crops_the_first(device):
    a = np.arange(16.0).reshape(1, 1, 4, 4)
    b = np.array([[100.0, 200.0], [300.0, 400.0]]).reshape(1, 1, 2, 2)
    y = host(Fuse(1)(*on(device, a, b)))
    np.testing.assert_array_equal(y, [[[[105.0, 206.0], [309.0, 410.0]]]])


def test_zero_offset_takes_the_top_left_corner(device):
    a = np.arange(16.0).reshape(1, 1, 4, 4)
    b = np.array([[100.0, 200.0], [300.0, 400.0]]).reshape(1, 1, 2, 2)
    y = host(Fuse(0)(*on(device, a, b)))
    np.testing.assert_array_equal(y, [[[[100.0, 201.0], [304.0, 405.0]]]])


def test_negative_offset_crops_the_second(device):
    a = np.array([[100.0, 200.0], [300.0, 400.0]]).reshape(1, 1, 2, 2)
    b = np.arange(16.0).reshape(1, 1, 4, 4)
    y = host(Fuse(-1)(*on(device, a, b)))
    np.testing.assert_array_equal(y, [[[[105.0, 206.0], [309.0, 410.0]]]])
    y = host(Fuse(-2)(*on(device, a, b)))
    np.testing.assert_array_equal(y, [[[[110.0, 211.0], [314.0, 415.0]]]])


@pytest.mark.parametrize("offset", [2, 0, -3])
def test_output_has_the_smaller_size_and_matches_slicing(device, rng, offset):
    big = rng.standard_normal((2, 3, 9, 11)).astype(np.float32)
    small = rng.standard_normal((2, 3, 4, 6)).astype(np.float32)
    o = abs(offset)
    window = big[:, :, o:o + 4, o:o + 6]
    a, b = (big, small) if offset >= 0 else (small, big)
    y = Fuse(offset)(*on(device, a, b))
    assert y.shape == (2, 3, 4, 6) and y.dtype == np.float32
    np.testing.assert_array_equal(host(y), window + small)


def test_maps_that_do_not_fit_or_differ_in_channels_are_refused():
    with pytest.raises(ValueError, match=r"Crop at offset \(2, 2\) of size \(3, 3\) does not fit"):
        Fuse(2)(np.zeros((1, 1, 4, 4)), np.zeros((1, 1, 3, 3)))
    with pytest.raises(ValueError, match=r"Crop at offset \(1, 1\) of size \(4, 4\) does not fit"):
        Fuse(-1)(np.zeros((1, 1, 4, 4)), np.zeros((1, 1, 4, 4)))
    with pytest.raises(ValueError, match=r"Fuse adds maps of one batch, channels and dtype; got \(1, 2, 4, 4\)"):
        Fuse(0)(np.zeros((1, 2, 4, 4)), np.zeros((1, 3, 4, 4)))
    with pytest.raises(ValueError, match="one batch"):
        Fuse(1)(np.zeros((2, 1, 4, 4)), np.zeros((1, 1, 2, 2)))
    with pytest.raises(ValueError, match="float32"):
        Fuse(0)(np.zeros((1, 1, 4, 4)), np.zeros((1, 1, 4, 4), np.float32))


@pytest.mark.parametrize("offset", [3, 1, 0, -1, -2])
def test_backward_hands_the_gradient_to_both(device, offset):
    big, small = (1, 2, 7, 8), (1, 2, 3, 4)
    a_shape, b_shape = (big, small) if offset >= 0 else (small, big)
    fuse = Fuse(offset)
    fuse(*on(device, np.zeros(a_shape), np.zeros(b_shape)))
    dy = np.arange(1.0, 25.0).reshape(small)
    da, db = (host(d) for d in fuse.backward(on(device, dy)))
    assert da.shape == a_shape and db.shape == b_shape
    cropped, whole = (da, db) if offset >= 0 else (db, da)
    o = abs(offset)
    np.testing.assert_array_equal(whole, dy)
    np.testing.assert_array_equal(cropped[:, :, o:o + 3, o:o + 4], dy)
    assert cropped.sum() == dy.sum()                         # zeros outside the window


@pytest.mark.parametrize("offset", [2, 0, -3])
def test_backward_equals_central_differences(device, rng, offset):
    big = on(device, rng.standard_normal((2, 2, 8, 7)))
    small = on(device, rng.standard_normal((2, 2, 3, 4)))
    a, b = (big, small) if offset >= 0 else (small, big)
    g = on(device, rng.standard_normal((2, 2, 3, 4)))
    fuse = Fuse(offset)
    fuse(a, b)
    da, db = fuse.backward(g)
    na, nb = numeric_fuse_gradients(Fuse(offset), a, b, g)
    for exact, numeric in ((da, na), (db, nb)):
        err, where = relative_error(exact, numeric)
        assert err < 1e-8, f"off by {err:.2e} at {where}"
        assert float(abs(numeric).max()) > 0.1


@pytest.mark.parametrize("offset", [5, 1, 0, -1, -4])
def test_backward_is_the_adjoint_of_forward(device, rng, offset):
    """<fuse(a, b), y> = <a, da(y)> + <b, db(y)> for any a, b, y: backward is forward's transpose."""
    big = on(device, rng.standard_normal((3, 2, 11, 12)))
    small = on(device, rng.standard_normal((3, 2, 5, 6)))
    a, b = (big, small) if offset >= 0 else (small, big)
    y = on(device, rng.standard_normal((3, 2, 5, 6)))
    fuse = Fuse(offset)
    out = fuse(a, b)
    da, db = fuse.backward(y)
    left = float((out * y).sum())
    right = float((a * da).sum()) + float((b * db).sum())
    assert abs(left) > 1.0
    assert left == pytest.approx(right, rel=1e-12, abs=1e-12)


def test_backward_after_a_forward_under_no_grad_raises():
    fuse = Fuse(1)
    with pytest.raises(RuntimeError, match="backward called before forward"):
        fuse.backward(np.ones((1, 1, 2, 2)))
    fuse(np.ones((1, 1, 4, 4)), np.ones((1, 1, 2, 2)))
    with no_grad():
        fuse(np.ones((1, 1, 4, 4)), np.ones((1, 1, 2, 2)))
    with pytest.raises(RuntimeError, match=r"after a forward inside fcn_scratch.no_grad\(\)"):
        fuse.backward(np.ones((1, 1, 2, 2)))


def test_repr_shows_the_signed_offset():
    assert repr(Fuse(-9)) == "Fuse(offset=-9)" and Fuse(-9).crop.offset == (9, 9)
