"""The definitions under the layers: im2col/col2im, matrix products, output sizes, initializers,
and loop-over-pixels references. Plain code, read as the formulas; the speed is in ``fcn_scratch.fast``."""
from .im2col import col2im, conv_output_size, im2col, pair, pool_output_size, transposed_output_size
from .init import bilinear_kernel, kaiming_normal, no_init, zeros
from .matmul import matmul, matmul_sum_batch, watching_products
from .naive import conv2d_naive, conv_transpose2d_naive, maxpool2d_naive

__all__ = [
    "im2col", "col2im", "conv_output_size", "pool_output_size", "transposed_output_size", "pair",
    "matmul", "matmul_sum_batch", "watching_products", "conv2d_naive", "conv_transpose2d_naive",
    "maxpool2d_naive", "kaiming_normal", "zeros", "bilinear_kernel", "no_init",
]
