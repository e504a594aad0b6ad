"""Whether a forward pass keeps what backward needs: ``no_grad()``, as PyTorch's ``torch.no_grad()``.

Training needs every layer's cache (a convolution's column matrix, a pooling's
arg-max); predicting does not, and on a photo those caches are most of the
memory. Inside ``with no_grad():`` a layer drops its cache as soon as its
forward returns. ``backward`` after such a forward raises, as it does after
no forward at all.
"""
import contextlib
import threading

_state = threading.local()


def grad_enabled():
    """True unless inside :func:`no_grad` (on this thread)."""
    return getattr(_state, "enabled", True)


@contextlib.contextmanager
def no_grad():
    """Within the block, forward passes keep no cache for backward."""
    previous = grad_enabled()
    _state.enabled = False
    try:
        yield
    finally:
        _state.enabled = previous
