"""Lesson 7: FCN-32s, FCN-16s and FCN-8s, and the skips that fuse pool4 and pool3.

The encoder leaves class scores (score_fr) at stride 32: one channel per
class. The reference FCN has 21 of them, PASCAL VOC's 20 object classes plus
background; the nets here have as many as their data (6 in this lesson, 4 in
the toy training run). FCN-32s upsamples them 32x in one step: right classes,
blobby boundaries.

The paper's main contribution is the skip architecture that fixes this: it
fuses deep, coarse layers, which know *what* is in the image, with shallow,
fine layers, which know *where* it is:

    FCN-16s: upsample score_fr 2x, add a 1x1-conv score map of pool4 (stride 16), upsample 16x
    FCN-8s:  and then 2x again, add a score map of pool3 (stride 8), upsample 8x

Each skip is a 1x1 convolution from a pooling layer to class scores, summed
with the upsampled deeper scores: the deep path decides the class, the
shallow one moves its boundary to where the pixels say it is.

Alignment. Upsampled maps come out a little larger than the map they are
fused with, and are cropped. With 3x3 convolutions padded by 1 and 2x2
pooling, pixel j of a stride-S map sits at input coordinate S*j + (S-1)/2,
and a bilinear x f upsampling (kernel 2f, stride f) is offset by f/2 from
the finer grid: so the crops are at 1 (x2), 4 (x8), 8 (x16) and 16 (x32).
The reference Caffe model instead pads conv1 by 100 pixels, so that its
unpadded 7x7 fc6 still fits small images, and crops at the offsets that
padding causes: FCN-8s at 5 (score_pool4), 9 (score_pool3) and 31 (the final
x8); FCN-16s at 5 and 27; FCN-32s at 19.

Initialization. The score layers (score_fr, score_pool4, score_pool3) start
at zero: a fresh net outputs all-zero logits, so its first loss is exactly
ln(num_classes), and each skip starts contributing nothing, so a fresh FCN-8s
predicts what its coarse path alone predicts. Training grows the skips from there.

Measuring a segmentation. With n_ij the pixels of true class i predicted as
class j, t_i = sum_j n_ij the pixels of class i and n_cl the number of classes,
the paper reports four numbers (fcn_scratch.metrics computes them):

    pixel accuracy         sum_i n_ii / sum_i t_i
    mean accuracy          (1/n_cl) sum_i n_ii / t_i
    mean IU                (1/n_cl) sum_i n_ii / (t_i + sum_j n_ji - n_ii)
    frequency-weighted IU  (1 / sum_k t_k) sum_i t_i n_ii / (t_i + sum_j n_ji - n_ii)

IU is intersection over union: the pixels both call class i, over the pixels
either calls class i. Mean IU, the paper's headline number, weighs every class
alike, so a net cannot score well by getting the background right alone.

What a stride costs. Suppose a net knew, for every cell of its score map,
exactly what fraction of the cell each class covers, and the final bilinear
upsampling did the rest. The mean IU of that guess shows how much detail
the stride alone throws away. It is not a strict ceiling (a net can push its
scores past plain fractions to sharpen a boundary), but trained nets land
near or below it. Section 5 measures it on the toy validation images and draws
it for one image.

Run: python lessons/07_fcn_skips.py [--quick] [--out DIR] [--device cpu|cuda]
(--quick: small sizes, seconds; the tests use it.)
"""
import math

import numpy as np

from _common import figure, parse_args, save, section
from fcn_scratch import backend
from fcn_scratch.data import make_sample
from fcn_scratch.functional import bilinear_kernel
from fcn_scratch.layers import ConvTranspose2d, Crop, SoftmaxCrossEntropy
from fcn_scratch.metrics import ConfusionMatrix, metrics_from_confusion
from fcn_scratch.models import build


