"""Lesson 1: convolution, from its definition to im2col and one matrix product.

A 2-D convolution layer (really a cross-correlation, as in every deep-learning
library) computes, for each output channel o and position (r, c):

    y[n, o, r, c] = b[o] + sum over input channel i and kernel taps (u, v) of
                    x_pad[n, i, r*s + u, c*s + v] * W[o, i, u, v]

Written as loops over every index, that is six nested loops and hopelessly
slow in Python (``conv2d_naive`` keeps the two over output pixels and lets
``tensordot`` do the sum over i, u and v).
im2col ("image to columns") copies every kh x kw window of the padded image
into one column of a matrix. Then all the multiply-adds of the layer are a
single matrix product, which NumPy hands to an optimized BLAS:

    cols = im2col(x)                       (N, C_in*kh*kw, H_out*W_out)
    y    = W.reshape(C_out, -1) @ cols     (N, C_out, H_out*W_out)

The copy itself is a loop over the kh*kw kernel offsets only: for offset
(u, v) one strided slice of the image holds that tap of *every* window.

This lesson checks that both give the same numbers, measures the speed
difference, and draws an image, its im2col matrix and an edge filter's output.
Then it turns on the speed tricks kept beside the formulas in
``fcn_scratch.fast`` (here: im2col as one long copy per tap into an array kept
between calls; the shifted taps of section 6 stay off) and shows that they
change the time, not the numbers.

Last, the column matrix is kh*kw times the image: for the paper's network on
a 500 x 500 photo, 1.1 GB for one layer, kept from forward to backward. With
stride 1 it need not exist: flatten the padded image with its padded width
Wp, and the rows of im2col for tap (u, v) are that flat image shifted by
u*Wp + v (one contiguous slice, read as rows of Wp of which the first W_out
are real). So the product is a sum over the taps of W[:, :, u, v] @ slice,
and the gradients likewise (``fcn_scratch.fast.shifted_taps``). Section 6
shows the slice and checks the numbers against im2col.

Sections 1 to 4 run the layers' textbook routes, the code described above:
the speed tricks of ``fcn_scratch.fast`` are switched off around the whole
lesson (``with fast.enabled(False):`` in ``main``), section 5 switches them
back on for one layer, and section 6 calls the shifted taps by name.

Run: python lessons/01_convolution_im2col.py [--quick] [--out DIR] [--device cpu|cuda]
(--quick: small sizes, seconds; the tests use it.)
"""
import numpy as np

from _common import figure, parse_args, save, section, timed
from fcn_scratch import backend, fast
from fcn_scratch.data import make_sample
from fcn_scratch.fast import shifted_taps
from fcn_scratch.functional import conv2d_naive, im2col
from fcn_scratch.layers import Conv2d


