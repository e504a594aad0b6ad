"""Lesson 5: gradient checking, or how we know every backward pass is right.

A hand-written backward can be wrong in ways no test of the forward pass
sees. The check: compare it with a numerical derivative. For a scalar
function f of x, the central difference

    df/dx_i ~ (f(x + h e_i) - f(x - h e_i)) / (2h)

is accurate to O(h^2) (the one-sided difference only to O(h)). We compare
with a *relative* error, so that big and small gradients are judged alike:

    error = max |analytic - numeric| / max(|analytic|, |numeric|)

Use float64. The difference quotient has two errors: truncation, about h^2
times the third derivative, which wants h small, and rounding, about
eps |f| / h (eps is
1e-16 in float64, 1e-7 in float32), which wants h large. In float64 they
balance near h = 3e-6 at an error near 1e-11, and anything from h = 1e-9 to
1e-3 stays below 1e-6. In float32 the best step is near h = 1e-3 and the best
error near 1e-5: section 1 measures 8.5e-6 at h = 3e-3 for sin(x^3), enough
to catch a gradient that is 0.1% wrong (1e-3) there. But only there: at
h = 1e-6 (``check_layer``'s step) the rounding is of order 1e-7 / 1e-6 and
a right gradient scores 1.7e-2, the same as the wrong one; at h = 1e-5 the
right one even scores worse. The float32 window
moves with the scale of f and of x, and a bug smaller than 1e-5 hides under
its floor. Float64 tells a right gradient from a 0.1% wrong one by eight
orders of magnitude at its best step and by at least three at any step from
1e-9 to 1e-3, which is why every check here runs in float64.

For a layer we check L = sum(layer(x) * g) with a fixed random g, so that
backward receives g, and we perturb the input and every parameter.

Run: python lessons/05_gradient_checking.py [--quick] [--out DIR] [--device cpu|cuda]
(--quick: small sizes, seconds; the tests use it.)
"""
import numpy as np

from _common import figure, parse_args, save, section
from fcn_scratch import backend
from fcn_scratch.gradcheck import check_layer, relative_error, worst
from fcn_scratch.layers import (Conv2d, ConvTranspose2d, Crop, MaxPool2d, MaxUnpool2d, ReLU,
                                SoftmaxCrossEntropy)
from fcn_scratch.models import Model


class TinySegmenter(Model):
    """The smallest net with FCN's shape, built by hand from the layers above.

    forward:  x (N, 3, H, W) -> conv 3x3 (4 channels) -> ReLU -> 2x2 max pool -> 1x1 conv to 3 class
              scores -> x2 transposed convolution -> crop to (H, W)
    backward: the same steps read from the bottom up.
    """

    def __init__(self, rng):
        super().__init__()
        self.conv = Conv2d(3, 4, 3, padding=1, dtype=np.float64, rng=rng)
        self.relu = ReLU()
        self.pool = MaxPool2d(2, ceil_mode=True)
        self.score = Conv2d(4, 3, 1, dtype=np.float64, rng=rng)
        self.up = ConvTranspose2d(3, 3, 4, stride=2, dtype=np.float64, rng=rng)
        self.crop = Crop(1)

    def forward(self, x):
        h = self.pool(self.relu(self.conv(x)))
        return self.crop(self.up(self.score(h)), x.shape)

    def backward(self, d_logits):
        d = self.up.backward(self.crop.backward(d_logits))
        d = self.score.backward(d)
        return self.conv.backward(self.relu.backward(self.pool.backward(d)))


