"""Each layer's share of a whole forward pass, clocked inside it, for us and for PyTorch alike.

The layers are not run alone: hooks note the time as each layer ends (and,
on PyTorch's modules, as it starts) while the model runs its own ``forward``,
so the layer sees what it sees in use (its input fresh from the layer before,
the work arrays as the model leaves them) and the times add up to the pass.
Ours have forward hooks only (:meth:`fcn_scratch.layers.Layer.register_forward_hook`,
called as a layer's forward returns), so one of our layers runs from the end
of the layer before (the first from the start of the pass) to its own end:
the little Python between two layers is charged to the second.
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
        self.handles = []           # the hooks this clock put on the model
        self.armed = False
        self.seconds = {}           # name -> [seconds, one per armed pass]
        self.shapes = {}            # name -> (kind, weight shape, input shape, output shape)

    def close(self):
        """Take this clock's hooks off the model."""
        for handle in self.handles:
            handle.remove()

    def medians(self):
        """``[(name, median seconds)]`` in the order the layers ran."""
        return [(name, statistics.median(times)) for name, times in self.seconds.items() if times]

    def _add(self, name, seconds):
        self.seconds.setdefault(name, []).append(seconds)


class OurClock(_Clock):
    """Clocks the layers of one of our models; ``clock.run(lambda: model(x))`` for each pass."""

    def __init__(self, model):
        super().__init__()
        self.ends = []
        self.handles = [layer.register_forward_hook(self._note(name)) for name, layer in model.layers.items()]

    def _note(self, name):
        def note(layer, args, out):
            if self.armed:
                first = out[0] if isinstance(out, tuple) else out
                self.ends.append((name, layer, tuple(args[0].shape), tuple(first.shape), time.perf_counter()))
        return note

    def run(self, fn):
        """``fn()`` (a whole forward pass), each layer's time noted if armed; returns what ``fn`` returns."""
        self.ends = []
        start = time.perf_counter()
        out = fn()
        if self.armed:
            starts = [start] + [end for *_, end in self.ends[:-1]]
            for (name, layer, in_shape, out_shape, end), begin in zip(self.ends, starts):
                self._add(name, end - begin)
                weight = layer.params.get("weight")
                self.shapes[name] = (type(layer).__name__, None if weight is None else tuple(weight.shape),
                                     in_shape, out_shape)
        return out


class TorchClock(_Clock):
    """Clocks the leaf modules of a PyTorch model by forward pre-hooks and forward hooks (PyTorch itself
    is reached only through the module's methods)."""

    def __init__(self, model):
        super().__init__()
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

    def run(self, fn):
        return fn()
