"""Lesson 13: the paper's training recipe, one iteration at a time.

Lessons 8 and 9 trained the small nets with the course's toy recipe: Adam,
batches of 8 images of 64 x 64, the loss a mean over the pixels. The paper's
VGG16 nets were trained another way, and the reference implementations spell
it out. fcn.berkeleyvision.org (the authors' Caffe code), voc-fcn32s:

    solver.prototxt   base_lr: 1e-10  ("lr for unnormalized softmax")   lr_policy: "fixed"
                      momentum: 0.99  ("high momentum")   weight_decay: 0.0005   max_iter: 100000
    net.py            every convolution: param=[dict(lr_mult=1, decay_mult=1), dict(lr_mult=2, decay_mult=0)]
                      every Deconvolution: param=[dict(lr_mult=0)]
                      SoftmaxWithLoss(loss_param=dict(normalize=False, ignore_label=255))

and pytorch-fcn's examples/voc/train_fcn32s.py, which copies it: batch_size=1,
torch.optim.SGD with the weights at lr and the biases in a group of their own
('lr': args.lr * 2, 'weight_decay': 0), no ConvTranspose2d in any group, and
the loss cross_entropy2d(size_average=False), a sum over the pixels.

Read as one sentence: SGD on one whole image a step, the loss summed over its
labelled pixels, a learning rate of 1e-10 that never changes, momentum 0.99,
weight decay 5e-4 on the weights and none on the biases, which learn at twice
the rate, every upsampling frozen at bilinear, 100,000 steps. Each part looks
odd alone (a rate of 1e-10?). Each section takes one:

1. the recipe as ``fcn-scratch train`` prints it, against the toy one;
2. the summed loss. Its gradient is the mean loss's times M, the image's
   labelled pixels, so SGD on the sum at rate lr takes exactly the steps SGD on
   the mean takes at lr * M: for a 500 x 375 photo (M about 1.8e5), 1e-10 is a
   mean-loss rate of about 2e-5. And a big image pushes harder than a small one;
3. momentum 0.99. A steady gradient g builds a velocity of g / (1 - m) = 100 g,
   so the effective rate is 100 lr, reached after a few hundred iterations;
4. the biases at twice the rate without weight decay (Caffe's convention);
5. the upsampling frozen at bilinear: it gets no gradient, never moves, and
   never mixes one class's scores into another's;
6. one iteration with all of it, timed, and how far it moves each layer; and
   the next one.

The net is FCN-8s "at once" (``fcn8s-atonce-vgg16``): the paper's FCN-8s,
with pool4 and pool3 scaled by 0.01 and 0.0001 before their score layers,
which the reference trains from VGG16 in one stage at 1e-10 (pytorch-fcn's
train_fcn8s_atonce.py). The staged nets start from the stage before them at
smaller rates: FCN-16s at 1e-12, FCN-8s at 1e-14. As every reference run
starts, score_fr, score_pool4 and score_pool3 are zero. The encoder here is
random (He-normal), not VGG16's ImageNet weights, which the lesson does not
download: the arithmetic of a step is the same, the size of its numbers is not
(section 6 shows where that shows).

The image. Without ``--image``, a generated one: the toy shapes of lesson 8 at
500 x 375 (the size of many VOC photos), with a band of "void" (label 255,
ignored) along every outline, as VOC's masks have; its three shape classes
stand in for VOC classes (which class a pixel has changes none of the
arithmetic below). ``--image PHOTO`` trains on a photo at its own size
instead, with ``--labels MASK`` its VOC label PNG (without one, every pixel is
labelled background).

Cost. Without ``--quick``, section 6 runs the real net (134 million
parameters) on the whole 500 x 375 image, twice: on 2 CPU cores 23-43 s an
iteration (the more, the busier the machine) and 6.5 GB of memory at the
peak (a 500 x 500 image takes more), the lesson 1.5-2 minutes. Sections 2 to 5 use a narrow stand-in with the
paper's geometry (the same layers, 8-16 channels wide), which ``--quick`` also
uses in section 6, on a 160 x 120 image: seconds.

Run: python lessons/13_paper_training.py [--quick] [--out DIR] [--device cpu|cuda] [--image PHOTO [--labels MASK]]
"""
import math
import resource

import numpy as np

