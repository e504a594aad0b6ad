"""Lesson 9: the paper's comparison, FCN-32s against FCN-16s against FCN-8s, and its staged training.

Table 2 of the CVPR paper trains the three nets and reports, on 736 images of
PASCAL VOC 2011 validation:

    (the paper's numbers)   pixel acc.  mean acc.  mean IU  f.w. IU
    FCN-32s                   89.1        73.3       59.4     81.4
    FCN-16s                   90.0        75.7       62.4     83.0
    FCN-8s                    90.3        75.9       62.7     83.2

The finer the skips, the better the boundaries, and so the better every
metric. Part 1 trains the three nets from scratch on the toy shapes with the
same data, seed and budget, measures them the same way, and draws the same
validation images predicted by each: FCN-32s's score map is 2 x 2 on a
64-pixel image (--quick too), so it can only draw blobs, one bend per
32-pixel cell; FCN-8s's 8 x 8 map gets the corners nearer.

Staged training. The paper did not train FCN-8s in one go. Section 4.2:
FCN-32s first (fine-tuned from VGG16: three days on one GPU); then FCN-16s
"initialized with the parameters of the last, coarser net": every layer the
two share is copied, and "the new parameters acting on pool4 are
zero-initialized so that the net starts with unmodified predictions", and the
learning rate is lowered 100 times; then FCN-8s from FCN-16s the same way
(about a day each). Copying by name is ``model.load_matching(state)``: it
copies every parameter whose name and shape match and returns the rest, here
the new score layer (zero), the new x2 upsampling (bilinear) and the new
final upsampling (frozen bilinear). The start is nearly, not exactly,
"unmodified": with the new score layer at zero, FCN-16s upsamples FCN-32s's
scores in two bilinear steps (x2, then x16) instead of one (x32). Both draw
straight lines between the stride-32 scores, but the x16 step joins samples
taken every 16 pixels, which cuts the corners where the x32 surface bends,
and the border is filled differently. Part 2 measures how little that moves
the predictions.
(The reference later trained FCN-8s "at once" from VGG16 as well, with the
skips scaled by 0.01 and 0.0001: 65.4 mean IU against 65.5 staged, in its
README; ``build("fcn8s", at_once=True)`` is that net.)

Part 2 runs the stages on the toy shapes, FCN-32s then FCN-16s then FCN-8s,
their epochs adding up to the from-scratch budget, and sets the staged FCN-8s
beside the one trained from scratch on the same number of epochs. The paper
staged because its encoder came trained from ImageNet and each stage only
had to fine-tune; here every net starts from random weights, and the
numbers say what staging buys then (the full run's tables are in
lessons/README.md: on 11 epochs the FCN-8s trained in one go ends 4.5 points
of mean IU ahead of the staged one).

Run: python lessons/09_paper_comparison.py [--quick] [--out DIR] [--device cpu|cuda]
(--quick: background against circles, 64 pixels, small nets, under a minute; the tests use it.)
"""
import json

import numpy as np

from _common import parse_args, prediction_grid, section
from fcn_scratch import backend
from fcn_scratch.data import DataLoader, RandomHorizontalFlip, ToySegmentation
from fcn_scratch.models import build
from fcn_scratch.optim import Adam
from fcn_scratch.train import Trainer, evaluate, predict_batch

PAPER = {"fcn32s": (89.1, 73.3, 59.4, 81.4), "fcn16s": (90.0, 75.7, 62.4, 83.0), "fcn8s": (90.3, 75.9, 62.7, 83.2)}
KEYS = ("pixel_acc", "mean_acc", "mean_iu", "fw_iu")
NAMES = {"fcn32s": "FCN-32s", "fcn16s": "FCN-16s", "fcn8s": "FCN-8s"}


def recipe(quick):
    """The data and the budget: image size, classes, training and validation images, epochs and learning
    rate of each net trained from scratch, its architecture, and the stages as (net, epochs, lr)."""
    if quick:           # background against circles, small nets: under a minute for all six runs
        return dict(size=64, classes=2, n_train=400, n_val=32, epochs=6, lr=2e-3,
                    arch=dict(widths=(8, 16, 16, 32, 32), fc_channels=64, dropout=0.0),
                    stages=(("fcn32s", 2, 2e-3), ("fcn16s", 2, 2e-3), ("fcn8s", 2, 2e-3)))
    return dict(size=64, classes=4, n_train=2000, n_val=200, epochs=11, lr=2e-3, arch={},
                stages=(("fcn32s", 5, 2e-3), ("fcn16s", 3, 2e-3), ("fcn8s", 3, 2e-3)))


