"""Each layer's share of a whole forward pass, clocked inside it, for us and for PyTorch alike.

The layers are not run alone: hooks note the time as each layer starts (and,
on PyTorch's modules, as it ends) while the model runs its own ``forward``, so
the layer sees what it sees in use (its input fresh from the layer before,
the work arrays as the model leaves them) and the times add up to the pass.
Ours have pre-hooks only (:class:`fcn_scratch.layers.Layer`), so one of our
layers runs from its start to the next layer's start, the last to the end of
the pass: the little Python between two layers is charged to the first.
A hook costs microseconds; the layers here take milliseconds to seconds.

FLOPs are counted from the shapes: ``2 * weight.size * pixels``, the pixels of
a convolution's output or of a transposed convolution's input (each of those
pixels meets every weight once); it is the count of the textbook product,
whichever route a layer takes.
"""
import statistics
import time


def conv_flops(kind, weight_shape, in_shape, out_shape):
    """Floating-point operations of a convolution (``kind`` "Conv2d") or transposed convolution
    ("ConvTranspose2d") forward; None for any other layer."""
    if kind not in ("Conv2d", "ConvTranspose2d") or weight_shape is None:
        return None
    n, _, h, w = in_shape if kind == "ConvTranspose2d" else out_shape
    size = 1
    for d in weight_shape:
        size *= d
    return 2 * size * n * h * w


class _Clock:
    """Per-layer seconds of every pass run while ``armed``, kept by layer name in call order."""

    def __init__(self):
        self.armed = False
        self.seconds = {}           # name -> [seconds, one per armed pass]
        self.shapes = {}            # name -> (kind, weight shape, input shape, output shape)

    def medians(self):
        """``[(name, median seconds)]`` in the order the layers ran."""
        return [(name, statistics.median(times)) for name, times in self.seconds.items() if times]

    def _add(self, name, seconds):
        self.seconds.setdefault(name, []).append(seconds)


class OurClock(_Clock):
    """Clocks the layers of one of our models; ``with clock.timing(): model(x)`` for each pass."""

    def __init__(self, model):
        super().__init__()
        self.model = model
        self.names = {id(layer): name for name, layer in model.layers.items()}
        self.starts = []
        for layer in model.layers.values():
            layer.forward_pre_hooks.append(self._note)

    def _note(self, layer, args):
        if self.armed:
            self.starts.append((self.names[id(layer)], layer, tuple(getattr(args[0], "shape", ())),
                                time.perf_counter()))

    def close(self):
        for layer in self.model.layers.values():
            layer.forward_pre_hooks.remove(self._note)

    def run(self, fn):
        """``fn()`` (a whole forward pass), each layer's time noted if armed; returns what ``fn`` returns."""
        self.starts = []
        out = fn()
        if self.armed:
            end = time.perf_counter()
            ends = [start for *_, start in self.starts[1:]] + [end]
            for (name, layer, in_shape, start), stop in zip(self.starts, ends):
                self._add(name, stop - start)
                weight = layer.params.get("weight")
                self.shapes[name] = (type(layer).__name__, None if weight is None else tuple(weight.shape),
                                     in_shape, tuple(layer.output_shape or ()))
        return out


class TorchClock(_Clock):
    """Clocks the leaf modules of a PyTorch model by forward pre-hooks and forward hooks (PyTorch itself
    is reached only through the module's methods)."""

    def __init__(self, model):
        super().__init__()
        self.handles = []
        self.open = {}
        for name, module in model.named_modules():
            if name and not list(module.children()):
                self.handles.append(module.register_forward_pre_hook(self._starter(name)))
                self.handles.append(module.register_forward_hook(self._stopper(name)))

    def _starter(self, name):
        def start(module, args):
            if self.armed:
                self.open[name] = time.perf_counter()
        return start

    def _stopper(self, name):
        def stop(module, args, out):
            if self.armed and name in self.open:
                self._add(name, time.perf_counter() - self.open.pop(name))
                weight = getattr(module, "weight", None)
                self.shapes[name] = (type(module).__name__, None if weight is None else tuple(weight.shape),
                                     tuple(args[0].shape), tuple(out.shape))
        return stop

    def close(self):
        for handle in self.handles:
            handle.remove()

    def run(self, fn):
        return fn()
