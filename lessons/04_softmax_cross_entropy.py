"""Lesson 4: per-pixel softmax and cross-entropy, the loss FCN trains with.

The network outputs a score map: logits z of shape (N, C, H, W), one score per
class at every pixel. At each pixel a softmax turns scores into probabilities,

    p_c = exp(z_c) / sum_k exp(z_k)          (computed as exp(z_c - max z) / ...)

and the loss is the mean negative log-probability of the true class over all
M pixels that are not ignored (VOC marks object borders with 255):

    L = -(1/M) sum over labelled pixels of log p_label

Subtracting max z first changes nothing mathematically but keeps exp() from
overflowing (the log-sum-exp trick). The gradient is beautifully simple:

    dL/dz_c = (p_c - [c == label]) / M      and 0 at ignored pixels.

The figure shows a net that is roughly right: sure inside the shapes, unsure
at their boundaries, and the gradient pushing hardest exactly there.

What runs here is ``fcn_scratch.functional.log_softmax_at_labels`` and
``softmax_minus_onehot``, the formulas above: ``main`` turns the tricks of
``fcn_scratch.fast`` off, among them the softmax computed in place
(``fast/softmax_in_place.py``), which agrees with them to float rounding.

Run: python lessons/04_softmax_cross_entropy.py [--quick] [--out DIR] [--device cpu|cuda]
(--quick: small sizes, seconds; the tests use it.)
"""
import math

import numpy as np

from _common import figure, parse_args, save, section
from fcn_scratch import backend, fast
from fcn_scratch.data import make_sample
from fcn_scratch.layers import SoftmaxCrossEntropy, softmax


def lesson(args):
    xp = backend.xp_for(args.device)
    rng = np.random.default_rng(0)
    size = 16 if args.quick else 48

    section("1. The loss over an H x W map")
    _, labels = make_sample(2, image_size=size, num_classes=6)
    logits = rng.standard_normal((1, 6, size, size))
    ce = SoftmaxCrossEntropy()
    loss = ce(xp.asarray(logits), xp.asarray(labels[None]))
    print(f"random logits, {size * size} labelled pixels: loss {loss:.4f}")
    print(f"all-zero logits give exactly ln(6) = {math.log(6):.4f}: "
          f"{ce(xp.zeros((1, 6, size, size)), xp.asarray(labels[None])):.4f}")
    confident = np.where(np.arange(6)[None, :, None, None] == labels[None, None], 10.0, 0.0)
    print(f"logits that are 10 for the true class: loss {ce(xp.asarray(confident), xp.asarray(labels[None])):.6f}")

    section("2. The ignore label")
    ignored = labels[None].copy()
    ignored[:, : size // 2] = 255
    loss_half = ce(xp.asarray(logits), xp.asarray(ignored))
    manual = -np.log(backend.to_host(softmax(xp.asarray(logits)))[0, labels, np.arange(size)[:, None],
                                                                   np.arange(size)])[size // 2:].mean()
    print(f"top half ignored: loss {loss_half:.6f}; by hand over the bottom half: {manual:.6f}")
    grad = backend.to_host(ce.backward())
    print(f"gradient in the ignored half is exactly zero: {not grad[:, :, : size // 2].any()}")
    all_ignored = ce(xp.asarray(logits), xp.full((1, size, size), 255))
    print(f"every pixel ignored: loss {all_ignored} and gradient all zero "
          f"({not backend.to_host(ce.backward()).any()}), no NaN")

    section("3. The gradient is softmax minus one-hot")
    ce(xp.asarray(logits), xp.asarray(labels[None]))
    grad = backend.to_host(ce.backward())
    p = backend.to_host(softmax(xp.asarray(logits)))
    onehot = (np.arange(6)[None, :, None, None] == labels[None, None])
    expected = (p - onehot) / labels.size
    print(f"largest difference from (softmax - onehot) / M: {np.abs(grad - expected).max():.1e}")
    print(f"the gradient sums to zero over classes at every pixel: {np.abs(grad.sum(axis=1)).max():.1e}")

    section("4. Stable for huge scores")
    big = xp.asarray(np.array([[[[1000.0]], [[-1000.0]]]]))
    print(f"logits (1000, -1000), label 1: loss {ce(big, xp.asarray(np.array([[[1]]]))):.1f} (not inf, not nan)")

    section("5. Where a roughly right net is unsure, and what the gradient does there")
    # Logits of a net that has it roughly right: the one-hot of the labels, blurred over 5 x 5 pixels
    # (so it hesitates at boundaries), times 4.
    onehot_map = (np.arange(6)[:, None, None] == labels[None]).astype(np.float64)
    padded = np.pad(onehot_map, ((0, 0), (2, 2), (2, 2)), mode="edge")
    blurred = sum(padded[:, i:i + size, j:j + size] for i in range(5) for j in range(5)) / 25
    rough = 4 * blurred[None]
    ce(xp.asarray(rough), xp.asarray(labels[None]))
    rough_grad = backend.to_host(ce.backward())[0]
    confidence = backend.to_host(softmax(xp.asarray(rough)))[0].max(axis=0)
    push = np.take_along_axis(rough_grad, labels[None], 0)[0] * labels.size
    print(f"max probability: {confidence.min():.2f} at the least sure pixel, {confidence.max():.2f} inside shapes")
    print(f"M * dL/dz of the true class: {push.min():.2f} to {push.max():.2f} (negative: raise that score; "
          "largest at boundaries)")

    fig, ax = figure(1, 3, (3.2, 3))
    ax[0, 0].imshow(labels, cmap="tab10", vmin=0, vmax=9, interpolation="nearest")
    ax[0, 0].set_title("labels")
    shown = ax[0, 1].imshow(confidence, cmap="viridis", vmin=0, vmax=1, interpolation="nearest")
    ax[0, 1].set_title("max probability")
    fig.colorbar(shown, ax=ax[0, 1])
    shown = ax[0, 2].imshow(push, cmap="RdBu", vmin=-1, vmax=1, interpolation="nearest")
    ax[0, 2].set_title("M * dL/dz of the true class")
    fig.colorbar(shown, ax=ax[0, 2])
    for a in ax[0]:
        a.axis("off")
    save(fig, args, "loss_map")


def main():
    args = parse_args(__doc__, "04_softmax_cross_entropy")
    # The layers run their textbook routes, the code this lesson describes (fcn_scratch.fast is off).
    with fast.enabled(False):
        lesson(args)


if __name__ == "__main__":
    main()