from _common import figure, parse_args, save, section, timed
from fcn_scratch import backend
from fcn_scratch.data import CAFFE_VGG, load_image, load_mask, make_sample, resize_image, resize_labels
from fcn_scratch.functional import bilinear_kernel, no_init
from fcn_scratch.labels import IGNORE_INDEX
from fcn_scratch.layers import SoftmaxCrossEntropy
from fcn_scratch.models import build
from fcn_scratch.optim import SGD
from fcn_scratch.train import LR, PAPER, TOY, TrainOptions, describe, resolve

MODEL = "fcn8s-atonce-vgg16"
# where the reference's training data lives (SBD's training list); only printed, never read
DATA = "benchmark_RELEASE/dataset"
# the paper's geometry (2, 2, 3, 3, 3 convolutions, conv1_1 padded by 100, a 7x7 fc6), few channels
STAND_IN = dict(widths=(8, 8, 16, 16, 16), fc_channels=32)
# a change smaller than this fraction of a float32 weight is rounded away (half of float32's spacing at 1.0)
FLOAT32_HALF_ULP = 2.0 ** -24


def paper_net(args, config, seed=0):
    """``MODEL`` with ``config`` (the stand-in's widths, or none: the real net), every transposed convolution
    frozen as the recipe does (``build`` itself freezes only the last), on the device."""
    return build(MODEL, rng=np.random.default_rng(seed), **config).freeze_upsampling().to(args.device)


def recipe_optimizer(model, o, lr=None, weight_decay=None):
    """SGD as the resolved options ``o`` make it (``fcn-scratch train`` does the same), at ``lr`` and
    ``weight_decay`` where given."""
    return SGD(model, o.lr if lr is None else lr, momentum=o.momentum,
               weight_decay=o.weight_decay if weight_decay is None else weight_decay,
               bias_lr_factor=o.bias_lr_factor, bias_weight_decay=o.bias_weight_decay)


def iteration(model, optimizer, loss_fn, x, labels):
    """One step of the recipe: forward, loss, backward (the image needs no gradient), SGD. Returns the loss."""
    loss = loss_fn(model(x), labels)
    model.backward(loss_fn.backward(), input_grad=False)
    optimizer.step()
    backend.synchronize(x)                  # queued GPU work counts in the time
    return loss


def host_params(model):
    """Every parameter (frozen ones too) copied to the host, by name."""
    return {name: backend.to_host(value).copy() for name, value, _ in model.named_parameters(include_frozen=True)}


def void_band(labels, width=5):
    """``labels`` with every pixel within ``width // 2`` of another class set to the ignore label, as VOC's
    annotators drew a void band along each object's outline."""
    r, (h, w) = width // 2, labels.shape
    padded = np.pad(labels, r, mode="edge")
    differs = np.zeros(labels.shape, bool)
    for dy in range(2 * r + 1):
        for dx in range(2 * r + 1):
            differs |= padded[dy:dy + h, dx:dx + w] != labels
    return np.where(differs, IGNORE_INDEX, labels)