def fractions_upsampled(labels, stride, num_classes=4):
    """The best a stride-``stride`` score map can say about ``labels`` (H, W): each cell holds the true
    class fractions of its ``stride x stride`` pixels, upsampled as FCN does (bilinear ConvTranspose2d,
    kernel 2*stride, then the crop by stride/2), argmax per pixel -> (H, W) classes."""
    size = labels.shape[0]
    up = ConvTranspose2d(num_classes, num_classes, 2 * stride, stride, bias=False)
    up.params["weight"] = bilinear_kernel(num_classes, num_classes, 2 * stride, np.float64)
    cells = -(-size // stride)
    padded = np.full((cells * stride, cells * stride), num_classes)
    padded[:size, :size] = labels
    onehot = np.eye(num_classes + 1)[padded][..., :num_classes].transpose(2, 0, 1)
    fractions = onehot.reshape(num_classes, cells, stride, cells, stride).mean(axis=(2, 4))
    return Crop(stride // 2)(up(fractions[None]), (size, size))[0].argmax(axis=0)


def stride_ceiling(stride, image_size, count, num_classes=4):
    """Mean IU and per-class IU of :func:`fractions_upsampled` on ``count`` validation images."""
    confusion = ConfusionMatrix(num_classes)
    for i in range(count):
        _, labels = make_sample(i, 0, "val", image_size, num_classes)
        confusion.update(fractions_upsampled(labels, stride, num_classes), labels)
    m = metrics_from_confusion(confusion.matrix)
    return m["mean_iu"], m["per_class_iu"]


def main():
    args = parse_args(__doc__, "07_fcn_skips")
    xp = backend.xp_for(args.device)
    cfg = dict(widths=(4, 4, 8, 8, 8), fc_channels=16) if args.quick else {}
    size = 64 if args.quick else 128

    section("1. The three nets")
    models = {name: build(name, num_classes=6, rng=np.random.default_rng(0), **cfg).to(args.device)
              for name in ("fcn32s", "fcn16s", "fcn8s")}
    for name, model in models.items():
        print(f"{name}: {model.num_parameters():>9,} parameters ({model.num_parameters(False):,} trainable)")
    print("FCN-32s has the most parameters but the fewest trainable ones: its frozen bilinear x32 kernel alone is\n"
          f"6 x 6 classes x 64 x 64 taps = {6 * 6 * 64 * 64:,} weights, which never change.")
    print()
    print(models["fcn8s"].summary((3, size, size)))

    section("2. Crops that align the maps (input 67 x 93)")
    m = models["fcn8s"]
    x = xp.zeros((1, 3, 67, 93), np.float32)
    m.eval()(x)
    for name in ("pool3", "pool4", "score_fr", "upscore2", "fuse_pool4", "upscore_pool4", "fuse_pool3",
                 "upscore8", "crop_upscore8"):
        layer = m.layers[name]
        note = f"  crop offset {layer.offset}" if hasattr(layer, "offset") else ""
        print(f"{name:<20}{str(layer.output_shape):<22}{note}")

    section("3. Zero-initialized scores: first loss is ln(num_classes)")
    image, labels = make_sample(7, image_size=size)
    x = xp.asarray(image[None])
    ce = SoftmaxCrossEntropy()
    for name, model in models.items():
        print(f"{name}: first loss {ce(model(x), xp.asarray(labels[None])):.6f}   ln(6) = {math.log(6):.6f}")

    section("4. A fresh FCN-8s is its coarse path")
    m = models["fcn8s"].eval()
    rng = np.random.default_rng(1)
    m.score_fr.params["weight"][...] = xp.asarray(rng.standard_normal(m.score_fr.params["weight"].shape) * 0.2)
    logits = m(x)
    score_fr, skips = m.encode(x)
    up = m.fuse_pool4(m.upscore2(score_fr), 0 * m.score_pool4(skips["pool4"]))     # the skips add zero
    up = m.fuse_pool3(m.upscore_pool4(up), 0 * m.score_pool3(skips["pool3"]))
    coarse = m.crop_upscore8(m.upscore8(up), x.shape)
    print(f"largest difference between FCN-8s and its coarse path alone: {float(xp.abs(logits - coarse).max()):.1e}")
    ce(logits, xp.asarray(labels[None]))
    m.train().backward(ce.backward(), input_grad=False)
    for name in ("score_pool4", "score_pool3"):
        g = float(xp.abs(m.layers[name].grads["weight"]).max())
        print(f"after one backward pass, |d loss / d {name}.weight| reaches {g:.2e}: the skip starts learning")

    fig, ax = figure(1, 4, (3, 3))
    ax[0, 0].imshow(image.transpose(1, 2, 0))
    ax[0, 0].set_title("image")
    maps = [(score_fr, "score_fr (stride 32)"), (up, "after 2 x2 steps (stride 8)"), (logits, "logits (stride 1)")]
    for a, (mp, title) in zip(ax[0, 1:], maps):
        a.imshow(backend.to_host(mp)[0, 1], cmap="magma", interpolation="nearest")
        a.set_title(title)
    for a in ax[0]:
        a.axis("off")
    save(fig, args, "coarse_path")

    section("5. What a stride costs: true class fractions per cell, upsampled (toy validation, 4 classes)")
    count = 16 if args.quick else 200
    print(f"{'image':>6}{'stride':>8}{'score map':>11}{'mean IU':>9}   "
          "per class (background, circle, square, triangle)")
    for image_size, stride in ((64, 32), (64, 16), (64, 8), (80, 8), (96, 8), (128, 8)):
        miu, per_class = stride_ceiling(stride, image_size, count)
        cells = -(-image_size // stride)
        print(f"{image_size:>6}{stride:>8}{f'{cells} x {cells}':>11}{miu:>9.3f}   "
              + "  ".join(f"{iu:.3f}" for iu in per_class))
    fig, ax = figure(1, 4, (3, 3))
    image, labels = make_sample(3, 0, "val", 64, 4)
    ax[0, 0].imshow(labels, cmap="viridis", vmin=0, vmax=3, interpolation="nearest")
    ax[0, 0].set_title("truth (64 x 64)")
    for a, stride in zip(ax[0, 1:], (32, 16, 8)):
        a.imshow(fractions_upsampled(labels, stride), cmap="viridis", vmin=0, vmax=3, interpolation="nearest")
        a.set_title(f"from stride {stride}")
    for a in ax[0]:
        a.axis("off")
    save(fig, args, "stride_cost")
    print("Trained nets land near or below these figures: in lesson 9 (64 pixels) FCN-32s reached 0.450 with\n"
          "its 2 x 2 map (sharper scores than plain fractions) and FCN-8s 0.790 with its 8 x 8 one.")


if __name__ == "__main__":
    main()
