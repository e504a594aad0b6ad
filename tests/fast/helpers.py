"""Helpers of the fast routes' tests."""
import contextlib

from fcn_scratch import fast


def all_but(off):
    """Every trick on but the ones named in ``off``."""
    stack = contextlib.ExitStack()
    stack.enter_context(fast.enabled(True))
    if off:
        stack.enter_context(fast.enabled(False, *off))
    return stack
