"""Adam (Kingma & Ba, 2015)."""
import math

from .. import backend
from .base import Optimizer


class Adam(Optimizer):
    """``m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
    w -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)``.

    Weight decay is added to the gradient (L2, as PyTorch's Adam does).
    """

    def __init__(self, model, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(model, lr, weight_decay)
        self.betas, self.eps = betas, eps

    def update(self, name, value, grad):
        xp = backend.get_array_module(value)
        b1, b2 = self.betas
        m, v = self.buffer(name, "m", value), self.buffer(name, "v", value)
        m *= b1
        m += (1 - b1) * grad
        v *= b2
        v += (1 - b2) * grad * grad
        step_size = self.lr * math.sqrt(1 - b2 ** self.steps) / (1 - b1 ** self.steps)
        value -= step_size * m / (xp.sqrt(v) + self.eps * math.sqrt(1 - b2 ** self.steps))
