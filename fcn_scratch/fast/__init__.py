"""The speed, beside the definitions.

Every layer's textbook route is its docstring's formulas on
:mod:`fcn_scratch.functional`. A layer with a fast route asks for it once per
pass, by a named condition (``if fast.conv_applies(self, x): ...``), and
keeps in its cache which route filled it, so that backward takes the same
one; where the condition does not hold, the layer's own formulas run. Where
the tricks are chosen is inside this package, on arrays: each trick is one
file, named after what it does, says in its docstring which textbook function
it replaces and why the numbers are the same, and is held to that function by
a test in ``tests/fast/``. Each stays only where it saves at least 3% of a
benchmarked workload (BENCHMARKS.md). :func:`enabled` (or
``FCN_SCRATCH_FAST=0``) turns the tricks off, all or one at a time, and each
name turns off its own trick and nothing else; :func:`config` shows what is
on, how many threads work, and the work arrays kept. ``python -m
fcn_scratch.bench`` prints what each trick buys.
"""
from .conv2d import conv2d_backward, conv2d_forward, conv_applies
from .phases import conv_transpose_applies, conv_transpose_phase, conv_transpose_phase_backward
from .relu import relu_applies, relu_backward, relu_forward
from .running_max import max_pool, max_pool_backward, pool_applies
from .softmax_in_place import loss_applies, softmax_cross_entropy_backward, softmax_cross_entropy_forward
from .config import TRICKS, Config, config, enabled, is_on, threads_used, tricks_off

__all__ = [
    "TRICKS", "Config", "config", "enabled", "is_on", "threads_used", "tricks_off",
    "conv_applies", "conv2d_forward", "conv2d_backward",
    "conv_transpose_applies", "conv_transpose_phase", "conv_transpose_phase_backward",
    "pool_applies", "max_pool", "max_pool_backward",
    "relu_applies", "relu_forward", "relu_backward",
    "loss_applies", "softmax_cross_entropy_forward", "softmax_cross_entropy_backward",
]
