"""Lesson 3: upsampling, by unpooling or by transposed convolution.

To label every pixel, coarse maps must be brought back to full size.

- Max unpooling puts each value back where max pooling found its maximum
  (the pooling indices) and zeros elsewhere. Nothing is learned.
- A transposed convolution scatters each input pixel as a k x k patch,
  weighted by the kernel, into the output at stride s. It is exactly the
  backward pass of a convolution with the same weights, i.e. its adjoint:

      <conv(x), y> == <x, conv_transpose(y)>   for every x and y.

  FCN calls it "deconvolution" and initializes it as bilinear interpolation:
  kernel 2f, stride f, a tent-shaped kernel. With a badly chosen kernel and
  stride (k not a multiple of s) output pixels receive different numbers of
  taps, and the result shows a checkerboard.

The layers here run their textbook routes, the code described above:
the speed tricks of ``fcn_scratch.fast`` are switched off (lesson 1 shows the switch).

Run: python lessons/03_upsampling.py [--quick] [--out DIR] [--device cpu|cuda]
(--quick: small sizes, seconds; the tests use it.)
"""
import numpy as np

from _common import figure, parse_args, save, section
from fcn_scratch import backend, fast
from fcn_scratch.data import make_sample
from fcn_scratch.functional import bilinear_kernel
from fcn_scratch.layers import Conv2d, ConvTranspose2d, MaxPool2d, MaxUnpool2d


def lesson(args):
    xp = backend.xp_for(args.device)
    size = 32 if args.quick else 96
    image, _ = make_sample(4, image_size=size)
    x = xp.asarray(image[None])

    section("1. Max unpooling with the pooling indices")
    pooled, indices = MaxPool2d(2, return_indices=True)(x)
    unpooled = MaxUnpool2d(2)(pooled, indices)
    kept = float((unpooled != 0).mean())
    print(f"{tuple(x.shape)} -> pool -> {tuple(pooled.shape)} -> unpool -> {tuple(unpooled.shape)}; "
          f"{kept:.0%} of pixels non-zero (one per 2x2 block)")

    section("2. Transposed convolution is the adjoint of convolution")
    rng = np.random.default_rng(0)
    conv = Conv2d(3, 5, 4, stride=2, padding=1, bias=False, dtype=np.float64, rng=rng).to(args.device)
    convt = ConvTranspose2d(5, 3, 4, stride=2, padding=1, bias=False, dtype=np.float64).to(args.device)
    convt.params["weight"] = conv.params["weight"]
    a = xp.asarray(rng.standard_normal((2, 3, 16, 16)))
    b = xp.asarray(rng.standard_normal((2, 5, 8, 8)))
    lhs, rhs = float((conv(a) * b).sum()), float((a * convt(b)).sum())
    print(f"<conv(x), y> = {lhs:.10f}\n<x, convT(y)> = {rhs:.10f}   difference {abs(lhs - rhs):.1e}")
    conv(a)
    same = float(xp.abs(conv.backward(b) - convt(b)).max())
    print(f"and conv.backward(y) equals convT(y): largest difference {same:.1e}")

    section("3. The bilinear kernel")
    k = bilinear_kernel(1, 1, 4)[0, 0]
    print("kernel 4, stride 2 (upsample x2):\n" + np.array2string(k, precision=4))
    up = ConvTranspose2d(3, 3, 8, stride=4, bias=False).to(args.device)
    up.params["weight"] = xp.asarray(bilinear_kernel(3, 3, 8))
    small = MaxPool2d(4)(x)
    big = up(small)[:, :, 2:2 + size, 2:2 + size]
    print(f"{tuple(small.shape)} -> bilinear x4 -> {tuple(big.shape)} (cropped by f/2 = 2 to align pixel centres)")

    section("4. Checkerboard artefacts")
    ones = xp.ones((1, 1, 8, 8), np.float32)
    patterns = {}
    for kk, ss in ((4, 2), (3, 2), (5, 3)):
        layer = ConvTranspose2d(1, 1, kk, stride=ss, bias=False).to(args.device)
        layer.params["weight"][...] = 1
        out = backend.to_host(layer(ones))[0, 0][kk:-kk, kk:-kk]
        patterns[(kk, ss)] = out
        print(f"kernel {kk}, stride {ss}: a constant input gives outputs in [{out.min():.0f}, {out.max():.0f}]"
              + ("  even" if out.min() == out.max() else "  <- uneven overlap: checkerboard"))

    fig, ax = figure(1, 4, (3, 3))
    panels = [(x, "image"), (unpooled, "pool + unpool"), (small, "pooled x4"), (big, "bilinear x4")]
    for a_, (img, title) in zip(ax[0], panels):
        a_.imshow(np.clip(backend.to_host(img)[0].transpose(1, 2, 0), 0, 1), interpolation="nearest")
        a_.set_title(title)
        a_.axis("off")
    save(fig, args, "upsampling")
    fig, ax = figure(1, 3, (3, 3))
    for a_, ((kk, ss), out) in zip(ax[0], patterns.items()):
        a_.imshow(out, cmap="gray", interpolation="nearest")
        a_.set_title(f"k={kk}, s={ss}")
        a_.axis("off")
    save(fig, args, "checkerboard")


def main():
    args = parse_args(__doc__, "03_upsampling")
    # The layers run their textbook routes, the code this lesson describes (fcn_scratch.fast is off).
    with fast.enabled(False):
        lesson(args)


if __name__ == "__main__":
    main()
