"""Capstone, after lesson 8: FCN-8s trained with your own layers.

Every piece of the net that an exercise built is yours here:

- every convolution runs your conv2d_forward and conv2d_backward (exercises 2 and 7);
- every pool your maxpool_forward and maxpool_backward (exercise 3);
- every upsampling your conv_transpose2d_forward (exercise 4), started from your
  bilinear_kernel (exercise 5). Its backward is no new code: a transposed
  convolution is the adjoint of the convolution with the same weight, so its
  input gradient is that convolution (your conv2d_forward), and its weight
  gradient is your conv2d_backward's dW with the roles of input and gradient swapped;
- the two skips are fused by your fusion_forward and fusion_backward (exercise 10),
  at the crops your coordinate maps give (exercise 8);
- the loss is your softmax_cross_entropy (exercise 6), the score your mean_iu (exercise 9).

The same net (the same seed, so the same starting weights), the same data and the
same steps then train once more with the library's layers. If your exercises are
right, the first batch gives both nets the same logits and gradients to float32
rounding, and the two runs end with the same mean IU.

Run:  python lessons/exercises/capstone.py [--quick]      (or: python lessons/exercises/check.py capstone)

With the course's reference solutions for your layers, on 2 cores of an Intel Xeon shared with other work
(2026-12-08): about 25 s (22-24 s; 42 s while the machine was busier), of which 12-14 s train with the
solutions and 6-11 s with the library's layers; --quick, 2-4 s.
"""
import argparse
import sys
import time
import types
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent))

import checker  # noqa: E402  (the folder above is on the path now)
from checker.core import Crashed, NotStarted, Student, Wrong  # noqa: E402
from checker.crop_offset import net_crops  # noqa: E402
from fcn_scratch import backend  # noqa: E402
from fcn_scratch.data import DataLoader, RandomHorizontalFlip, ToySegmentation  # noqa: E402
from fcn_scratch.layers import Conv2d, ConvTranspose2d, Crop, MaxPool2d, SoftmaxCrossEntropy  # noqa: E402
from fcn_scratch.models import FCN8s, build  # noqa: E402
from fcn_scratch.optim import Adam  # noqa: E402
from fcn_scratch.train import evaluate  # noqa: E402

# The run: background against circles at 32 x 32, lesson 8's --quick net, Adam. In float64, so that rounding
# differences between your code and the library's stay far below anything a mean IU shows after 360 steps.
RUN = dict(image_size=32, num_classes=2, train_images=480, val_images=48, epochs=6, batch_size=8, lr=4e-3, seed=0,
           dtype="float64", net=dict(widths=(8, 16, 16, 32, 32), fc_channels=64, dropout=0.0))
QUICK = dict(RUN, train_images=96, val_images=16, epochs=1)
SLOW = 5        # your layers taking more than SLOW times the library's time: say where the time went


class Yours:
    """What your layers share: your functions (``self.you``) and gradients kept only where they are wanted."""

    def keep(self, **grads):
        for name, grad in grads.items():
            if self.needs_grad(name):
                self.grads[name] = grad


class YourConv2d(Yours, Conv2d):
    def forward(self, x):
        self.cache = x
        bias = self.params.get("bias", np.zeros(self.out_channels, x.dtype))
        return self.you.conv2d_forward(x, self.params["weight"], bias, self.stride[0], self.padding[0])

    def backward(self, dy, input_grad=True):
        dx, dw, db = self.you.conv2d_backward(dy, self.saved(), self.params["weight"], self.stride[0], self.padding[0])
        self.keep(weight=dw, bias=db)
        return dx if input_grad else None


class YourMaxPool2d(Yours, MaxPool2d):
    def forward(self, x):
        if any(size % self.stride[0] for size in x.shape[2:]):
            raise ValueError(f"the capstone's pools round down, so its maps must halve evenly; got {x.shape[2:]}")
        y, indices = self.you.maxpool_forward(x, self.kernel_size[0], self.stride[0])
        self.cache = (x.shape, indices)
        return y

    def backward(self, dy):
        x_shape, indices = self.saved()
        return self.you.maxpool_backward(dy, indices, x_shape)


class YourConvTranspose2d(Yours, ConvTranspose2d):
    def forward(self, x):
        self.cache = x
        return self.you.conv_transpose2d_forward(x, self.params["weight"], self.stride[0], self.padding[0])

    def backward(self, dy):
        x, weight, s, p = self.saved(), self.params["weight"], self.stride[0], self.padding[0]
        if self.needs_grad("weight"):       # the adjoint: the convolution's dW, input and gradient swapped
            self.grads["weight"] = self.you.conv2d_backward(x, dy, weight, s, p)[1]
        return self.you.conv2d_forward(dy, weight, np.zeros(self.in_channels, dy.dtype), s, p)


