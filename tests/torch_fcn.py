"""A PyTorch FCN for the tests, built as pytorch-fcn builds its FCN32s, FCN16s, FCN8s and FCN8sAtOnce
(torchfcn/models/fcn32s.py, fcn16s.py, fcn8s.py), with the sizes configurable so that small ones run fast.

Its parameter names and layouts are pytorch-fcn's: ``conv{b}_{i}``, ``fc6``, ``fc7``, ``score_fr``,
``score_pool4``, ``score_pool3``, ``upscore2``, ``upscore_pool4``, and the final ``upscore8``
(FCN-16s ``upscore16``, FCN-32s ``upscore``); Conv2d weights (out, in, kh, kw), ConvTranspose2d
weights (in, out, kh, kw), no bias on the upsamplings. A file that loads into it with
``load_state_dict(strict=True)`` loads into pytorch-fcn's modules of the same sizes.

The forward pass is the reference's: conv1_1 padded by ``conv1_padding`` (100), the other
convolutions by 1, 2x2 max pools with ``ceil_mode``, fc6 a ``fc6_kernel`` (7) convolution padded by
``fc6_padding`` (0), ReLU and Dropout2d after fc6 and fc7, and every skip's scores cropped to the
upsampled scores at a fixed offset (FCN-8s: score_pool4 at 5, score_pool3 at 9, the output at 31;
FCN-16s: 5 and 27; FCN-32s: 19). Those offsets follow from the padding of 100 and the 7x7 fc6, so
the forward pass is the reference's at any widths with those two; other geometries still load.
FCN-8s at once scales pool4 by 0.01 and pool3 by 0.0001 before their score layers.

``crops="small"`` is the course's small geometry instead (every 3x3 convolution padded by 1, fc6 a
same-padded 3x3): there the upsampled scores are the larger map, and a negative offset crops them to
the skip's scores (x2 at 1), the output at f/2 (x8 at 4, x16 at 8, x32 at 16).
"""
import torch
from torch import nn

# The crops of pytorch-fcn's forward passes: where each skip's scores and the final output are cut.
CROPS = {"32s": {"output": 19}, "16s": {"pool4": 5, "output": 27}, "8s": {"pool4": 5, "pool3": 9, "output": 31}}
SMALL_CROPS = {"32s": {"output": 16}, "16s": {"pool4": -1, "output": 8}, "8s": {"pool4": -1, "pool3": -1, "output": 4}}
# FCN-8s at once: the skips' inputs are scaled so that all of the net can train in one stage.
AT_ONCE_SCALES = {"pool4": 0.01, "pool3": 0.0001}


class TorchFCN(nn.Module):
    """``variant``: "32s", "16s", "8s" or "8s-atonce". forward: x (N, 3, H, W) -> (N, n_class, H, W)."""

    def __init__(self, variant="8s", n_class=21, widths=(64, 128, 256, 512, 512), convs_per_block=(2, 2, 3, 3, 3),
                 fc_channels=4096, conv1_padding=100, fc6_kernel=7, fc6_padding=0, crops="reference"):
        super().__init__()
        self.at_once = variant.endswith("-atonce")
        self.variant = variant.removesuffix("-atonce")
        self.crops = (CROPS if crops == "reference" else SMALL_CROPS)[self.variant]
        self.blocks = []
        channels = 3
        for block, (width, count) in enumerate(zip(widths, convs_per_block), start=1):
            names = []
            for i in range(1, count + 1):
                padding = conv1_padding if (block, i) == (1, 1) else 1
                setattr(self, f"conv{block}_{i}", nn.Conv2d(channels, width, 3, padding=padding))
                names.append(f"conv{block}_{i}")
                channels = width
            self.blocks.append(names)
        self.pool = nn.MaxPool2d(2, stride=2, ceil_mode=True)
        self.fc6 = nn.Conv2d(channels, fc_channels, fc6_kernel, padding=fc6_padding)
        self.fc7 = nn.Conv2d(fc_channels, fc_channels, 1)
        self.drop = nn.Dropout2d()
        self.score_fr = nn.Conv2d(fc_channels, n_class, 1)
        if self.variant == "32s":
            self.upscore = self._upsampling(n_class, 32)
            return
        self.score_pool4 = nn.Conv2d(widths[3], n_class, 1)
        self.upscore2 = self._upsampling(n_class, 2)
        if self.variant == "16s":
            self.upscore16 = self._upsampling(n_class, 16)
            return
        self.score_pool3 = nn.Conv2d(widths[2], n_class, 1)
        self.upscore_pool4 = self._upsampling(n_class, 2)
        self.upscore8 = self._upsampling(n_class, 8)

    @staticmethod
    def _upsampling(n_class, factor):
        return nn.ConvTranspose2d(n_class, n_class, 2 * factor, stride=factor, bias=False)

    def _fuse(self, name, pool, upsampled):
        """The upsampled scores plus a skip's, the larger of the two cropped to the other."""
        if self.at_once:
            pool = pool * AT_ONCE_SCALES[name]
        scores = getattr(self, f"score_{name}")(pool)
        o = self.crops[name]
        if o < 0:
            return upsampled[:, :, -o:-o + scores.shape[2], -o:-o + scores.shape[3]] + scores
        return upsampled + scores[:, :, o:o + upsampled.shape[2], o:o + upsampled.shape[3]]

    def forward(self, x):
        h, pools = x, {}
        for block, names in enumerate(self.blocks, start=1):
            for name in names:
                h = torch.relu(getattr(self, name)(h))
            h = pools[f"pool{block}"] = self.pool(h)
        h = self.drop(torch.relu(self.fc6(h)))
        h = self.drop(torch.relu(self.fc7(h)))
        h = self.score_fr(h)
        if self.variant == "32s":
            h = self.upscore(h)
        else:
            h = self._fuse("pool4", pools["pool4"], self.upscore2(h))
            if self.variant == "16s":
                h = self.upscore16(h)
            else:
                h = self._fuse("pool3", pools["pool3"], self.upscore_pool4(h))
                h = self.upscore8(h)
        o = self.crops["output"]
        return h[:, :, o:o + x.shape[2], o:o + x.shape[3]].contiguous()
