"""Matrix products: the one operation every convolution comes down to."""
from ..backend import get_array_module


def matmul(a, b, out=None):
    """``a @ b``, batched over the leading axis when there is one (into ``out`` if given).

    a: (P, K) or (N, P, K), b: (N, K, L) or (K, L) -> (N, P, L) or (P, L)
    """
    return get_array_module(a, b).matmul(a, b, out=out)


def matmul_sum_batch(a, b):
    """``sum_n a[n] @ b[n].T``.

    a: (N, P, L), b: (N, Q, L)  ->  (P, Q)

    The weight gradient of ``y[n] = W @ cols[n]`` over a batch:
    ``dW = sum_n dy[n] @ cols[n].T``. ``b.transpose(0, 2, 1)`` is a view: BLAS
    reads a transposed matrix through its strides, without copying it.
    """
    return matmul(a, b.transpose(0, 2, 1)).sum(axis=0)
