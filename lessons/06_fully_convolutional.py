"""Lesson 6: from a patch classifier to a fully convolutional network.

The old way to label pixels: cut a patch around every pixel and run a
classifier CNN on each patch. Neighbouring patches overlap almost entirely,
so nearly all of that work is repeated.

The FCN observation (Long et al., section 3.1): a fully connected layer that
reads a k x k x C feature map is the same thing as a k x k convolution with
C input channels. Rewrite the classifier's fully connected layers as
convolutions and the whole network becomes a stack of convolutions. Run it
once on the whole image and it computes the classifier's scores for every
patch at once, sharing the overlapping work:

    classifier:  patch (3, 9, 9) -> conv 3x3 -> conv 3x3 -> (8, 5, 5) -> fc6 -> 16 -> classifier -> 10 scores
    FCN:         image (3, H, W) -> conv 3x3 -> conv 3x3 -> conv 5x5 (fc6) -> conv 1x1 (classifier) -> (10, H, W)

Pixels in, pixels out, and any input size. (With pooling in the network the
dense output comes out strided, which is why FCN needs upsampling.)

The classifier layer is replaced. A classifier trained on ImageNet answers
with ImageNet's 1000 classes; a segmenter needs its own (PASCAL VOC's 21).
The paper (section 4.1) "decapitates" the net: it discards the final
classifier layer, keeps every layer below it (fc6 and fc7 now convolutions),
and appends a new 1x1 convolution with one output channel per class, which
starts at zero (section 4.3: random initialization gave neither better
results nor faster convergence). A net so changed outputs zero logits, so its
first loss is exactly ln(number of classes); training then fills in the new
layer and fine-tunes the rest. Section 4 does it here, 10 "source" classes
giving way to the toy data's 4; lesson 12 does it on VGG16 itself, where
torchvision's ``classifier.6`` (4096 -> 1000) gives way to ``score_fr``
(4096 -> 21, zero).

Run: python lessons/06_fully_convolutional.py [--quick] [--out DIR] [--device cpu|cuda]
(--quick: small sizes, seconds; the tests use it.)
"""
import math

import numpy as np

from _common import figure, parse_args, save, section, timed
from fcn_scratch import backend
from fcn_scratch.data import make_sample
from fcn_scratch.layers import Conv2d, ReLU, SoftmaxCrossEntropy


class PatchClassifier:
    """conv 3x3 -> ReLU -> conv 3x3 -> ReLU -> fc6 -> ReLU -> classifier, for one 9x9 patch per row.

    The two fully connected layers stand for VGG16's: fc6 reads the whole (8, 5, 5) feature map of a
    patch, the classifier turns fc6's ``hidden`` features into ``num_classes`` scores.
    """

    def __init__(self, num_classes, rng, device, hidden=16):
        self.conv1 = Conv2d(3, 8, 3, rng=rng).to(device)
        self.conv2 = Conv2d(8, 8, 3, rng=rng).to(device)
        self.relu = ReLU()
        xp = backend.xp_for(device)
        self.fc6_weight = xp.asarray(rng.standard_normal((hidden, 8 * 5 * 5)).astype(np.float32) * 0.1)
        self.fc6_bias = xp.asarray(rng.standard_normal(hidden).astype(np.float32) * 0.1)
        self.classifier_weight = xp.asarray(rng.standard_normal((num_classes, hidden)).astype(np.float32) * 0.3)
        self.classifier_bias = xp.asarray(rng.standard_normal(num_classes).astype(np.float32))

    def __call__(self, patches):
        """patches (P, 3, 9, 9) -> scores (P, num_classes)."""
        h = self.relu(self.conv2(self.relu(self.conv1(patches))))
        h = self.relu(h.reshape(len(patches), -1) @ self.fc6_weight.T + self.fc6_bias)
        return h @ self.classifier_weight.T + self.classifier_bias

    def as_fcn(self):
        """The same network with fc6 as a 5x5 convolution and the classifier as a 1x1 one.

        Returns ``(features, classifier)``: ``features(image)`` runs everything up to fc6 and its ReLU,
        ``classifier`` is the last layer, so that ``classifier(features(image))`` is the whole net.
        """
        hidden = len(self.fc6_bias)
        fc6 = Conv2d(8, hidden, 5)
        fc6.params["weight"] = self.fc6_weight.reshape(hidden, 8, 5, 5)      # row o of fc6: a 5x5x8 kernel
        fc6.params["bias"] = self.fc6_bias
        classifier = Conv2d(hidden, len(self.classifier_bias), 1)
        classifier.params["weight"] = self.classifier_weight.reshape(-1, hidden, 1, 1)
        classifier.params["bias"] = self.classifier_bias
        relu = self.relu

        def features(image):
            return relu(fc6(relu(self.conv2(relu(self.conv1(image))))))
        return features, classifier


def patches_of(image, size=9):
    """Every size x size patch of a zero-padded (1, 3, H, W) image: (H*W, 3, size, size)."""
    xp = backend.get_array_module(image)
    r = size // 2
    _, c, h, w = image.shape
    padded = xp.zeros((1, c, h + 2 * r, w + 2 * r), dtype=image.dtype)
    padded[:, :, r:r + h, r:r + w] = image
    return xp.stack([padded[0, :, i:i + size, j:j + size] for i in range(h) for j in range(w)])