class YourFCN8s(FCN8s):
    """FCN-8s whose skips are fused by your fusion_forward/fusion_backward, at your crops."""

    def forward(self, x):
        score_fr, skips = self.encode(x)
        crop4, crop3, _ = self.crops
        fuse4, cache4 = self.you.fusion_forward(score_fr, skips["pool4"], *self.skip("pool4", "upscore2"), crop4)
        fuse3, cache3 = self.you.fusion_forward(fuse4, skips["pool3"], *self.skip("pool3", "upscore_pool4"), crop3)
        self.fused = (cache4, cache3)
        return self.crop_upscore8(self.upscore8(fuse3), x.shape)

    def skip(self, pool, up):
        """The score weight and bias of a pool's skip, and the weight of the upsampling it is fused with."""
        score = self.layers[f"score_{pool}"].params
        return score["weight"], score["bias"], self.layers[up].params["weight"]

    def backward(self, d_logits, input_grad=True):
        cache4, cache3 = self.fused
        d_fuse3 = self.upscore8.backward(self.crop_upscore8.backward(d_logits))
        d_fuse4, d_pool3, *grads3 = self.you.fusion_backward(d_fuse3, cache3)
        d_score_fr, d_pool4, *grads4 = self.you.fusion_backward(d_fuse4, cache4)
        for (score, up), (d_weight, d_bias, d_up) in ((("score_pool3", "upscore_pool4"), grads3),
                                                     (("score_pool4", "upscore2"), grads4)):
            self.layers[score].keep(weight=d_weight, bias=d_bias)
            self.layers[up].keep(weight=d_up)
        return self.encode_backward(d_score_fr, pool4=d_pool4, pool3=d_pool3, input_grad=input_grad)


def adopt(thing, cls, **state):
    """``thing`` as an instance of its subclass ``cls``: the same state, your methods."""
    new = object.__new__(cls)
    new.__dict__.update(thing.__dict__, **state)
    return new


def your_net(model, you):
    """The library's FCN-8s with every layer an exercise built replaced by yours (the same weights)."""
    net = adopt(model, YourFCN8s, you=you, layers={})
    ours = {Conv2d: YourConv2d, MaxPool2d: YourMaxPool2d, ConvTranspose2d: YourConvTranspose2d}
    for name, layer in model.layers.items():
        swap = ours.get(type(layer))
        setattr(net, name, adopt(layer, swap, you=you) if swap else layer)
    for layer in net.layers.values():
        if isinstance(layer, ConvTranspose2d):
            k = layer.kernel_size[0]
            layer.params["weight"] = np.asarray(you.bilinear_kernel(layer.in_channels, k), layer.params["weight"].dtype)
    net.crops = tuple(int(c) for c in net_crops(you, model))
    net.crop_upscore8 = Crop(net.crops[2])
    return net


def library_loss():
    ce = SoftmaxCrossEntropy()
    return lambda logits, labels: (ce(logits, labels), ce.backward())


def first_batch(nets, losses, images, labels):
    """The largest relative difference between the two nets' logits, and between their gradients."""
    logits, grads = [], []
    for net, loss in zip(nets, losses):
        z = net(images)
        net.backward(loss(z, labels)[1], input_grad=False)
        logits.append(z)
        grads.append({name: g.copy() for name, _, g in net.named_parameters()})
    gap = float(np.abs(logits[0] - logits[1]).max() / max(np.abs(logits[1]).max(), 1e-12))
    worst = max(float(np.abs(grads[0][k] - g).max() / max(np.abs(g).max(), 1e-12)) for k, g in grads[1].items())
    return gap, worst


def run(you, run=RUN, out=print):
    """Train FCN-8s with ``you``'s functions and with the library's; returns both mean IUs.

    The BLAS is held to one thread throughout, as the library's layers hold it in their own products: its
    idle threads would otherwise spin on the cores between the many small products of a small net, and on a
    busy 2-core machine that made your layers' run two to four times slower (the same numbers either way)."""
    with threadpool_limits(limits=1, user_api="blas"):
        return train_both(you, run, out)


