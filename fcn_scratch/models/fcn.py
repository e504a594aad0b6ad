"""FCN-32s, FCN-16s and FCN-8s (Long, Shelhamer & Darrell, CVPR 2015).

A VGG-style encoder turns an image into class scores at 1/32 of its
resolution; transposed convolutions bring them back to full size. The three
nets differ only in how much finer information they fuse on the way up:

    FCN-32s:  score_fr --x32--> logits
    FCN-16s:  score_fr --x2--> (+ score_pool4) --x16--> logits
    FCN-8s:   score_fr --x2--> (+ score_pool4) --x2--> (+ score_pool3) --x8--> logits

Two geometries share this code (:mod:`fcn_scratch.models.configs`): the small
net the course trains, and the paper's VGG16 (``build("fcn8s-vgg16")``).

Alignment. Maps of different strides are added only where their pixels lie
on one grid, and every crop that lines them up is computed from the layers by
coordinate maps (:mod:`fcn_scratch.models.coord_map`), as Caffe's reference
does. In the small nets every 3x3 convolution is padded by 1 and every pool
is 2x2, stride 2, with ``ceil_mode`` (so any input size works): pixel ``j``
of a map at stride ``S`` is centred on input coordinate ``S*j + (S-1)/2``. A
bilinear ``ConvTranspose2d`` with stride ``f`` and kernel ``2f`` (no padding)
puts coarse pixel ``j`` at fine coordinate ``f*j + f - 1/2``, which is
``f/2`` fine pixels past where pixel ``j`` of the fine grid sits: the
upsampled map is cropped at ``f/2`` (1 for x2, 4 for x8, 8 for x16, 16 for
x32), and, ``(ceil(H/f) + 1) * f`` long, it always covers the crop. The
reference pads conv1_1 by 100 so that its unpadded 7x7 fc6 still sees a large
enough map on small images; that shifts every map, the skips' score maps come
out larger than the upsampled scores, and the same computation crops them
instead (FCN-8s: score_pool4 at 5, score_pool3 at 9, the output at 31;
FCN-16s: 5 and 27; FCN-32s: 19).
"""
from numbers import Integral

from ..backend import global_rng
from ..errors import InputError
from ..functional import bilinear_kernel
from ..layers import Conv2d, ConvTranspose2d, Crop, Dropout, Fuse, MaxPool2d, ReLU, Scale
from .base import Model
from .configs import SMALL
from .coord_map import IMAGE, crop_offset
from .summary import summary as _summary


