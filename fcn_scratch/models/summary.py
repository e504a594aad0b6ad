"""summary(): the table of layers, output shapes and parameter counts students look at first, and the
output shapes alone, read through forward hooks (``output_shapes``, ``recording_output_shapes``)."""
import contextlib

from .. import backend
from ..errors import InputError
from ..layers.base import forward_hooks


@contextlib.contextmanager
def recording_output_shapes(model):
    """Within the block, a forward hook on every layer of ``model.layers`` notes its output's shape.

    Yields ``{layer name: output shape}``, which fills as the layers run, in the order they first run:
    a tuple such as (N, C, H, W), the first element's for a layer that returns a tuple (``MaxPool2d``
    with ``return_indices``), the latest call's for a layer that runs twice. The hooks come off when
    the block ends, by an error too."""
    shapes = {}

    def note(name):
        def hook(layer, args, out):
            shapes[name] = tuple((out[0] if isinstance(out, tuple) else out).shape)
        return hook
    with forward_hooks(model.layers.items(), note):
        yield shapes


def output_shapes(model, input_size):
    """``{layer name: output shape}`` of one forward pass on zeros of ``input_size`` ((C, H, W), a batch
    of one, or (N, C, H, W)), as :func:`recording_output_shapes` notes them: only the layers the pass
    calls, in the order they run. The pass runs in eval mode inside ``no_grad()``; the model's mode is
    restored afterwards."""
    xp = backend.xp_for(model.device)
    with model.predicting(), recording_output_shapes(model) as shapes:
        model(xp.zeros(_batch(input_size), dtype=model.dtype))
    return shapes


def summary(model, input_size, name=None):
    """Run one forward pass on zeros of ``input_size`` ((C, H, W) or (N, C, H, W)) and
    return a table titled by ``name`` (default: the model's class): every layer the pass calls, in the
    order the model registers them, its output shape (from :func:`output_shapes`) and its parameter
    count, then the totals."""
    shapes = output_shapes(model, input_size)
    logits = list(shapes.values())[-1]       # the last layer to run, the crop to the image, returns the logits
    rows = [("input", "", str(_batch(input_size)), "")]
    for layer_name, layer in model.layers.items():
        if layer_name not in shapes:
            continue
        count = sum(int(v.size) for v in layer.params.values())
        frozen = " (frozen)" if layer.frozen else ""
        rows.append((layer_name, type(layer).__name__, str(shapes[layer_name]), f"{count:,}{frozen}" if count else "-"))
    total = model.num_parameters(True)
    trainable = model.num_parameters(False)
    widths = [max(len(r[i]) for r in rows + [("layer", "type", "output shape", "parameters")]) for i in range(4)]
    line = "  ".join("{:<%d}" % w for w in widths)
    header = line.format("layer", "type", "output shape", "parameters")
    body = [line.format(*r) for r in rows]
    title = f"{name or type(model).__name__} on a {' x '.join(map(str, _batch(input_size)))} input: logits {logits}"
    return "\n".join([title, header, "-" * len(header)] + body +
                     ["-" * len(header), f"total parameters: {total:,}   trainable: {trainable:,}"])


def _batch(input_size):
    """``input_size`` as (N, C, H, W): (C, H, W) becomes a batch of one."""
    size = tuple(input_size)
    if len(size) == 3:
        size = (1,) + size
    if len(size) != 4:
        raise InputError(f"input_size must be (C, H, W) or (N, C, H, W), got {tuple(input_size)}")
    return size
