"""ConvTranspose2d's fork: by phases (fast/phases.py) where they apply, held to the layer's textbook route
with the pieces of that route on and off; elsewhere the layer's own formulas, whatever is on."""
import numpy as np
import pytest

from fcn_scratch import fast
from fcn_scratch.layers import ConvTranspose2d
from tests.fast.helpers import all_but
from tests.helpers import host, on

# (C_in, C_out, kernel, stride, padding, output_padding): FCN's upsamplings and one with output padding
PHASE_SHAPES = [(3, 2, 4, 2, 0, 0), (2, 3, 16, 8, 0, 0), (3, 2, 6, 3, 0, 2)]
# ones the phases do not handle: padding, a stride that does not divide the kernel, stride 1
OTHER_SHAPES = [(2, 2, 3, 2, 1, 1), (3, 4, 3, 1, 1, 0), (2, 2, 4, 2, 1, 0)]


def _pass(layer, x, dy):
    y = host(layer(x)).copy()
    route = layer.cache[0]
    return route, [y, host(layer.backward(dy)), host(layer.grads["weight"]).copy(), host(layer.grads["bias"]).copy()]


def _layer(device, rng, c_in, c_out, k, s, p, op):
    layer = ConvTranspose2d(c_in, c_out, k, stride=s, padding=p, output_padding=op, rng=rng,
                            dtype=np.float64).to(device)
    layer.params["bias"][...] = on(device, rng.standard_normal(c_out))
    x = on(device, rng.standard_normal((5, c_in, 4, 5)))
    return layer, x, on(device, rng.standard_normal(layer(x).shape))


@pytest.mark.parametrize("off", [(), ("tall_first",), ("threads",)], ids=lambda o: "-".join(o) or "all_on")
@pytest.mark.parametrize("c_in,c_out,k,s,p,op", PHASE_SHAPES)
def test_the_phase_route_equals_the_textbook(split_small, device, rng, off, c_in, c_out, k, s, p, op):
    layer, x, dy = _layer(device, rng, c_in, c_out, k, s, p, op)
    with fast.enabled(False):
        textbook_route, textbook = _pass(layer, x, dy)
    with all_but(off):
        fast_route, fast_one = _pass(layer, x, dy)
    assert (textbook_route, fast_route) == ("textbook", "fast")
    for got, expected in zip(fast_one, textbook):
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("c_in,c_out,k,s,p,op", OTHER_SHAPES)
def test_where_the_phases_do_not_apply_the_layer_runs_its_own_formulas(device, rng, c_in, c_out, k, s, p, op):
    layer, x, dy = _layer(device, rng, c_in, c_out, k, s, p, op)
    assert not fast.conv_transpose_applies(layer, x)
    route, _ = _pass(layer, x, dy)
    assert route == "textbook"


def test_backward_follows_the_route_its_forward_took(rng):
    """Turning the tricks off between forward and backward must not mix the routes."""
    layer = ConvTranspose2d(2, 2, 4, stride=2, rng=rng, dtype=np.float64)
    x = rng.standard_normal((1, 2, 3, 3))
    dy = rng.standard_normal(layer(x).shape)
    with_phases = layer.backward(dy)
    layer(x)
    with fast.enabled(False):
        assert layer.cache[0] == "fast"
        np.testing.assert_allclose(layer.backward(dy), with_phases, rtol=1e-12, atol=1e-12)
