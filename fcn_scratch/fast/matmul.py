"""The weight gradient's products: the tall operand on the left, or one product for a small map.

Both replace :func:`fcn_scratch.functional.matmul_sum_batch`,
``sum_n a[n] @ b[n].T``, and compute every entry as the same sum of the same
products; the BLAS may group that sum differently, so they agree with it to
float rounding, not bit for bit (``tests/fast/test_matmul.py``).
:func:`matmul_sum_batch` picks between them.
"""
from .. import functional
from ..backend import get_array_module
from ..functional import matmul
from . import threads
from .switch import is_on

# Up to this many pixels per sample, the weight gradient is one product over the whole batch
# (BENCHMARKS.md): per-sample products would each be a (Q, P) matrix made of only L terms.
ONE_PRODUCT_MAX_PIXELS = 16


def sum_batch_applies():
    """The named condition for :func:`matmul_sum_batch`: one of its two tricks is on."""
    return is_on("tall_first") or is_on("one_product")


def matmul_sum_batch(a, b):
    """``sum_n a[n] @ b[n].T`` (P, Q) from a (N, P, L) and b (N, Q, L): by :func:`matmul_sum_batch_one_product`
    where the map is small and that trick is on, else by :func:`matmul_sum_batch_tall_first` (or, with
    ``tall_first`` off, the textbook function)."""
    if is_on("one_product") and a.shape[2] <= ONE_PRODUCT_MAX_PIXELS:
        return matmul_sum_batch_one_product(a, b)
    if is_on("tall_first"):
        return matmul_sum_batch_tall_first(a, b)
    return functional.matmul_sum_batch(a, b)


def matmul_sum_batch_tall_first(a, b):
    """``sum_n a[n] @ b[n].T`` computed as the transpose of ``sum_n b[n] @ a[n].T``.

    a: (N, P, L), b: (N, Q, L)  ->  (P, Q), C-contiguous

    The column matrix (``b``, the taller one in a weight gradient) on the
    left, the order in which OpenBLAS runs these long, thin products fastest
    (BENCHMARKS.md). The per-sample products are split over threads; their
    sum over the batch is not.
    """
    xp = get_array_module(a, b)
    products = xp.empty((b.shape[0], b.shape[1], a.shape[1]), dtype=xp.result_type(a, b))

    def part(_, samples):
        matmul(b[samples], a[samples].transpose(0, 2, 1), out=products[samples])
    threads.over_batch(b, part, nbytes=a.nbytes + b.nbytes + products.nbytes, kind="products")
    return xp.ascontiguousarray(products.sum(axis=0).T)


def matmul_sum_batch_one_product(a, b):
    """``sum_n a[n] @ b[n].T`` as one product over the batch: ``A @ B.T`` with A (P, N*L), B (Q, N*L).

    a: (N, P, L), b: (N, Q, L)  ->  (P, Q)

    Where L is small (fc6 and fc7 on a 4 x 4 map), a product per sample
    writes a (Q, P) matrix of only L terms each, N times, and adds them up;
    one product with the batch laid end to end along the summed axis does the
    same sum in one pass. The layout change copies only the small inputs.
    """
    xp = get_array_module(a, b)
    (n, p, length), q = a.shape, b.shape[1]
    a_flat = xp.ascontiguousarray(a.transpose(1, 0, 2)).reshape(p, n * length)
    b_flat = xp.ascontiguousarray(b.transpose(1, 0, 2)).reshape(q, n * length)
    return matmul(a_flat, b_flat.T)
