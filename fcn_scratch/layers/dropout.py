"""Dropout: zero random activations while training (inverted dropout)."""
from .. import backend
from ..errors import InputError
from .base import Layer


class Dropout(Layer):
    """Inverted dropout with drop probability ``p``.

    forward (training): x (any shape) -> y = x * m / (1 - p),  m ~ Bernoulli(1 - p) per element
    forward (eval):     y = x
    backward:           dy -> dx = dy * m / (1 - p)   (the same mask)

    Scaling by ``1 / (1 - p)`` while training keeps ``E[y] = x``, so nothing
    changes at test time. The masks come from a host generator seeded by
    ``seed`` (as the weights and the data do), so a seed gives the same masks
    on the CPU and the GPU, and :meth:`rng_state` lets a checkpoint carry the
    stream on: a resumed run draws the masks the uninterrupted one would have.
    """

    def __init__(self, p=0.5, seed=None):
        super().__init__()
        if not 0 <= p < 1:
            raise InputError(f"dropout probability must be in [0, 1), got {p}")
        self.p = p
        self.seed = seed
        self.rng = backend.host_rng(seed)

    def extra_repr(self):
        return f"p={self.p}"

    def rng_state(self):
        """Where the mask stream stands (a JSON-able dict)."""
        return self.rng.bit_generator.state

    def set_rng_state(self, state):
        """Continue the mask stream from a state given by :meth:`rng_state`."""
        self.rng.bit_generator.state = state

    def forward(self, x):
        if not hasattr(x, "dtype") or x.dtype.kind != "f":
            raise TypeError(f"Dropout expects a floating-point array, got {getattr(x, 'dtype', type(x))}")
        if not self.training or self.p == 0:
            self.cache = (None, x.shape)
            return x
        keep = self.rng.random(x.shape, dtype=x.dtype) >= self.p
        mask = backend.to_device(keep * x.dtype.type(1 / (1 - self.p)), backend.device_of(x))
        self.cache = (mask, x.shape)
        return x * mask

    def backward(self, grad_out):
        mask, shape = self.saved()
        self.check_grad(grad_out, shape)
        return grad_out if mask is None else grad_out * mask