def train_both(you, run, out):
    data = [ToySegmentation(split, run[f"{split}_images"], run["image_size"], num_classes=run["num_classes"],
                            seed=run["seed"]) for split in ("train", "val")]
    val_loader = DataLoader(data[1], 16)
    models = [build("fcn8s", num_classes=run["num_classes"], rng=backend.host_rng(run["seed"]), dtype=run["dtype"],
                    **run["net"]) for _ in range(2)]
    nets, losses = [your_net(models[0], you), models[1]], [you.softmax_cross_entropy, library_loss()]
    out(f"FCN-8s on {run['train_images']} toy images of {run['image_size']} x {run['image_size']} "
        f"({', '.join(data[0].class_names)}), {run['epochs']} epochs of Adam at {run['lr']}, seed {run['seed']}; "
        f"your crops {nets[0].crops}")
    images, labels = val_loader.collate([data[0][i] for i in range(run["batch_size"])])
    images = images.astype(run["dtype"])
    gap, worst = first_batch(nets, losses, images, labels)
    out(f"first batch, both nets fresh: logits differ by {gap:.1e}, gradients by {worst:.1e} (relative; {run['dtype']} "
        f"rounding is about {float(np.finfo(run['dtype']).eps):.0e})")
    results, seconds = [], []
    you.seconds.clear()
    for title, net, loss in (("your layers", nets[0], losses[0]), ("the library's", nets[1], losses[1])):
        out(f"  {title}:")
        loader = DataLoader(data[0], run["batch_size"], shuffle=True, seed=run["seed"],
                            transform=RandomHorizontalFlip(), drop_last=True)
        start = time.perf_counter()
        first, last = train_steps(net, loss, loader, run, out)
        metrics, confusion = evaluate(net, val_loader)
        mean_iu = float(you.mean_iu(confusion.matrix)) if net is nets[0] else metrics["mean_iu"]
        results.append(mean_iu)
        seconds.append(time.perf_counter() - start)
        out(f"    mean IU {mean_iu:.3f} on {run['val_images']} validation images ({seconds[-1]:.1f} s)")
    where_the_time_went(dict(you.seconds), *seconds, out)
    gap_iu = abs(results[0] - results[1])
    out(f"mean IU with your layers {results[0]:.3f}, with the library's {results[1]:.3f} (difference {gap_iu:.1e}): "
        + ("the same net, trained alike: your layers train FCN-8s." if gap_iu < 1e-3 else
           "they differ; the first batch above says whether the two nets already differ there."))
    return results[0], results[1], gap, worst


def where_the_time_went(spent, yours, library, out=print):
    """When your layers take more than SLOW times the library's time: which of your functions took it, and why
    that need not worry you."""
    if yours <= SLOW * library or not spent:
        return
    name, most = max(spent.items(), key=lambda item: item[1])
    out(f"your layers took {yours / library:.0f} times as long as the library's ({yours:.0f} s against "
        f"{library:.0f} s); "
        f"{most:.0f} s of it in your {name}(). Yours run through the checker, which copies every input and "
        f"compares it afterwards, and the library's layers take shortcuts the exercises leave out "
        f"(fcn_scratch/fast/, one trick a file); a Python loop over pixels, windows or images adds the most, as "
        f"NumPy is fast only when one call works on a whole array. Correctness is what counts here: the mean IU "
        f"below says whether your layers are right.")


def train_steps(net, loss, loader, run, out):
    """Adam over ``run["epochs"]`` epochs: forward, the loss and its gradient, backward, a step.
    Returns the mean loss of the first epoch and of the last."""
    optimizer, means = Adam(net, lr=run["lr"]), []
    for epoch in range(run["epochs"]):
        loader.set_epoch(epoch)
        losses = []
        for images, labels in loader:
            value, d_logits = loss(net(images.astype(run["dtype"])), labels)
            net.backward(d_logits, input_grad=False)
            optimizer.step()
            losses.append(float(value))
        means.append(float(np.mean(losses)))
        out(f"    epoch {epoch + 1}/{run['epochs']}: mean loss {means[-1]:.4f}")
    return means[0], means[-1]


def your_functions(folder=checker.FOLDER, out=print):
    """All ten exercises' functions, once every one passes its check; None (and why) otherwise."""
    results = [checker.check_file(exercise, folder) for exercise in checker.EXERCISES]
    waiting = [checker.name_of(r.exercise) for r in results if r.status != "passed"]
    if waiting:
        out(f"the capstone trains with all ten exercises; not passed yet: {', '.join(waiting)}\n"
            f"  python lessons/exercises/check.py {waiting[0]}")
        return None
    functions = {}
    for exercise in checker.EXERCISES:
        module = checker.load(Path(folder) / f"{exercise.FILE}.py")
        functions.update({name: getattr(module, name) for name in exercise.FUNCTIONS})
    return Student(types.SimpleNamespace(**functions), "your exercises")


def main(argv=None, folder=checker.FOLDER, out=print):
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="96 images, one epoch: 2-4 s instead of about 25 s")
    args = parser.parse_args(argv)
    you = your_functions(folder, out)
    if you is None:
        return 1
    try:
        run(you, QUICK if args.quick else RUN, out)
    except (NotStarted, Crashed) as failure:
        out(str(failure))
        return 1
    except Wrong as wrong:      # what the checks could not see: say it as they would
        out(wrong.message)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
