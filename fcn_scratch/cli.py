"""The command line: ``python -m fcn_scratch {train,evaluate,predict,summary,bench}``.

It parses and dispatches; the work is done by the package. Errors the user
can fix (a missing file, a bad argument or data folder, no GPU) are printed as
one line, not a traceback; anything else is a bug and keeps its traceback.
"""
import argparse
import sys
from dataclasses import fields
from math import prod

from . import backend
from .argtypes import at_least, in_range, non_negative, positive
from .bench.__main__ import main as bench_main
from .checkpoint import load_model
from .data import CLASS_NAMES as TOY_CLASSES
from .data.factory import TOY_DEFAULT_CLASSES, VOC_DEFAULT_CLASSES
from .errors import InputError
from .functional import no_init
from .layers import SoftmaxCrossEntropy
from .models import MODELS, REFERENCE, SMALL, VGG16, build, name_of
from .optim import OPTIMIZERS, SCHEDULES
from .train import TrainingDiverged, evaluate_checkpoint, predict_checkpoint
from .train.defaults import LR, PAPER, TOY, TOY_DATA
from .train.recipe import TrainOptions, run_training
from .weights import export, import_weights


class _Parser(argparse.ArgumentParser):
    """argparse's parser, but a mistake on the command line is one line (the usage is a --help away)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _per_family(key, show=str):
    """ "(default: A for the small nets, B for the VGG16 nets)" of a recipe value."""
    toy, paper = show(TOY[key]), show(PAPER[key])
    return f"(default: {toy} for the small nets, {paper} for the VGG16 nets)" if toy != paper else f"(default: {toy})"


def _model_args(p):
    def geometry(key):
        show = lambda v: " ".join(map(str, v)) if isinstance(v, (list, tuple)) else str(v)  # noqa: E731
        return f"(default: {show(SMALL[key])} for the small nets, {show(VGG16[key])} for the VGG16 nets)"
    p.add_argument("--model", default=TOY_DATA["model"],
                   help=f"which FCN: the small nets {'|'.join(MODELS)}, or the paper's VGG16 geometry "
                        f"{'|'.join(REFERENCE)} (default: %(default)s)")
    p.add_argument("--widths", type=positive(int), nargs=5, default=None, metavar="C",
                   help="channels of the 5 encoder blocks " + geometry("widths"))
    p.add_argument("--convs-per-block", type=positive(int), default=None,
                   help="3x3 convolutions in each encoder block " + geometry("convs_per_block"))
    p.add_argument("--fc-channels", type=positive(int), default=None,
                   help="channels of fc6 and fc7 " + geometry("fc_channels"))
    p.add_argument("--dropout", type=in_range(0, 1), default=0.5,
                   help="dropout after fc6 and fc7 while training (default: %(default)s)")
    p.add_argument("--learn-final-upsampling", action="store_true",
                   help="train the last upsampling (upscore8/16, upscore) from its bilinear start instead of "
                        "keeping it fixed, as the reference models do")


def _model_config(args):
    """The architecture arguments of ``models.build`` from the parsed command line: those given (the
    model's own geometry fills in the rest)."""
    given = dict(widths=args.widths and tuple(args.widths), convs_per_block=args.convs_per_block,
                 fc_channels=args.fc_channels)
    return dict({k: v for k, v in given.items() if v is not None}, dropout=args.dropout,
                learn_final_upsampling=args.learn_final_upsampling)


def _data_args(p, default_split, image_size_type, image_size_help):
    p.add_argument("--data", default="toy",
                   help="'toy' (built-in shapes), or the path of a VOC-format folder or an SBD folder "
                        "(benchmark_RELEASE/dataset: img/, cls/*.mat, train.txt, val.txt) (default: toy)")
    p.add_argument("--split", default=default_split, help="split to use (default: %(default)s)")
    p.add_argument("--sbd", metavar="FOLDER", default=None,
                   help="the SBD folder whose training images the split seg11valid (VOC2011 val less SBD train, "
                        "the paper's validation set) leaves out (default: --data where it is an SBD folder)")
    p.add_argument("--image-size", type=image_size_type, default=None, help=image_size_help)
    p.add_argument("--num-classes", type=positive(int), default=None,
                   help=f"classes, background included (toy: 2-{len(TOY_CLASSES)}, default {TOY_DEFAULT_CLASSES}; "
                        f"VOC and SBD: default {VOC_DEFAULT_CLASSES})")
    p.add_argument("--seed", type=non_negative(int), default=0,
                   help="fixes the toy data, and for training the initialization, dropout and shuffling (default: 0)")
    p.add_argument("--device", default="cpu", choices=list(backend.DEVICES), help="cpu or cuda (default: cpu)")


def _whole_or_at_least_8(text):
    """An image size for training: 0 (whole images) or at least 8."""
    return 0 if text.strip() == "0" else at_least(8)(text)


def build_parser():
    parser = _Parser(prog="fcn-scratch", description="Fully Convolutional Networks from scratch: "
                                     "train, evaluate, predict, summarize and benchmark FCN-32s/16s/8s.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("train", help="train an FCN (default: FCN-8s on the toy shapes, a few minutes on a CPU); the "
                                     "VGG16 nets train with the paper's recipe")
    _model_args(p)
    _data_args(p, "train", _whole_or_at_least_8,
               "toy image size, or the random training crop of a folder's images; 0: whole images, each at its "
               "own size " + _per_family("image_size", lambda v: v or "0 (whole images)"))
    p.add_argument("--val-data", metavar="FOLDER", default=None,
                   help="the folder to validate on (default: --data), e.g. VOC2011 for --val-split seg11valid "
                        "while training on SBD")
    p.add_argument("--val-split", default="val", help="split to validate on (default: %(default)s)")
    p.add_argument("--train-size", type=positive(int), default=TOY_DATA["train_size"],
                   help="toy training images (default: %(default)s)")
    p.add_argument("--val-size", type=positive(int), default=TOY_DATA["val_size"],
                   help="toy validation images (default: %(default)s)")
    length = p.add_mutually_exclusive_group()
    length.add_argument("--epochs", type=positive(int), default=None,
                        help="passes over the training list " + _per_family("epochs", lambda v: v or "none"))
    length.add_argument("--iterations", type=positive(int), default=None,
                        help="training steps " + _per_family("iterations", lambda v: f"{v:,}" if v else "none"))
    p.add_argument("--validate-every", type=positive(int), default=None, metavar="N",
                   help="validate (and keep a checkpoint) every N iterations and at the end "
                        + _per_family("validate_every", lambda v: f"{v:,}" if v else "once an epoch"))
    p.add_argument("--batch-size", type=positive(int), default=None, help=_per_family("batch_size"))
    p.add_argument("--lr", type=positive(float), default=None,
                   help="base learning rate (default: " + ", ".join(f"{v:g} for {k}" for k, v in LR.items()) + ")")
    p.add_argument("--optimizer", default=None, choices=list(OPTIMIZERS), help=_per_family("optimizer"))
    p.add_argument("--momentum", type=in_range(0, 1), default=None, help="SGD momentum " + _per_family("momentum"))
    p.add_argument("--weight-decay", type=non_negative(float), default=None,
                   help="L2 penalty " + _per_family("weight_decay", lambda v: f"{v:g}"))
    p.add_argument("--bias-lr-factor", type=positive(float), default=None,
                   help="the biases' learning rate over the weights' " + _per_family("bias_lr_factor", lambda v: f"{v:g}"))
    p.add_argument("--bias-weight-decay", action=argparse.BooleanOptionalAction, default=None,
                   help="apply the weight decay to the biases too "
                        + _per_family("bias_weight_decay", lambda v: "yes" if v else "no"))
    p.add_argument("--schedule", default=None, choices=list(SCHEDULES),
                   help="learning-rate schedule " + _per_family("schedule"))
    p.add_argument("--loss-reduction", default=None, choices=list(SoftmaxCrossEntropy.REDUCTIONS),
                   help="the cross-entropy's mean over the labelled pixels, or its sum over each image's "
                        + _per_family("loss_reduction"))
    p.add_argument("--freeze-upsampling", action=argparse.BooleanOptionalAction, default=None,
                   help="keep every transposed convolution at its bilinear start "
                        + _per_family("freeze_upsampling", lambda v: "yes" if v else "no, only the last"))
    p.add_argument("--flip", action=argparse.BooleanOptionalAction, default=None,
                   help="mirror training images at random " + _per_family("flip", lambda v: "yes" if v else "no"))
    p.add_argument("--init-from", metavar="CKPT",
                   help="copy every matching weight from a checkpoint (staged 32s -> 16s -> 8s training, or "
                        "VGG16 weights from import-weights)")
    p.add_argument("--resume", metavar="CKPT", help="continue a run from its last.npz or interrupted.npz")
    p.add_argument("--out", default=None, help="run folder (default: runs/<model>)")
    p.add_argument("--overwrite", action="store_true", help="replace the run already in --out")
    p.add_argument("--quiet", action="store_true", help="print the recipe and the validation lines only")

    p = sub.add_parser("evaluate", help="the paper's four metrics and per-class IU of a checkpoint")
    p.add_argument("checkpoint", help="a .npz checkpoint written by train")
    _data_args(p, "val", at_least(8), "toy image size (default: the checkpoint's training size, else "
                                      f"{TOY_DATA['image_size']}); a folder's images are evaluated at their own sizes")
    p.add_argument("--size", type=positive(int), default=TOY_DATA["val_size"],
                   help="toy images to evaluate (default: %(default)s)")
    p.add_argument("--batch-size", type=positive(int), default=8, help="(default: %(default)s)")
    p.add_argument("--out", default=None,
                   help="where to write the JSON (default: eval_<checkpoint name>_<split>.json beside the checkpoint)")
    p.add_argument("--overwrite", action="store_true", help="replace --out if it exists")

    p = sub.add_parser("predict", help="colour masks and overlays for image files")
    p.add_argument("checkpoint", help="a .npz checkpoint written by train")
    p.add_argument("images", nargs="+", help="image files or folders of them")
    p.add_argument("--out", default="predictions", help="folder for the masks and overlays (default: %(default)s)")
    p.add_argument("--resize", nargs="?", const=0, default=None, type=positive(int), metavar="SIZE",
                   help="scale each image so that its longer side is SIZE pixels (without SIZE: the training "
                        "image size the checkpoint records), predict, and scale the mask back: objects then "
                        "appear at the scale the model learned, and memory stays small")
    p.add_argument("--overwrite", action="store_true", help="replace masks and overlays of an earlier run in --out")
    p.add_argument("--memory-budget", type=positive(float), default=None, metavar="GB",
                   help="skip (and name) an image whose prediction would take more memory than this, with the "
                        "--resize that fits (default: half the machine's memory)")
    p.add_argument("--device", default="cpu", choices=list(backend.DEVICES), help="cpu or cuda (default: cpu)")

    p = sub.add_parser("summary", help="the model's layers, output shapes and parameter counts")
    _model_args(p)
    p.add_argument("--checkpoint", help="summarize the model a checkpoint holds instead")
    p.add_argument("--num-classes", type=positive(int), default=None,
                   help=f"classes, background included (default: {TOY_DEFAULT_CLASSES} as train's toy data; "
                        f"{VOC_DEFAULT_CLASSES} for the VGG16 nets)")
    p.add_argument("--image-size", type=positive(int), nargs="+", default=[TOY_DATA["image_size"]], metavar="S",
                   help="input size: S, or H W (default: %(default)s)")
    p.add_argument("--in-channels", type=positive(int), default=3, help="(default: %(default)s)")

    p = sub.add_parser("import-weights", help="a checkpoint from pytorch-fcn's, torchvision's or timm's weights")
    p.add_argument("weights", metavar="SRC",
                   help="a .safetensors, .npz or PyTorch .pth/.pt file (a .pth is read only where PyTorch is "
                        "installed)")
    p.add_argument("--model", default="fcn8s-vgg16", help="the model to build (default: %(default)s)")
    p.add_argument("--out", required=True, help="the checkpoint to write (.npz)")
    p.add_argument("--num-classes", type=positive(int), default=None,
                   help="classes, background included (default: the file's, else 21 as VOC)")
    p.add_argument("--preprocessing", default=None,
                   help="what the weights expect of an image: caffe (BGR, 0-255, minus the mean), torchvision "
                        "(RGB, ImageNet mean and std) or identity (default: what the file records, else caffe for "
                        "pytorch-fcn's keys and torchvision for torchvision's and timm's)")
    p.add_argument("--overwrite", action="store_true", help="replace --out if it exists")

    p = sub.add_parser("export", help="a checkpoint's weights for PyTorch, with its names and layouts")
    p.add_argument("checkpoint", help="a .npz checkpoint")
    p.add_argument("--out", required=True, help="the file to write: .safetensors or .npz")
    p.add_argument("--overwrite", action="store_true", help="replace --out if it exists")

    # The benchmark's options (--quick, --size, --help, ...) belong to fcn_scratch.bench's own parser:
    # main hands it whatever this parser does not know.
    sub.add_parser("bench", add_help=False, help="time the layers and a training step (see fcn_scratch.bench)")
    return parser


def cmd_train(args):
    given = {f.name: getattr(args, f.name) for f in fields(TrainOptions)
             if hasattr(args, f.name) and f.name not in ("architecture", "command")}
    run_training(TrainOptions(**given, architecture=_model_config(args), command=" ".join(sys.argv[1:])))
    return 0


def cmd_evaluate(args):
    evaluate_checkpoint(args.checkpoint, args.data, args.split, size=args.size, image_size=args.image_size,
                        num_classes=args.num_classes, seed=args.seed, batch_size=args.batch_size, device=args.device,
                        sbd=args.sbd,
                        out=args.out, overwrite=args.overwrite)
    return 0


def cmd_predict(args):
    files, failures = predict_checkpoint(args.checkpoint, args.images, args.out, resize=args.resize,
                                         device=args.device, overwrite=args.overwrite,
                                         memory_budget=args.memory_budget and args.memory_budget * 1e9)
    if failures:
        print(f"fcn-scratch predict: error: {len(failures)} of {len(files)} images could not be read: "
              + ", ".join(str(f) for f, _ in failures), file=sys.stderr)
        return 1
    return 0


def cmd_summary(args):
    if args.checkpoint:
        model, _ = load_model(args.checkpoint)
        name = name_of(model)
    else:
        name = args.model
        classes = args.num_classes or (None if args.model in REFERENCE else TOY_DEFAULT_CLASSES)
        with no_init():                       # the table needs shapes, not values
            model = build(args.model, **({"num_classes": classes} if classes else {}), in_channels=args.in_channels,
                          **_model_config(args))
    size = args.image_size * 2 if len(args.image_size) == 1 else args.image_size
    if len(size) != 2:
        raise InputError(f"--image-size takes S or H W, got {len(args.image_size)} numbers")
    print(model.summary((model.in_channels, size[0], size[1]), name))
    return 0


def cmd_import_weights(args):
    done = import_weights(args.weights, args.model, args.out, num_classes=args.num_classes,
                          preprocessing=args.preprocessing, overwrite=args.overwrite)
    fresh = f"; as a fresh model starts them: {', '.join(done.kept)}" if done.kept else ""
    print(f"{done.model_name} from {done.source} ({done.family} keys): {done.num_loaded:,} of "
          f"{done.num_parameters:,} parameters read{fresh}")
    print(f"wrote {done.path}: {len(done.class_names)} classes, input preprocessing {done.preprocessing}")
    return 0


def cmd_export(args):
    shapes = export(args.checkpoint, args.out, overwrite=args.overwrite)
    print(f"wrote {args.out}: {len(shapes)} arrays, {sum(map(prod, shapes.values())):,} parameters, "
          "with PyTorch's names and layouts")
    return 0


COMMANDS = {"train": cmd_train, "evaluate": cmd_evaluate, "predict": cmd_predict, "summary": cmd_summary,
            "import-weights": cmd_import_weights, "export": cmd_export}


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    command = next((a for a in argv if not a.startswith("-")), "")
    try:
        parser = build_parser()
        args, extra = parser.parse_known_args(argv)
        if extra and args.command != "bench":
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        if args.command == "bench":
            return bench_main(extra)
        return COMMANDS[args.command](args)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        message = _users_error(exc)
        if message is None:
            raise                           # a bug: keep its traceback
        print(f"fcn-scratch {command}: error: {message}", file=sys.stderr)
        return 2


def _users_error(exc):
    """The one line to print for an error the user can act on, or None for anything else (a bug).

    The user's: an :class:`InputError` (a bad value, option, file, folder, device or FCN_SCRATCH_*
    variable, raised where it is checked), an OSError (a missing file, a full disk), a diverged run."""
    if isinstance(exc, OSError) and exc.filename is not None:
        return f"{exc.strerror or exc}: {exc.filename}"
    if isinstance(exc, (InputError, OSError)):
        return str(exc)
    return str(exc) if isinstance(exc, TrainingDiverged) else None
