"""Dropout: zero random activations while training (inverted dropout)."""
from .. import backend
from .base import Layer


class Dropout(Layer):
    """Inverted dropout with drop probability ``p``.

    forward (training): x (any shape) -> y = x * m / (1 - p),  m ~ Bernoulli(1 - p) per element
    forward (eval):     y = x
    backward:           dy -> dx = dy * m / (1 - p)   (the same mask)

    Scaling by ``1 / (1 - p)`` while training keeps ``E[y] = x``, so nothing
    changes at test time. ``seed`` fixes the masks; the generator lives on the
    device of the input and is made anew when the layer is moved.
    """

    def __init__(self, p=0.5, seed=None):
        super().__init__()
        if not 0 <= p < 1:
            raise ValueError(f"dropout probability must be in [0, 1), got {p}")
        self.p = p
        self.seed = seed
        self._rng = None

    def extra_repr(self):
        return f"p={self.p}"

    def to(self, device=None, dtype=None):
        if device is not None:
            self._rng = None
        return super().to(device, dtype)

    def forward(self, x):
        if not hasattr(x, "dtype") or x.dtype.kind != "f":
            raise TypeError(f"Dropout expects a floating-point array, got {getattr(x, 'dtype', type(x))}")
        if not self.training or self.p == 0:
            self.cache = (None, x.shape)
            return x
        if self._rng is None:
            self._rng = backend.device_rng(backend.device_of(x), self.seed)
        mask = (self._rng.random(x.shape, dtype=x.dtype) >= self.p) * x.dtype.type(1 / (1 - self.p))
        self.cache = (mask, x.shape)
        return x * mask

    def backward(self, grad_out):
        mask, shape = self.saved()
        self.check_grad(grad_out, shape)
        return grad_out if mask is None else grad_out * mask
