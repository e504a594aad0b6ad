"""The same nets in PyTorch, when PyTorch happens to be installed (it is not a dependency): the bench
configuration's small FCN-8s (:func:`torch_setup`), and the paper's VGG16 FCN-8s for the real-size
workload (:func:`vgg16_fcn8s`, :func:`torch_real_setup`)."""


def torch_setup(cfg):
    """The same FCN-8s in PyTorch: ``(model, x, step)``, or None when PyTorch is not installed."""
    try:
        import torch
        import torch.nn.functional as F
        from torch import nn
    except ImportError:
        return None
    torch.manual_seed(0)

    class TorchFCN8s(nn.Module):
        def __init__(self):
            super().__init__()
            layers, c = [], 3
            self.pools = []
            for w in cfg["widths"]:
                for _ in range(cfg["convs_per_block"]):
                    layers += [nn.Conv2d(c, w, 3, padding=1), nn.ReLU(inplace=True)]
                    c = w
                layers.append(nn.MaxPool2d(2, 2, ceil_mode=True))
                self.pools.append(len(layers) - 1)
            self.features = nn.Sequential(*layers)
            k, n = cfg["fc6_kernel"], cfg["num_classes"]
            self.head = nn.Sequential(nn.Conv2d(c, cfg["fc_channels"], k, padding=k // 2), nn.ReLU(True),
                                      nn.Dropout(0.5), nn.Conv2d(cfg["fc_channels"], cfg["fc_channels"], 1),
                                      nn.ReLU(True), nn.Dropout(0.5), nn.Conv2d(cfg["fc_channels"], n, 1))
            self.score_pool4 = nn.Conv2d(cfg["widths"][3], n, 1)
            self.score_pool3 = nn.Conv2d(cfg["widths"][2], n, 1)
            self.upscore2 = nn.ConvTranspose2d(n, n, 4, 2, bias=False)
            self.upscore_pool4 = nn.ConvTranspose2d(n, n, 4, 2, bias=False)
            self.upscore8 = nn.ConvTranspose2d(n, n, 16, 8, bias=False)
            self.upscore8.weight.requires_grad_(False)

        def forward(self, x):
            skips = []
            h = x
            for i, layer in enumerate(self.features):
                h = layer(h)
                if i in self.pools[2:4]:
                    skips.append(h)
            pool3, pool4 = skips
            s = self.head(h)
            s = self.upscore2(s)[:, :, 1:1 + pool4.shape[2], 1:1 + pool4.shape[3]] + self.score_pool4(pool4)
            s = self.upscore_pool4(s)[:, :, 1:1 + pool3.shape[2], 1:1 + pool3.shape[3]] + self.score_pool3(pool3)
            return self.upscore8(s)[:, :, 4:4 + x.shape[2], 4:4 + x.shape[3]]

    model = TorchFCN8s()
    x = torch.randn(cfg["batch"], 3, cfg["size"], cfg["size"])
    y = torch.randint(0, cfg["num_classes"], (cfg["batch"], cfg["size"], cfg["size"]))
    opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=1e-4, momentum=0.9)

    def step():
        opt.zero_grad()
        F.cross_entropy(model(x), y, ignore_index=255).backward()
        opt.step()
    return model, x, step


# The paper's FCN-8s (VGG16), as pytorch-fcn's torchfcn/models/fcn8s.py builds it: thirteen 3x3
# convolutions (conv1_1 padded by 100, the rest by 1), 2x2 max pools that round up, fc6 a 7x7 convolution
# to 4096 without padding, fc7 a 1x1, the score layers, three transposed convolutions without bias, and
# the skips' scores cropped at fixed offsets that the padding of 100 and the 7x7 fc6 make.
VGG16_WIDTHS = (64, 128, 256, 512, 512)
VGG16_CONVS = (2, 2, 3, 3, 3)
CROPS = {"score_pool4": 5, "score_pool3": 9, "output": 31}


def vgg16_fcn8s(num_classes=21, widths=VGG16_WIDTHS, fc_channels=4096):
    """The paper's FCN-8s in PyTorch, with pytorch-fcn's module names (``conv1_1``, ``relu1_1``, ...,
    ``pool5``, ``fc6``, ``relu6``, ``drop6``, ``fc7``, ``relu7``, ``drop7``, ``score_fr``, ``upscore2``,
    ``score_pool4``, ``upscore_pool4``, ``score_pool3``, ``upscore8``), or None when PyTorch is not
    installed. ``widths`` and ``fc_channels`` narrow it for tests; the crops hold at any widths.
    forward: x (N, 3, H, W) -> (N, num_classes, H, W)."""
    try:
        from torch import nn
    except ImportError:
        return None

    class TorchVGG16FCN8s(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = []                   # the names, in order, from conv1_1 to score_fr
            channels = 3
            for block, (width, count) in enumerate(zip(widths, VGG16_CONVS), start=1):
                for i in range(1, count + 1):
                    self._add(f"conv{block}_{i}", nn.Conv2d(channels, width, 3, padding=100 if block == i == 1 else 1))
                    self._add(f"relu{block}_{i}", nn.ReLU(inplace=True))
                    channels = width
                self._add(f"pool{block}", nn.MaxPool2d(2, stride=2, ceil_mode=True))
            self._add("fc6", nn.Conv2d(channels, fc_channels, 7))
            self._add("relu6", nn.ReLU(inplace=True))
            self._add("drop6", nn.Dropout2d())
            self._add("fc7", nn.Conv2d(fc_channels, fc_channels, 1))
            self._add("relu7", nn.ReLU(inplace=True))
            self._add("drop7", nn.Dropout2d())
            self._add("score_fr", nn.Conv2d(fc_channels, num_classes, 1))
            self.score_pool3 = nn.Conv2d(widths[2], num_classes, 1)
            self.score_pool4 = nn.Conv2d(widths[3], num_classes, 1)
            self.upscore2 = nn.ConvTranspose2d(num_classes, num_classes, 4, stride=2, bias=False)
            self.upscore_pool4 = nn.ConvTranspose2d(num_classes, num_classes, 4, stride=2, bias=False)
            self.upscore8 = nn.ConvTranspose2d(num_classes, num_classes, 16, stride=8, bias=False)

        def _add(self, name, module):
            setattr(self, name, module)
            self.encoder.append(name)

        def forward(self, x):
            h = x
            for name in self.encoder:
                h = getattr(self, name)(h)
                if name == "pool3":
                    pool3 = h
                elif name == "pool4":
                    pool4 = h
            upscore2 = self.upscore2(h)
            o = CROPS["score_pool4"]
            score_pool4 = self.score_pool4(pool4)[:, :, o:o + upscore2.size(2), o:o + upscore2.size(3)]
            upscore_pool4 = self.upscore_pool4(upscore2 + score_pool4)
            o = CROPS["score_pool3"]
            score_pool3 = self.score_pool3(pool3)[:, :, o:o + upscore_pool4.size(2), o:o + upscore_pool4.size(3)]
            upscore8 = self.upscore8(upscore_pool4 + score_pool3)
            o = CROPS["output"]
            return upscore8[:, :, o:o + x.size(2), o:o + x.size(3)].contiguous()

    return TorchVGG16FCN8s()


def copy_weights(torch_model, our_model):
    """Give ``torch_model`` (from :func:`vgg16_fcn8s`) the weights of ``our_model`` (``build("fcn8s-vgg16")``):
    the same names and layouts (Conv2d (out, in, kh, kw), ConvTranspose2d (in, out, kh, kw)), so both
    compute the same function. Raises ValueError if a name or a shape differs."""
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
