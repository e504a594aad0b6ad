import numpy as np
import pytest

from fcn_scratch.layers import Dropout
from tests.helpers import host, on


def test_train_mode_scales_and_reuses_mask(device):
    drop = Dropout(0.25, seed=3)
    x = on(device, np.ones((4, 8, 16, 16), np.float32))
    y = host(drop(x))
    assert set(np.unique(y)) <= {0.0, np.float32(1 / 0.75)}
    assert abs((y == 0).mean() - 0.25) < 0.02
    assert abs(y.mean() - 1.0) < 0.03
    dx = host(drop.backward(on(device, np.full((4, 8, 16, 16), 2.0, np.float32))))
    np.testing.assert_array_equal(dx, 2 * y)


def test_eval_mode_is_identity(device):
    drop = Dropout(0.5).eval()
    x = on(device, np.arange(6, dtype=np.float32).reshape(1, 1, 2, 3))
    np.testing.assert_array_equal(host(drop(x)), host(x))
    np.testing.assert_array_equal(host(drop.backward(x)), host(x))


def test_seed_fixes_masks():
    a = Dropout(0.5, seed=9)(np.ones((100,), np.float32))
    b = Dropout(0.5, seed=9)(np.ones((100,), np.float32))
    np.testing.assert_array_equal(a, b)


def test_bad_probability():
    with pytest.raises(ValueError, match=r"in \[0, 1\)"):
        Dropout(1.0)


def test_gradient_check_with_a_fixed_mask(device):
    """Re-seeding before every forward makes the mask fixed, so the numerical gradient is defined."""
    from fcn_scratch.gradcheck import check_layer, worst

    class FixedMask(Dropout):
        def forward(self, x):
            self.rng = np.random.default_rng(self.seed)
            return super().forward(x)

    x = on(device, np.random.default_rng(0).standard_normal((2, 3, 4, 5)))
    name, err, where = worst(check_layer(FixedMask(0.3, seed=1), x))
    assert err < 1e-8, f"{name} gradient off by {err:.2e} at {where}"


def test_the_mask_stream_continues_from_a_saved_state(device):
    x = on(device, np.ones((3, 50), np.float32))
    drop = Dropout(0.5, seed=4)
    drop(x)
    state = drop.rng_state()
    expected = host(drop(x))
    again = Dropout(0.5, seed=4)
    again.set_rng_state(state)
    np.testing.assert_array_equal(host(again(x)), expected)


def test_the_same_seed_gives_the_same_masks_on_every_device():
    cpu = Dropout(0.5, seed=2)(np.ones((40,), np.float32))
    cuda = Dropout(0.5, seed=2)(on("cuda", np.ones((40,), np.float32)))
    np.testing.assert_array_equal(host(cuda), cpu)
