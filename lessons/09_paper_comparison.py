"""Lesson 9: the paper's comparison, FCN-32s against FCN-16s against FCN-8s.

Table 2 of the CVPR paper trains the three nets and reports, on 736 images of
PASCAL VOC 2011 validation:

    (the paper's numbers)   pixel acc.  mean acc.  mean IU  f.w. IU
    FCN-32s                   89.1        73.3       59.4     81.4
    FCN-16s                   90.0        75.7       62.4     83.0
    FCN-8s                    90.3        75.9       62.7     83.2

The finer the skips, the better the boundaries, and so the better every
metric. Here we train the three nets from scratch on the toy shapes with the
same data, seed and budget (the paper instead initializes each from the last:
``--init-from``), and measure them the same way. Fixed seeds make the table
reproducible. The figure shows the same validation images predicted by the
three: FCN-32s's blobs against FCN-8s's sharper corners.

Run: python lessons/09_paper_comparison.py [--quick] [--out DIR] [--device cpu|cuda]
(--quick: background against circles with small nets, under a minute; the tests use it.)
"""
import json

import numpy as np

from _common import parse_args, prediction_grid, section
from fcn_scratch.checkpoint import load_model
from fcn_scratch.cli import main as fcn_scratch
from fcn_scratch.data import DataLoader, ToySegmentation
from fcn_scratch.train import predict_batch

PAPER = {"fcn32s": (89.1, 73.3, 59.4, 81.4), "fcn16s": (90.0, 75.7, 62.4, 83.0), "fcn8s": (90.3, 75.9, 62.7, 83.2)}
KEYS = ("pixel_acc", "mean_acc", "mean_iu", "fw_iu")


def main():
    args = parse_args(__doc__, "09_paper_comparison")
    if args.quick:      # background against circles, small nets: under a minute for the three
        size, classes = 32, 2
        budget = ["--train-size", "400", "--val-size", "32", "--epochs", "6", "--widths", "8", "16", "16", "32", "32",
                  "--fc-channels", "64", "--dropout", "0"]
    else:
        size, classes = 64, 4
        budget = ["--train-size", "2000", "--val-size", "200", "--epochs", "11"]
    common = budget + ["--image-size", str(size), "--num-classes", str(classes), "--lr", "2e-3", "--seed", "0",
                       "--device", args.device, "--quiet", "--overwrite"]

    results, models = {}, {}
    for name in ("fcn32s", "fcn16s", "fcn8s"):
        section(f"Training {name}")
        out = args.out / name
        assert fcn_scratch(["train", "--model", name, "--out", str(out)] + common) == 0
        results[name] = json.loads((out / "results.json").read_text())
        models[name], _ = load_model(out / "best.npz", args.device)

    section("The comparison (validation split of the toy shapes)")
    print(f"{'':<10}{'pixel acc.':>12}{'mean acc.':>11}{'mean IU':>9}{'f.w. IU':>9}   "
          f"| the paper, Table 2 (VOC 2011 val)")
    for name in results:
        ours = "".join(f"{100 * results[name][k]:>{w}.1f}" for k, w in zip(KEYS, (12, 11, 9, 9)))
        theirs = " / ".join(f"{v:.1f}" for v in PAPER[name])
        print(f"{name:<10}{ours}   | {theirs}")
    gain = results["fcn8s"]["mean_iu"] - results["fcn32s"]["mean_iu"]
    print(f"\nFCN-8s minus FCN-32s, mean IU: {100 * gain:+.1f} points (the paper: +3.3)")
    if args.quick:
        print("(quick: background against circles only, small nets, seconds of training; the full run's table\n"
              " and figure, 4 classes at 64 pixels, are in lessons/README.md and lessons/figures/09_comparison.png)")

    val_set = ToySegmentation("val", 4, size, num_classes=classes, seed=0)
    examples = [val_set[i] for i in range(4)]
    loader = DataLoader(val_set, 4)
    images, labels = loader.collate(examples)
    predictions = {n: predict_batch(models[n].eval(), images) for n in models}
    prediction_grid(np.stack([img for img, _ in examples]), labels, predictions, args, "comparison")
    (args.out / "table.json").write_text(json.dumps({n: {k: results[n][k] for k in KEYS} for n in results}, indent=2))


if __name__ == "__main__":
    main()