class FCN(Model):
    """The encoder and classifier shared by the three nets, and their configuration.

    Parameters: ``conv{b}_{i}`` (block b = 1..5 of ``widths[b-1]`` channels,
    i = 1..``convs_per_block`` (one number, or one per block)), 3x3, padded by
    1 (conv1_1 by ``conv1_padding``); ``fc6`` (a ``fc6_kernel`` convolution
    to ``fc_channels``, padded by ``fc6_padding``, by default to keep the
    size), ``fc7`` (1x1), ``score_fr`` (1x1 to ``num_classes``). pool3, pool4,
    pool5 sit at 1/8, 1/16, 1/32. Convolutions start He-normal; ``score_fr``
    and the skip score layers start at zero, so a fresh net outputs all-zero
    logits (loss ln(num_classes)).
    """

    name = None

    def __init__(self, num_classes, in_channels=3, widths=SMALL["widths"], convs_per_block=SMALL["convs_per_block"],
                 conv1_padding=SMALL["conv1_padding"], fc_channels=SMALL["fc_channels"],
                 fc6_kernel=SMALL["fc6_kernel"], fc6_padding=SMALL["fc6_padding"], dropout=0.5,
                 learn_final_upsampling=False, class_names=None, rng=None, dtype=None):
        super().__init__()
        # plain Python numbers from here on (NumPy's too are accepted): the configuration is written as JSON
        num_classes, in_channels, conv1_padding, fc_channels, fc6_kernel = map(
            int, (num_classes, in_channels, conv1_padding, fc_channels, fc6_kernel))
        fc6_padding, widths = None if fc6_padding is None else int(fc6_padding), [int(w) for w in widths]
        if isinstance(convs_per_block, Integral):
            convs_per_block = int(convs_per_block)
            convs = [convs_per_block] * 5
        else:
            convs_per_block = convs = [int(c) for c in convs_per_block]
        if len(widths) != 5 or len(convs) != 5:
            raise InputError(f"the encoder has 5 blocks: widths and convs_per_block give 5 numbers, got "
                             f"{len(widths)} and {len(convs)}")
        if fc6_padding is None and fc6_kernel % 2 != 1:
            raise InputError(f"fc6_kernel must be odd (it is padded to keep the size), got {fc6_kernel}")
        if class_names is not None and len(class_names) != num_classes:
            raise InputError(f"{len(class_names)} class names for {num_classes} classes")
        self.num_classes, self.in_channels = num_classes, in_channels
        self.config = dict(num_classes=num_classes, in_channels=in_channels, widths=widths,
                           convs_per_block=convs_per_block, conv1_padding=conv1_padding, fc_channels=fc_channels,
                           fc6_kernel=fc6_kernel, fc6_padding=fc6_padding, dropout=float(dropout),
                           learn_final_upsampling=learn_final_upsampling, class_names=list(class_names) if class_names is not None else None)
        rng = rng if rng is not None else global_rng()
        self._init = kw = dict(rng=rng, dtype=dtype)
        self.features = []
        channels = in_channels
        for block, (width, count) in enumerate(zip(widths, convs), start=1):
            for i in range(1, count + 1):
                padding = conv1_padding if (block, i) == (1, 1) else 1
                self._add_feature(f"conv{block}_{i}", Conv2d(channels, width, 3, padding=padding, **kw))
                self._add_feature(f"relu{block}_{i}", ReLU(inplace=True))
                channels = width
            self._add_feature(f"pool{block}", MaxPool2d(2, stride=2, ceil_mode=True))
        seeds = rng.integers(0, 2 ** 31, size=2)
        fc6_padding = fc6_kernel // 2 if fc6_padding is None else fc6_padding
        self._add_feature("fc6", Conv2d(channels, fc_channels, fc6_kernel, padding=fc6_padding, **kw))
        self._add_feature("relu6", ReLU(inplace=True))
        self._add_feature("drop6", Dropout(dropout, seed=int(seeds[0])))
        self._add_feature("fc7", Conv2d(fc_channels, fc_channels, 1, **kw))
        self._add_feature("relu7", ReLU(inplace=True))
        self._add_feature("drop7", Dropout(dropout, seed=int(seeds[1])))
        self._add_feature("score_fr", self._score_layer(fc_channels))
        self.widths = tuple(widths)
        self.maps = self._coord_maps()

    def _coord_maps(self):
        """The coordinate map of every feature's output, by name, and of the image."""
        maps, current = {"image": IMAGE}, IMAGE
        for name in self.features:
            current = maps[name] = current.through(getattr(self, name))
        return maps

    @property
    def class_names(self):
        """The names of the classes: the configured ones, or "0", "1", ... when none were given."""
        return self.config["class_names"] or [str(i) for i in range(self.num_classes)]

    def _add_feature(self, name, layer):
        setattr(self, name, layer)
        self.features.append(name)

    def _score_layer(self, channels):
        """A 1x1 convolution to class scores, starting at zero (weight and bias)."""
        layer = Conv2d(channels, self.num_classes, 1, **self._init)
        layer.params["weight"][...] = 0
        return layer

    def _upsample(self, factor, frozen):
        """A bilinear ``ConvTranspose2d`` by ``factor`` (kernel 2f, stride f, no bias)."""
        layer = ConvTranspose2d(self.num_classes, self.num_classes, 2 * factor, stride=factor, bias=False,
                                **self._init)
        layer.params["weight"] = bilinear_kernel(self.num_classes, self.num_classes, 2 * factor,
                                                 self._init["dtype"])
        if frozen:
            layer.freeze()
        return layer

    def freeze_upsampling(self):
        """Keep every transposed convolution at its bilinear start, as the reference trains the paper's nets
        (pytorch-fcn puts none of them in an optimizer group). Returns the model."""
        for layer in self.layers.values():
            if isinstance(layer, ConvTranspose2d):
                layer.freeze()
        return self

    @staticmethod
    def _fuse(upsampled, skip):
        """A :class:`Fuse` of the ``upsampled`` scores with a ``skip``'s scores (their coordinate maps);
        returns the layer and the map of the sum (the smaller of the two)."""
        offset = crop_offset(upsampled, skip)
        return Fuse(offset), (skip if offset >= 0 else upsampled)

    def _final(self, upsampled):
        """The crop of the final upsampled scores (a coordinate map) to the image."""
        return Crop(crop_offset(upsampled, IMAGE))

    def encode(self, x):
        """x (N, C_in, H, W) -> score_fr (N, classes, H/32, W/32 as the geometry rounds them), and
        ``{"pool3": ..., "pool4": ...}`` for the skips."""
        self.conv1_1.check_input(x, self.in_channels)
        skips = {}
        for name in self.features:
            x = getattr(self, name)(x)
            if name in ("pool3", "pool4"):
                skips[name] = x
        return x, skips

    def encode_backward(self, d_score_fr, input_grad=True, **skip_grads):
        """The encoder read from the top down. pool3 and pool4 feed both the next block and a
        skip branch, so there the two gradients that reach them are added. The first layer,
        conv1_1, returns the gradient for the image only if ``input_grad``."""
        d = d_score_fr
        for name in reversed(self.features[1:]):
            if name in skip_grads:
                d = d + skip_grads[name]
            d = getattr(self, name).backward(d)
        return self.conv1_1.backward(d, input_grad=input_grad)

    def summary(self, input_size, name=None):
        """Table of layers, output shapes and parameter counts for an input of ``input_size``, titled
        ``name`` (the name it was built by; default: the class)."""
        return _summary(self, input_size, name)


