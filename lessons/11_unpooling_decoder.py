"""Lesson 11: the other way back up, an unpooling decoder beside FCN-8s: "where" against "what".

Lesson 3 showed two ways to bring a coarse map back to full resolution;
FCN uses only one of them, transposed convolutions of class scores. The
other family (DeconvNet, SegNet) mirrors the encoder: every max pooling
remembers where each maximum was (its indices), and the decoder puts the
values back exactly there with MaxUnpool2d, then convolves:

    encoder, per block:  conv 3x3 + ReLU (x2)  ->  MaxPool2d(2, 2, ceil_mode, return_indices)
    decoder, per block, deepest first:
                         MaxUnpool2d(indices of that block's pool, its input size)
                         -> conv 3x3 + ReLU down to the previous block's width
    classifier:          conv 1x1 to the classes

The two carry different things up from the encoder. The pooling indices say
*where* the strongest response of each window was: an edge lands back on the
very pixel it came from, so boundaries come out crisp. But an index holds no
class; what the decoder knows about *what* is there must survive the whole
trip down to 1/32 and back through a few convolutions. FCN's skips add class
*scores* from finer maps: their boundaries are only as sharp as the stride-8
map, but the class is decided by the deep layers and kept.

This lesson builds the decoder from the package's layers with its backward
written out beside its forward, checks its gradients, trains it and FCN-8s on
the same data, and measures where against what:

- edge band: object/background accuracy within 2 px of a true boundary ("where");
- objects merged: mean IU with every shape one class ("where", class ignored);
- class on objects: among pixels both truth and prediction call an object,
  the share with the right class ("what").

A plain decoder like this one is fragile: with no normalization, early loss
spikes can kill the ReLUs before the classifier, and the net collapses to
background everywhere. A zero-initialized classifier (FCN's choice for its
score layers) makes that worse; a He-initialized one and a lower learning
rate keep it alive. Real decoders add batch normalization (SegNet) or carry
whole feature maps across instead of indices (U-Net's skips).

Run: python lessons/11_unpooling_decoder.py [--quick] [--out DIR] [--device cpu|cuda]
(--quick: small sizes, under a minute, the decoder given more steps as it starts slowly; the tests use it.
The full run, the default toy recipe for both nets, takes about 9 minutes on 2 cores.)
"""
import numpy as np

from _common import parse_args, prediction_grid, section
from fcn_scratch import backend
from fcn_scratch.data import DataLoader, RandomHorizontalFlip, ToySegmentation
from fcn_scratch.gradcheck import check_layer, worst
from fcn_scratch.layers import Conv2d, MaxPool2d, MaxUnpool2d, ReLU
from fcn_scratch.metrics import ConfusionMatrix, metrics_from_confusion
from fcn_scratch.models import Model, build
from fcn_scratch.optim import Adam
from fcn_scratch.train import Trainer, predict_batch


