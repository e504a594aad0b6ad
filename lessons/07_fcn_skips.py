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
shallow one moves its boundary to where the pixels say it is. Section 6 draws
the whole FCN-8s graph with its shapes (``fcn8s_graph.png``).

Which upsamplings learn. All of them start as bilinear interpolation
(lesson 3). The paper lets the 2x ones learn (section 4.2: "We initialize
the 2x upsampling to bilinear interpolation, but allow the parameters to be
learned") and fixes the last (section 4.3, "Dense Prediction": "Final layer
deconvolutional filters are fixed to bilinear interpolation, while
intermediate upsampling layers are initialized to bilinear upsampling, and
then learned"). It gives no reason in words; these are the ones that fit:

- the last upsampling comes after the last fusion. Everything the net knows
  about *where*, the stride-8 scores, is already in its input, and nothing
  finer comes after it to line up with: what is left is to interpolate. A 2x
  upsampling sits between two fusions, where a learned kernel can shape the
  coarse scores to fit what the finer skip adds;
- the last kernel is the largest (2f = 16 taps a side, per pair of
  classes: 21 x 21 x 16 x 16 = 112,896 weights in the paper's net, 16 times a
  2x layer's 7,056), and it runs at full resolution, where its weight
  gradient would cost the most arithmetic of the three.

The reference implementation went further. Its FAQ (fcn.berkeleyvision.org,
"Is learning the interpolation necessary?"): the original experiments learned
the interpolation layers from bilinear kernels; in follow-up experiments and
in the reference nets all of them are fixed (``lr_mult: 0`` on upscore2,
upscore_pool4 and upscore8): "There is no significant difference in accuracy
in our experiments, and fixing these parameters gives a slight speed-up."
pytorch-fcn's training scripts freeze every ConvTranspose2d the same way.
This package follows the paper: upscore2 and upscore_pool4 learn, upscore8
is frozen (``learn_final_upsampling=True`` unfreezes it). Section 1 counts the
weights; lesson 8 measures how far the learned ones move in training.

Alignment, step by step. Maps of different strides can be added only where
their pixels sit on one grid. Put pixel j of the image at coordinate j (its
centre; it covers j - 1/2 to j + 1/2). Then, along one axis:

1. A 3x3 convolution padded by 1 centres output j on input j: nothing moves.
2. A 2x2 pool with stride 2 centres output j between inputs 2j and 2j + 1.
3. So after pools of total stride S, pixel j covers input pixels S*j to
   S*j + S - 1 and sits at their middle, S*j + (S - 1)/2 (S = 8: 3.5,
   11.5, 19.5, ...; S = 16: 7.5, 23.5, ...). One more pool keeps the rule:
   the middle of S*2j + (S-1)/2 and S*(2j+1) + (S-1)/2 is 2S*j + (2S - 1)/2.
4. A bilinear x f (ConvTranspose2d, kernel 2f, stride f, no padding) spreads
   coarse pixel j over outputs f*j to f*j + 2f - 1; its tent peaks in the
   middle, between outputs f*j + f - 1 and f*j + f: coarse pixel j lands at
   output coordinate f*j + f - 1/2.
5. On the finer grid (stride s = S/f) the same point, S*j + (S - 1)/2 in the
   image, is fine pixel i with s*i + (s - 1)/2 = S*j + (S - 1)/2, that is
   i = f*j + (f - 1)/2.
6. Output index minus fine index: (f*j + f - 1/2) - (f*j + (f - 1)/2) = f/2,
   the same for every j. The upsampled map is cropped at f/2: 1 for x2,
   4 for x8, 8 for x16, 16 for x32.

Section 2 prints each step from the net's own coordinate maps and draws them
(``alignment.png``). The code computes every crop this way
(``fcn_scratch/models/coord_map.py``, as Caffe's ``coord_map``): here
``model.fuse_pool4.offset`` is +1, the upsampled scores overhang and are
cropped. The reference Caffe model instead pads conv1 by 100 pixels, so that
its unpadded 7x7 fc6 still fits small images; that puts the skips' maps
further out than the upsampled scores, and the same computation crops the
*skip's* score map: FCN-8s at 5 (score_pool4, ``fuse_pool4.offset`` -5),
9 (score_pool3) and 31 (the final x8); FCN-16s at 5 and 27; FCN-32s at 19
(lesson 12 derives them).

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

from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch, Patch

from _common import figure, parse_args, save, section
from fcn_scratch import backend
from fcn_scratch.data import make_sample
from fcn_scratch.functional import bilinear_kernel, no_init
from fcn_scratch.layers import ConvTranspose2d, Crop, SoftmaxCrossEntropy
from fcn_scratch.metrics import ConfusionMatrix, metrics_from_confusion
from fcn_scratch.models import build, output_shapes


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


UPSAMPLINGS = ("upscore", "upscore2", "upscore16", "upscore_pool4", "upscore8")


def upsampling_table(model):
    """(name, factor, weights, learned) for each transposed convolution of ``model``."""
    return [(name, layer.stride[0], int(layer.params["weight"].size), "weight" not in layer.frozen)
            for name, layer in model.layers.items() if name in UPSAMPLINGS]


def alignment_steps(model):
    """The coordinate maps behind FCN-8s's two fusions and its final crop, one line of arithmetic each."""
    maps = model.maps
    lines = []
    for name in ("image", "pool3", "pool4", "score_fr"):
        m = maps[name]
        lines.append(f"{name:<9} stride S = {m.scale:>2.0f}: pixel j at {m.scale:.0f}*j + {m.offset:g}"
                     + (" = S*j + (S - 1)/2" if name != "image" else ""))
    final = model.crop_upscore8.offset
    steps = (("upscore2", "x2 of score_fr", maps["score_fr"].through(model.upscore2), "pool4",
              model.fuse_pool4.offset, 2),
             ("upscore_pool4", "x2 of fuse_pool4", maps["pool4"].through(model.upscore_pool4), "pool3",
              model.fuse_pool3.offset, 2),
             ("upscore8", "x8 of fuse_pool3", maps["pool3"].through(model.upscore8), "image",
              final[0] if isinstance(final, tuple) else final, 8))
    for name, what, up, fine, crop, f in steps:
        target = maps[fine].offset
        lines.append(f"{name} ({what}): output i at {up.scale:.0f}*i + ({up.offset:g}); {fine}'s pixel 0 at "
                     f"{target:g}:\n      ({target:g} - ({up.offset:g})) / {up.scale:.0f} = "
                     f"{(target - up.offset) / up.scale:g} = f/2 for f = {f}: crop {name} at {crop}")
    return lines


def draw_alignment(args):
    """One axis of a 32-pixel image: pixel centres at stride 1, 8 and 16, and the x2 upsampling of the
    stride-16 scores before and after its crop of f/2 = 1 (coordinates as in ``alignment_steps``)."""
    fig, ax = figure(1, 1, (12, 5.2))
    ax = ax[0, 0]
    rows = {"image, stride 1": 5, "stride 8 (pool3, score_pool3):\npixel j at 8j + 3.5": 4,
            "stride 16 (pool4, score_pool4):\npixel j at 16j + 7.5": 3,
            "x2 of the stride-16 scores\n(upscore2): output i at 8i - 4.5": 1.6,
            "after the crop of f/2 = 1:\nthe stride-8 grid": 0.4}
    for label, y in rows.items():
        ax.text(-7.5, y, label, ha="right", va="center", fontsize=9)
        ax.axhline(y, color="0.85", lw=0.8, zorder=0)
    for j in range(32):                                  # image pixels, each a unit cell with its centre
        ax.add_patch(FancyBboxPatch((j - 0.45, 4.75), 0.9, 0.5, boxstyle="square,pad=0", fc="0.9", ec="0.6"))
        ax.plot(j, 5, ".", color="k", ms=3)
    for S, y, colour in ((8, 4, "C0"), (16, 3, "C1")):
        for j in range(32 // S):
            ax.add_patch(FancyBboxPatch((S * j - 0.45, y - 0.25), S - 0.1, 0.5, boxstyle="square,pad=0",
                                        fc=colour, alpha=0.25, ec=colour))
            ax.plot(S * j + (S - 1) / 2, y, "o", color=colour, ms=7)
            ax.text(S * j + (S - 1) / 2, y + 0.35, f"{S * j + (S - 1) / 2:g}", ha="center", fontsize=8, color=colour)
    for j in range(2):                                  # the tent of each stride-16 pixel, peaking on its centre
        centre = 16 * j + 7.5
        ax.plot([centre - 16, centre, centre + 16], [1.6 - 0.05, 2.35, 1.6 - 0.05], color="C1", lw=1, alpha=0.7)
    for i in range(6):                                   # the 6 outputs of a x2 on 2 pixels: (2 + 1) * 2
        x = 8 * i - 4.5
        kept = 1 <= i <= 4
        ax.plot(x, 1.6, "o" if kept else "x", color="C2" if kept else "C3", ms=7, mew=2)
        ax.text(x, 1.25, f"i={i}", ha="center", fontsize=8)
        if kept:
            ax.plot(x, 0.4, "o", color="C0", ms=7)
            ax.annotate("", (x, 0.55), (x, 1.45), arrowprops=dict(arrowstyle="->", color="0.5"))
            ax.axvline(x, color="C0", lw=0.6, ls=":", zorder=0)
    ax.text(-4.5, 2.0, "cropped", ha="center", fontsize=8, color="C3")
    ax.text(35.5, 2.0, "cropped", ha="center", fontsize=8, color="C3")
    ax.text(40, 3.9, "pixel j of a stride-S map covers input pixels S*j ... S*j + S - 1:\n"
                     "its centre is S*j + (S - 1)/2\n\n"
                     "x f upsampling (kernel 2f, stride f): coarse pixel j\n"
                     "peaks at output f*j + f - 1/2; the fine grid has it at\n"
                     "f*j + (f - 1)/2. The difference is f/2 for every j:\n"
                     "crop the upsampled map at f/2 (here f = 2: crop 1)",
            fontsize=9, va="center", bbox=dict(fc="white", ec="0.7"))
    ax.set_xlim(-24, 62)
    ax.set_ylim(-0.1, 5.6)
    ax.set_yticks([])
    ax.set_xticks(range(0, 32, 4))
    ax.set_xlabel("input pixel coordinate (pixel j's centre is j)")
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.set_title("Where the pixels of each map sit, and why the x2 upsampling is cropped at f/2 = 1")
    save(fig, args, "alignment")


def fcn8s_shapes(model, x):
    """The output shape of every stage of FCN-8s on ``x``, by name, from the layers run one by one."""
    shapes, h, skips = {"image": x.shape}, x, {}
    for name in model.features:
        h = getattr(model, name)(h)
        shapes[name] = h.shape
        if name in ("pool3", "pool4"):
            skips[name] = h
    steps = {"upscore2": model.upscore2(h)}
    steps["score_pool4"] = model.score_pool4(skips["pool4"])
    steps["fuse_pool4"] = model.fuse_pool4(steps["upscore2"], steps["score_pool4"])
    steps["upscore_pool4"] = model.upscore_pool4(steps["fuse_pool4"])
    steps["score_pool3"] = model.score_pool3(skips["pool3"])
    steps["fuse_pool3"] = model.fuse_pool3(steps["upscore_pool4"], steps["score_pool3"])
    steps["upscore8"] = model.upscore8(steps["fuse_pool3"])
    steps["output"] = model.crop_upscore8(steps["upscore8"], x.shape)
    shapes.update({name: value.shape for name, value in steps.items()})
    return shapes


def draw_fcn8s(model, shapes, paper, args):
    """The FCN-8s graph: the encoder left to right, the skips' score layers, the decoder right to left,
    with every map's shape, the crops (from coordinate maps), and the paper's crops beside them."""
    fig, ax = figure(1, 1, (15, 7.2))
    ax = ax[0, 0]
    colours = {"encoder": "#c9d7ea", "score": "#f6c28b", "learned": "#a8d5a2", "frozen": "#d0d0d0",
               "fuse": "#f3e58a", "io": "white"}

    def shape(name):
        n, c, h, w = shapes[name]
        return f"{c} x {h} x {w}"

    def box(x, y, title, lines, kind, width=1.7):
        ax.add_patch(FancyBboxPatch((x - width / 2, y - 0.55), width, 1.1, boxstyle="round,pad=0.04",
                                    fc=colours[kind], ec="0.3", ls="--" if kind == "frozen" else "-"))
        ax.text(x, y + 0.3, title, ha="center", va="center", fontsize=8.5, weight="bold")
        ax.text(x, y - 0.12, lines, ha="center", va="center", fontsize=7.5, linespacing=1.3)

    def arrow(a, b, text=None, colour="0.25", where=0.5, dy=0.18):
        ax.annotate("", b, a, arrowprops=dict(arrowstyle="-|>", color=colour, lw=1.3, shrinkA=2, shrinkB=2))
        if text:
            ax.text(a[0] + where * (b[0] - a[0]), a[1] + where * (b[1] - a[1]) + dy, text, ha="center",
                    fontsize=8, color="C3", weight="bold")

    convs = [sum(1 for n in model.features if n.startswith(f"conv{b}_")) for b in range(1, 6)]
    xs = [0, 2, 4, 6, 8, 10, 12, 14]
    half = 0.85                                           # half a box's width
    top, mid, bottom = 4.6, 2.6, 0.6
    box(xs[0], top, "image", shape("image"), "io")
    for b in range(1, 6):
        box(xs[b], top, f"block {b} -> pool{b}", f"{convs[b - 1]} x (conv 3x3, ReLU)\nmax pool 2x2: stride {2 ** b}\n"
                                                 f"{shape(f'pool{b}')}", "encoder")
    box(xs[6], top, "fc6, fc7", f"conv {model.fc6.kernel_size[0]}x{model.fc6.kernel_size[0]}, conv 1x1\n"
                                 f"+ ReLU, dropout\n{shape('drop7')}", "encoder")
    box(xs[7], top, "score_fr", f"conv 1x1, zero at start\n{shape('score_fr')}\nstride 32", "score")
    for a, b in zip(xs, xs[1:]):
        arrow((a + half, top), (b - half, top))
    box(xs[4], mid, "score_pool4", f"conv 1x1, zero at start\n{shape('score_pool4')}\nstride 16", "score")
    box(xs[3], mid, "score_pool3", f"conv 1x1, zero at start\n{shape('score_pool3')}\nstride 8", "score")
    arrow((xs[4], top - 0.55), (xs[4], mid + 0.55))
    arrow((xs[3], top - 0.55), (xs[3], mid + 0.55))
    # the decoder, right to left: upscore2 -> fuse_pool4 -> upscore_pool4 -> fuse_pool3 -> upscore8 -> output
    dec = {"upscore2": xs[7], "fuse_pool4": xs[5] + 0.5, "upscore_pool4": xs[4] - 0.5, "fuse_pool3": xs[2] + 0.5,
           "upscore8": xs[1] - 0.5, "output": xs[0] - 1.1}
    box(dec["upscore2"], bottom, "upscore2", f"x2, kernel 4, learned\n(bilinear at start)\n{shape('upscore2')}",
        "learned")
    arrow((xs[7], top - 0.55), (xs[7], bottom + 0.55))
    box(dec["fuse_pool4"], bottom, "fuse_pool4", f"sum, stride 16\n{shape('fuse_pool4')}", "fuse")
    arrow((dec["upscore2"] - half, bottom), (dec["fuse_pool4"] + half, bottom), f"crop {model.fuse_pool4.offset}")
    arrow((xs[4] + 0.3, mid - 0.55), (dec["fuse_pool4"], bottom + 0.55))
    box(dec["upscore_pool4"], bottom, "upscore_pool4",
        f"x2, kernel 4, learned\n(bilinear at start)\n{shape('upscore_pool4')}", "learned")
    arrow((dec["fuse_pool4"] - half, bottom), (dec["upscore_pool4"] + half, bottom))
    box(dec["fuse_pool3"], bottom, "fuse_pool3", f"sum, stride 8\n{shape('fuse_pool3')}", "fuse")
    arrow((dec["upscore_pool4"] - half, bottom), (dec["fuse_pool3"] + half, bottom), f"crop {model.fuse_pool3.offset}")
    arrow((xs[3] - 0.2, mid - 0.55), (dec["fuse_pool3"] + 0.2, bottom + 0.55))
    box(dec["upscore8"], bottom, "upscore8", f"x8, kernel 16, frozen\n(bilinear)\n{shape('upscore8')}", "frozen")
    arrow((dec["fuse_pool3"] - half, bottom), (dec["upscore8"] + half, bottom))
    box(dec["output"], bottom, "output", f"class scores\n{shape('output')}", "io", width=1.3)
    crop = model.crop_upscore8.offset
    arrow((dec["upscore8"] - half, bottom), (dec["output"] + 0.65, bottom),
          f"crop {crop[0] if isinstance(crop, tuple) else crop}")
    ax.text(xs[7] + 1.0, mid, "crops from coordinate maps\n(fcn_scratch/models/coord_map.py):\n"
            f"here the upsampled map overhangs:\nfuse_pool4.offset = +{model.fuse_pool4.offset}, "
            f"fuse_pool3.offset = +{model.fuse_pool3.offset}\n(crop the upsampled scores)\n\n"
            f"the paper's net (VGG16, conv1_1\npadded by 100): fuse_pool4.offset = {paper['fuse_pool4']},\n"
            f"fuse_pool3.offset = {paper['fuse_pool3']}: crop the skip's\nscore map (score_pool4 at "
            f"{-paper['fuse_pool4']}, score_pool3\nat {-paper['fuse_pool3']}), and upscore8 at {paper['upscore8']}",
            fontsize=8, va="center", ha="left", bbox=dict(fc="white", ec="0.7"))
    ax.legend(handles=[Patch(fc=colours[k], ec="0.3", ls="--" if k == "frozen" else "-", label=text)
                       for k, text in (("encoder", "encoder (He-initialized)"),
                                       ("score", "score layers, 1x1 (zero at start)"),
                                       ("learned", "learned upsampling"), ("frozen", "frozen upsampling"),
                                       ("fuse", "fusion: a sum after a crop"))],
              loc="upper center", bbox_to_anchor=(0.45, -0.02), ncol=5, frameon=False, fontsize=8.5)
    ax.set_xlim(-2.0, 18.4)
    ax.set_ylim(-0.2, 5.4)
    ax.axis("off")
    n, c, h, w = shapes["image"]
    ax.set_title(f"FCN-8s on a {h} x {w} image ({model.num_classes} classes, this package's small net): "
                 "channels x height x width after every stage")
    save(fig, args, "fcn8s_graph")


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
    print("\nThe upsamplings (6 classes here; the paper's 21 in brackets): the 2x ones learn, the last is frozen")
    for name, model in models.items():
        for layer, factor, weights, learned in upsampling_table(model):
            paper = 21 * 21 * (2 * factor) ** 2
            print(f"  {name:<7}{layer:<15} x{factor:<3}{weights:>8,} weights ({paper:>9,})   "
                  + ("learned, from bilinear" if learned else "frozen bilinear"))
    print()
    print(models["fcn8s"].summary((3, size, size)))

    section("2. Crops that align the maps (input 67 x 93)")
    m = models["fcn8s"]
    shapes = output_shapes(m, (3, 67, 93))
    for name in ("pool3", "pool4", "score_fr", "upscore2", "fuse_pool4", "upscore_pool4", "fuse_pool3",
                 "upscore8", "crop_upscore8"):
        layer = m.layers[name]
        note = f"  crop offset {layer.offset}" if hasattr(layer, "offset") else ""
        print(f"{name:<20}{str(shapes[name]):<22}{note}")
    print("\nThe same crops, step by step from the coordinate maps (pixel j of a map sits at scale*j + offset):")
    for line in alignment_steps(m):
        print("  " + line)
    with no_init():                          # the paper's net, shapes only: its coordinate maps need no weights
        paper_net = build("fcn8s-vgg16")
    paper = {"fuse_pool4": paper_net.fuse_pool4.offset, "fuse_pool3": paper_net.fuse_pool3.offset,
             "upscore8": paper_net.crop_upscore8.offset[0]}
    print(f"the paper's FCN-8s (conv1_1 padded by 100): fuse_pool4.offset {paper['fuse_pool4']}, "
          f"fuse_pool3.offset {paper['fuse_pool3']}, upscore8 cropped at {paper['upscore8']}:\n"
          f"negative offsets: there the skip's score map is the larger one and is cropped (lesson 12)")
    draw_alignment(args)

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
    # The same net with weights in its skips, as training would grow them: finer detail appears.
    m.eval()
    for name in ("score_pool4", "score_pool3"):
        w = m.layers[name].params["weight"]
        w[...] = xp.asarray(rng.standard_normal(w.shape) * 0.05)
    with_skips = m(x)
    _, skips2 = m.encode(x)
    up_skips = m.fuse_pool4(m.upscore2(score_fr), m.score_pool4(skips2["pool4"]))
    up_skips = m.fuse_pool3(m.upscore_pool4(up_skips), m.score_pool3(skips2["pool3"]))
    print(f"with random weights in score_pool4 and score_pool3 the logits move by up to "
          f"{float(xp.abs(with_skips - logits).max()):.2f} from the coarse path: detail at stride 16 and 8")

    rows = [(logits, up, "skips at zero (a fresh net): the logits are score_fr, only interpolated; nothing finer "
                         "than its 32-pixel cells"),
            (with_skips, up_skips, "the same net with weights in score_pool4 and score_pool3, as training grows them: "
                                   "detail at stride 16 and 8 that score_fr's cells cannot hold")]
    panels = [[(score_fr, "score_fr (stride 32)"), (middle, "after both x2 and fusions (stride 8)"),
               (out, "logits (stride 1)")] for out, middle, _ in rows]
    fig = Figure(figsize=(12, 6.8), layout="constrained")
    for sub, (_, _, words), maps in zip(fig.subfigures(2, 1), rows, panels):
        low = min(float(backend.to_host(mp)[0, 1].min()) for mp, _ in maps)      # one range per row
        high = max(float(backend.to_host(mp)[0, 1].max()) for mp, _ in maps)
        ax = sub.subplots(1, 4)
        ax[0].imshow(image.transpose(1, 2, 0))
        ax[0].set_title("image")
        for a, (mp, title) in zip(ax[1:], maps):
            shown = a.imshow(backend.to_host(mp)[0, 1], cmap="magma", vmin=low, vmax=high, interpolation="nearest")
            a.set_title(title, fontsize=10)
        sub.colorbar(shown, ax=ax[1:].tolist(), label="class 1 score", shrink=0.9)
        sub.suptitle(words, fontsize=10.5)
        for a in ax:
            a.axis("off")
    save(fig, args, "coarse_path")

    section("5. What a stride costs: true class fractions per cell, upsampled (toy validation, 4 classes)")
    count = 16 if args.quick else 200
    print(f"{'image':>6}{'stride':>8}{'score map':>11}{'mean IU':>9}   "
          "per class (background, circle, square, triangle)")
    ceilings = {}
    for image_size, stride in ((64, 32), (64, 16), (64, 8), (80, 8), (96, 8), (128, 8)):
        miu, per_class = stride_ceiling(stride, image_size, count)
        ceilings[image_size, stride] = miu
        cells = -(-image_size // stride)
        print(f"{image_size:>6}{stride:>8}{f'{cells} x {cells}':>11}{miu:>9.3f}   "
              + "  ".join(f"{iu:.3f}" for iu in per_class))
    fig, ax = figure(1, 4, (3, 3.4))
    image, labels = make_sample(3, 0, "val", 64, 4)
    shown = ax[0, 0].imshow(labels, cmap="viridis", vmin=0, vmax=3, interpolation="nearest")
    ax[0, 0].set_title("truth (64 x 64)")
    for a, stride in zip(ax[0, 1:], (32, 16, 8)):
        a.imshow(fractions_upsampled(labels, stride), cmap="viridis", vmin=0, vmax=3, interpolation="nearest")
        cells = 64 // stride
        a.set_title(f"from stride {stride} ({cells} x {cells} cells)\nat best mean IU {ceilings[64, stride]:.3f} "
                    f"({count} images)", fontsize=10)
    for a in ax[0]:
        a.axis("off")
    # One colour per class, named: the panels are class maps, not heat maps.
    fig.legend(handles=[Patch(color=shown.cmap(shown.norm(c)), label=name)
                        for c, name in enumerate(("background", "circle", "square", "triangle"))],
               loc="outside lower center", ncol=4, frameon=False, fontsize=9)
    save(fig, args, "stride_cost")
    print("Trained nets land near or below these figures: in lesson 9 (64 pixels) FCN-32s reached 0.450 with\n"
          "its 2 x 2 map (sharper scores than plain fractions) and FCN-8s 0.790 with its 8 x 8 one.")

    section("6. The FCN-8s graph, drawn (the toy net: 4 classes, 64 x 64)")
    toy = build("fcn8s", num_classes=4, rng=np.random.default_rng(0)).to(args.device).eval()
    shapes = fcn8s_shapes(toy, xp.zeros((1, 3, 64, 64), np.float32))
    for name in ("image", "pool3", "pool4", "score_fr", "upscore2", "fuse_pool4", "upscore_pool4", "fuse_pool3",
                 "upscore8", "output"):
        print(f"  {name:<14}{str(tuple(shapes[name])):<18}")
    draw_fcn8s(toy, shapes, paper, args)


if __name__ == "__main__":
    main()
