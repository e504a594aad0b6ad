"""The training recipe: a whole run from its options (what ``fcn-scratch train`` does).

Each option left at None takes its model family's default (:mod:`.defaults`): the toy recipe for the
small nets, the paper's for the VGG16 nets. The run prints every choice it makes before the first step.
"""
from dataclasses import dataclass, field, replace
from pathlib import Path

from .. import backend
from ..checkpoint import read_checkpoint
from ..data import (Compose, DataLoader, Preprocessing, RandomCropOrPad, RandomHorizontalFlip, check_files,
                    check_image_sizes, make_dataset, sbd_root, write_split_list)
from ..errors import InputError
from ..models import NAMES as MODEL_NAMES
from ..models import build
from ..optim import OPTIMIZERS
from .defaults import LR, PAPER, TOY, TOY_DATA, WHOLE_IMAGE_MAX_PIXELS, recipe_for
from .report import write_report
from .run_folder import files_to_replace, hold_run_folder, remove_run_files
from .trainer import Trainer


@dataclass
class TrainOptions:
    """Everything a run is made of; the command line's ``train`` options. None: the model family's
    default (:func:`resolve` fills them in).

    ``architecture``: keyword arguments of ``models.build`` (widths, convs_per_block, fc_channels,
    dropout, learn_final_upsampling); the model's own geometry fills in the rest. ``image_size``: the
    toy images' size, or the random crop of a folder's (0: whole images). ``val_data``: the folder to
    validate on (default: ``data``); ``sbd``: the SBD folder whose training list ``seg11valid`` leaves out
    (default: ``data`` where it is one). ``command``: recorded in the checkpoints.
    """
    model: str = TOY_DATA["model"]
    data: str = "toy"
    split: str = "train"
    val_data: str = None
    val_split: str = "val"
    sbd: str = None
    train_size: int = TOY_DATA["train_size"]
    val_size: int = TOY_DATA["val_size"]
    image_size: int = None
    num_classes: int = None
    seed: int = 0
    device: str = "cpu"
    epochs: int = None
    iterations: int = None
    validate_every: int = None
    batch_size: int = None
    lr: float = None
    optimizer: str = None
    momentum: float = None
    weight_decay: float = None
    schedule: str = None
    loss_reduction: str = None
    bias_lr_factor: float = None
    bias_weight_decay: bool = None
    freeze_upsampling: bool = None
    flip: bool = None
    init_from: str = None
    resume: str = None
    out: str = None
    overwrite: bool = False
    quiet: bool = False
    architecture: dict = field(default_factory=dict)
    command: str = ""


def resolve(options):
    """``options`` with every None its model family's default; checks what the defaults cannot."""
    o = options
    if o.model not in MODEL_NAMES:
        raise InputError(f"unknown model {o.model!r}; expected one of {', '.join(MODEL_NAMES)}")
    if o.epochs is not None and o.iterations is not None:
        raise InputError("give the run's length as --epochs or as --iterations, not both")
    recipe = recipe_for(o.model)
    filled = {key: value for key, value in recipe.items() if getattr(o, key) is None}
    if o.epochs is not None or o.iterations is not None:
        filled.pop("epochs", None), filled.pop("iterations", None)
        filled.update(epochs=o.epochs, iterations=o.iterations)
    if (o.image_size if o.image_size is not None else recipe["image_size"]) == 0 and o.data == "toy":
        filled["image_size"] = TOY["image_size"]      # generated shapes have one size; "whole" means that one
    o = replace(o, **filled, lr=LR[o.model] if o.lr is None else o.lr)
    if o.optimizer not in OPTIMIZERS:
        raise InputError(f"unknown optimizer {o.optimizer!r}; expected one of {', '.join(OPTIMIZERS)}")
    if o.freeze_upsampling and o.architecture.get("learn_final_upsampling"):
        raise InputError("--learn-final-upsampling trains the last upsampling, which --freeze-upsampling keeps "
                         "fixed; give one of the two (--no-freeze-upsampling learns all of them)")
    return o


def describe(o):
    """Every choice of the resolved options ``o``, in a few lines, as the run prints them."""
    length = f"{o.epochs} epochs" if o.epochs is not None else f"{o.iterations:,} iterations"
    every = "once an epoch" if o.validate_every is None else f"every {o.validate_every:,} iterations"
    images = ("the toy images whole" if o.data == "toy" else "whole images, at their own sizes (no crop, no "
              "padding, no resize)") if o.image_size == 0 or o.data == "toy" else f"random {o.image_size}-pixel crops"
    reduction = "summed over the labelled pixels (each image's)" if o.loss_reduction == "sum" else \
        "a mean over the labelled pixels"
    optimizer = [f"{'SGD' if o.optimizer == 'sgd' else 'Adam'} at {o.lr:g}"] + \
        ([f"momentum {o.momentum:g}"] if o.optimizer == "sgd" else []) + [f"weight decay {o.weight_decay:g}"]
    bias = ([f"at {o.bias_lr_factor:g}x the rate"] if o.bias_lr_factor != 1 else []) + \
        (["without weight decay"] if o.weight_decay and not o.bias_weight_decay else [])
    if bias:
        optimizer.append("biases " + ", ".join(bias))
    upsampling = ("every transposed convolution frozen at bilinear" if o.freeze_upsampling else
                  "the last upsampling " + ("learned" if o.architecture.get("learn_final_upsampling") else
                                            "frozen at bilinear") + ", the others learned")
    family = "the paper's (pytorch-fcn's, after fcn.berkeleyvision.org)" if recipe_for(o.model) is not TOY else \
        "the toy recipe"
    return "\n".join([
        f"recipe: {family} for {o.model}",
        f"  optimizer   {', '.join(optimizer)}; {o.schedule} schedule",
        f"  data        batches of {o.batch_size}, {images}, " + ("flipped at random" if o.flip else "not flipped"),
        f"  loss        cross-entropy, {reduction}",
        f"  model       {upsampling}, dropout {o.architecture.get('dropout', 0.5):g}"
        + (f", initialized from {o.init_from}" if o.init_from else ""),
        f"  length      {length}, validation {every}"])


