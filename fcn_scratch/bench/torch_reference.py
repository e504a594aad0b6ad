"""The same FCN-8s in PyTorch, when PyTorch happens to be installed (it is not a dependency)."""


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
