"""What every layer shares: parameters, their gradients, a cache, a mode.

The contract, as in the CS231n assignments:

- ``forward(x)`` computes the output and keeps in ``self.cache`` exactly
  what ``backward`` will need;
- ``backward(grad_out)`` reads the cache, writes each parameter's gradient
  into ``self.grads`` (same keys as ``self.params``), and returns the gradient
  with respect to the input.

Inside ``fcn_scratch.no_grad()`` the cache is dropped when forward returns.

Tools that watch a layer (``summary``, the benchmark) register a forward
hook, as with PyTorch's ``register_forward_hook``; the layers never use them.

A frozen parameter (:meth:`Layer.freeze`) gets no gradient at all: backward
skips that work, as PyTorch does for ``requires_grad=False``, and its entry in
``self.grads`` stays zero.
"""
import contextlib

from .. import backend
from ..errors import InputError
from ..grad_mode import grad_enabled


class Layer:
    """Base class. Subclasses register parameters with :meth:`add_param`."""

    def __init__(self):
        self.params = {}
        self.grads = {}
        self.frozen = set()
        self.training = True
        self.cache = None
        self._forward_hooks = []

    def __call__(self, *args, **kwargs):
        out = self.forward(*args, **kwargs)
        if not grad_enabled():
            self.cache = None               # fcn_scratch.no_grad(): nothing will call backward
        for hook in self._forward_hooks:
            hook(self, args, out)
        return out

    def register_forward_hook(self, hook):
        """Call ``hook(layer, args, output)`` after every forward from now on, as PyTorch's
        ``register_forward_hook`` does: ``args`` the positional inputs, ``output`` what forward returned.
        Returns a handle whose ``remove()`` takes the hook off again."""
        self._forward_hooks.append(hook)
        return HookHandle(self._forward_hooks, hook)

    def forward(self, x):
        raise NotImplementedError

    def backward(self, grad_out):
        raise NotImplementedError

    def __repr__(self):
        return f"{type(self).__name__}({self.extra_repr()})"

    def extra_repr(self):
        return ""

    def add_param(self, name, value):
        """Register a parameter (and a zero gradient beside it)."""
        self.params[name] = value
        # zeros(), not zeros_like(): fresh zeroed memory that costs nothing until a backward writes it
        self.grads[name] = backend.get_array_module(value).zeros(value.shape, value.dtype)

    def freeze(self, *names):
        """Mark parameters that no optimizer may change (all of them if none are named)."""
        self.frozen.update(names or self.params)

    def needs_grad(self, name):
        """True when backward should compute the gradient of parameter ``name`` (it exists and is not frozen)."""
        return name in self.params and name not in self.frozen

    def train(self, mode=True):
        self.training = mode
        return self

    def eval(self):
        return self.train(False)

    def to(self, device=None, dtype=None):
        """Move parameters and gradients to ``device`` and/or cast them to ``dtype``.

        The cache is dropped: it belongs to the old device or dtype.
        """
        for store in (self.params, self.grads):
            for name, value in store.items():
                if device is not None:
                    value = backend.to_device(value, device)
                if dtype is not None:
                    value = value.astype(backend.check_float_dtype(dtype), copy=False)
                store[name] = value
        self.cache = None
        return self

    def saved(self):
        """The cache of the last forward, or a clear error if there was none."""
        if self.cache is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward "
                               "(or after a forward inside fcn_scratch.no_grad())")
        return self.cache

    def check_input(self, x, channels=None, ndim=4):
        """Raise a clear error unless ``x`` is a floating (N, C, H, W) array (any rank if ``ndim`` is None)
        with ``channels`` channels, on the device and in the dtype of the parameters."""
        name = type(self).__name__
        shape = getattr(x, "shape", None)
        if shape is None:
            raise TypeError(f"{name} expects an array, got {type(x).__name__}")
        if ndim is not None and len(shape) != ndim:
            raise InputError(f"{name} expects input of shape (N, C, H, W), got shape {tuple(shape)}")
        if channels is not None and shape[1] != channels:
            raise InputError(f"{name} expects {channels} input channels, got {shape[1]} (input shape {tuple(shape)})")
        if x.dtype.kind != "f":
            raise TypeError(f"{name} expects a floating-point input, got dtype {x.dtype}")
        for pname, value in self.params.items():
            if x.dtype != value.dtype:
                raise TypeError(
                    f"{name} has {value.dtype} parameters but got a {x.dtype} input; "
                    f"cast one of them (layer.to(dtype=...) or x.astype(...))"
                )
            if backend.device_of(x) != backend.device_of(value):
                raise InputError(
                    f"{name} parameters are on '{backend.device_of(value)}' but the input is on "
                    f"'{backend.device_of(x)}'; move one of them (layer.to(device))"
                )
            break

    def check_grad(self, grad_out, expected_shape):
        """Raise unless the incoming gradient has the shape of the forward output."""
        if tuple(grad_out.shape) != tuple(expected_shape):
            raise InputError(
                f"{type(self).__name__}.backward expects a gradient of shape {tuple(expected_shape)} "
                f"(the forward output), got {tuple(grad_out.shape)}"
            )


@contextlib.contextmanager
def forward_hooks(named_layers, make_hook):
    """Within the block, ``make_hook(name)`` as a forward hook on each ``(name, layer)`` of
    ``named_layers``; every one taken off when the block ends, by an error too."""
    handles = [layer.register_forward_hook(make_hook(name)) for name, layer in named_layers]
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


class HookHandle:
    """What :meth:`Layer.register_forward_hook` returns: ``remove()`` takes the hook off."""

    def __init__(self, hooks, hook):
        self._hooks, self._hook = hooks, hook

    def remove(self):
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)
