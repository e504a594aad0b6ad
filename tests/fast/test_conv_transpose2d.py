"""ConvTranspose2d's fast route (fast/conv_transpose2d.py), held to the layer's textbook route, by phases
and, where they do not apply or are off, sample by sample."""
import numpy as np
import pytest

from fcn_scratch import fast
from fcn_scratch.layers import ConvTranspose2d
from tests.fast.helpers import all_but
from tests.helpers import host, on

# (C_in, C_out, kernel, stride, padding, output_padding): FCN's upsamplings (phases), and ones they skip
SHAPES = [(3, 2, 4, 2, 0, 0), (2, 3, 16, 8, 0, 0), (3, 2, 6, 3, 0, 2), (2, 2, 3, 2, 1, 1), (3, 4, 3, 1, 1, 0)]


@pytest.mark.parametrize("off", [(), ("phases",), ("tall_first",), ("threads",)], ids=lambda o: "-".join(o) or "all_on")
@pytest.mark.parametrize("c_in,c_out,k,s,p,op", SHAPES)
def test_the_fast_route_equals_the_textbook(split_small, device, rng, off, c_in, c_out, k, s, p, op):
    layer = ConvTranspose2d(c_in, c_out, k, stride=s, padding=p, output_padding=op, rng=rng,
                            dtype=np.float64).to(device)
    layer.params["bias"][...] = on(device, rng.standard_normal(c_out))
    x = on(device, rng.standard_normal((5, c_in, 4, 5)))
    dy = on(device, rng.standard_normal(layer(x).shape))
    results = []
    for tricks in (fast.enabled(False), all_but(off)):
        with tricks:
            y = host(layer(x)).copy()
            assert layer.cache[0] == ("fast" if fast.conv_transpose_applies(layer, x) else "textbook")
            results.append([y, host(layer.backward(dy)), host(layer.grads["weight"]).copy(),
                            host(layer.grads["bias"]).copy()])
    assert device == "cuda" or layer.cache[0] == "fast"          # on the CPU the threads apply, at the least
    for got, expected in zip(*reversed(results)):
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_backward_follows_the_route_its_forward_took(rng):
    """Turning the tricks off between forward and backward must not mix the routes."""
    layer = ConvTranspose2d(2, 2, 4, stride=2, rng=rng, dtype=np.float64)
    x = rng.standard_normal((1, 2, 3, 3))
    dy = rng.standard_normal(layer(x).shape)
    with_phases = layer.backward(dy)
    layer(x)
    with fast.enabled(False):
        assert layer.cache[2][0] == "phases"
        np.testing.assert_allclose(layer.backward(dy), with_phases, rtol=1e-12, atol=1e-12)
