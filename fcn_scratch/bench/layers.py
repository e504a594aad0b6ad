"""Each layer alone, on the input it sees in the model, beside its forward matrix product alone."""
import numpy as np

from .. import backend, fast
from ..functional import conv2d_naive, im2col
from ..layers import Conv2d, ConvTranspose2d, MaxPool2d
from ..layers.base import forward_hooks
from .products import flops, forward_products, replay
from .timing import timeit

TIMED = (Conv2d, ConvTranspose2d, MaxPool2d)


def layer_inputs(model, x):
    """Run one forward pass; return ``{name: input}`` for each convolution, transposed convolution
    and pooling layer, seen through a forward hook."""
    seen = {}

    def note(name):
        def hook(layer, args, out):
            seen[name] = args[0]
        return hook
    with forward_hooks([(n, layer) for n, layer in model.layers.items() if isinstance(layer, TIMED)], note):
        model(x)
    return seen


def _backward(layer, name, grad):
    if name == "conv1_1":      # as in training: no gradient for the image
        return lambda: layer.backward(grad, input_grad=False)
    return lambda: layer.backward(grad)


def layer_table(model, x, device, repeats):
    """A row per layer: forward and backward ms with the tricks on and off; for layers with products,
    the forward's GFLOP, its product alone (``gemm_ms``, whole, on the BLAS's own threads) and how
    far the forward is from it."""
    xp = backend.xp_for(device)
    rows = []
    for name, inp in layer_inputs(model, x).items():
        layer = model.layers[name]
        out = layer(inp)
        grad = xp.ones_like(out)
        row = {"layer": name, "type": type(layer).__name__, "input": list(inp.shape)}
        for label, on in (("", True), ("textbook_", False)):
            with fast.enabled(on):      # the timed forwards leave the cache backward reads on this route
                row[label + "forward_ms"] = timeit(lambda: layer(inp), device, repeats) * 1e3
                row[label + "backward_ms"] = timeit(_backward(layer, name, grad), device, repeats) * 1e3
        products = forward_products(layer, inp)
        if products:
            gemm = timeit(replay(products, xp), device, repeats)
            f = flops(products)
            row.update(gflop=f / 1e9, gemm_ms=gemm * 1e3, fwd_gflops=f / row["forward_ms"] / 1e6,
                       gemm_gflops=f / gemm / 1e9, fwd_over_gemm=row["forward_ms"] / 1e3 / gemm)
        rows.append(row)
    return rows


def naive_vs_im2col(device, repeats):
    """What im2col buys: the loop-over-pixels convolution against im2col + one product, on (2, 8, 32, 32)."""
    rng = backend.host_rng(0)
    xp = backend.xp_for(device)
    x = xp.asarray(rng.standard_normal((2, 8, 32, 32)).astype(np.float32))
    w = xp.asarray(rng.standard_normal((16, 8, 3, 3)).astype(np.float32))
    naive = timeit(lambda: conv2d_naive(x, w, padding=1), device, max(1, repeats // 3))
    textbook = timeit(lambda: w.reshape(16, -1) @ im2col(x, (3, 3), (1, 1), (1, 1)), device, repeats)
    return {"shape": [2, 8, 32, 32], "naive_ms": naive * 1e3, "im2col_ms": textbook * 1e3,
            "speedup": naive / textbook}