class Runs:
    """Trains nets on one data set with one recipe: Adam with poly decay, batch 8, flips, seed 0."""

    def __init__(self, r, args):
        self.r, self.args = r, args
        self.train_set = ToySegmentation("train", r["n_train"], r["size"], num_classes=r["classes"], seed=0)
        self.val_set = ToySegmentation("val", r["n_val"], r["size"], num_classes=r["classes"], seed=0)
        self.val_loader = DataLoader(self.val_set, 8)

    def new(self, name, start=None):
        """A fresh net; with ``start`` (a state dict) every matching parameter copied from it."""
        model = build(name, num_classes=self.r["classes"], class_names=self.train_set.class_names,
                      rng=backend.host_rng(0), **self.r["arch"])
        new = model.load_matching(start)[1] if start is not None else None
        return model.to(self.args.device), new

    def train(self, model, epochs, lr, folder):
        """Train ``model`` for ``epochs``; returns the metrics after the last epoch."""
        loader = DataLoader(self.train_set, 8, shuffle=True, seed=0, transform=RandomHorizontalFlip(), drop_last=True)
        trainer = Trainer(model, Adam(model, lr), loader, self.val_loader, self.args.out / folder, epochs,
                          schedule="poly", print_fn=lambda *a: None, progress_every=float("inf"))
        history = trainer.fit().history
        print(f"  {epochs} epochs, Adam {lr:g}: mean IU by epoch " + " ".join(f"{h['mean_iu']:.3f}" for h in history))
        return history[-1]

    def measure(self, model):
        return evaluate(model, self.val_loader)[0]

    def agreement(self, a, b):
        """How far apart nets ``a`` and ``b`` are on the validation images: the largest difference of their
        scores, the largest score, and the share of pixels given the same class."""
        xp = backend.xp_for(self.args.device)
        images, _ = self.val_loader.collate([self.val_set[i] for i in range(len(self.val_set))])
        gap, top, same = 0.0, 0.0, []
        for i in range(0, len(images), 16):
            x = xp.asarray(images[i:i + 16])
            sa, sb = backend.to_host(a.eval()(x)), backend.to_host(b.eval()(x))
            gap, top = max(gap, float(np.abs(sa - sb).max())), max(top, float(np.abs(sb).max()))
            same.append(sa.argmax(axis=1) == sb.argmax(axis=1))
        return gap, top, float(np.concatenate(same).mean())


def row(label, metrics, paper=None):
    ours = "".join(f"{100 * metrics[k]:>{w}.1f}" for k, w in zip(KEYS, (12, 11, 9, 9)))
    return f"{label:<22}{ours}" + (f"   | {' / '.join(f'{v:.1f}' for v in paper)}" if paper else "")


def main():
    args = parse_args(__doc__, "09_paper_comparison")
    r = recipe(args.quick)
    runs = Runs(r, args)
    print(f"{r['n_train']} training and {r['n_val']} validation images of {r['size']} x {r['size']}, classes "
          f"{runs.train_set.class_names}; score maps at stride 32, 16, 8: {-(-r['size'] // 32)}, "
          f"{-(-r['size'] // 16)} and {-(-r['size'] // 8)} pixels a side")

    results, models = {}, {}
    for name in ("fcn32s", "fcn16s", "fcn8s"):
        section(f"1. From scratch: {NAMES[name]}, {r['epochs']} epochs")
        models[name], _ = runs.new(name)
        results[name] = runs.train(models[name], r["epochs"], r["lr"], name)

    section("1. From scratch, beside the paper (validation split of the toy shapes)")
    print(f"{'':<22}{'pixel acc.':>12}{'mean acc.':>11}{'mean IU':>9}{'f.w. IU':>9}   "
          f"| the paper, Table 2 (VOC 2011 val)")
    for name in results:
        print(row(name, results[name], PAPER[name]))
    gain = results["fcn8s"]["mean_iu"] - results["fcn32s"]["mean_iu"]
    print(f"\nFCN-8s minus FCN-32s, mean IU: {100 * gain:+.1f} points (the paper: +3.3)")

    stages = " -> ".join(f"{NAMES[n]} {e}" for n, e, _ in r["stages"])
    previous, last, staged = None, None, {}      # the stage before: its name and its trained net
    for name, epochs, lr in r["stages"]:
        section(f"2. Staged: {NAMES[name]}" + (f" from {NAMES[previous]}" if previous else " from scratch"))
        model, new = runs.new(name, last.state_dict() if previous else None)
        if previous:
            before = runs.measure(model)
            gap, top, same = runs.agreement(model, last)
            print(f"  copied from {NAMES[previous]} by load_matching; new: {', '.join(new)}")
            print(f"  before any step: mean IU {before['mean_iu']:.3f} ({NAMES[previous]} ended at "
                  f"{staged[previous]['mean_iu']:.3f}); the same class as {NAMES[previous]} on {same:.1%} of the "
                  f"pixels;\n  scores at most {gap:.2f} apart, where {NAMES[previous]}'s reach {top:.2f}")
        staged[name] = runs.train(model, epochs, lr, f"staged_{name}")
        last, previous = model, name
    models["fcn8s staged"] = model

    section(f"2. Staged against from scratch, the same {r['epochs']} epochs")
    print(f"{'':<22}{'pixel acc.':>12}{'mean acc.':>11}{'mean IU':>9}{'f.w. IU':>9}")
    for name, epochs, _ in r["stages"]:
        print(row(f"{name} (stage, {epochs} ep.)", staged[name]))
    print(row("fcn8s, from scratch", results["fcn8s"]))
    lead = staged["fcn8s"]["mean_iu"] - results["fcn8s"]["mean_iu"]
    print(f"\nstaged ({stages} epochs) minus from scratch ({r['epochs']} epochs), FCN-8s mean IU: "
          f"{100 * lead:+.1f} points")
    if args.quick:
        print("(quick: background against circles only, small nets, seconds of training; the full run's tables\n"
              " and figure, 4 classes at 64 pixels, are in lessons/README.md and lessons/figures/09_comparison.png)")

    val_set = ToySegmentation("val", 4, r["size"], num_classes=r["classes"], seed=0)
    examples = [val_set[i] for i in range(4)]
    images, labels = DataLoader(val_set, 4).collate(examples)
    titles = {"fcn32s": "FCN-32s", "fcn16s": "FCN-16s", "fcn8s": "FCN-8s", "fcn8s staged": "FCN-8s, staged"}
    predictions = {titles[n]: predict_batch(m.eval(), images) for n, m in models.items()}
    prediction_grid(np.stack([img for img, _ in examples]), labels, predictions, args, "comparison",
                    runs.train_set.class_names)
    table = {n: {k: results[n][k] for k in KEYS} for n in results}
    table["staged"] = {n: {k: staged[n][k] for k in KEYS} for n in staged}
    (args.out / "table.json").write_text(json.dumps(table, indent=2))


if __name__ == "__main__":
    main()
