"""summary(): the table of layers, output shapes and parameter counts students look at first."""
from .. import backend
from ..grad_mode import no_grad


def summary(model, input_size):
    """Run one forward pass on zeros of ``input_size`` ((C, H, W) or (N, C, H, W)) and
    return a table: every layer in call order, its output shape and its parameter count,
    then the totals. A forward hook on each layer notes its output's shape."""
    size = tuple(input_size)
    if len(size) == 3:
        size = (1,) + size
    if len(size) != 4:
        raise ValueError(f"input_size must be (C, H, W) or (N, C, H, W), got {tuple(input_size)}")
    xp = backend.xp_for(model.device)
    shapes = {}

    def note(name):
        def hook(layer, args, out):
            shapes[name] = tuple((out[0] if isinstance(out, tuple) else out).shape)
        return hook
    handles = [layer.register_forward_hook(note(name)) for name, layer in model.layers.items()]
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            out = model.forward(xp.zeros(size, dtype=model.dtype))
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()
    rows = [("input", "", str(size), "")]
    for name, layer in model.layers.items():
        if name not in shapes:
            continue
        count = sum(int(v.size) for v in layer.params.values())
        frozen = " (frozen)" if layer.frozen else ""
        rows.append((name, type(layer).__name__, str(shapes[name]), f"{count:,}{frozen}" if count else "-"))
    total = model.num_parameters(True)
    trainable = model.num_parameters(False)
    widths = [max(len(r[i]) for r in rows + [("layer", "type", "output shape", "parameters")]) for i in range(4)]
    line = "  ".join("{:<%d}" % w for w in widths)
    header = line.format("layer", "type", "output shape", "parameters")
    body = [line.format(*r) for r in rows]
    return "\n".join([f"{type(model).__name__} on {tuple(out.shape)} logits", header, "-" * len(header)] + body +
                     ["-" * len(header), f"total parameters: {total:,}   trainable: {trainable:,}"])
