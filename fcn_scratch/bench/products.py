"""The matrix products of one training step, replayed alone: the floor of this design.

:func:`step_products` runs a step with a forward hook on every convolution and
transposed convolution and lists the products their docstrings' formulas call
for on the inputs the hooks saw, each whole over the batch: for a Conv2d on
x (N, C_in, H, W) with L output pixels and K = C_in*kh*kw,

    forward   W_col (C_out, K) @ cols (N, K, L)
    dW        dy (N, C_out, L) @ cols.T (N, L, K)
    dx        W_col.T (K, C_out) @ dy (N, C_out, L)

and for a ConvTranspose2d on x with L input pixels and M = C_out*kh*kw,

    forward   W_mat.T (M, C_in) @ x (N, C_in, L)
    dW        x (N, C_in, L) @ cols.T (N, L, M)
    dx        W_mat (C_in, M) @ cols (N, M, L)

(a ``.T`` is a transposed view, which the BLAS reads through its strides). A
frozen weight gets no gradient, and the layer that reads the step's image no
input gradient, as in a training step. :func:`replay` runs just those
products, on stand-in operands of the same layouts, into outputs made once:
its time is what a step made of nothing but BLAS costs on this machine,
whichever route each layer takes.
"""
from ..layers import Conv2d, ConvTranspose2d
from ..layers.base import forward_hooks


def _operands(layer, x_shape):
    """``{"forward" | "weight" | "input": (a, b)}``: the layouts ``(shape, transposed)`` of the operands of
    ``layer``'s three products on an input of ``x_shape``."""
    n, _, h, w = x_shape
    kh, kw = layer.kernel_size
    if isinstance(layer, Conv2d):
        k, c_out = layer.in_channels * kh * kw, layer.out_channels
        ho, wo = layer.output_size(h, w)
        return {"forward": (((c_out, k), False), ((n, k, ho * wo), False)),
                "weight": (((n, c_out, ho * wo), False), ((n, ho * wo, k), True)),
                "input": (((k, c_out), True), ((n, c_out, ho * wo), False))}
    m, c_in = layer.out_channels * kh * kw, layer.in_channels
    return {"forward": (((m, c_in), True), ((n, c_in, h * w), False)),
            "weight": (((n, c_in, h * w), False), ((n, h * w, m), True)),
            "input": (((c_in, m), False), ((n, m, h * w), False))}


def _with_dtype(pairs, dtype):
    return [tuple((shape, dtype, transposed) for shape, transposed in pair) for pair in pairs]


def forward_products(layer, x):
    """The layouts ``(a, b)`` (each ``(shape, dtype, transposed)``) of ``layer``'s forward product on x
    (a Conv2d or ConvTranspose2d; none for any other layer)."""
    if not isinstance(layer, (Conv2d, ConvTranspose2d)):
        return []
    return _with_dtype([_operands(layer, x.shape)["forward"]], x.dtype)


def step_products(model, step, image):
    """Run ``step()`` once and return the layouts ``(a, b)`` of every product its layers' formulas call
    for: the forward's in the order the layers ran, then backward's, from the last layer to the first.
    ``image`` is the batch the step feeds the model (its layer gets no input gradient)."""
    seen = []

    def note(layer, args, out):
        seen.append((layer, _operands(layer, args[0].shape), args[0].dtype, args[0] is image))
    convolutions = [(n, layer) for n, layer in model.layers.items() if isinstance(layer, (Conv2d, ConvTranspose2d))]
    with forward_hooks(convolutions, lambda name: note):
        step()
    forward = [_with_dtype([operands["forward"]], dtype) for _, operands, dtype, _ in seen]
    backward = []
    for layer, operands, dtype, reads_image in reversed(seen):
        wanted = [operands["weight"]] if layer.needs_grad("weight") else []
        backward.append(_with_dtype(wanted + ([] if reads_image else [operands["input"]]), dtype))
    return [product for products in forward + backward for product in products]


def _stand_in(layout, xp):
    shape, dtype, transposed = layout
    if transposed:
        return xp.ones(shape[:-2] + (shape[-1], shape[-2]), dtype=dtype).swapaxes(-1, -2)
    return xp.ones(shape, dtype=dtype)


def replay(products, xp):
    """A function of no arguments that computes ``products`` (from :func:`step_products`) again."""
    calls = []
    for a_layout, b_layout in products:
        a, b = _stand_in(a_layout, xp), _stand_in(b_layout, xp)
        calls.append((a, b, xp.matmul(a, b)))

    def run_products():
        for a, b, out in calls:
            xp.matmul(a, b, out=out)
    return run_products


def flops(products):
    """Floating-point operations of ``products``: 2 * batch * P * K * L for each (P, K) @ (K, L)."""
    total = 0
    for (a_shape, _, _), (b_shape, _, _) in products:
        batch = 1
        for size in (a_shape[:-2] if len(a_shape) > len(b_shape) else b_shape[:-2]):
            batch *= size
        total += 2 * batch * a_shape[-2] * a_shape[-1] * b_shape[-1]
    return total
