import numpy as np
import pytest

from fcn_scratch import fast
from fcn_scratch.functional import matmul_sum_batch
from tests.helpers import host, on


@pytest.mark.parametrize("n, p, q, length", [(1, 3, 5, 7), (4, 16, 144, 50), (3, 21, 84, 9), (2, 9, 2, 1)])
def test_tall_first_equals_the_sum_of_the_products(device, rng, n, p, q, length):
    a, b = rng.standard_normal((n, p, length)), rng.standard_normal((n, q, length))
    expected = sum(a[i] @ b[i].T for i in range(n))
    np.testing.assert_allclose(host(matmul_sum_batch(*on(device, a, b))), expected, rtol=1e-12, atol=1e-12)
    got = fast.matmul_sum_batch_tall_first(*on(device, a, b))
    assert got.shape == (p, q) and got.flags["C_CONTIGUOUS"]
    np.testing.assert_allclose(host(got), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("n, p, q, length", [(1, 3, 5, 7), (8, 256, 1152, 4), (3, 21, 84, 16), (2, 9, 2, 1)])
def test_one_product_equals_the_sum_of_the_products(device, rng, n, p, q, length):
    a, b = rng.standard_normal((n, p, length)), rng.standard_normal((n, q, length))
    expected = sum(a[i] @ b[i].T for i in range(n))
    got = fast.matmul_sum_batch_one_product(*on(device, a, b))
    assert got.shape == (p, q)
    np.testing.assert_allclose(host(got), expected, rtol=1e-12, atol=1e-11)


@pytest.mark.parametrize("length,off,route", [
    (16, (), "one_product"), (17, (), "tall_first"), (16, ("one_product",), "tall_first"),
    (16, ("one_product", "tall_first"), "textbook"), (17, ("tall_first",), "textbook")])
def test_the_picker_takes_one_product_on_small_maps_only(monkeypatch, rng, length, off, route):
    from fcn_scratch import functional
    from fcn_scratch.fast import matmul as fast_matmul
    taken = []
    for name, module in (("one_product", fast_matmul), ("tall_first", fast_matmul), ("textbook", functional)):
        attribute = "matmul_sum_batch" if name == "textbook" else f"matmul_sum_batch_{name}"
        real = getattr(module, attribute)
        monkeypatch.setattr(module, attribute, lambda a, b, real=real, name=name: taken.append(name) or real(a, b))
    a, b = rng.standard_normal((2, 3, length)), rng.standard_normal((2, 4, length))
    with fast.enabled(False, *off) if off else fast.enabled(True):
        got = fast.matmul_sum_batch(a, b)
    assert taken == [route]
    np.testing.assert_allclose(got, matmul_sum_batch(a, b), rtol=1e-12)


def test_keeps_float32(rng):
    a, b = (rng.standard_normal((2, 4, 6)).astype(np.float32) for _ in range(2))
    assert fast.matmul_sum_batch_tall_first(a, b).dtype == np.float32
    assert fast.matmul_sum_batch_one_product(a, b).dtype == np.float32
    assert matmul_sum_batch(a, b).dtype == np.float32
