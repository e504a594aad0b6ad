"""The PyTorch reference nets: the one definition of an FCN in PyTorch that the tests and the bench hold
ours to. PyTorch is not a dependency: it is imported inside the functions only, so this module imports
without it, and the bench's entry points return None where it is not installed.

:func:`torch_fcn` builds FCN-32s, FCN-16s, FCN-8s and FCN-8s at once as pytorch-fcn builds them
(torchfcn/models/fcn32s.py, fcn16s.py, fcn8s.py), with its module names: ``conv{b}_{i}``, ``relu{b}_{i}``,
``pool{b}``, ``fc6``, ``relu6``, ``drop6``, ``fc7``, ``relu7``, ``drop7``, ``score_fr``, ``score_pool3``,
``score_pool4``, ``upscore2``, ``upscore_pool4`` and the final ``upscore8`` (FCN-16s ``upscore16``,
FCN-32s ``upscore``); Conv2d weights (out, in, kh, kw), ConvTranspose2d weights (in, out, kh, kw), no bias
on the upsamplings. A file that loads into it with ``load_state_dict(strict=True)`` loads into
pytorch-fcn's module of the same sizes.

Two geometries, named as ``build`` names our nets:

- the paper's (``"fcn8s-vgg16"`` and the others): conv1_1 padded by 100, the other 3x3 convolutions by 1,
  2x2 max pools that round up, fc6 an unpadded 7x7, and every skip's scores cropped to the upsampled
  scores at pytorch-fcn's fixed offsets (FCN-8s: score_pool4 at 5, score_pool3 at 9, the output at 31;
  FCN-16s: 5 and 27; FCN-32s: 19). The padding of 100 and the 7x7 fc6 make those offsets, so they hold
  at any widths. FCN-8s at once scales pool4 by 0.01 and pool3 by 0.0001 before their score layers.
- the course's small one (``"fcn8s"``, ``"fcn16s"``, ``"fcn32s"``): every 3x3 convolution padded by 1 and
  fc6 same-padded, so the upsampled scores are the larger map: cropped at 1 to the skip's scores, the
  output at f/2 (x8 at 4, x16 at 8, x32 at 16).
"""
VGG16_WIDTHS = (64, 128, 256, 512, 512)
VGG16_CONVS = (2, 2, 3, 3, 3)
# Where each skip's scores (a positive offset) or the upsampled scores (a negative one) are cut, and the output.
CROPS = {"vgg16": {"fcn32s": {"output": 19}, "fcn16s": {"pool4": 5, "output": 27},
                   "fcn8s": {"pool4": 5, "pool3": 9, "output": 31}},
         "small": {"fcn32s": {"output": 16}, "fcn16s": {"pool4": -1, "output": 8},
                   "fcn8s": {"pool4": -1, "pool3": -1, "output": 4}}}
# FCN-8s at once: the skips' inputs scaled so that all of the net can train in one stage.
AT_ONCE_SCALES = {"pool4": 0.01, "pool3": 0.0001}
# Each net's upsamplings, in order: (name, factor); the last is the final one.
UPSAMPLINGS = {"fcn32s": (("upscore", 32),), "fcn16s": (("upscore2", 2), ("upscore16", 16)),
               "fcn8s": (("upscore2", 2), ("upscore_pool4", 2), ("upscore8", 8))}


def installed_torch():
    """PyTorch, or None where it is not installed."""
    try:
        import torch
    except ImportError:
        return None
    return torch


