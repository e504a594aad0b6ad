"""Lesson 3: upsampling, by unpooling or by transposed convolution.

To label every pixel, coarse maps must be brought back to full size.

- Max unpooling puts each value back where max pooling found its maximum
  (the pooling indices) and zeros elsewhere. Nothing is learned.
- A transposed convolution scatters each input pixel as a k x k patch,
  weighted by the kernel, into the output at stride s. It is exactly the
  backward pass of a convolution with the same weights, i.e. its adjoint:

      <conv(x), y> == <x, conv_transpose(y)>   for every x and y.

  Why the adjoint? A convolution is linear, so it is a matrix: flatten x and
  y and conv(x) = C @ x, row r of C holding the kernel placed at output
  pixel r. The transposed convolution is C.T @ y, hence the name: each input
  value y_r is scattered back through the same kernel placement. Its
  backward pass (the gradient of <C.T @ y, g> with respect to y) is C @ g:
  an ordinary convolution. Section 2 builds C for a 4x4 input and a 3x3
  kernel and checks both in numbers.

  FCN calls it "deconvolution" and initializes it as bilinear interpolation:
  kernel 2f, stride f, a tent-shaped kernel. With a badly chosen kernel and
  stride (k not a multiple of s) output pixels receive different numbers of
  taps, and the result shows a checkerboard.

Where each is used. FCN upsamples only with transposed convolutions (bilinear,
the last one frozen, the inner ones learned: lesson 7 says why); it has no
unpooling. Unpooling belongs to the other family of decoders (DeconvNet,
SegNet), which carry the pooling indices from the encoder to a mirrored
decoder (lesson 11).

The border. A bilinear x f upsampling (kernel 2f, stride f) of n coarse
pixels gives (n + 1) * f outputs, f more than the n * f of the fine grid,
and FCN crops f/2 from each side (lesson 7 derives why f/2: it lines the
pixel centres up). That crop removes the least covered pixels, but not the
whole partly covered frame. The outer f/2 pixels that remain lie beyond the
centre of the outermost coarse pixel, where only that one pixel's tent
reaches: a map of ones, upsampled x8 as FCN-8s's last layer does and cropped
by 4, reads 0.56, 0.69, 0.81, 0.94 in its 4 outermost rows (0.32 in the
corners) and exactly 1 inside (section 5, and the last picture). Every class
score there is scaled by the same weight, so the argmax is unchanged; only
the softmax is less sure near the image border. The "bilinear x4" picture's
darker frame is the same thing at f = 4 (crop 2: 0.62 and 0.88).

What runs here is the col2im described above: ``main`` turns the tricks of
``fcn_scratch.fast`` off, among them ``phases``, which computes the same
transposed convolution as a small convolution and a reshuffle of its output.

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
    small_conv = Conv2d(1, 1, 3, bias=False, dtype=np.float64, rng=np.random.default_rng(5)).to(args.device)
    kernel = backend.to_host(small_conv.params["weight"])
    C = np.zeros((4, 16))                    # 4x4 input, 3x3 kernel, no padding: a 2x2 output
    for r in range(2):
        for c in range(2):
            placed = np.zeros((4, 4))
            placed[r:r + 3, c:c + 3] = kernel[0, 0]
            C[r * 2 + c] = placed.reshape(-1)
    x4 = np.random.default_rng(6).standard_normal((1, 1, 4, 4))
    y2 = np.random.default_rng(7).standard_normal((1, 1, 2, 2))
    small_t = ConvTranspose2d(1, 1, 3, bias=False, dtype=np.float64).to(args.device)
    small_t.params["weight"] = small_conv.params["weight"]
    conv_as_matrix = float(np.abs(backend.to_host(small_conv(xp.asarray(x4))).reshape(-1) - C @ x4.reshape(-1)).max())
    convt_as_matrix = float(np.abs(backend.to_host(small_t(xp.asarray(y2))).reshape(-1) - C.T @ y2.reshape(-1)).max())
    g = np.random.default_rng(8).standard_normal((1, 1, 4, 4))
    small_t(xp.asarray(y2))
    backward_is_conv = float(np.abs(backend.to_host(small_t.backward(xp.asarray(g))) -
                                    backend.to_host(small_conv(xp.asarray(g)))).max())
    print(f"C is {C.shape[0]} x {C.shape[1]}: one row per output pixel, the 3x3 kernel placed in a 4x4 image")
    print(f"conv(x) == C @ x:              largest difference {conv_as_matrix:.1e}")
    print(f"conv_T(y) == C.T @ y:          largest difference {convt_as_matrix:.1e}")
    print(f"conv_T.backward(g) == conv(g): largest difference {backward_is_conv:.1e}")
    print("The same holds for every size, stride and padding; with channels and a batch, in numbers:")
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

    section("5. What the crop leaves: the border of FCN-8s's bilinear x8")
    up8 = ConvTranspose2d(1, 1, 16, stride=8, bias=False).to(args.device)
    up8.params["weight"] = xp.asarray(bilinear_kernel(1, 1, 16))
    ones = xp.ones((1, 1, 8, 8), np.float32)
    uncropped = backend.to_host(up8(ones))[0, 0]
    cropped = uncropped[4:4 + 64, 4:4 + 64]                      # FCN-8s's crop: f/2 = 4
    print(f"a map of ones, 8 x 8 -> x8 -> {uncropped.shape[0]} x {uncropped.shape[1]} "
          f"(its outermost pixel {uncropped[0, 4 * 8]:.4f}) -> crop 4 -> {cropped.shape[0]} x {cropped.shape[1]}")
    print("after the crop, the first 6 pixels of a middle row: "
          + " ".join(f"{v:.4f}" for v in cropped[32, :6]))
    print(f"the 4 outermost rows and columns: {cropped[32, :4].min():.2f} to {cropped[32, :4].max():.2f}, "
          f"the corner {cropped[0, 0]:.2f}, everything inside: {cropped[4:-4, 4:-4].min():.0f} to "
          f"{cropped[4:-4, 4:-4].max():.0f}")
    scores = xp.asarray(np.random.default_rng(3).standard_normal((1, 4, 8, 8)).astype(np.float32))
    up8_4 = ConvTranspose2d(4, 4, 16, stride=8, bias=False).to(args.device)
    up8_4.params["weight"] = xp.asarray(bilinear_kernel(4, 4, 16))
    upsampled = backend.to_host(up8_4(scores))[0, :, 4:68, 4:68]
    same = bool((upsampled.argmax(axis=0) == (upsampled / cropped).argmax(axis=0)).all())
    print(f"4 random class scores upsampled the same way: the argmax equals the argmax with the border weight\n"
          f"divided out at every pixel: {same}. The border scales all classes alike: the softmax is less sure\n"
          f"there, the predicted class the same.")

    fig, ax = figure(1, 5, (3, 3))
    # One channel (red) in grey: unpooling keeps each channel's own maximum, so colours would not mean much.
    panels = [(x, "image (red channel)"), (unpooled, "pool + unpool"), (small, "pooled x4"),
              (big, "bilinear x4, cropped by 2")]
    for a_, (img, title) in zip(ax[0], panels):
        a_.imshow(backend.to_host(img)[0, 0], cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        a_.set_title(title)
        a_.axis("off")
    shown = ax[0, 4].imshow(cropped, cmap="viridis", vmin=0, vmax=1, interpolation="nearest")
    ax[0, 4].set_title(f"ones, bilinear x8, cropped by 4:\nborder {cropped[32, :4].min():.2f}-"
                       f"{cropped[32, :4].max():.2f}, corners {cropped[0, 0]:.2f}")
    ax[0, 4].set_xticks([])
    ax[0, 4].set_yticks([])
    fig.colorbar(shown, ax=ax[0, 4], shrink=0.8)
    save(fig, args, "upsampling")
    fig, ax = figure(1, 3, (3, 3))
    top = max(float(out.max()) for out in patterns.values())
    for a_, ((kk, ss), out) in zip(ax[0], patterns.items()):
        shown = a_.imshow(out, cmap="viridis", vmin=0, vmax=top, interpolation="nearest")     # one shared range
        taps = ", ".join(f"{v:.0f}" for v in np.unique(out))
        a_.set_title(f"k={kk}, s={ss}: {taps} taps" + (" everywhere" if out.min() == out.max() else ""))
        a_.set_xticks([])                   # no ticks, but the frame stays: a uniform panel is still a panel
        a_.set_yticks([])
    fig.colorbar(shown, ax=ax[0].tolist(), label="taps per output pixel")
    save(fig, args, "checkerboard")


def main():
    args = parse_args(__doc__, "03_upsampling")
    # The layers run their textbook routes, the code this lesson describes (fcn_scratch.fast is off).
    with fast.enabled(False):
        lesson(args)


if __name__ == "__main__":
    main()