class FCN32s(FCN):
    """FCN-32s: the class scores at stride 32, upsampled 32x in one step.

    forward:  x (N, C_in, H, W) -> logits (N, num_classes, H, W)
    """

    name = "fcn32s"

    def __init__(self, num_classes, **config):
        super().__init__(num_classes, **config)
        self.upscore = self._upsample(32, not self.config["learn_final_upsampling"])
        self.crop_upscore = self._final(self.maps["score_fr"].through(self.upscore))

    def forward(self, x):
        score_fr, _ = self.encode(x)
        return self.crop_upscore(self.upscore(score_fr), x.shape)

    def backward(self, d_logits, input_grad=True):
        """d loss / d logits (N, classes, H, W) -> d loss / d x (None unless ``input_grad``: training
        needs only the parameter gradients, left in place)."""
        d_score_fr = self.upscore.backward(self.crop_upscore.backward(d_logits))
        return self.encode_backward(d_score_fr, input_grad=input_grad)


class FCN16s(FCN):
    """FCN-16s: scores upsampled 2x, fused with scores from pool4, then upsampled 16x.

    forward:  x (N, C_in, H, W) -> logits (N, num_classes, H, W)
    """

    name = "fcn16s"

    def __init__(self, num_classes, **config):
        super().__init__(num_classes, **config)
        self.upscore2 = self._upsample(2, False)
        self.score_pool4 = self._score_layer(self.widths[3])
        self.fuse_pool4, fused = self._fuse(self.maps["score_fr"].through(self.upscore2),
                                            self.maps["pool4"].through(self.score_pool4))
        self.upscore16 = self._upsample(16, not self.config["learn_final_upsampling"])
        self.crop_upscore16 = self._final(fused.through(self.upscore16))

    def forward(self, x):
        score_fr, skips = self.encode(x)
        fuse_pool4 = self.fuse_pool4(self.upscore2(score_fr), self.score_pool4(skips["pool4"]))
        return self.crop_upscore16(self.upscore16(fuse_pool4), x.shape)

    def backward(self, d_logits, input_grad=True):
        """d loss / d logits (N, classes, H, W) -> d loss / d x (None unless ``input_grad``: training
        needs only the parameter gradients, left in place)."""
        d_fuse_pool4 = self.upscore16.backward(self.crop_upscore16.backward(d_logits))
        d_upscore2, d_score_pool4 = self.fuse_pool4.backward(d_fuse_pool4)   # a sum: both get the gradient
        d_pool4 = self.score_pool4.backward(d_score_pool4)
        d_score_fr = self.upscore2.backward(d_upscore2)
        return self.encode_backward(d_score_fr, pool4=d_pool4, input_grad=input_grad)


