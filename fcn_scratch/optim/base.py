"""What SGD and Adam share: the parameters they update, the learning rate, their state."""
from .. import backend
from ..errors import InputError


class Optimizer:
    """Updates ``model.named_parameters()`` in place; frozen parameters are never listed there.

    Subclasses implement ``update(name, value, grad)`` and keep per-parameter
    buffers in ``self.state[name]`` (a dict of arrays), which
    :meth:`state_dict` exposes for checkpoints.
    """

    def __init__(self, model, lr, weight_decay=0.0):
        if lr <= 0:
            raise InputError(f"learning rate must be positive, got {lr}")
        self.model, self.lr, self.base_lr, self.weight_decay = model, lr, lr, weight_decay
        self.state = {}
        self.steps = 0

    def step(self):
        """Apply one update from the gradients of the last backward pass."""
        self.steps += 1
        for name, value, grad in self.model.named_parameters():
            if self.weight_decay:
                grad = grad + self.weight_decay * value
            self.update(name, value, grad)

    def update(self, name, value, grad):
        raise NotImplementedError

    def buffer(self, name, key, like):
        """The buffer ``key`` of parameter ``name``, made as zeros like ``like`` on first use."""
        slot = self.state.setdefault(name, {})
        if key not in slot:
            slot[key] = backend.get_array_module(like).zeros_like(like)
        return slot[key]

    def state_dict(self):
        """Host arrays ``{"<param>/<buffer>": array, "steps": int, "lr": float}``."""
        out = {f"{n}/{k}": backend.to_host(v) for n, slot in self.state.items() for k, v in slot.items()}
        out["steps"], out["lr"] = self.steps, self.lr
        return out

    def load_state_dict(self, state):
        """Restore buffers, step count and learning rate (moved to the model's device)."""
        device = self.model.device
        names = {n for n, _, _ in self.model.named_parameters()}
        self.state = {}
        for key, value in state.items():
            if key in ("steps", "lr"):
                continue
            name, buf = key.rsplit("/", 1)
            if name not in names:
                raise InputError(f"optimizer state has a buffer for {name!r}, which the model does not train")
            self.state.setdefault(name, {})[buf] = backend.to_device(value, device)
        self.steps, self.lr = int(state["steps"]), float(state["lr"])
