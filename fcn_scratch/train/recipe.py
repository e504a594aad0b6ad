"""The training recipe: the defaults, and a whole run from its options (what ``fcn-scratch train`` does).

The defaults train FCN-8s on the toy shapes in a few minutes on 2 CPU cores (the
README says what the run reaches): four classes (background, circle, square,
triangle) at 64 x 64 pixels, Adam with a poly schedule, 14 epochs.
"""
from dataclasses import dataclass, field
from pathlib import Path

from .. import backend
from ..checkpoint import read_checkpoint
from ..data import Compose, DataLoader, Preprocessing, RandomCropOrPad, RandomHorizontalFlip, check_files, make_dataset
from ..errors import InputError
from ..models import NAMES as MODEL_NAMES
from ..models import build
from ..optim import SGD, Adam
from .report import write_report
from .run_folder import files_to_replace, hold_run_folder, remove_run_files
from .trainer import Trainer

DEFAULTS = dict(model="fcn8s", epochs=14, batch_size=8, optimizer="adam", schedule="poly",
                image_size=64, num_classes=4, train_size=2000, val_size=200)
# Adam's base learning rate by model: FCN-32s at FCN-8s's rate collapses to predicting background
# everywhere, so it and FCN-16s take a lower one (EXPERIMENTS.md has the runs behind these). The paper's
# VGG16 nets fine-tune a trained encoder, which wants small steps.
DEFAULT_LR = {"fcn8s": 4e-3, "fcn16s": 2e-3, "fcn32s": 2e-3}
FINE_TUNING_LR = 1e-4


@dataclass
class TrainOptions:
    """Everything a run is made of; the command line's ``train`` options, with its defaults.

    ``architecture``: keyword arguments of ``models.build`` (widths, convs_per_block, fc_channels,
    dropout, learn_final_upsampling); the model's own geometry fills in the rest. ``lr`` None takes
    the model's default. ``command``: recorded in the checkpoints.
    """
    model: str = DEFAULTS["model"]
    data: str = "toy"
    split: str = "train"
    val_split: str = "val"
    train_size: int = DEFAULTS["train_size"]
    val_size: int = DEFAULTS["val_size"]
    image_size: int = DEFAULTS["image_size"]
    num_classes: int = None
    seed: int = 0
    device: str = "cpu"
    epochs: int = DEFAULTS["epochs"]
    batch_size: int = DEFAULTS["batch_size"]
    lr: float = None
    optimizer: str = DEFAULTS["optimizer"]
    momentum: float = 0.9
    weight_decay: float = 0.0
    schedule: str = DEFAULTS["schedule"]
    init_from: str = None
    resume: str = None
    out: str = None
    overwrite: bool = False
    quiet: bool = False
    architecture: dict = field(default_factory=dict)
    command: str = ""


def run_training(options, print_fn=print):
    """Check the options and every data file, hold the run folder (``runs/<model>`` by default), train,
    and write the report. Returns the folder."""
    o = options
    backend.xp_for(o.device)
    if o.model not in MODEL_NAMES:
        raise InputError(f"unknown model {o.model!r}; expected one of {', '.join(MODEL_NAMES)}")
    # the options and the split lists first: quick to check, and wrong whatever the run folder holds
    train_set = make_dataset(o.data, o.split, o.train_size, o.image_size, o.num_classes, o.seed)
    val_set = make_dataset(o.data, o.val_split, o.val_size, o.image_size, o.num_classes, o.seed)
    with hold_run_folder(o.out or Path("runs") / o.model) as out:
        replaced = files_to_replace(out, o.resume, o.overwrite)
        check_files({o.split: train_set, o.val_split: val_set})
        remove_run_files(out, replaced)         # only now: a start refused for its data keeps the old run
        _train(o, out, train_set, val_set, print_fn)
    return out


def _train(o, out, train_set, val_set, print_fn):
    """Build the model, optimizer and loaders, train into ``out`` (held by this process), write the report."""
    transform = RandomHorizontalFlip() if o.data == "toy" else Compose(RandomCropOrPad(o.image_size),
                                                                        RandomHorizontalFlip())
    init = read_checkpoint(o.init_from) if o.init_from else None
    # weights imported from elsewhere learned on their own input preprocessing: keep feeding them that
    preprocessing = Preprocessing.from_meta(init.meta) if init and "preprocessing" in init.meta else None
    train_loader = DataLoader(train_set, o.batch_size, shuffle=True, seed=o.seed, transform=transform,
                              preprocessing=preprocessing, drop_last=len(train_set) >= o.batch_size)
    val_loader = DataLoader(val_set, o.batch_size, preprocessing=train_loader.preprocessing)

    model = build(o.model, num_classes=train_set.num_classes, class_names=train_set.class_names,
                  rng=backend.host_rng(o.seed), **o.architecture)
    if init:
        copied, fresh = model.load_matching(init.state)
        print_fn(f"initialized {len(copied)} parameters from {o.init_from}; new: {', '.join(fresh) or 'none'}")
    model.to(o.device)
    lr = DEFAULT_LR.get(o.model, FINE_TUNING_LR) if o.lr is None else o.lr
    if o.optimizer == "adam":
        optimizer = Adam(model, lr, weight_decay=o.weight_decay)
    else:
        optimizer = SGD(model, lr, momentum=o.momentum, weight_decay=o.weight_decay)
    meta = {"data": o.data, "image_size": o.image_size, "preprocessing": train_loader.preprocessing.to_dict(),
            "seed": o.seed, "command": o.command}
    trainer = Trainer(model, optimizer, train_loader, val_loader, out, o.epochs, o.schedule, meta,
                      print_fn=print_fn, progress_every=float("inf") if o.quiet else 5.0)
    if o.resume:
        trainer.resume(o.resume)
        if trainer.finished:
            print_fn(f"nothing to train: {o.resume} has all {o.epochs} epochs; ask for more with --epochs")
            return
    print_fn(f"training {o.model} on {o.data} ({len(train_set)} train / {len(val_set)} val images, "
             f"{model.num_parameters():,} parameters) on {o.device}; results in {out}/")
    result = trainer.fit()
    write_report(out, result, val_set, print_fn=print_fn)
