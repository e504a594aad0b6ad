"""Plain functions under the layers: im2col/col2im, output sizes, initializers."""
from .im2col import col2im, conv_output_size, im2col, pair, pool_output_size, transposed_output_size
from .naive import conv2d_naive, conv_transpose2d_naive, maxpool2d_naive
from .matmul import matmul_sum_batch
from . import phase
from .init import bilinear_kernel, kaiming_normal, zeros

__all__ = [
    "im2col", "col2im", "conv_output_size", "pool_output_size", "transposed_output_size", "pair",
    "matmul_sum_batch", "phase", "conv2d_naive", "conv_transpose2d_naive", "maxpool2d_naive", "kaiming_normal", "zeros", "bilinear_kernel",
]