def main():
    args = parse_args(__doc__, "05_gradient_checking")
    xp = backend.xp_for(args.device)
    rng = np.random.default_rng(0)

    section("1. Central differences, and why float64")
    x64 = rng.standard_normal(5)
    steps = np.logspace(-12, -1, 23)
    errors = {}
    exact = 3 * x64 ** 2 * np.cos(x64 ** 3)
    for dtype in (np.float64, np.float32):
        x = x64.astype(dtype)
        errs, wrong_errs = [], []
        for h in steps:
            numeric = np.array([(np.sin((x[i] + dtype(h)) ** 3) - np.sin((x[i] - dtype(h)) ** 3)) / (2 * h)
                                for i in range(5)], np.float64)
            errs.append(relative_error(exact, numeric)[0])
            wrong_errs.append(relative_error(exact * 1.001, numeric)[0])      # a gradient 0.1% too large
        errors[np.dtype(dtype).name] = errs
        errors[np.dtype(dtype).name + ", gradient 0.1% wrong"] = wrong_errs
        best = int(np.argmin(errs))
        print(f"{np.dtype(dtype).name}: best relative error {errs[best]:.1e} at h = {steps[best]:.0e}")
    print(f"\n{'':<10}{'h':>7}{'right gradient':>16}{'0.1% wrong':>12}")
    for dtype_name in ("float64", "float32"):
        for h in (1e-6, 1e-5, 3e-3):
            i = int(np.argmin(np.abs(np.log(steps / h))))
            right, wrong = errors[dtype_name][i], errors[dtype_name + ", gradient 0.1% wrong"][i]
            verdict = "told apart" if wrong > 10 * right else "NOT told apart"
            print(f"{dtype_name:<10}{steps[i]:>7.0e}{right:>16.1e}{wrong:>12.1e}   {verdict}")
    print("float32 catches the 0.1% bug only near its best step; float64 at any step from 1e-9 to 1e-3.")

    section("2. Every layer, in float64")
    print(f"{'layer':<40}{'worst error':>12}  where")
    with backend.default_dtype("float64"):
        x = xp.asarray(rng.standard_normal((2, 3, 7, 8)))
        distinct = xp.asarray(rng.permutation(2 * 3 * 7 * 8).reshape(2, 3, 7, 8) / 336.0)
        pooled, idx = MaxPool2d(2, return_indices=True)(distinct)
        labels = rng.integers(0, 3, (2, 7, 8))
        labels[0, 0] = 255
        cases = [
            ("Conv2d(3, 4, 3, padding=1)", Conv2d(3, 4, 3, padding=1, rng=rng), (x,)),
            ("Conv2d(3, 2, 3, stride=2)", Conv2d(3, 2, 3, stride=2, rng=rng), (x,)),
            ("ConvTranspose2d(3, 2, 4, stride=2)", ConvTranspose2d(3, 2, 4, stride=2, rng=rng), (x,)),
            ("ConvTranspose2d(3, 2, 3, 2, padding=1)", ConvTranspose2d(3, 2, 3, 2, padding=1, rng=rng), (x,)),
            ("MaxPool2d(3, 2, padding=1, ceil_mode)", MaxPool2d(3, 2, 1, ceil_mode=True), (distinct,)),
            ("MaxUnpool2d(2)", MaxUnpool2d(2), (pooled, idx)),
            ("ReLU", ReLU(), (x + 0.1 * xp.sign(x),)),
            ("Crop(1)", Crop(1), (x, (5, 5))),
            ("SoftmaxCrossEntropy", SoftmaxCrossEntropy(), (x, xp.asarray(labels))),
        ]
        results = []
        for name, layer, inputs in cases:
            layer.to(args.device)
            where, err, index = worst(check_layer(layer, *inputs))
            results.append((name, err))
            print(f"{name:<40}{err:>12.1e}  {where} {index}")
            assert err < 1e-6, name

        section("3. A whole net at once: a tiny segmenter built by hand")
        model = TinySegmenter(rng).to(args.device)
        res = check_layer(model, xp.asarray(rng.standard_normal((2, 3, 9, 10))))
        name, err, index = worst(res)
        print(f"conv 3x3 -> ReLU -> max pool -> 1x1 scores -> x2 transposed conv -> crop: {len(res)} arrays checked,")
        print(f"worst error {err:.1e} in {name} at {index}. The same check covers FCN-8s in the tests.")

    section("4. A wrong backward is caught")
    bad = Conv2d(2, 2, 3, dtype=np.float64, rng=rng).to(args.device)
    original = bad.backward
    bad.backward = lambda g: original(g) * 1.001
    where, err, _ = worst(check_layer(bad, xp.asarray(rng.standard_normal((1, 2, 5, 5)))))
    print(f"input gradient off by 0.1%: the check reports {err:.1e} in '{where}'")

    fig, ax = figure(1, 2, (5.5, 3.6))
    for (dtype_name, errs), style in zip(errors.items(), ("o-C0", "x:C0", "o-C1", "x:C1")):
        ax[0, 0].loglog(steps, errs, style, label=dtype_name)
    ax[0, 0].set(xlabel="step h", ylabel="relative error",
                 title="central difference of sin(x^3):\na right gradient against a 0.1% wrong one")
    ax[0, 0].legend(loc="lower left", fontsize=8)
    ax[0, 1].barh([n for n, _ in results], [max(e, 1e-16) for _, e in results])
    ax[0, 1].set_xscale("log")
    ax[0, 1].set(xlabel="worst relative error (float64)", title="every layer")
    save(fig, args, "gradient_check")


if __name__ == "__main__":
    main()
