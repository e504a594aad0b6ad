"""Stochastic gradient descent with momentum and weight decay (what the FCN paper trains with)."""
from .base import Optimizer


class SGD(Optimizer):
    """``g = grad + weight_decay * w;  v = momentum * v + g;  w -= lr * v`` (PyTorch's form).

    With ``momentum=0`` this is plain ``w -= lr * g``.
    """

    def __init__(self, model, lr=0.01, momentum=0.9, weight_decay=0.0):
        super().__init__(model, lr, weight_decay)
        self.momentum = momentum

    def update(self, name, value, grad):
        if self.momentum:
            v = self.buffer(name, "momentum", value)
            v *= self.momentum
            v += grad
            grad = v
        value -= self.lr * grad