class FCN8s(FCN):
    """FCN-8s: like FCN-16s, then 2x again and fused with scores from pool3, then 8x.

    forward:  x (N, C_in, H, W) -> logits (N, num_classes, H, W)

    ``at_once=True`` is the reference's FCN-8s trained in one stage: pool4 and
    pool3 are scaled by 0.01 and 0.0001 before their score layers (a factor of
    1 otherwise).
    """

    name = "fcn8s"

    def __init__(self, num_classes, at_once=False, **config):
        super().__init__(num_classes, **config)
        self.config["at_once"] = at_once
        self.upscore2 = self._upsample(2, False)
        self.scale_pool4 = Scale(0.01 if at_once else 1)
        self.score_pool4 = self._score_layer(self.widths[3])
        self.fuse_pool4, fused4 = self._fuse(self.maps["score_fr"].through(self.upscore2),
                                             self.maps["pool4"].through(self.scale_pool4, self.score_pool4))
        self.upscore_pool4 = self._upsample(2, False)
        self.scale_pool3 = Scale(0.0001 if at_once else 1)
        self.score_pool3 = self._score_layer(self.widths[2])
        self.fuse_pool3, fused3 = self._fuse(fused4.through(self.upscore_pool4),
                                             self.maps["pool3"].through(self.scale_pool3, self.score_pool3))
        self.upscore8 = self._upsample(8, not self.config["learn_final_upsampling"])
        self.crop_upscore8 = self._final(fused3.through(self.upscore8))

    def forward(self, x):
        score_fr, skips = self.encode(x)
        score_pool4 = self.score_pool4(self.scale_pool4(skips["pool4"]))
        fuse_pool4 = self.fuse_pool4(self.upscore2(score_fr), score_pool4)
        score_pool3 = self.score_pool3(self.scale_pool3(skips["pool3"]))
        fuse_pool3 = self.fuse_pool3(self.upscore_pool4(fuse_pool4), score_pool3)
        return self.crop_upscore8(self.upscore8(fuse_pool3), x.shape)

    def backward(self, d_logits, input_grad=True):
        """d loss / d logits (N, classes, H, W) -> d loss / d x (None unless ``input_grad``: training
        needs only the parameter gradients, left in place)."""
        d_fuse_pool3 = self.upscore8.backward(self.crop_upscore8.backward(d_logits))
        d_upscore_pool4, d_score_pool3 = self.fuse_pool3.backward(d_fuse_pool3)   # a sum: both get it
        d_fuse_pool4 = self.upscore_pool4.backward(d_upscore_pool4)
        d_pool3 = self.scale_pool3.backward(self.score_pool3.backward(d_score_pool3))
        d_upscore2, d_score_pool4 = self.fuse_pool4.backward(d_fuse_pool4)
        d_score_fr = self.upscore2.backward(d_upscore2)
        d_pool4 = self.scale_pool4.backward(self.score_pool4.backward(d_score_pool4))
        return self.encode_backward(d_score_fr, pool4=d_pool4, pool3=d_pool3, input_grad=input_grad)
