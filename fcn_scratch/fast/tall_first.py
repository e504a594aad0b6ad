"""Tall first: the weight gradient's products with the tall column matrix on the left.

It replaces :func:`fcn_scratch.functional.matmul_sum_batch`, the weight
gradient ``sum_n a[n] @ b[n].T`` of ``y[n] = W @ b[n]`` (a = dy, b = the
column matrix), with the transpose of ``sum_n b[n] @ a[n].T``: the same sums
of the same products, with the column matrix (the taller operand) on the
left, the order in which OpenBLAS runs these long, thin products fastest
(BENCHMARKS.md), where the output is the small operand (:func:`applies`).

Why the numbers agree: each entry is a dot product over ``L`` either way; the
BLAS may block that sum differently, so the two orders agree to float
rounding, not bit for bit (``tests/fast/test_tall_first.py``). The per-sample
products are split over threads in either order (:mod:`fcn_scratch.fast.threads`);
their sum over the batch is not.
"""
from ..backend import get_array_module
from ..functional import matmul
from . import threads
from .config import is_on


def applies(a):
    """The named condition: the ``tall_first`` trick is on and a (N, P, L) has fewer rows than columns, so
    that the transposed result (P, Q) is the small operand: fc6 of the paper's net (P = 4096 output
    channels, L = 121 pixels at 320 x 320) would transpose a 411 MB gradient."""
    return is_on("tall_first") and a.shape[1] < a.shape[2]


def matmul_sum_batch(a, b):
    """``sum_n a[n] @ b[n].T``, tall first while the ``tall_first`` trick is on.

    a: (N, P, L), b: (N, Q, L)  ->  (P, Q), C-contiguous
    """
    xp = get_array_module(a, b)
    tall_first = applies(a)
    left, right = (b, a) if tall_first else (a, b)
    products = xp.empty((left.shape[0], left.shape[1], right.shape[1]), dtype=xp.result_type(a, b))

    if len(left) == 1:                      # one sample: the threads share its product's rows
        threads.matmul_rows(left[0], right[0].T, products[0])
    else:
        def part(_, samples):
            matmul(left[samples], right[samples].transpose(0, 2, 1), out=products[samples])
        threads.split(part, "products", left.shape[0], a, b, products)
    total = products[0] if len(products) == 1 else products.sum(axis=0)     # a batch of one: no copy
    return xp.ascontiguousarray(total.T) if tall_first else total