def lesson(args):
    xp = backend.xp_for(args.device)
    size = 24 if args.quick else 64

    section("1. The same numbers")
    image, _ = make_sample(3, image_size=size)
    x = xp.asarray(image[None])
    conv = Conv2d(3, 4, 3, padding=1, rng=np.random.default_rng(0)).to(args.device)
    weight, bias = conv.params["weight"], conv.params["bias"]
    t_naive, y_naive = timed(lambda: conv2d_naive(x, weight, bias, stride=1, padding=1), 1)
    t_im2col, y_im2col = timed(lambda: conv(x))
    diff = float(xp.abs(y_naive - y_im2col).max())
    print(f"input {tuple(x.shape)} -> output {tuple(y_im2col.shape)}")
    print(f"largest difference between loop and im2col: {diff:.2e}  (float32 rounding)")
    assert diff < 1e-4

    section("2. The speed difference")
    print(f"loops over output pixels: {t_naive * 1e3:8.2f} ms")
    print(f"im2col + one product:     {t_im2col * 1e3:8.2f} ms   ({t_naive / t_im2col:.0f}x faster)")

    section("3. What im2col builds")
    cols = backend.to_host(im2col(x, (3, 3), (1, 1), (1, 1)))
    print(f"cols has shape {cols.shape}: 3 channels x 3 x 3 taps = 27 rows, one column per output pixel")
    print("row 4 (red channel, centre tap) is the red channel itself:",
          bool(np.allclose(cols[0, 4].reshape(size, size), image[0])))

    section("4. An edge filter")
    edge = Conv2d(1, 1, 3, padding=1, bias=False).to(args.device)
    edge.params["weight"][...] = xp.asarray(np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], np.float32))
    grey = x.mean(axis=1, keepdims=True)
    edges = backend.to_host(edge(grey))[0, 0]
    print(f"horizontal gradient (Sobel): values from {edges.min():.2f} to {edges.max():.2f}, of which the\n"
          f"image's own edges (the border cut, where the filter reads padding zeros): "
          f"{edges[1:-1, 1:-1].min():.2f} to {edges[1:-1, 1:-1].max():.2f}")

    section("5. The same layer with its speed tricks")
    with fast.enabled(True), fast.enabled(False, "shifted_taps"):      # section 6 shows those
        t_tricks, y_tricks = timed(lambda: conv(x))
    same = float(xp.abs(y_tricks - y_im2col).max())
    print(f"im2col + one product (textbook route): {t_im2col * 1e3:.3f} ms; with fcn_scratch.fast on: "
          f"{t_tricks * 1e3:.3f} ms; largest difference {same:.1e}")
    print("turn every trick off with `with fcn_scratch.fast.enabled(False):` or FCN_SCRATCH_FAST=0")
    assert same == 0.0

    section("6. No column matrix: the shifted taps")
    maps = Conv2d(3, 8, 3, padding=1, rng=np.random.default_rng(1)).to(args.device)(x)     # 8 channels to convolve
    layer = Conv2d(8, 8, 3, padding=1, rng=np.random.default_rng(2)).to(args.device)
    wide = size + 2                                      # Wp: the padded width
    flat = xp.pad(maps, ((0, 0), (0, 0), (1, 1), (1, 1))).reshape(1, 8, -1)
    u, v = 1, 2
    shifted = flat[:, :, u * wide + v:u * wide + v + size * wide].reshape(1, 8, size, wide)[:, :, :, :size]
    block = im2col(maps, (3, 3), (1, 1), (1, 1)).reshape(1, 8, 3, 3, size, size)[:, :, u, v]
    print(f"im2col's rows for tap ({u}, {v}) = the padded maps, flattened, from {u}*Wp + {v} on "
          f"(each row of Wp = {wide} cut to {size}): {bool((shifted == block).all())}")
    y_cols = layer(maps)
    dy = xp.asarray(np.random.default_rng(3).standard_normal(y_cols.shape).astype(np.float32))
    dx_cols = layer.backward(dy)
    weight8, bias8 = layer.params["weight"], layer.params["bias"]
    y_taps = shifted_taps.conv2d_forward(maps, weight8, bias8, (1, 1)).reshape(y_cols.shape)
    dw_taps, dx_taps = shifted_taps.conv2d_backward(maps, dy, weight8, (1, 1))
    for name, ours, textbook in (("y", y_taps, y_cols), ("dW", dw_taps.reshape(weight8.shape), layer.grads["weight"]),
                                 ("dx", dx_taps, dx_cols)):
        worst = float(xp.abs(ours - textbook).max() / xp.abs(textbook).max())
        print(f"shifted taps against im2col, {name}: largest difference {worst:.1e} of the largest value "
              "(the same products, added in another order: float32 rounding)")
        assert worst < 1e-5
    print(f"the column matrix of this layer: {8 * 9 * size * size * 4 / 1024:.0f} kB; the shifted taps keep "
          f"its input, {8 * size * size * 4 / 1024:.0f} kB")

    fig, ax = figure(1, 3, (4, 3.6))
    ax[0, 0].imshow(image.transpose(1, 2, 0))
    ax[0, 0].set_title("image")
    ax[0, 1].imshow(cols[0][:, : 4 * size], aspect="auto", cmap="viridis")
    ax[0, 1].set_title("im2col: 27 rows x first 4 image rows")
    inner = edges[1:-1, 1:-1]        # the outermost pixels read the zero padding: an edge that is not in the image
    top = float(np.abs(inner).max())
    shown = ax[0, 2].imshow(inner, cmap="RdBu", vmin=-top, vmax=top)
    ax[0, 2].set_title("Sobel x (one Conv2d), border cut")
    fig.colorbar(shown, ax=ax[0, 2], label="horizontal gradient")
    save(fig, args, "im2col")


def main():
    args = parse_args(__doc__, "01_convolution_im2col")
    # The layers run their textbook routes, the code this lesson describes (fcn_scratch.fast is off).
    with fast.enabled(False):
        lesson(args)


if __name__ == "__main__":
    main()