def main():
    args = parse_args(__doc__, "06_fully_convolutional")
    xp = backend.xp_for(args.device)
    rng = np.random.default_rng(0)
    size = 20 if args.quick else 64
    image, labels = make_sample(5, image_size=size)
    x = xp.asarray(image[None])
    net = PatchClassifier(10, rng, args.device)

    section("1. Classify every pixel from its patch")
    t_patch, scores = timed(lambda: net(patches_of(x)), 1)
    scores = scores.T.reshape(1, 10, size, size)
    print(f"{size * size} patches of 9 x 9 -> scores {tuple(scores.shape)} in {t_patch * 1e3:.1f} ms")

    section("2. The same network, fully convolutional")
    features, classifier = net.as_fcn()
    padded = xp.zeros((1, 3, size + 8, size + 8), np.float32)
    padded[:, :, 4:-4, 4:-4] = x
    t_fcn, dense = timed(lambda: classifier(features(padded)))
    diff = float(xp.abs(dense - scores).max())
    equal = float((dense == scores).mean())
    print(f"one pass over the image -> {tuple(dense.shape)} in {t_fcn * 1e3:.2f} ms ({t_patch / t_fcn:.0f}x faster)")
    print(f"largest difference between the two: {diff:.1e}  ({equal:.0%} of the scores equal to the last bit"
          + ("; the two routes do the same multiply-adds in the same order)" if diff == 0 else
             "; the rest differ by float32 rounding)"))
    assert diff < 1e-3

    section("3. Any input size")
    for h, w in ((size + 8, size + 8), (37, 61), (12, 100)):
        out = classifier(features(xp.zeros((1, 3, h, w), np.float32)))
        print(f"input {h} x {w} -> score map {out.shape[2]} x {out.shape[3]}")

    section("4. Decapitate: a new score layer for the new classes")
    new_classes = 4                                # the toy data's: background, circle, square, triangle
    score = Conv2d(classifier.params["weight"].shape[1], new_classes, 1).to(args.device)
    score.params["weight"][...] = 0                # the new layer starts at zero (weight and bias)
    score.params["bias"][...] = 0
    logits = score(features(padded))
    loss = SoftmaxCrossEntropy()(logits, xp.asarray(labels[None]))
    print(f"kept: conv1, conv2, fc6 (now a 5x5 convolution); dropped: the classifier, "
          f"{classifier.params['weight'].shape[1]} -> {classifier.params['weight'].shape[0]} classes")
    print(f"appended: a 1x1 convolution {score.params['weight'].shape[1]} -> {new_classes} classes, all zero: "
          f"logits {tuple(logits.shape)}, all {float(xp.abs(logits).max()):.0f}")
    print(f"first loss on the toy labels {loss:.6f}, ln {new_classes} = {math.log(new_classes):.6f}")
    print("On VGG16 (lesson 12): classifier.6, 4096 -> 1000 ImageNet classes, gives way to score_fr,\n"
          "4096 -> 21 VOC classes, zero; fc6 and fc7 become the 7x7 and 1x1 convolutions below it.")

    # One continuous score (class 1) from each route, on one colour range, and how far apart they are:
    # an untrained net's argmax would be one class everywhere and show nothing.
    patch_map, dense_map = backend.to_host(scores)[0, 1], backend.to_host(dense)[0, 1]
    low, high = float(min(patch_map.min(), dense_map.min())), float(max(patch_map.max(), dense_map.max()))
    fig, ax = figure(1, 4, (3, 3))
    ax[0, 0].imshow(image.transpose(1, 2, 0))
    ax[0, 0].set_title("image")
    ax[0, 1].imshow(patch_map, cmap="viridis", vmin=low, vmax=high, interpolation="nearest")
    ax[0, 1].set_title(f"score 1, patch by patch ({t_patch * 1e3:.0f} ms)")
    shown = ax[0, 2].imshow(dense_map, cmap="viridis", vmin=low, vmax=high, interpolation="nearest")
    ax[0, 2].set_title(f"score 1, one pass ({t_fcn * 1e3:.1f} ms)")
    fig.colorbar(shown, ax=ax[0, 2])
    gap = np.abs(patch_map - dense_map)
    shown = ax[0, 3].imshow(gap, cmap="magma", vmin=0, vmax=max(float(gap.max()), 1e-6), interpolation="nearest")
    ax[0, 3].set_title("|difference| between the two")
    words = ("0 at every pixel:\nthe same numbers\nto the last bit" if gap.max() == 0 else
             f"at most {gap.max():.1e}\n(float32 rounding)\nagainst scores of {max(abs(low), abs(high)):.1f}")
    ax[0, 3].text(0.5, 0.5, words, transform=ax[0, 3].transAxes, ha="center", va="center", color="white",
                  fontsize=12, bbox=dict(facecolor="black", alpha=0.6, edgecolor="white"))
    fig.colorbar(shown, ax=ax[0, 3], format="%.0e")
    for a in ax[0]:
        a.axis("off")
    save(fig, args, "patch_vs_fcn")


if __name__ == "__main__":
    main()
