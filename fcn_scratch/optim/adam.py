"""Adam (Kingma & Ba, 2015)."""
import math

from .. import backend
from .base import Optimizer


class Adam(Optimizer):
    """``m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
    w -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)``.

    Weight decay is added to the gradient (L2, as PyTorch's Adam does).
    """

    BUFFERS = ("m", "v")

    def __init__(self, model, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, bias_lr_factor=1.0,
                 bias_weight_decay=True):
        super().__init__(model, lr, weight_decay, bias_lr_factor, bias_weight_decay)
        self.betas, self.eps = betas, eps

    def update(self, value, grad, state, lr, weight_decay):
        xp = backend.get_array_module(value)
        b1, b2 = self.betas
        m, v = state["m"], state["v"]
        if weight_decay:
            grad = grad + weight_decay * value
        m *= b1
        m += (1 - b1) * grad
        v *= b2
        v += (1 - b2) * grad * grad
        step_size = lr * math.sqrt(1 - b2 ** self.steps) / (1 - b1 ** self.steps)
        value -= step_size * m / (xp.sqrt(v) + self.eps * math.sqrt(1 - b2 ** self.steps))