def torch_fcn(name, num_classes=21, widths=VGG16_WIDTHS, convs_per_block=VGG16_CONVS, fc_channels=4096,
              fc6_kernel=7):
    """pytorch-fcn's net of our ``name`` ("fcn8s-vgg16", "fcn8s-atonce-vgg16", "fcn16s-vgg16",
    "fcn32s-vgg16"; "fcn8s", "fcn16s", "fcn32s" in the small geometry), PyTorch's own initialization.
    ``convs_per_block`` is one number or five; fc6 is a ``fc6_kernel`` convolution, unpadded in the paper's
    geometry (whose crops need 7), same-padded in the small one. Raises ImportError without PyTorch.
    forward: x (N, 3, H, W) -> (N, num_classes, H, W)."""
    from torch import nn

    variant, geometry = name.split("-")[0], "vgg16" if name.endswith("-vgg16") else "small"
    at_once, crops = "-atonce" in name, CROPS[geometry][variant]
    convs = (convs_per_block,) * 5 if isinstance(convs_per_block, int) else tuple(convs_per_block)

    class TorchFCN(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = []                   # the names, in order, from conv1_1 to score_fr
            channels = 3
            for block, (width, count) in enumerate(zip(widths, convs), start=1):
                for i in range(1, count + 1):
                    padding = 100 if geometry == "vgg16" and block == i == 1 else 1
                    self.add(f"conv{block}_{i}", nn.Conv2d(channels, width, 3, padding=padding))
                    self.add(f"relu{block}_{i}", nn.ReLU(inplace=True))
                    channels = width
                self.add(f"pool{block}", nn.MaxPool2d(2, stride=2, ceil_mode=True))
            fc6_padding = 0 if geometry == "vgg16" else fc6_kernel // 2
            for layer, conv in ((6, nn.Conv2d(channels, fc_channels, fc6_kernel, padding=fc6_padding)),
                                (7, nn.Conv2d(fc_channels, fc_channels, 1))):
                self.add(f"fc{layer}", conv)
                self.add(f"relu{layer}", nn.ReLU(inplace=True))
                self.add(f"drop{layer}", nn.Dropout2d())
            self.add("score_fr", nn.Conv2d(fc_channels, num_classes, 1))
            for pool in ("pool3", "pool4"):
                if pool in crops:
                    setattr(self, f"score_{pool}", nn.Conv2d(widths[int(pool[-1]) - 1], num_classes, 1))
            for upsampling, factor in UPSAMPLINGS[variant]:
                setattr(self, upsampling, nn.ConvTranspose2d(num_classes, num_classes, 2 * factor, stride=factor,
                                                             bias=False))

        def add(self, layer, module):
            setattr(self, layer, module)
            self.encoder.append(layer)

        def fuse(self, pool, maps, upsampled):
            """The upsampled scores plus a skip's, the larger of the two cropped to the other."""
            scores = getattr(self, f"score_{pool}")(maps[pool] * AT_ONCE_SCALES[pool] if at_once else maps[pool])
            o = crops[pool]
            if o < 0:
                return upsampled[:, :, -o:-o + scores.size(2), -o:-o + scores.size(3)] + scores
            return upsampled + scores[:, :, o:o + upsampled.size(2), o:o + upsampled.size(3)]

        def forward(self, x):
            h, maps = x, {}
            for layer in self.encoder:
                h = getattr(self, layer)(h)
                if layer in ("pool3", "pool4"):        # only the skips' maps kept: the others are freed as made
                    maps[layer] = h
            for (upsampling, _), pool in zip(UPSAMPLINGS[variant], ("pool4", "pool3", None)):
                h = getattr(self, upsampling)(h)
                if pool in crops:
                    h = self.fuse(pool, maps, h)
            o = crops["output"]
            return h[:, :, o:o + x.size(2), o:o + x.size(3)].contiguous()

    return TorchFCN()


def vgg16_fcn8s(num_classes=21, widths=VGG16_WIDTHS, fc_channels=4096):
    """The paper's FCN-8s in PyTorch (:func:`torch_fcn` of "fcn8s-vgg16"), or None when PyTorch is not
    installed. ``widths`` and ``fc_channels`` narrow it for tests; the crops hold at any widths."""
    if installed_torch() is None:
        return None
    return torch_fcn("fcn8s-vgg16", num_classes, widths=widths, fc_channels=fc_channels)


def copy_weights(torch_model, our_model):
    """Give ``torch_model`` (from :func:`torch_fcn`) the weights of ``our_model`` (``build`` of the same
    name and sizes): the same names and layouts, so both compute the same function. Raises ValueError if
    a name or a shape differs."""
    import torch
    ours = {name: value for name, value, _ in our_model.named_parameters(include_frozen=True)}
    theirs = dict(torch_model.named_parameters())
    if set(ours) != set(theirs):
        raise ValueError(f"parameter names differ: ours only {sorted(set(ours) - set(theirs))}, "
                         f"PyTorch only {sorted(set(theirs) - set(ours))}")
    with torch.no_grad():
        for name, param in theirs.items():
            if tuple(param.shape) != tuple(ours[name].shape):
                raise ValueError(f"{name}: ours {tuple(ours[name].shape)}, PyTorch {tuple(param.shape)}")
            param.copy_(torch.from_numpy(ours[name]))


def torch_setup(cfg):
    """The bench configuration's FCN-8s (the small geometry) in PyTorch, seeded, upscore8 frozen as ours
    is: ``(model, x, step)``, ``step()`` one SGD training step on a seeded batch; None when PyTorch is not
    installed."""
    torch = installed_torch()
    if torch is None:
        return None
    torch.manual_seed(0)
    model = torch_fcn("fcn8s", cfg["num_classes"], widths=cfg["widths"], convs_per_block=cfg["convs_per_block"],
                      fc_channels=cfg["fc_channels"], fc6_kernel=cfg["fc6_kernel"])
    model.upscore8.weight.requires_grad_(False)
    x = torch.randn(cfg["batch"], 3, cfg["size"], cfg["size"])
    y = torch.randint(0, cfg["num_classes"], (cfg["batch"], cfg["size"], cfg["size"]))
    opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=1e-4, momentum=0.9)

    def step():
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y, ignore_index=255).backward()
        opt.step()
    return model, x, step


def torch_real_setup(cfg, our_model=None):
    """The paper's FCN-8s in PyTorch on the real-size configuration, in eval mode: ``(model, x)``, x the
    same seeded image batch as ours (:func:`fcn_scratch.bench.workload.real_input`), the weights
    ``our_model``'s when given (else PyTorch's own initialization); None when PyTorch is not installed."""
    model = vgg16_fcn8s(cfg["num_classes"])
    if model is None:
        return None
    import torch
    from .workload import real_input
    if our_model is not None:
        copy_weights(model, our_model)
    return model.eval(), torch.from_numpy(real_input(cfg))


def torch_real_training_step(cfg):
    """One SGD step of the paper's FCN-8s in PyTorch on the real-size configuration, as
    :func:`fcn_scratch.bench.workload.real_training_step` makes ours (train mode, the loss summed over the
    pixels, ``torch.optim.SGD(lr=1e-10, momentum=0.99, weight_decay=5e-4)``, upscore8 frozen), on the same
    image and labels, with PyTorch's own initialization: ``step()``, returning the seconds of its forward,
    backward and update; None when PyTorch is not installed."""
    model = vgg16_fcn8s(cfg["num_classes"])
    if model is None:
        return None
    import torch
    import torch.nn.functional as F
    from .workload import real_input, real_labels, timed_phases
    model.train()
    model.upscore8.weight.requires_grad_(False)
    x, labels = torch.from_numpy(real_input(cfg)), torch.from_numpy(real_labels(cfg))
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=1e-10, momentum=0.99,
                                weight_decay=5e-4)
    losses = []

    def update():
        optimizer.step()
        optimizer.zero_grad()
    return timed_phases(lambda: losses.append(F.cross_entropy(model(x), labels, reduction="sum")),
                        lambda: losses.pop().backward(), update)
