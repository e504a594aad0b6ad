"""The speed, beside the definitions.

Every layer's textbook route is its docstring's formulas on
:mod:`fcn_scratch.functional`. Each trick here replaces one piece of it, is
named after what it does, says in its docstring which textbook function it
replaces and why the numbers are the same, and is held to that function by a
test in ``tests/fast/``. A layer asks for a trick by a named condition
(``fast.phases_apply(self)``), so where the route forks is in plain sight;
:func:`enabled` (or ``FCN_SCRATCH_FAST=0``) turns the tricks off, all or one
at a time. ``python -m fcn_scratch.bench`` prints what each one buys.
"""
from .bands import bands_apply, conv2d_forward_in_bands
from .conv import (col2im_in_chunks_applies, columns_rebuilt_apply, flipped_kernel_applies,
                   input_grad_col2im_in_chunks, input_grad_flipped_kernel, rebuild_columns)
from .conv import forward_in_parts as conv_forward_in_parts
from .im2col import columns_apply
from .loss import cross_entropy_backward, cross_entropy_forward, softmax_in_place_applies
from .matmul import matmul_sum_batch_tall_first, tall_first_applies
from .phase import conv_transpose_phase, conv_transpose_phase_backward, phases_apply
from .pool import maxpool_backward, maxpool_forward, running_max_applies
from .relu import relu_backward, relu_forward
from .switch import TRICKS, enabled, is_on, tricks_off
from .threads import THREADS, threads_apply

__all__ = [
    "TRICKS", "enabled", "is_on", "tricks_off", "THREADS", "threads_apply",
    "bands_apply", "conv2d_forward_in_bands",
    "columns_apply", "conv_forward_in_parts", "columns_rebuilt_apply", "rebuild_columns",
    "flipped_kernel_applies", "input_grad_flipped_kernel", "col2im_in_chunks_applies", "input_grad_col2im_in_chunks",
    "tall_first_applies", "matmul_sum_batch_tall_first",
    "phases_apply", "conv_transpose_phase", "conv_transpose_phase_backward",
    "running_max_applies", "maxpool_forward", "maxpool_backward",
    "relu_forward", "relu_backward",
    "softmax_in_place_applies", "cross_entropy_forward", "cross_entropy_backward",
]