def run_training(options, print_fn=print):
    """Check the options and every data file, hold the run folder (``runs/<model>`` by default), train,
    and write the report. Returns the folder."""
    o = resolve(options)
    backend.xp_for(o.device)
    # the options and the split lists first: quick to check, and wrong whatever the run folder holds
    train_set = make_dataset(o.data, o.split, o.train_size, o.image_size, o.num_classes, o.seed, sbd=o.sbd)
    # seg11valid leaves out SBD's training images: those of --sbd, or of the training data where it is SBD
    sbd = o.sbd or (o.data if o.data != "toy" and sbd_root(o.data) else None)
    val_set = make_dataset(o.val_data or o.data, o.val_split, o.val_size, o.image_size, o.num_classes, o.seed,
                           sbd=sbd)
    with hold_run_folder(o.out or Path("runs") / o.model) as out:
        replaced = files_to_replace(out, o.resume, o.overwrite)
        check_files({o.split: train_set, o.val_split: val_set})
        if o.image_size == 0:
            check_image_sizes(train_set, WHOLE_IMAGE_MAX_PIXELS, "whole-image training takes images of at most "
                              "{limit:,} pixels (a step's memory grows with them; VOC's are at most 500x500); "
                              "train on crops with --image-size, or resize the images")
        remove_run_files(out, replaced)         # only now: a start refused for its data keeps the old run
        _train(o, out, train_set, val_set, print_fn)
    return out


def _train(o, out, train_set, val_set, print_fn):
    """Build the model, optimizer and loaders, train into ``out`` (held by this process), write the report."""
    steps = ([RandomCropOrPad(o.image_size)] if o.data != "toy" and o.image_size else []) + \
        ([RandomHorizontalFlip()] if o.flip else [])
    init = read_checkpoint(o.init_from) if o.init_from else None
    # weights imported from elsewhere learned on their own input preprocessing: keep feeding them that
    preprocessing = Preprocessing.from_meta(init.meta) if init and "preprocessing" in init.meta else None
    train_loader = DataLoader(train_set, o.batch_size, shuffle=True, seed=o.seed,
                              transform=Compose(*steps) if steps else None, preprocessing=preprocessing,
                              drop_last=len(train_set) >= o.batch_size)
    val_loader = DataLoader(val_set, o.batch_size, preprocessing=train_loader.preprocessing)

    model = build(o.model, num_classes=train_set.num_classes, class_names=train_set.class_names,
                  rng=backend.host_rng(o.seed), **o.architecture)
    if o.freeze_upsampling:
        model.freeze_upsampling()
    print_fn(describe(o))
    if recipe_for(o.model) is PAPER and not o.init_from and not o.resume:
        print_fn(f"note: {o.model} starts from random weights; the paper's rates are set for a VGG16 trained on "
                 "ImageNet (its Caffe weights, imported with `import-weights vgg16_from_caffe.pth --model "
                 f"{o.model} --preprocessing caffe`, then --init-from): from random ones the loss may diverge")
    if init:
        copied, fresh = model.load_matching(init.state)
        print_fn(f"initialized {len(copied)} parameters from {o.init_from}; new: {', '.join(fresh) or 'none'}")
    model.to(o.device)
    optimizer = OPTIMIZERS[o.optimizer](model, o.lr, weight_decay=o.weight_decay, bias_lr_factor=o.bias_lr_factor,
                                        bias_weight_decay=o.bias_weight_decay,
                                        **({"momentum": o.momentum} if o.optimizer == "sgd" else {}))
    meta = {"data": o.data, "image_size": o.image_size, "preprocessing": train_loader.preprocessing.to_dict(),
            "seed": o.seed, "command": o.command}
    trainer = Trainer(model, optimizer, train_loader, val_loader, out, o.epochs, o.schedule, meta,
                      print_fn=print_fn, progress_every=float("inf") if o.quiet else 5.0,
                      iterations=o.iterations, validate_every=o.validate_every, loss_reduction=o.loss_reduction)
    _write_computed_split(out, val_set)
    if o.resume:
        trainer.resume(o.resume)
        if trainer.finished:
            more = "--epochs" if o.epochs is not None else "--iterations"
            print_fn(f"nothing to train: {o.resume} has all {trainer.total_iters:,} iterations of this run; "
                     f"ask for more with {more}")
            return
    print_fn(f"training {o.model} on {o.data} ({len(train_set)} train / {len(val_set)} val images, "
             f"{model.num_parameters():,} parameters) on {o.device}; results in {out}/")
    result = trainer.fit()
    write_report(out, result, val_set, print_fn=print_fn)


def _write_computed_split(out, val_set):
    """Write the validation ids into the run where they were computed, not read from a list (seg11valid
    from VOC2011 and SBD), so that the run records what it measured."""
    if getattr(val_set, "computed", False):
        write_split_list(Path(out) / f"{val_set.split}.txt", val_set.ids)
