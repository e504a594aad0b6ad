"""fcn-scratch: Fully Convolutional Networks (Long, Shelhamer & Darrell, 2015) from scratch.

Every layer is hand-written in array code with its backward pass, runs on
NumPy (CPU) or CuPy (GPU) through :mod:`fcn_scratch.backend`, and is
gradient-checked in the tests.
"""
from . import backend
from .backend import manual_seed
from .grad_mode import no_grad

__version__ = "0.1.0"
__all__ = ["backend", "manual_seed", "no_grad", "__version__"]