class UnpoolingDecoder(Model):
    """FCN's encoder with a mirrored decoder that unpools with the encoder's pooling indices.

    forward:  x (N, C_in, H, W) -> logits (N, num_classes, H, W)
    backward: d logits -> d x (None unless ``input_grad``), the forward read from the bottom up.
    The encoder's layers are made first from ``rng``, as in FCN, so one seed gives both nets the same
    encoder weights.
    """

    name = "unpooling_decoder"

    def __init__(self, num_classes, widths=(16, 32, 64, 128, 128), convs_per_block=2, in_channels=3, rng=None,
                 dtype=None):
        super().__init__()
        rng = rng if rng is not None else backend.global_rng()
        self.num_classes, self.in_channels, self.widths = num_classes, in_channels, tuple(widths)
        self.config = dict(num_classes=num_classes, widths=list(widths), convs_per_block=convs_per_block,
                           class_names=None)
        self.blocks = []                   # per block: the names of its convolution + ReLU pairs
        channels = in_channels
        for b, width in enumerate(widths, start=1):
            names = []
            for i in range(1, convs_per_block + 1):
                setattr(self, f"conv{b}_{i}", Conv2d(channels, width, 3, padding=1, rng=rng, dtype=dtype))
                setattr(self, f"relu{b}_{i}", ReLU())
                names.append((f"conv{b}_{i}", f"relu{b}_{i}"))
                channels = width
            setattr(self, f"pool{b}", MaxPool2d(2, 2, ceil_mode=True, return_indices=True))
            self.blocks.append(names)
        for b in range(len(widths), 0, -1):
            below = widths[b - 2] if b > 1 else widths[0]
            setattr(self, f"unpool{b}", MaxUnpool2d(2, 2))
            setattr(self, f"dec{b}", Conv2d(widths[b - 1], below, 3, padding=1, rng=rng, dtype=dtype))
            setattr(self, f"dec_relu{b}", ReLU())
        self.classifier = Conv2d(widths[0], num_classes, 1, rng=rng, dtype=dtype)      # He-initialized

    def forward(self, x):
        pooled = []                         # per block: (indices, size before pooling)
        for b, names in enumerate(self.blocks, start=1):
            for conv, relu in names:
                x = getattr(self, relu)(getattr(self, conv)(x))
            size = x.shape[2:]
            x, indices = getattr(self, f"pool{b}")(x)
            pooled.append((indices, size))
        for b in range(len(self.blocks), 0, -1):
            indices, size = pooled[b - 1]
            x = getattr(self, f"unpool{b}")(x, indices, size)
            x = getattr(self, f"dec_relu{b}")(getattr(self, f"dec{b}")(x))
        return self.classifier(x)

    def backward(self, d_logits, input_grad=True):
        d = self.classifier.backward(d_logits)
        for b in range(1, len(self.blocks) + 1):            # the decoder, shallowest block first
            d = getattr(self, f"dec{b}").backward(getattr(self, f"dec_relu{b}").backward(d))
            d = getattr(self, f"unpool{b}").backward(d)
        for b in range(len(self.blocks), 0, -1):            # the encoder, deepest block first
            d = getattr(self, f"pool{b}").backward(d)
            for conv, relu in reversed(self.blocks[b - 1]):
                needed = input_grad or conv != "conv1_1"      # nothing upstream of the image learns
                d = getattr(self, conv).backward(getattr(self, relu).backward(d), input_grad=needed)
        return d


def _grow(mask, radius):
    """``mask`` (N, H, W) bool, widened by ``radius`` pixels in every direction (a square dilation)."""
    h, w = mask.shape[1:]
    padded = np.pad(mask, ((0, 0), (radius, radius), (radius, radius)))
    grown = np.zeros_like(mask)
    for dy in range(2 * radius + 1):
        for dx in range(2 * radius + 1):
            grown |= padded[:, dy:dy + h, dx:dx + w]
    return grown


def where_and_what(predictions, labels, num_classes):
    """The measures that split "where" from "what", over host (N, H, W) predictions and labels."""
    merged = ConfusionMatrix(2)
    merged.update(predictions > 0, labels > 0)
    full = ConfusionMatrix(num_classes)
    full.update(predictions, labels)
    edge = np.zeros(labels.shape, bool)                      # pixels beside a change of label
    edge[:, 1:] |= labels[:, 1:] != labels[:, :-1]
    edge[:, :, 1:] |= labels[:, :, 1:] != labels[:, :, :-1]
    band = _grow(edge, 2)
    both_objects = (labels > 0) & (predictions > 0)
    metrics = metrics_from_confusion(full.matrix)
    return {"mean_iu": metrics["mean_iu"], "per_class_iu": metrics["per_class_iu"],
            "objects_merged_iu": metrics_from_confusion(merged.matrix)["mean_iu"],
            "edge_band_acc": float(((predictions > 0) == (labels > 0))[band].mean()),
            "class_on_objects": float((predictions == labels)[both_objects].mean()) if both_objects.any() else 0.0}