def the_image(args):
    """(image (3, H, W) in [0, 1], labels (H, W), a sentence saying what they are)."""
    if args.image:
        image = load_image(args.image)
        labels = load_mask(args.labels, 21) if args.labels else np.zeros(image.shape[1:], np.int64)
        if labels.shape != image.shape[1:]:
            raise SystemExit(f"{args.labels} is {labels.shape[1]} x {labels.shape[0]}, the image "
                             f"{image.shape[2]} x {image.shape[1]}: a label map must match its image")
        what = f"{args.image}" + (f" with the labels of {args.labels}" if args.labels else
                                  ", every pixel labelled background (no --labels)")
        if args.quick:          # a small image: the point, in seconds
            h, w = image.shape[1:]
            size = (max(1, round(h * 160 / max(h, w))), max(1, round(w * 160 / max(h, w))))
            image, labels = resize_image(image, size), resize_labels(labels, size)
            what += ", scaled to a longer side of 160 pixels (--quick)"
        return image, labels, what
    width = 160 if args.quick else 500
    image, labels = make_sample(3, image_size=width, num_classes=4)
    image, labels = image[:, :width * 3 // 4], void_band(labels[:width * 3 // 4])
    return image, labels, "a generated picture (the toy shapes) with a void band along every outline"


def main():
    args = parse_args(__doc__, "13_paper_training", extra=lambda p: (
        p.add_argument("--image", help="a photo to take the iteration on, at its own size"),
        p.add_argument("--labels", help="its label map: a VOC SegmentationClass PNG (255 = void)")))
    if args.labels and not args.image:
        raise SystemExit("--labels needs --image PHOTO: the photo they label")
    xp = backend.xp_for(args.device)

    section("1. The recipe, as the command line prints it")
    o = resolve(TrainOptions(model=MODEL, data=DATA))
    print(f"fcn_scratch.train.describe(resolve(TrainOptions(model={MODEL!r}, data={DATA!r}))):\n")
    print(describe(o))
    print("\nThe base rate by net (fcn_scratch.train.LR; pytorch-fcn's train_fcn*.py defaults):")
    starts = {"fcn32s-vgg16": "VGG16", "fcn16s-vgg16": "the trained FCN-32s", "fcn8s-vgg16": "the trained FCN-16s",
              "fcn8s-atonce-vgg16": "VGG16, in one stage"}
    for name, start in starts.items():
        print(f"  {name:<20}{LR[name]:g}   from {start}")
    print("\nAgainst the toy recipe of lessons 8 and 9 (fcn_scratch.train.TOY and PAPER), where they differ:")
    print(f"  {'':<20}{'toy (fcn8s)':>18}{'paper (' + MODEL + ')':>32}")
    rows = [("lr", LR["fcn8s"], o.lr)] + [(key, TOY[key], PAPER[key]) for key in PAPER if TOY[key] != PAPER[key]]
    for key, toy, paper in rows:
        shown = [("whole images" if v == 0 else f"{v} px") if key == "image_size" else "-" if v is None else
                 f"{v:,}" if isinstance(v, int) and not isinstance(v, bool) else f"{v:g}" if isinstance(v, float)
                 else str(v) for v in (toy, paper)]
        print(f"  {key:<20}{shown[0]:>18}{shown[1]:>32}")
    print("(the toy images are 64 x 64 and taken whole; on a folder of photos the toy recipe takes random 64-pixel\n"
          " crops, 8 to a batch, where the paper's takes each image whole, one a step, at whatever size it has)")

    image, labels, what = the_image(args)
    x = backend.to_device(CAFFE_VGG(image[None]), args.device)        # BGR, 0-255, minus the VGG mean
    y = backend.to_device(labels[None], args.device)
    count = int((labels != IGNORE_INDEX).sum())                       # M

    section("2. Why a summed loss pairs with a learning rate of 1e-10")
    height, width = labels.shape
    print(f"The image: {what};\n{width} x {height} = {height * width:,} pixels, of which M = {count:,} are labelled "
          f"(the other {height * width - count:,} are void, 255, and count nowhere).")
    stand_in = paper_net(args, STAND_IN)
    start, states = host_params(stand_in), [stand_in.drop6.rng_state(), stand_in.drop7.rng_state()]

    def two_steps(reduction, lr, weight_decay):
        """Two iterations of the stand-in from the same weights and dropout masks; what they leave."""
        for name, value, _ in stand_in.named_parameters(include_frozen=True):
            value[...] = xp.asarray(start[name])
        stand_in.drop6.set_rng_state(states[0])
        stand_in.drop7.set_rng_state(states[1])
        loss_fn = SoftmaxCrossEntropy(reduction=reduction)
        optimizer = recipe_optimizer(stand_in, o, lr, weight_decay)
        losses = [iteration(stand_in, optimizer, loss_fn, x, y)]
        first = {name: backend.to_host(grad).copy() for name, _, grad in stand_in.named_parameters()}
        after_one = host_params(stand_in)
        losses.append(iteration(stand_in, optimizer, loss_fn, x, y))
        return dict(losses=losses, grads=first, after_one=after_one, after=host_params(stand_in),
                    optimizer=optimizer)

    summed = two_steps("sum", o.lr, o.weight_decay)
    mean = two_steps("mean", o.lr * count, o.weight_decay / count)
    print(f"\nOn the stand-in ({MODEL} with widths {STAND_IN['widths']}, fc6 and fc7 {STAND_IN['fc_channels']} "
          f"wide;\na fresh net's logits are all zero):")
    print(f"  loss, mean over the labelled pixels (reduction='mean')  {mean['losses'][0]:.5f}   (ln 21 = "
          f"{math.log(21):.5f})")
    print(f"  loss, summed over them (reduction='sum', the recipe's)  {summed['losses'][0]:,.1f}   "
          f"(M ln 21 = {count * math.log(21):,.1f})")
    g_sum, g_mean = (np.linalg.norm(r["grads"]["score_fr.weight"]) for r in (summed, mean))
    print(f"  |gradient| of score_fr.weight: summed {g_sum:.4e}, mean {g_mean:.4e}; ratio {g_sum / g_mean:,.1f} "
          f"(M = {count:,})")
    moved = max(np.abs(summed["after"][n] - start[n]).max() for n in start)
    apart = max(np.abs(summed["after"][n] - mean["after"][n]).max() for n in start)
    print(f"\nTwo SGD steps from the same weights (momentum {o.momentum:g}, so the second carries the first):\n"
          f"  on the sum at lr {o.lr:g}, weight decay {o.weight_decay:g}; on the mean at lr * M = {o.lr * count:.4g}, "
          f"weight decay / M = {o.weight_decay / count:.3g}")
    print(f"  largest difference between the two nets' weights after them: {apart:.1e} "
          f"(the largest change of a weight: {moved:.1e})")
    print(f"The same steps, up to float32 rounding: 1e-10 on a summed loss is a rate of {o.lr * count:.1e} on the "
          f"mean loss for this\nimage. What it means:\n"
          f"  - an image weighs by its labelled pixels: a 500 x 375 photo (M up to 187,500) pushes the weights\n"
          f"    twice as hard as a 250 x 375 one; with a mean loss each image would count once, each pixel less\n"
          f"    in a larger image;\n"
          f"  - the weight decay is M times weaker than it reads, next to the data's gradient: 5e-4 against a sum\n"
          f"    is {o.weight_decay / count:.1e} against the mean;\n"
          f"  - the staged nets fine-tune gently: FCN-16s at 1e-12 ({1e-12 * count:.1e} on the mean here), FCN-8s at "
          f"1e-14 ({1e-14 * count:.1e}).")
    loss_figure(args, image, labels, count, o.lr)

    section("3. Momentum 0.99 and its effective step")
    print("SGD with momentum m: v = m v + g;  w -= lr v. With a steady gradient g, v = g (1 + m + m^2 + ...),\n"
          "which tends to g / (1 - m): 10 g for m = 0.9, 100 g for m = 0.99. The effective rate is lr / (1 - m).")
    curves, marks = momentum_curves(600), (1, 10, 100, 300, 600)
    print("The package's SGD on one weight whose gradient is always g; the step of iteration t, in units of lr x g:")
    print(f"  {'':<10}" + "".join(f"{f't = {t}':>10}" for t in marks) + f"{'limit 1 / (1 - m)':>20}")
    for m, steps in curves.items():
        print(f"  {f'm = {m:g}':<10}" + "".join(f"{steps[t - 1]:>10.2f}" for t in marks) + f"{1 / (1 - m):>20g}")
    fast = curves[0.99] * (1 - 0.99)
    reach = {share: int(np.argmax(fast >= share)) + 1 for share in (1 - 1 / math.e, 0.95)}
    print(f"m = 0.99 reaches 63% of its final speed after {reach[1 - 1 / math.e]} iterations and 95% after "
          f"{reach[0.95]} (the share is 1 - 0.99^t;\n0.99^t is 1/e at t = 99.5 and 0.05 at t = 298.1). The velocity "
          f"is a running sum of the last few hundred images'\ngradients, each one's weight 0.99 times the next's: "
          f"with one image a step, momentum does much of the averaging a\nbatch would.")
    print(f"Together with the sum: a steady gradient moves the weights at lr x M / (1 - m) = "
          f"{o.lr:g} x {count:,} x 100 = {o.lr * count / (1 - o.momentum):.1e}\n"
          "per unit of mean-loss gradient, an ordinary SGD rate. That is why the number in the solver is so small: it\n"
          "is divided by the pixels the loss sums and by the 100 steps momentum adds up. The reference's README says "
          "its\nPASCAL VOC models were \"trained online with high momentum\" (batch 1, momentum 0.99) "
          "for about 5 points of\nmean IU over the original ones (the paper's section 4.3: minibatches of 20 images, "
          "momentum 0.9).")
    momentum_figure(args, curves, reach)

    section("4. Biases at twice the rate, without weight decay")
    with no_init():                 # the real net's shapes only: zeros, drawn from nothing
        real = {name: value for name, value, _ in build(MODEL).named_parameters(include_frozen=True)}
    biases = lambda params: sum(int(v.size) for n, v in params.items() if n.endswith(".bias"))     # noqa: E731
    optimizer = summed["optimizer"]
    for name in ("conv1_1.weight", "conv1_1.bias", "score_fr.weight", "score_fr.bias"):
        lr, decay = optimizer.group(name)
        print(f"  optimizer.group({name!r:<18}) = (lr {lr:g}, weight_decay {decay:g})")
    grad, step = summed["grads"]["score_fr.bias"], summed["after_one"]["score_fr.bias"] - start["score_fr.bias"]
    ratio = step[grad != 0] / (-o.lr * grad[grad != 0])
    print(f"The first step moved score_fr.bias by {ratio.min():.4f} to {ratio.max():.4f} times -lr x its gradient "
          f"(velocity = gradient\non the first step; the bias group's rate is 2 lr and no decay is added).")
    print("Caffe's convention (its reference ImageNet nets give every bias lr_mult 2, decay_mult 0), which the paper "
          "kept\n(section 4.3: the biases' rate doubled) and the reference spells out in net.py. Weight decay keeps "
          "weights small,\nso that the function stays smooth; a bias scales nothing, so decaying it smooths nothing "
          "and only pulls each\nchannel's offset toward zero. And there are few of them: "
          f"{biases(start):,} of the stand-in's {sum(v.size for v in start.values()):,} parameters here,\n"
          f"{biases(real):,} of the real net's {sum(v.size for v in real.values()):,}.")

    section("5. Why the upsampling stays frozen")
    kernel = bilinear_kernel(1, 1, 4)[0, 0]
    print("Every transposed convolution starts as bilinear interpolation (lesson 3): upscore2's kernel for one "
          "class,\nfunctional.bilinear_kernel(21, 21, 4)[c, c] (kernel 4, stride 2):")
    for row in kernel:
        print("    " + "  ".join(f"{v:.4f}" for v in row))
    trained = [name for name, _, _ in stand_in.named_parameters()]
    print(f"SGD updates {len(trained)} parameters; none is an upsampling's: "
          f"{not any(n.startswith('upscore') for n in trained)} (each ConvTranspose2d was frozen,\n"
          "model.freeze_upsampling(), as the recipe does; backward does not even compute their gradients).")
    for name in ("upscore2", "upscore_pool4", "upscore8"):
        key = f"{name}.weight"
        print(f"  {key:<22} after the two steps: largest change {np.abs(summed['after'][key] - start[key]).max():g}")
    print(f"  {'score_fr.weight':<22} after the two steps: largest change "
          f"{np.abs(summed['after']['score_fr.weight'] - start['score_fr.weight']).max():.3g}")
    weight = start["upscore2.weight"]
    print(f"A learned x2 upsampling would have 21 x 21 x 4 x 4 = {weight.size:,} weights to learn; bilinear uses "
          f"{int((weight != 0).sum()):,} of them\n(each class's 16 taps onto itself). The other "
          f"{int((weight == 0).sum()):,} would let one class's coarse score raise or lower another's\n"
          "(dog scores lowering cat's along a boundary, say), a mixing interpolation never does. The paper learned "
          "the\ntwo x2 upsamplings and fixed the last (section 4.3; lesson 7); the reference fixes all three "
          "(lr_mult 0;\nits FAQ: \"There is no significant difference in accuracy in our experiments, and fixing these "
          "parameters\ngives a slight speed-up\"), and pytorch-fcn puts no ConvTranspose2d in any optimizer group.")
    upsampling_figure(args, kernel, weight)

    section("6. One iteration")
    if args.quick:
        model, name = paper_net(args, STAND_IN), f"the stand-in (--quick; widths {STAND_IN['widths']})"
    else:
        model, name = paper_net(args, {}), f"the real {MODEL}"
    loss_fn, optimizer = SoftmaxCrossEntropy(reduction=o.loss_reduction), recipe_optimizer(model, o)
    print(f"{name}, {model.num_parameters():,} parameters ({model.num_parameters(False):,} trained),\non the "
          f"{width} x {height} image, on {args.device}:")
    features = []        # the root mean square of what score_fr reads (fc7 after its ReLU and dropout)
    hook = model.score_fr.register_forward_hook(
        lambda layer, inputs, out: features.append(float(xp.sqrt((inputs[0] ** 2).mean()))))
    changes, losses, seconds = [], [], []
    for _ in range(2):
        previous = host_params(model)
        took, loss = timed(lambda: iteration(model, optimizer, loss_fn, x, y), 1)
        change = {}
        for key, value, _ in model.named_parameters(include_frozen=True):
            if key.endswith(".weight"):                     # one layer at a time: no second copy of the net
                now = backend.to_host(value)
                change[key] = (float(np.linalg.norm(now - previous[key])), float(np.linalg.norm(previous[key])),
                               float((now != previous[key]).mean()))
        changes.append(change)
        losses.append(loss)
        seconds.append(took)
        del previous
    hook.remove()
    print(f"  iteration 1: loss {losses[0]:,.1f} (M ln 21 = {count * math.log(21):,.1f}), {seconds[0]:.2f} s")
    print(f"  iteration 2: loss {losses[1]:,.1f} ({losses[1] / count:.2f} a labelled pixel), {seconds[1]:.2f} s")
    print(f"\n{'layer':<16}{'|W| before':>12}{'iteration 1: |dW|/|W|':>24}{'changed':>9}"
          f"{'iteration 2: |dW|/|W|':>24}{'changed':>9}")
    for key in changes[0]:
        cells = []
        for change in changes:
            dw, w, share = change[key]
            cells.append(("frozen" if key.startswith("upscore") else "0" if dw == 0 else
                          f"from 0, {dw:.1e}" if w == 0 else f"{dw / w:.1e}", f"{share:.0%}"))
        print(f"{key[:-7]:<16}{changes[0][key][1]:>12.3g}"
              f"{cells[0][0]:>24}{cells[0][1]:>9}{cells[1][0]:>24}{cells[1][1]:>9}")
    print("(|dW|: the norm of the layer's change; 'changed': the share of its weights that moved at all in float32)")
    print(f"\nIteration 1 trains only the score layers. score_fr, score_pool4 and score_pool3 start at zero, so no "
          f"gradient\nreaches fc7, pool4 or pool3 through them (d loss / d fc7 = score_fr's weights^T x ... = 0). The "
          f"encoder's whole\nstep is the weight decay, lr x 5e-4 = {o.lr * o.weight_decay:.0e} of each weight, far "
          f"below the relative change of about\n{FLOAT32_HALF_ULP:.0e} (2^-24) that a float32 number can take: it "
          f"rounds away, and no encoder weight moves. The score layers\nmove by lr x their gradient; score_pool4's "
          f"and score_pool3's gradients are exactly 1/100 and 1/10,000 of what they\nwould be unscaled, since their "
          f"inputs are pool4 x 0.01 and pool3 x 0.0001 (the at-once net's way of letting the\nskips in slowly). In "
          f"iteration 2 the gradient reaches every layer through the now non-zero score layers, and\nmomentum adds "
          f"0.99 of the first step.")
    channels = model.fc7.out_channels
    reach_logits = o.lr * count * channels * features[0] ** 2
    print(f"How far that first step moves the logits: score_fr's step is lr x (the sum over pixels of error x "
          f"feature), and the\nlogits move by the step times the features again: up to about lr x M x C x rms^2 "
          f"(C: fc7's {channels:,} channels;\nrms: the root mean square of what score_fr reads, {features[0]:.1f} "
          f"here) = {o.lr:g} x {count:,} x {channels:,} x {features[0]:.1f}^2 = {reach_logits:.2g}\n(less in "
          f"practice: the errors' signs differ from pixel to pixel).")
    if losses[1] > losses[0]:
        print(f"Far more than 1: the loss rose {losses[1] / losses[0]:.0f}-fold in iteration 2 "
              f"({losses[1] / count:.1f} a pixel against ln 21 = 3.04).\nThe rate was chosen for VGG16's trained "
              f"features; a random He-normal encoder carries the scale of Caffe's\n0-255 input up to fc7. From the "
              f"VGG16 the reference starts from (pytorch-fcn's vgg16_from_caffe.pth: python -m\nfcn_scratch "
              f"import-weights vgg16_from_caffe.pth --model {MODEL} --preprocessing caffe, then\ntrain --init-from), "
              f"this is the recipe the reference trained its nets with.")
    else:
        print("Small: the loss fell a little, the first step pointed the logits the right way. The real net on the "
              "500 x 375 image\n(C = 4,096, M = 180,056, rms 171 from this random encoder) gets 2.1e+03 by the same "
              "estimate, and its loss rises\n22-fold in iteration 2: run without --quick.")
    per = min(seconds)
    total = per * o.iterations
    print(f"\nAt {per:.2f} s an iteration, the recipe's {o.iterations:,} iterations would take {total / 3600:,.1f} "
          f"hours ({total / 86400:.1f} days) on this\nmachine ({args.device}), and the "
          f"{o.iterations // o.validate_every} validations on seg11valid's 736 images more."
          + ("\n(--quick times the stand-in on a small image; the real net on a 500 x 375 image takes 23-43 s an "
             "iteration on\n2 CPU cores: 100,000 of them, one to one and a half months.)" if args.quick else ""))
    if args.device == "cpu":
        print(f"Peak memory of this process so far: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.1f} GB.")
    step_figure(args, changes, name)


def momentum_curves(iterations):
    """``{m: the step size of each iteration, in units of lr x g}`` for a weight whose gradient is always g = 1,
    stepped by the package's SGD at lr 1 (no weight decay)."""

    class OneWeight:
        """A stand-in model: one weight, its gradient always 1."""
        def __init__(self):
            self.w, self.g = np.zeros(1), np.ones(1)

        def named_parameters(self):
            yield "w.weight", self.w, self.g

    curves = {}
    for m in (0.0, 0.9, 0.99):
        one = OneWeight()
        optimizer = SGD(one, 1.0, momentum=m)
        steps = []
        for _ in range(iterations):
            was = one.w[0]
            optimizer.step()
            steps.append(was - one.w[0])
        curves[m] = np.array(steps)
    return curves


def loss_figure(args, image, labels, count, lr):
    """The image, its labels with the void band, and the mean-loss rate a summed loss at lr is, by M."""
    from fcn_scratch.viz import colorize

    fig, ax = figure(1, 3, (4.2, 3.4))
    ax[0, 0].imshow(np.clip(image.transpose(1, 2, 0), 0, 1))
    ax[0, 0].set_title(f"the image, {labels.shape[1]} x {labels.shape[0]}", fontsize=9)
    shown = colorize(labels) / 255.0
    shown[labels == IGNORE_INDEX] = 1.0             # VOC draws void cream; white stands out more here
    ax[0, 1].imshow(shown, interpolation="nearest")
    ax[0, 1].set_title(f"labels (white: void, 255)\nM = {count:,} labelled pixels", fontsize=9)
    for a in ax[0, :2]:
        a.axis("off")
    pixels = np.logspace(3, math.log10(250_000), 50)
    a = ax[0, 2]
    for rate, style in ((1e-10, "-"), (1e-12, "--"), (1e-14, ":")):
        a.loglog(pixels, rate * pixels, style, color="tab:blue", label=f"lr {rate:g} on the sum")
    a.axvspan(333 * 500 * 0.9, 250_000, color="0.9", label="a whole VOC photo (~500 x 333-500)")
    a.plot([count], [lr * count], "o", color="tab:red", label=f"this image: {lr * count:.1e}")
    a.set_xlabel("M, the image's labelled pixels")
    a.set_ylabel("the same steps as a mean-loss rate (lr x M)")
    a.set_title("a summed loss at lr = SGD on the mean at lr x M", fontsize=9)
    a.set_ylim(1e-12, 1e-1)
    a.legend(fontsize=7, loc="upper left")
    save(fig, args, "summed_loss")


def momentum_figure(args, curves, reach):
    """The step size of SGD with a steady gradient, by iteration, for m = 0, 0.9 and 0.99."""
    fig, ax = figure(1, 1, (7.5, 4.2))
    a = ax[0, 0]
    t = np.arange(1, len(curves[0.99]) + 1)
    for (m, steps), colour in zip(curves.items(), ("tab:gray", "tab:blue", "tab:red")):
        a.plot(t, steps, color=colour, lw=2, label=f"m = {m:g}: tends to 1 / (1 - m) = {1 / (1 - m):g}")
        a.axhline(1 / (1 - m), color=colour, lw=0.8, ls=":")
    for share, label in ((1 - 1 / math.e, "63%"), (0.95, "95%")):
        it = reach[share]
        a.plot([it], [curves[0.99][it - 1]], "o", color="tab:red")
        a.annotate(f"{label} after {it} iterations", (it, curves[0.99][it - 1]), textcoords="offset points",
                   xytext=(8, -14), fontsize=9, color="tab:red")
    a.set_yscale("log")
    a.set_ylim(0.7, 150)
    a.set_xlim(0, len(t))
    a.set_xlabel("iteration (the same gradient g every time)")
    a.set_ylabel("step size, in units of lr x g (log scale)")
    a.set_title("SGD with momentum (the package's SGD): a steady gradient's step grows to lr g / (1 - m)")
    a.legend(loc="lower right", fontsize=9)
    save(fig, args, "momentum")


def upsampling_figure(args, kernel, weight):
    """upscore2's bilinear kernel for one class, and its whole weight: a kernel per (class in, class out) pair,
    bilinear on the diagonal, zero elsewhere."""
    fig, ax = figure(1, 2, (4.4, 4.2))
    a = ax[0, 0]
    a.imshow(kernel, cmap="viridis", vmin=0, vmax=kernel.max())
    for (i, j), v in np.ndenumerate(kernel):
        a.text(j, i, f"{v:.4f}", ha="center", va="center", fontsize=8, color="w" if v < 0.4 else "k")
    a.set_xticks(range(4))
    a.set_yticks(range(4))
    a.set_xlabel("kernel column")
    a.set_ylabel("kernel row")
    a.set_title("upscore2's kernel for one class onto itself\n(bilinear, kernel 4, stride 2)", fontsize=9)
    classes, k = weight.shape[0], weight.shape[-1]
    mosaic = weight.transpose(0, 2, 1, 3).reshape(classes * k, classes * k)
    a = ax[0, 1]
    a.imshow(mosaic, cmap="viridis", interpolation="nearest")
    ticks = np.arange(0, classes, 5)
    a.set_xticks(ticks * k + k / 2 - 0.5, ticks)
    a.set_yticks(ticks * k + k / 2 - 0.5, ticks)
    a.set_xlabel("class out")
    a.set_ylabel("class in")
    a.set_title(f"upscore2.weight {weight.shape}: a 4x4 kernel per pair of classes;\n"
                f"{int((weight != 0).sum())} of {weight.size:,} non-zero, none mixing two classes", fontsize=9)
    save(fig, args, "upsampling")


def step_figure(args, changes, name):
    """|dW| / |W| per layer for iterations 1 and 2, log scale, with what a zero means written beside it."""
    layers = [key[:-7] for key in changes[0]]
    fig, ax = figure(1, 1, (8.5, 0.27 * len(layers) + 1.6))
    a = ax[0, 0]
    floor = 1e-13
    for row, change in enumerate(changes):
        values, notes = [], []
        for key in change:
            dw, w, _ = change[key]
            values.append(dw / w if dw and w else floor)
            notes.append("frozen" if key.startswith("upscore") else "0" if dw == 0 else
                         "from 0" if w == 0 else "")
        ys = np.arange(len(layers)) + (row - 0.5) * 0.38
        colour = ("tab:orange", "tab:blue")[row]
        a.barh(ys, [v if v > floor else 0 for v in values], height=0.38, color=colour, left=floor,
               label=f"iteration {row + 1}" if row else None)
        for y, v, note in zip(ys, values, notes):
            if note and note != "from 0":
                a.text(floor * 1.5, y, note, va="center", fontsize=7, color=colour)
    from_zero = [y for y, key in enumerate(changes[0]) if changes[0][key][1] == 0 and changes[0][key][0]]
    # a score layer starting at zero: its first step is all of it (|dW| / |W after| = 1)
    a.barh(np.array(from_zero) - 0.19, 1.0, height=0.38, left=floor, color="tab:orange", hatch="//", edgecolor="w",
           label="iteration 1 (the score layers start at zero: their step is the whole weight, drawn as 1; "
                 "'0': not moved)")
    a.axvline(FLOAT32_HALF_ULP, color="k", lw=0.8, ls="--")
    a.text(FLOAT32_HALF_ULP * 1.3, -1.6, "2^-24 = 6e-8: a change smaller than this,\nrelative to a float32 weight, "
           "rounds away", fontsize=7, va="top")
    a.set_xscale("log")
    a.set_xlim(floor, 30)
    a.set_yticks(range(len(layers)), layers, fontsize=8)
    a.set_ylim(len(layers) - 0.4, -1.7)          # top to bottom, room above for the note
    a.set_xlabel("|dW| / |W|: how far one iteration moved the layer's weights, relative to them (log scale)")
    a.set_title(f"one iteration of the paper's recipe, {name}:\nfrom zero score layers, iteration 1 moves only them "
                f"(hatched: from 0); iteration 2 reaches the encoder", fontsize=9)
    handles, labels = a.get_legend_handles_labels()
    fig.legend(handles[::-1], labels[::-1], loc="outside lower center", ncol=2, fontsize=8, frameon=False)
    save(fig, args, "step")


if __name__ == "__main__":
    main()
