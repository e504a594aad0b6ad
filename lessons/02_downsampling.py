"""Lesson 2: downsampling, with max pooling or a strided convolution, and what it costs.

A classification network shrinks the image step by step. Two ways to halve
the resolution:

- max pooling, 2x2 with stride 2: keep the largest of each 2x2 block. No
  weights; a little translation invariance; the gradient flows only to the
  element that won. It works on each channel alone: on a colour image the
  red, green and blue maxima of a block can come from three different
  pixels, so a pooled pixel often has a colour that no pixel of its block
  has (section 3 counts them; the pooled pictures are brighter for it).
- a strided convolution, 3x3 with stride 2: a learned filter evaluated at
  every other pixel. Weights, and nothing thrown away by a fixed rule.

Either way each step doubles the *stride* of the map (how many input pixels
lie between neighbouring outputs) and grows the *receptive field* (how much
of the input one output sees). For a stack of layers with kernel k_l and
stride s_l, with j = the product of the strides before layer l:

    receptive field  r_l = r_(l-1) + (k_l - 1) * j

FCN's encoder (VGG-16 in the paper) ends with stride 32: it sees a lot but
answers on a 32x coarser grid. That lost resolution is what the rest of the
course wins back.

Why not keep full resolution all the way, and never lose anything? Cost.
Every 3x3 convolution costs 2 * 9 * C_in * C_out multiply-adds per output
pixel, and its output must be kept for the backward pass. Section 4 counts
both for VGG-16's thirteen convolutions on a 224 x 224 image, with its pools
and without: without them the same layers need about 50 times the arithmetic
and 15 times the activation memory, and still see only 27 pixels across.
Hence the shape of every segmentation net since: an *encoder* that
downsamples, cheap and with a large view, then a *decoder* that brings the
answer back up to full resolution (FCN's upsampling layers and skips,
lessons 3 and 7).

What runs here is the pooling described above: ``main`` turns the tricks of
``fcn_scratch.fast`` off, so ``MaxPool2d`` takes its textbook route, not the
running maximum of ``fast/running_max.py`` that gives the same numbers faster.

Run: python lessons/02_downsampling.py [--quick] [--out DIR] [--device cpu|cuda]
(--quick: small sizes, seconds; the tests use it.)
"""
import numpy as np

from _common import figure, parse_args, save, section
from fcn_scratch import backend, fast
from fcn_scratch.data import make_sample
from fcn_scratch.layers import Conv2d, MaxPool2d


VGG16_CONVS = (2, 2, 3, 3, 3)
VGG16_WIDTHS = (64, 128, 256, 512, 512)


def receptive_fields(convs_per_block=(2, 2, 2, 2, 2)):
    """(layer name, stride, receptive field) for an encoder of 3x3 convs and 2x2 pools, with
    ``convs_per_block[b]`` convolutions in block b + 1."""
    rows, r, j = [], 1, 1
    for b, convs in enumerate(convs_per_block, start=1):
        for i in range(1, convs + 1):
            r += 2 * j
            rows.append((f"conv{b}_{i}", j, r))
        r += 1 * j
        j *= 2
        rows.append((f"pool{b}", j, r))
    return rows


