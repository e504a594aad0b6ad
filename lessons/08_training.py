"""Lesson 8: training FCN-8s on the toy shapes, and measuring it as the paper does.

The pieces, each from the package:

- data: ToySegmentation draws images of circles, squares and triangles (rings
  and crosses too, with more classes) over textured backgrounds, from a seed,
  so every run sees the same data; DataLoader batches and shuffles them (seeded per epoch);
- model: FCN8s; optimizer: Adam over model.named_parameters() (the frozen
  final upsampling is not among them; section 5 measures how far the two
  learned ones, upscore2 and upscore_pool4, move from bilinear);
- one step: ce = SoftmaxCrossEntropy(); loss = ce(model(x), labels);
  model.backward(ce.backward(), input_grad=False) (the image itself needs
  no gradient); optimizer.step();
- Trainer: epochs of those steps with progress lines, an evaluation on the
  validation split after each epoch, metrics.jsonl, best and last checkpoints.

The paper's four numbers come from one confusion matrix over the whole
validation set: pixel accuracy, mean (class) accuracy, mean IU (intersection
over union, averaged over classes) and frequency-weighted IU.

The full run takes about 4 minutes on 2 cores and ends where the default
``python -m fcn_scratch train`` does (mean IU about 0.83); its figures are in
lessons/figures/08_*.png. ``--quick`` trains a smaller net for seconds on the
easiest split there is, background against one kind of shape, and still
learns it (mean IU above 0.5).

Run: python lessons/08_training.py [--quick] [--out DIR] [--device cpu|cuda]
"""
import numpy as np

from _common import parse_args, section
from fcn_scratch import backend
from fcn_scratch.data import DataLoader, RandomHorizontalFlip, ToySegmentation
from fcn_scratch.functional import bilinear_kernel
from fcn_scratch.models import build
from fcn_scratch.optim import Adam
from fcn_scratch.train import Trainer, evaluate, predict_batch
from fcn_scratch.viz import plot_confusion, plot_curves, plot_predictions


def main():
    args = parse_args(__doc__, "08_training")
    if args.quick:      # background against circles, a small net: seconds
        size, classes, n_train, n_val, epochs = 32, 2, 400, 32, 6
        cfg = dict(widths=(8, 16, 16, 32, 32), fc_channels=64, dropout=0.0)
    else:
        size, classes, n_train, n_val, epochs, cfg = 64, 4, 2000, 200, 14, {}

    section("1. Data")
    train_set = ToySegmentation("train", n_train, size, num_classes=classes, seed=0)
    val_set = ToySegmentation("val", n_val, size, num_classes=classes, seed=0)
    train_loader = DataLoader(train_set, 8, shuffle=True, seed=0, transform=RandomHorizontalFlip(), drop_last=True)
    val_loader = DataLoader(val_set, 16)
    print(f"{len(train_set)} training and {len(val_set)} validation images of {size} x {size}, "
          f"classes {train_set.class_names}")

    section("2. Model and optimizer")
    model = build("fcn8s", num_classes=classes, class_names=train_set.class_names, rng=backend.host_rng(0), **cfg)
    model.to(args.device)
    optimizer = Adam(model, lr=4e-3)
    print(f"FCN-8s with {model.num_parameters(False):,} trainable parameters, Adam at lr 4e-3 with poly decay")

    section("3. Training")
    trainer = Trainer(model, optimizer, train_loader, val_loader, args.out / "run", epochs, schedule="poly",
                      meta={"preprocessing": train_loader.preprocessing.to_dict()},
                      progress_every=10.0)
    history = trainer.fit().history

    section("4. The paper's metrics on the validation split")
    metrics, confusion = evaluate(model, val_loader)
    for key, label in (("pixel_acc", "pixel accuracy"), ("mean_acc", "mean accuracy"), ("mean_iu", "mean IU"),
                       ("fw_iu", "frequency-weighted IU")):
        print(f"{label:<24}{metrics[key]:.3f}")
    for name, iu in zip(train_set.class_names, metrics["per_class_iu"]):
        print(f"  IU {name:<12}{'n/a' if iu is None else f'{iu:.3f}'}")
    print(f"from {history[0]['mean_iu']:.3f} after the first epoch to {history[-1]['mean_iu']:.3f} after the last"
          + ("" if not args.quick else "; the full run's figures: lessons/figures/08_*.png"))

    section("5. The upsamplings after training (lesson 7 says why only two learn)")
    for name in ("upscore2", "upscore_pool4", "upscore8"):
        layer = model.layers[name]
        weight = backend.to_host(layer.params["weight"])
        start = bilinear_kernel(classes, classes, weight.shape[-1])
        moved = np.linalg.norm(weight - start) / np.linalg.norm(start)
        mixing = np.abs(weight[~np.eye(classes, dtype=bool)]).max()     # class i -> class j, i != j: zero at start
        print(f"{name:<14}{'frozen ' if 'weight' in layer.frozen else 'learned'} {weight.size:>5,} weights: "
              f"{moved:6.1%} away from bilinear; largest weight from one class into another {mixing:.3f}")
    print("The reference implementation freezes all three and reports no significant difference in accuracy.")

    plot_curves(history, args.out / "curves.png")
    plot_confusion(confusion.matrix, args.out / "confusion.png", train_set.class_names)
    examples = [val_set[i] for i in range(4)]
    images, labels = val_loader.collate(examples)
    predictions = predict_batch(model.eval(), images)
    plot_predictions(np.stack([img for img, _ in examples]), labels, predictions, args.out / "predictions.png",
                     train_set.class_names)
    for name in ("curves", "confusion", "predictions"):
        print(f"  saved {args.out / (name + '.png')}")


if __name__ == "__main__":
    main()