def lesson(args):
    xp = backend.xp_for(args.device)
    if args.quick:      # 3 classes at 32 pixels, small nets; the slow-starting decoder gets more, smaller steps
        size, classes, n_train, n_val, widths, fc_channels = 32, 3, 1200, 64, (16, 16, 32, 32, 32), 64
        budgets = {"FCN-8s": (4e-3, 5, 8), "unpooling decoder": (3e-3, 12, 4)}      # lr, epochs, batch
    else:               # the default toy recipe, for both
        size, classes, n_train, n_val, widths, fc_channels = 64, 4, 2000, 200, (16, 32, 64, 128, 128), 256
        budgets = {"FCN-8s": (4e-3, 14, 8), "unpooling decoder": (2e-3, 14, 8)}

    section("1. The decoder, and its gradients checked")
    tiny = UnpoolingDecoder(3, widths=(2, 3, 3, 3, 3), convs_per_block=1, rng=np.random.default_rng(0),
                            dtype=np.float64).to(args.device)
    # Biases away from zero: unpooled maps are mostly exact zeros, and a ReLU at exactly 0 has no
    # derivative for central differences to agree with.
    rng = np.random.default_rng(0)
    for _, value, _ in tiny.named_parameters():
        if not value.any():
            value[...] = xp.asarray(rng.standard_normal(value.shape))
    x = xp.asarray(rng.standard_normal((1, 3, 19, 22)))
    # A step of 1e-5: ten layers with random biases give large outputs, whose rounding a smaller step magnifies.
    name, err, where = worst(check_layer(tiny, x, eps=1e-5, max_entries=20))
    print(f"a tiny unpooling decoder on a 19 x 22 input: worst gradient error {err:.1e} ({name} at {where})")
    assert err < 1e-6

    section("2. Both nets on the same data")
    train_set = ToySegmentation("train", n_train, size, num_classes=classes, seed=0)
    val_set = ToySegmentation("val", n_val, size, num_classes=classes, seed=0)
    val_loader = DataLoader(val_set, 16)
    nets = {
        "FCN-8s": build("fcn8s", num_classes=classes, widths=widths, fc_channels=fc_channels,
                        dropout=0.0 if args.quick else 0.5, rng=backend.host_rng(0)),
        "unpooling decoder": UnpoolingDecoder(classes, widths=widths, rng=backend.host_rng(0)),
    }
    for label, model in nets.items():
        lr, epochs, batch = budgets[label]
        model.to(args.device)
        train_loader = DataLoader(train_set, batch, shuffle=True, seed=0, transform=RandomHorizontalFlip(),
                                  drop_last=True)
        out = args.out / label.replace(" ", "_").replace("-", "").lower()
        trainer = Trainer(model, Adam(model, lr), train_loader, val_loader, out, epochs, schedule="poly",
                          print_fn=lambda *a: None, progress_every=float("inf"))
        history = trainer.fit().history
        print(f"{label:<19} {model.num_parameters(False):>9,} parameters, Adam {lr:g}, {epochs} epochs of batch "
              f"{batch}: mean IU by epoch " + " ".join(f"{h['mean_iu']:.2f}" for h in history))

    section("3. Where against what (validation images)")
    images, labels = val_loader.collate([val_set[i] for i in range(len(val_set))])
    scores = {label: where_and_what(np.concatenate([predict_batch(model.eval(), images[i:i + 16])
                                                    for i in range(0, len(images), 16)]), labels, classes)
              for label, model in nets.items()}
    rows = [("mean IU", "mean_iu"), ("objects merged: mean IU (where)", "objects_merged_iu"),
            ("edge band: object/background acc. (where)", "edge_band_acc"),
            ("class on object pixels (what)", "class_on_objects")]
    print(f"{'':<44}{'FCN-8s':>10}{'unpooling':>11}")
    for text, key in rows:
        print(f"{text:<44}{scores['FCN-8s'][key]:>10.3f}{scores['unpooling decoder'][key]:>11.3f}")
    for c, name in enumerate(train_set.class_names):
        ius = [scores[label]["per_class_iu"][c] for label in nets]
        print(f"  IU {name:<39}" + "".join(f"{'n/a' if iu is None else f'{iu:.3f}':>{w}}" for iu, w in zip(ius, (10, 11))))

    if args.quick:
        print("(quick: the decoder starts slowly, so it got 12 epochs of batch 4 against FCN-8s's 5 of batch 8;\n"
              " the full run gives both the default recipe's 14 epochs: its table is in lessons/README.md)")

    shown = 4
    predictions = {label: predict_batch(model.eval(), images[:shown]) for label, model in nets.items()}
    prediction_grid(np.stack([val_set[i][0] for i in range(shown)]), labels[:shown], predictions, args,
                    "where_and_what", train_set.class_names)


def main():
    lesson(parse_args(__doc__, "11_unpooling_decoder"))


if __name__ == "__main__":
    main()
