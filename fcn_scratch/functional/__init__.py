"""The definitions under the layers: im2col/col2im, matrix products, the bias, max pooling's windows,
the softmax and its cross-entropy's pieces, output sizes, initializers, and loop-over-pixels references.
Plain code, read as the formulas; the speed is in ``fcn_scratch.fast``."""
from .bias import add_bias
from .im2col import col2im, conv_output_size, im2col, pair, pool_output_size, transposed_output_size
from .init import bilinear_kernel, kaiming_normal, no_init, zeros
from .matmul import matmul, matmul_sum_batch
from .naive import conv2d_naive, conv_transpose2d_naive, maxpool2d_naive
from .pool import max_over_windows, to_winners, window_slices
from .softmax import log_softmax, log_softmax_at_labels, softmax, softmax_minus_onehot

__all__ = [
    "im2col", "col2im", "add_bias", "conv_output_size", "pool_output_size", "transposed_output_size", "pair",
    "matmul", "matmul_sum_batch", "window_slices", "max_over_windows", "to_winners", "conv2d_naive",
    "conv_transpose2d_naive", "maxpool2d_naive", "kaiming_normal", "zeros", "bilinear_kernel", "no_init",
    "log_softmax", "softmax", "log_softmax_at_labels", "softmax_minus_onehot",
]
