"""The weight gradient's product with the tall operand on the left."""
from ..backend import get_array_module
from ..functional import matmul
from . import threads
from .switch import is_on


def tall_first_applies():
    """The named condition for :func:`matmul_sum_batch_tall_first`."""
    return is_on("tall_first")


def matmul_sum_batch_tall_first(a, b):
    """:func:`fcn_scratch.functional.matmul_sum_batch`, ``sum_n a[n] @ b[n].T``, computed as the
    transpose of ``sum_n b[n] @ a[n].T``.

    a: (N, P, L), b: (N, Q, L)  ->  (P, Q), C-contiguous

    The same sums of the same products, with the column matrix (``b``, the
    taller one in a weight gradient) on the left, the order in which OpenBLAS
    runs these long, thin products fastest (BENCHMARKS.md). Each entry is a dot
    product over ``L`` either way; the BLAS may block that sum differently, so
    the two agree to float rounding, not bit for bit (``tests/fast/test_matmul.py``).
    The per-sample products are split over threads; their sum over the batch is not.
    """
    xp = get_array_module(a, b)
    products = xp.empty((b.shape[0], b.shape[1], a.shape[1]), dtype=xp.result_type(a, b))

    def part(_, samples):
        matmul(b[samples], a[samples].transpose(0, 2, 1), out=products[samples])
    threads.over_batch(b, part, nbytes=a.nbytes + b.nbytes + products.nbytes, kind="products")
    return xp.ascontiguousarray(products.sum(axis=0).T)
