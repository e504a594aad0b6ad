"""The weight gradient of a batched matrix product."""
from ..backend import get_array_module


def matmul_sum_batch(a, b):
    """``sum_n a[n] @ b[n].T``.

    a: (N, P, L), b: (N, Q, L)  ->  (P, Q)

    This is the weight gradient of ``y[n] = W @ cols[n]`` over a batch
    (``dW = sum_n dy[n] @ cols[n].T``). One batched ``matmul`` reads the
    transposed operand through its strides (BLAS handles a transposed matrix
    without copying it), so neither operand is reshuffled in memory.
    """
    xp = get_array_module(a, b)
    return xp.matmul(a, b.transpose(0, 2, 1)).sum(axis=0)
