"""The matrix products of one real training step, replayed alone: the floor of this design.

:func:`step_products` runs a step and notes every product the layers compute
(:func:`fcn_scratch.functional.watching_products`): operand shapes, dtypes, and
whether an operand is read through a transposed view. :func:`replay` runs just
those products, on stand-in operands of the same layouts, into outputs made
once. Its time is what a step made of nothing but BLAS costs on this machine.
"""
from ..functional import watching_products


def _layout(array):
    """``(shape, dtype, transposed)``: ``transposed`` when the array is a view with its last two axes
    swapped over a contiguous one (BLAS reads it in place)."""
    transposed = (array.ndim >= 2 and not array.flags["C_CONTIGUOUS"]
                  and array.swapaxes(-1, -2).flags["C_CONTIGUOUS"])
    return tuple(array.shape), array.dtype, bool(transposed)


def step_products(step):
    """Run ``step()`` once and return the layouts ``(a, b)`` of every matrix product it computed."""
    seen = []
    with watching_products(lambda a, b: seen.append((_layout(a), _layout(b)))):
        step()
    return seen


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