def lesson(args):
    xp = backend.xp_for(args.device)
    size = 32 if args.quick else 128
    image, labels = make_sample(11, image_size=size)
    x = xp.asarray(image[None])

    section("1. Max pooling and strided convolution side by side")
    pool = MaxPool2d(2)
    conv = Conv2d(3, 3, 3, stride=2, padding=1, bias=False).to(args.device)
    conv.params["weight"][...] = 0
    for c in range(3):
        conv.params["weight"][c, c] = 1 / 9
    pooled, strided = pool(x), conv(x)
    print(f"input {tuple(x.shape)} -> max pool {tuple(pooled.shape)}, strided conv {tuple(strided.shape)}")
    print("max pooling keeps the brightest pixel of each block; this strided conv (a 3x3 mean) blurs instead")
    g = xp.ones_like(pooled)
    dx = backend.to_host(pool.backward(g))
    print(f"max pool backward: {int((dx != 0).sum())} of {dx.size} input pixels get a gradient "
          f"(one per 2x2 block, {int((dx != 0).sum()) / dx.size:.0%})")

    section("2. Receptive field, block by block (3x3 convolutions, 2x2 pools)")
    print(f"{'layer':<9}{'stride':>8}{'this package (2 convs/block)':>30}{'VGG-16 (2-2-3-3-3)':>20}")
    ours, vgg = receptive_fields(), dict((n, r) for n, _, r in receptive_fields(VGG16_CONVS))
    for name, stride, r in ours:
        if name.startswith("pool") or args.quick is False:
            print(f"{name:<9}{stride:>8}{r:>27} px{vgg[name]:>17} px")

    section("3. What is lost in resolution")
    maps = [x]
    for _ in range(5):
        maps.append(pool(maps[-1]))
    print("a perfect label per coarse pixel, blown back up to full size, is right on this share of pixels;\n"
          "and max pooling works channel by channel, so many pooled colours are in no pixel of their window:")
    new_colours = {}
    for level, m in enumerate(maps):
        f = 2 ** level
        coarse = labels[f // 2::f, f // 2::f]
        back = np.repeat(np.repeat(coarse, f, axis=0), f, axis=1)[:size, :size]
        # each f x f window's pixels as rows of (R, G, B), beside the pooled pixel of that window
        n = size // f
        windows = image.reshape(3, n, f, n, f).transpose(1, 3, 2, 4, 0).reshape(n, n, f * f, 3)
        pooled_rgb = backend.to_host(m)[0].transpose(1, 2, 0)
        new_colours[f] = 1 - (windows == pooled_rgb[:, :, None, :]).all(axis=-1).any(axis=-1).mean()
        print(f"stride {f:>2}: map {m.shape[2]:>3} x {m.shape[3]:<3}  pixel accuracy {(back == labels).mean():6.1%}"
              f"   pooled colours found in no pixel of their window: {new_colours[f]:6.1%}")

    section("4. Why downsample at all: VGG-16's convolutions on 224 x 224, with and without pooling")
    for pooled_net in (True, False):
        flops, floats, side, c_in = 0, 0, 224, 3
        for convs, width in zip(VGG16_CONVS, VGG16_WIDTHS):
            for _ in range(convs):
                flops += 2 * 9 * c_in * width * side * side
                floats += width * side * side
                c_in = width
            if pooled_net:
                side //= 2
        label = "with its 5 pools" if pooled_net else "no pooling"
        print(f"{label:<18}{flops / 1e9:>8.1f} GFLOP forward, {floats * 4 / 2 ** 20:>6.0f} MB of activations per image")
        if pooled_net:
            reference = (flops, floats)
    print(f"without pooling: {flops / reference[0]:.0f}x the arithmetic, {floats / reference[1]:.1f}x the memory, "
          f"and a receptive field of {1 + 2 * sum(VGG16_CONVS)} px instead of {vgg['pool5']}")

    fig, ax = figure(1, 6, (2.2, 2.6))
    for level, m in enumerate(maps):
        ax[0, level].imshow(np.clip(backend.to_host(m)[0].transpose(1, 2, 0), 0, 1), interpolation="nearest")
        ax[0, level].set_title(f"stride {2 ** level}" + (f"\n{new_colours[2 ** level]:.0%} new colours" if level
                                                          else "\nthe image"))
        ax[0, level].axis("off")
    fig.suptitle("2x2 max pooling, channel by channel: each channel keeps its own brightest pixel, so the pooled\n"
                 "colours are brighter, and most are the colour of no pixel of their window (\"new colours\")")
    save(fig, args, "pooling_levels")

    fig, ax = figure(1, 3, (3, 3))
    for a, img, title in zip(ax[0], (x, pooled, strided), ("input", "2x2 max pool", "3x3 conv, stride 2")):
        a.imshow(np.clip(backend.to_host(img)[0].transpose(1, 2, 0), 0, 1), interpolation="nearest")
        a.set_title(title)
        a.axis("off")
    save(fig, args, "pool_vs_strided")


def main():
    args = parse_args(__doc__, "02_downsampling")
    # The layers run their textbook routes, the code this lesson describes (fcn_scratch.fast is off).
    with fast.enabled(False):
        lesson(args)


if __name__ == "__main__":
    main()
