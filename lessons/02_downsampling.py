"""Lesson 2: downsampling, with max pooling or a strided convolution, and what it costs.

A classification network shrinks the image step by step. Two ways to halve
the resolution:

- max pooling, 2x2 with stride 2: keep the largest of each 2x2 block. No
  weights; a little translation invariance; the gradient flows only to the
  element that won.
- a strided convolution, 3x3 with stride 2: a learned filter evaluated at
  every other pixel. Weights, and nothing thrown away by a fixed rule.

Either way each step doubles the *stride* of the map (how many input pixels
lie between neighbouring outputs) and grows the *receptive field* (how much
of the input one output sees). For a stack of layers with kernel k_l and
stride s_l, with j = the product of the strides before layer l:

    receptive field  r_l = r_(l-1) + (k_l - 1) * j

FCN's encoder (VGG) ends with stride 32: it sees a lot but answers on a
32x coarser grid. That lost resolution is what the rest of the course wins back.

The layers here run their textbook routes, the code described above:
the speed tricks of ``fcn_scratch.fast`` are switched off (lesson 1 shows the switch).

Run: python lessons/02_downsampling.py [--quick] [--out DIR] [--device cpu|cuda]
(--quick: small sizes, seconds; the tests use it.)
"""
import numpy as np

from _common import figure, parse_args, save, section
from fcn_scratch import backend, fast
from fcn_scratch.data import make_sample
from fcn_scratch.layers import Conv2d, MaxPool2d


def receptive_fields(widths_per_block=2, blocks=5):
    """(layer name, stride, receptive field) for the FCN encoder: 3x3 convs and 2x2 pools."""
    rows, r, j = [], 1, 1
    for b in range(1, blocks + 1):
        for i in range(1, widths_per_block + 1):
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

    section("2. Receptive field, block by block (FCN encoder, 3x3 convolutions, 2x2 pools)")
    print(f"{'layer':<9}{'stride':>8}{'receptive field':>17}")
    for name, stride, r in receptive_fields():
        if name.startswith("pool") or args.quick is False:
            print(f"{name:<9}{stride:>8}{r:>14} px")

    section("3. What is lost in resolution")
    maps = [x]
    for _ in range(5):
        maps.append(pool(maps[-1]))
    print("a perfect label per coarse pixel, blown back up to full size, is right on this share of pixels:")
    for level, m in enumerate(maps):
        f = 2 ** level
        coarse = labels[f // 2::f, f // 2::f]
        back = np.repeat(np.repeat(coarse, f, axis=0), f, axis=1)[:size, :size]
        print(f"stride {f:>2}: map {m.shape[2]:>3} x {m.shape[3]:<3}  pixel accuracy {(back == labels).mean():.1%}")

    fig, ax = figure(1, 6, (2.2, 2.4))
    for level, m in enumerate(maps):
        ax[0, level].imshow(np.clip(backend.to_host(m)[0].transpose(1, 2, 0), 0, 1), interpolation="nearest")
        ax[0, level].set_title(f"stride {2 ** level}")
        ax[0, level].axis("off")
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
