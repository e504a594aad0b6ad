"""The speed, beside the definitions.

Every layer's textbook route is its docstring's formulas on
:mod:`fcn_scratch.functional`. A layer with a fast route asks for it once per
pass, by a named condition (``if fast.conv_applies(self, x): ...``), and
keeps in its cache which route filled it, so that backward takes the same
one. Where the tricks are chosen is inside this package, on arrays: each
trick is one file, named after what it does, says in its docstring which
textbook function it replaces and why the numbers are the same, and is held
to that function by a test in ``tests/fast/``. :func:`enabled` (or
``FCN_SCRATCH_FAST=0``) turns the tricks off, all or one at a time, and each
name turns off its own trick and nothing else. ``python -m fcn_scratch.bench``
prints what each one buys.
"""
from .conv2d import conv2d_backward, conv2d_forward, conv_applies
from .conv_transpose2d import conv_transpose2d_backward, conv_transpose2d_forward, conv_transpose_applies
from .max_pool import max_pool, max_pool_backward, pool_applies
from .relu import relu_applies, relu_backward, relu_forward
from .softmax_cross_entropy import loss_applies, softmax_cross_entropy_backward, softmax_cross_entropy_forward
from .switch import TRICKS, enabled, is_on, tricks_off
from .threads import THREADS

__all__ = [
    "TRICKS", "enabled", "is_on", "tricks_off", "THREADS",
    "conv_applies", "conv2d_forward", "conv2d_backward",
    "conv_transpose_applies", "conv_transpose2d_forward", "conv_transpose2d_backward",
    "pool_applies", "max_pool", "max_pool_backward",
    "relu_applies", "relu_forward", "relu_backward",
    "loss_applies", "softmax_cross_entropy_forward", "softmax_cross_entropy_backward",
]
