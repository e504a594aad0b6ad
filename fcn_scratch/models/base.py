"""Model: a named collection of layers, the way PyTorch's nn.Module holds them.

Layers assigned as attributes (``self.conv1_1 = Conv2d(...)``) are registered
under that name, so a parameter is called ``"conv1_1.weight"`` everywhere:
in optimizers, state dicts, checkpoints and summaries.
"""
import contextlib

from .. import backend
from ..errors import InputError
from ..grad_mode import no_grad
from ..layers import Layer


class Model:
    """Base class: registration, parameters, modes, devices and state dicts.

    Subclasses write ``forward(x)`` and a ``backward(grad_out)`` that mirrors it.
    """

    def __init__(self):
        object.__setattr__(self, "layers", {})
        self.training = True

    def __setattr__(self, name, value):
        if isinstance(value, Layer):
            self.layers[name] = value
        object.__setattr__(self, name, value)

    def __call__(self, x):
        return self.forward(x)

    def named_parameters(self, include_frozen=False):
        """Yield ``(name, value, grad)`` for every parameter an optimizer may update
        (frozen ones too if ``include_frozen``). ``grad`` is the one from the last backward."""
        for layer_name, layer in self.layers.items():
            for pname, value in layer.params.items():
                if include_frozen or pname not in layer.frozen:
                    yield f"{layer_name}.{pname}", value, layer.grads[pname]

    def num_parameters(self, include_frozen=True):
        return sum(int(v.size) for _, v, _ in self.named_parameters(include_frozen))

    def train(self, mode=True):
        self.training = mode
        for layer in self.layers.values():
            layer.train(mode)
        return self

    def eval(self):
        return self.train(False)

    @contextlib.contextmanager
    def predicting(self):
        """Within the block, the model as a prediction runs it: in eval mode (dropout off, so no random
        stream moves on) and inside ``no_grad()``; the mode it had is restored after, by an error too."""
        was_training = self.training
        self.eval()
        try:
            with no_grad():
                yield self
        finally:
            self.train(was_training)

    @property
    def device(self):
        for _, value, _ in self.named_parameters(include_frozen=True):
            return backend.device_of(value)
        return "cpu"

    @property
    def dtype(self):
        for _, value, _ in self.named_parameters(include_frozen=True):
            return value.dtype
        return backend.get_default_dtype()

    def to(self, device=None, dtype=None):
        """Move every parameter to ``device`` ("cpu" or "cuda") and/or cast to ``dtype``."""
        if device is not None:
            backend.xp_for(device)
        for layer in self.layers.values():
            layer.to(device, dtype)
        return self

    def rng_state(self):
        """``{layer name: state}`` of every layer that draws random numbers (the dropout masks)."""
        return {name: layer.rng_state() for name, layer in self.layers.items() if hasattr(layer, "rng_state")}

    def set_rng_state(self, states):
        """Continue each layer's random stream from :meth:`rng_state`'s ``states``."""
        for name, state in states.items():
            self.layers[name].set_rng_state(state)

    def state_dict(self):
        """``{"layer.param": host NumPy array}`` for every parameter, frozen ones included."""
        return {name: backend.to_host(value).copy() for name, value, _ in self.named_parameters(True)}

    def load_state_dict(self, state):
        """Copy arrays into the parameters, after checking that every name and shape matches.

        Raises InputError that counts the missing, unexpected and mis-shaped entries and names the
        first three of each (a model of another size differs in dozens of them).
        """
        own = {name: value for name, value, _ in self.named_parameters(True)}
        missing = sorted(set(own) - set(state))
        unexpected = sorted(set(state) - set(own))
        wrong = [f"{n}: checkpoint {tuple(state[n].shape)}, model {tuple(own[n].shape)}"
                 for n in own if n in state and tuple(state[n].shape) != tuple(own[n].shape)]
        problems = [_first_three(kind, keys) for kind, keys in
                    (("missing", missing), ("unexpected", unexpected), ("wrong shape", wrong)) if keys]
        if problems:
            raise InputError(f"state dict does not match {type(self).__name__}: " + " | ".join(problems))
        self._assign({name: state[name] for name in own})

    def load_matching(self, state):
        """Copy every entry whose name and shape match a parameter; leave the rest as they are.

        This is the paper's staged training: an FCN-16s starts from a trained FCN-32s.
        Returns ``(copied, skipped)`` lists of parameter names.
        """
        own = {name: value for name, value, _ in self.named_parameters(True)}
        copied = {n: state[n] for n in own if n in state and tuple(state[n].shape) == tuple(own[n].shape)}
        self._assign(copied)
        return sorted(copied), sorted(set(own) - set(copied))

    def _assign(self, arrays):
        device, dtype = self.device, self.dtype
        for name, array in arrays.items():
            layer_name, pname = name.rsplit(".", 1)
            layer = self.layers[layer_name]
            # the array itself where it already has the dtype and device: a large model is not copied
            layer.add_param(pname, backend.to_device(backend.to_host(array).astype(dtype, copy=False), device))
            layer.cache = None


def _first_three(kind, keys):
    """``"12 missing: a; b; c; ..."``: the count of ``keys`` and the first three of them."""
    more = "; ..." if len(keys) > 3 else ""
    return f"{len(keys)} {kind}: {'; '.join(keys[:3])}{more}"
