"""Stochastic gradient descent with momentum and weight decay (what the FCN paper trains with)."""
from .base import Optimizer


class SGD(Optimizer):
    """``g = grad + weight_decay * w;  v = momentum * v + g;  w -= lr * v`` (PyTorch's form), each group
    at its own ``lr`` and ``weight_decay`` (:class:`~fcn_scratch.optim.Optimizer`).

    With ``momentum=0`` this is plain ``w -= lr * g``.
    """

    def __init__(self, model, lr=0.01, momentum=0.9, weight_decay=0.0, bias_lr_factor=1.0, bias_weight_decay=True):
        super().__init__(model, lr, weight_decay, bias_lr_factor, bias_weight_decay)
        self.momentum = momentum
        self.BUFFERS = ("momentum",) if momentum else ()

    def update(self, value, grad, state, lr, weight_decay):
        if weight_decay:
            grad = grad + weight_decay * value
        if self.momentum:
            v = state["momentum"]
            v *= self.momentum
            v += grad
            grad = v
        value -= lr * grad
