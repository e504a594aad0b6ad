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

    classifier:  patch (3, 9, 9) -> conv 3x3 -> conv 3x3 -> (8, 5, 5) -> fc -> C scores
    FCN:         image (3, H, W) -> conv 3x3 -> conv 3x3 -> conv 5x5 (the fc) -> (C, H, W)

Pixels in, pixels out, and any input size. (With pooling in the network the
dense output comes out strided, which is why FCN needs upsampling.)

Run: python lessons/06_fully_convolutional.py [--quick] [--out DIR] [--device cpu|cuda]
(--quick: small sizes, seconds; the tests use it.)
"""
import numpy as np

from _common import figure, parse_args, save, section, timed
from fcn_scratch import backend
from fcn_scratch.data import make_sample
from fcn_scratch.layers import Conv2d, ReLU


class PatchClassifier:
    """conv 3x3 -> ReLU -> conv 3x3 -> ReLU -> fully connected, for one 9x9 patch per row."""

    def __init__(self, num_classes, rng, device):
        self.conv1 = Conv2d(3, 8, 3, rng=rng).to(device)
        self.conv2 = Conv2d(8, 8, 3, rng=rng).to(device)
        self.relu = ReLU()
        xp = backend.xp_for(device)
        self.fc_weight = xp.asarray(rng.standard_normal((num_classes, 8 * 5 * 5)).astype(np.float32) * 0.1)
        self.fc_bias = xp.asarray(rng.standard_normal(num_classes).astype(np.float32))

    def __call__(self, patches):
        """patches (P, 3, 9, 9) -> scores (P, num_classes)."""
        h = self.relu(self.conv2(self.relu(self.conv1(patches))))
        return h.reshape(len(patches), -1) @ self.fc_weight.T + self.fc_bias

    def as_fcn(self):
        """The same network with the fully connected layer as a 5x5 convolution."""
        fc = Conv2d(8, len(self.fc_bias), 5)
        fc.params["weight"] = self.fc_weight.reshape(-1, 8, 5, 5)
        fc.params["bias"] = self.fc_bias
        relu = self.relu

        def fcn(image):
            return fc(relu(self.conv2(relu(self.conv1(image)))))
        return fcn


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
    image, _ = make_sample(5, image_size=size)
    x = xp.asarray(image[None])
    net = PatchClassifier(4, rng, args.device)

    section("1. Classify every pixel from its patch")
    t_patch, scores = timed(lambda: net(patches_of(x)), 1)
    scores = scores.T.reshape(1, 4, size, size)
    print(f"{size * size} patches of 9 x 9 -> scores {tuple(scores.shape)} in {t_patch * 1e3:.1f} ms")

    section("2. The same network, fully convolutional")
    fcn = net.as_fcn()
    padded = xp.zeros((1, 3, size + 8, size + 8), np.float32)
    padded[:, :, 4:-4, 4:-4] = x
    t_fcn, dense = timed(lambda: fcn(padded))
    diff = float(xp.abs(dense - scores).max())
    print(f"one pass over the image -> {tuple(dense.shape)} in {t_fcn * 1e3:.2f} ms ({t_patch / t_fcn:.0f}x faster)")
    print(f"largest difference between the two: {diff:.1e}  (the same numbers, up to float32 rounding)")
    assert diff < 1e-3

    section("3. Any input size")
    for h, w in ((size + 8, size + 8), (37, 61), (12, 100)):
        out = fcn(xp.zeros((1, 3, h, w), np.float32))
        print(f"input {h} x {w} -> score map {out.shape[2]} x {out.shape[3]}")

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
    ax[0, 3].set_title(f"|difference|, at most {gap.max():.0e}")
    fig.colorbar(shown, ax=ax[0, 3], format="%.0e")
    for a in ax[0]:
        a.axis("off")
    save(fig, args, "patch_vs_fcn")


if __name__ == "__main__":
    main()
