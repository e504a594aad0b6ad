"""What SGD and Adam share: the parameters they update, the learning rates, their state."""
from .. import backend
from ..errors import InputError

# Elements updated at a time: the update's temporaries (``weight_decay * w``, ``lr * v``) stay a few MB,
# where for fc6 of the paper's net each would be 411 MB. Every element gets the same arithmetic either way.
PART = 1 << 20


class Optimizer:
    """Updates ``model.named_parameters()`` in place; frozen parameters are never listed there.

    Two groups, as the FCN reference trains (pytorch-fcn's ``get_parameters``):
    the weights at the learning rate ``lr`` with ``weight_decay``; the biases
    (names ending in ``.bias``) at ``lr * bias_lr_factor``, with the weight
    decay only if ``bias_weight_decay``.

    Subclasses implement ``update(value, grad, state, lr, weight_decay)`` on one
    part of a parameter (flat views of the parameter, its gradient and its
    buffers ``state``), and name their buffers in ``BUFFERS``; the buffers of
    parameter ``name`` live in ``self.state[name]`` (a dict of arrays), which
    :meth:`state_dict` exposes for checkpoints.
    """

    BUFFERS = ()

    def __init__(self, model, lr, weight_decay=0.0, bias_lr_factor=1.0, bias_weight_decay=True):
        if lr <= 0:
            raise InputError(f"learning rate must be positive, got {lr}")
        if bias_lr_factor <= 0:
            raise InputError(f"bias_lr_factor must be positive, got {bias_lr_factor}")
        self.model, self.lr, self.base_lr, self.weight_decay = model, lr, lr, weight_decay
        self.bias_lr_factor, self.bias_weight_decay = bias_lr_factor, bias_weight_decay
        self.state = {}
        self.steps = 0

    def group(self, name):
        """``(lr, weight_decay)`` of parameter ``name`` now."""
        if name.endswith(".bias"):
            return self.lr * self.bias_lr_factor, self.weight_decay if self.bias_weight_decay else 0.0
        return self.lr, self.weight_decay

    def step(self):
        """Apply one update from the gradients of the last backward pass."""
        self.steps += 1
        for name, value, grad in self.model.named_parameters():
            lr, weight_decay = self.group(name)
            arrays = [value, grad] + [self.buffer(name, key, value) for key in self.BUFFERS]
            for part in _flat_parts(arrays):
                self.update(part[0], part[1], dict(zip(self.BUFFERS, part[2:])), lr, weight_decay)

    def update(self, value, grad, state, lr, weight_decay):
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


def _flat_parts(arrays):
    """Yield, part by part of at most :data:`PART` elements, flat views of ``arrays`` (one shape, all
    C-contiguous, so that writing into a view writes into the array); one whole view each where an
    array is not contiguous."""
    if not all(a.flags.c_contiguous for a in arrays):
        yield arrays
        return
    flat = [a.reshape(-1) for a in arrays]
    for start in range(0, flat[0].size, PART):
        yield [f[start:start + PART] for f in flat]
