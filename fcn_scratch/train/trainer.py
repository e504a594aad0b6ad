"""Trainer: SGD/Adam counted in epochs or iterations, evaluation, checkpoints, exact resuming, a clean Ctrl-C."""
import contextlib
import json
import math
import signal
import threading
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from .. import backend
from ..checkpoint import copy_checkpoint, load_into, read_extras, read_header, save_checkpoint
from ..errors import InputError
from ..files import temporary_files
from ..layers import SoftmaxCrossEntropy
from ..optim import set_lr
from .evaluate import evaluate
from .predict import predict_batch
from .progress import Progress, format_seconds

INTERRUPTED = "interrupted.npz"
# Validation images whose predictions the best checkpoint keeps, for the run's predictions.png.
EXAMPLES = 6


@dataclass
class FitResult:
    """What :meth:`Trainer.fit` measured: the per-epoch ``history``, the training ``seconds``, the best
    epoch with its metrics (a record of the history), its confusion matrix (C, C) and its predictions
    (n, H, W) of the first :data:`EXAMPLES` validation images (None where the best checkpoint is older
    than this record), and the checkpoint of another folder the run continued, if any."""
    history: list
    seconds: float
    best_epoch: int
    best_metrics: dict
    confusion: object
    example_predictions: object
    continued_from: str = None


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite."""


class Trainer:
    """Train ``model`` on ``train_loader``, evaluating on ``val_loader`` every ``validate_every`` iterations
    (default: once an epoch) and at the end.

    The run is ``epochs`` passes over the training data or, where ``iterations`` is given, that many
    steps (the paper's recipe counts iterations, 100,000 with a validation every 4,000); the batches
    run on from one epoch into the next, each epoch shuffled by its own seed. Each validation closes a
    *round* (an epoch, where the run validates once an epoch).

    The loss is :class:`~fcn_scratch.layers.SoftmaxCrossEntropy` with ``loss_reduction`` ("mean" over the
    labelled pixels, or "sum" as the paper trains).

    Writes into ``out_dir``: ``metrics.jsonl`` (one JSON line per round),
    ``last.npz`` (after every round, with the optimizer state, for resuming),
    ``best.npz`` (the best validation mean IU so far) and, when Ctrl-C stops a
    run, ``interrupted.npz`` at the step where it stopped. ``meta`` (class
    names, normalization, data set) goes into every checkpoint.

    Resuming (:meth:`resume`) restores the weights, the optimizer, the dropout
    streams, the round and the step within it: the resumed run computes what
    the uninterrupted one would have, bit for bit on the same machine. Resumed
    into another folder, the run takes along the history and the best checkpoint
    so far, and records which checkpoint it continued (``meta["continued_from"]``).
    """

    def __init__(self, model, optimizer, train_loader, val_loader, out_dir, epochs=None, schedule="constant",
                 meta=None, print_fn=print, progress_every=5.0, iterations=None, validate_every=None,
                 loss_reduction="mean"):
        if (epochs is None) == (iterations is None):
            raise InputError("give the run's length as epochs or as iterations, one of the two")
        self.model, self.optimizer = model, optimizer
        self.train_loader, self.val_loader = train_loader, val_loader
        self.out_dir = Path(out_dir)
        self.total_iters = epochs * len(train_loader) if iterations is None else iterations
        self.validate_every = min(validate_every or len(train_loader), self.total_iters)
        self.rounds = -(-self.total_iters // self.validate_every)
        self.rounds_are_epochs = self.validate_every == len(train_loader)
        self.schedule = schedule
        self.meta = dict(meta or {})
        self.print, self.progress_every = print_fn, progress_every
        self.loss_fn = SoftmaxCrossEntropy(reduction=loss_reduction)
        self.start_epoch, self.start_iteration = 1, 0       # the round to start, and the steps of it done
        self.partial_loss = (0.0, 0)        # loss sum and step count already done in start_epoch
        self.best_miu = -1.0
        self.history = []
        self.seconds = 0.0                  # training time of the run so far, across resumes
        self._stop_requested = False
        self._started = None                # when this process began training
        self._carried_best = None           # the best.npz a run resumed from another folder brings along
        self._best_measured = None          # (epoch, arrays) of the best epoch, when this process measured it

    @property
    def finished(self):
        return self.start_epoch > self.rounds

    def resume(self, path):
        """Continue from a ``last.npz`` or an ``interrupted.npz``: weights, optimizer state, dropout
        streams, round and step, best mean IU, time so far, and the history beside the checkpoint."""
        ckpt = load_into(self.model, path)
        optim_state = {k[len("optim/"):]: v for k, v in ckpt.extra.items() if k.startswith("optim/")}
        optim_state["steps"], optim_state["lr"] = ckpt.meta["optim_steps"], ckpt.meta["optim_lr"]
        self.optimizer.load_state_dict(optim_state)
        self.model.set_rng_state(ckpt.meta.get("rng", {}))
        every = int(ckpt.meta.get("validate_every", len(self.train_loader)))
        if every != self.validate_every:
            raise InputError(f"{path} was trained validating every {every} iterations, this run every "
                             f"{self.validate_every}; resume with the same validation interval")
        self.start_epoch = int(ckpt.meta["epoch"]) + 1
        self.start_iteration = int(ckpt.meta.get("iteration", 0))
        self.partial_loss = tuple(ckpt.meta.get("partial_loss", (0.0, 0)))
        self.best_miu = ckpt.meta.get("best_mean_iu", -1.0)
        self.seconds = float(ckpt.meta.get("seconds", 0.0))
        source = Path(path).parent
        self.history = [h for h in read_history(source / "metrics.jsonl", self.print)
                        if h["epoch"] < self.start_epoch]
        continued = ckpt.meta.get("continued_from")
        if source.resolve() != self.out_dir.resolve():
            continued = str(path)
            self._carry_best(source / "best.npz")
        if continued:
            self.meta["continued_from"] = continued
        where = f"{self._round_name(self.start_epoch)}, step {self.start_iteration}" if self.start_iteration else \
            f"the end of {self._round_name(self.start_epoch - 1)}"
        self.print(f"resumed from {path} at {where}")
        return self

    def _carry_best(self, best):
        """Take along the resumed run's ``best.npz`` if it is the best this run has seen so far (its epoch
        came before the checkpoint, its mean IU is the recorded best); if not, this folder's best starts
        afresh from the epochs trained here, with a note."""
        if self.best_miu < 0:
            return
        if best.is_file():
            meta = read_header(best)["meta"]
            if meta.get("epoch", self.start_epoch) < self.start_epoch and meta.get("best_mean_iu") == self.best_miu:
                self._carried_best = best
                return
        self.print(f"note: {best} is not the best checkpoint of the run up to here; "
                   f"{self.out_dir / 'best.npz'} will be the best of the epochs trained from now on")
        self.best_miu = -1.0

    def fit(self):
        """Run the remaining rounds; returns what they measured, a :class:`FitResult`.

        Ctrl-C lets the step in progress finish, saves ``interrupted.npz`` and
        raises KeyboardInterrupt; a second Ctrl-C stops at once.
        """
        self.out_dir.mkdir(parents=True, exist_ok=True)
        for stale in temporary_files(self.out_dir, "*.npz"):      # left by a process killed mid-save
            stale.unlink()
        self._write_history()
        if self._carried_best is not None:
            copy_checkpoint(self._carried_best, self.out_dir / "best.npz")
        progress = Progress(self.total_iters - self._first_step(self.start_epoch), self.print,
                            self.progress_every)
        self._started = time.perf_counter()
        # Overflow warnings on the way to a NaN loss say nothing the divergence check does not.
        with self._ctrl_c_finishes_the_step(), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            for epoch in range(self.start_epoch, self.rounds + 1):
                started = time.perf_counter()
                train_loss = self.train_epoch(epoch, progress)
                self.end_epoch(epoch, train_loss, time.perf_counter() - started)
                if self._stop_requested:
                    self.print(f"\ninterrupted after {self._round_name(epoch)}; resume with --resume "
                               f"{self.out_dir / 'last.npz'}")
                    raise KeyboardInterrupt
        return self.result()

    def train_epoch(self, epoch, progress):
        """The steps of round ``epoch`` (from ``start_iteration`` when resuming); returns their mean loss."""
        model, xp = self.model.train(), backend.xp_for(self.model.device)
        first, last = self._first_step(epoch), min(epoch * self.validate_every, self.total_iters)
        begin = (epoch - 1) * self.validate_every
        total, count = self.partial_loss if first > begin else (0.0, 0)
        for t, (images, labels) in zip(range(first + 1, last + 1), self._batches(first)):
            set_lr(self.optimizer, self.schedule, t - 1, self.total_iters)
            logits = model(xp.asarray(images, dtype=model.dtype))
            loss = self.loss_fn(logits, xp.asarray(labels))
            if not math.isfinite(loss):
                raise TrainingDiverged(self._diverged(loss, epoch, t - begin))
            model.backward(self.loss_fn.backward(), input_grad=False)
            self.optimizer.step()
            total, count = total + loss, count + 1
            progress.update(self._position(epoch, t), loss, len(images), force=t == last)
            if self._stop_requested and t < last:
                path = self.save(INTERRUPTED, epoch - 1, iteration=t - begin, partial_loss=(total, count))
                self.print(f"\ninterrupted at {self._round_name(epoch)}, step {t - begin} of {last - begin}: "
                           f"saved {path}; resume with --resume {path}")
                raise KeyboardInterrupt
        return total / max(count, 1)

    def _first_step(self, epoch):
        """How many steps of the whole run come before this process's first step of round ``epoch``."""
        done = self.start_iteration if epoch == self.start_epoch else 0
        return (epoch - 1) * self.validate_every + done

    def _batches(self, first):
        """The training batches from step ``first`` (0-based, of the whole run) on, epoch after epoch. The
        steps before it in its epoch are still drawn: the epoch's random stream (shuffle, crops) then goes
        on as it did in the run that took them."""
        per_epoch = len(self.train_loader)
        epoch, skip = divmod(first, per_epoch)
        while True:
            epoch += 1
            self.train_loader.set_epoch(epoch)
            for index, batch in enumerate(self.train_loader):
                if index >= skip:
                    yield batch
            skip = 0

    def _round_name(self, epoch=None):
        """ "epoch 3", or "validation round 3" where a round is not an epoch (without a number: the word)."""
        unit = "epoch" if self.rounds_are_epochs else "validation round"
        return unit if epoch is None else f"{unit} {epoch}"

    def _position(self, epoch, t):
        """Where step ``t`` (1-based, of the whole run) stands, for the progress line."""
        if not self.rounds_are_epochs:
            return f"iteration {t}/{self.total_iters}"
        begin = (epoch - 1) * self.validate_every
        return f"epoch {epoch}/{self.rounds}  iter {t - begin}/{self.validate_every}"

    def _diverged(self, loss, epoch, it):
        last = self.out_dir / "last.npz"
        kept = f"The last good checkpoint is {last}." if last.exists() else \
            f"No {self._round_name()} finished, so no checkpoint was kept."
        return (f"loss became {loss} at {self._round_name(epoch)}, iteration {it}; stopped. {kept} "
                "Try a lower learning rate.")

    def end_epoch(self, epoch, train_loss, seconds):
        """Evaluate, log a line to metrics.jsonl, keep the last and best checkpoints (the best with its
        confusion matrix and example predictions, which the run's report draws)."""
        metrics, confusion = evaluate(self.model, self.val_loader)
        iteration = min(epoch * self.validate_every, self.total_iters)
        record = {"epoch": epoch, **({} if self.rounds_are_epochs else {"iteration": iteration}),
                  "train_loss": train_loss, "lr": self.optimizer.lr, "seconds": seconds,
                  **{k: metrics[k] for k in ("pixel_acc", "mean_acc", "mean_iu", "fw_iu")},
                  "per_class_iu": metrics["per_class_iu"]}
        self.history.append(record)
        with open(self.out_dir / "metrics.jsonl", "a") as f:
            f.write(json.dumps(record) + "\n")
        if metrics["mean_iu"] > self.best_miu:
            self.best_miu = metrics["mean_iu"]
            measured = {"confusion": confusion.matrix, "example_predictions": self._example_predictions()}
            self.save("best.npz", epoch, measured=measured)
            self._best_measured = epoch, measured
        self.save("last.npz", epoch)
        (self.out_dir / INTERRUPTED).unlink(missing_ok=True)      # the run has gone past it
        where = f"epoch {epoch}/{self.rounds}" if self.rounds_are_epochs else f"iteration {iteration}/{self.total_iters}"
        self.print(f"{where}  train loss {train_loss:.4f}  val pixel acc "
                   f"{metrics['pixel_acc']:.3f}  mean acc {metrics['mean_acc']:.3f}  mean IU "
                   f"{metrics['mean_iu']:.3f}  f.w. IU {metrics['fw_iu']:.3f}  ({format_seconds(seconds)})")

    def elapsed(self):
        """Seconds of training in this run, resumed parts included."""
        return self.seconds + (time.perf_counter() - self._started if self._started is not None else 0.0)

    def _write_history(self):
        """Rewrite metrics.jsonl from the history kept so far; a fresh run has none, and writes the file
        with its first epoch (so a run that stops before one leaves no empty file behind)."""
        path = self.out_dir / "metrics.jsonl"
        if not self.history:
            path.unlink(missing_ok=True)
            return
        with open(path, "w") as f:
            f.writelines(json.dumps(record) + "\n" for record in self.history)

    def _example_predictions(self):
        """The model's predictions (n, H, W) of the first :data:`EXAMPLES` validation images."""
        dataset = self.val_loader.dataset
        images, _ = self.val_loader.collate([dataset[i] for i in range(min(EXAMPLES, len(dataset)))])
        return predict_batch(self.model, images)

    def result(self):
        """The :class:`FitResult` of the run so far: the best epoch's measurements as :meth:`end_epoch`
        kept them, or from the best checkpoint where an earlier process (the run resumed) measured them."""
        if self._best_measured is not None:
            epoch, measured = self._best_measured
        else:
            best = self.out_dir / "best.npz"
            epoch = read_header(best)["meta"]["epoch"]
            measured = read_extras(best, "confusion", "example_predictions")
        return FitResult(self.history, self.elapsed(), epoch, next(h for h in self.history if h["epoch"] == epoch),
                         measured.get("confusion"), measured.get("example_predictions"),
                         self.meta.get("continued_from"))

    def save(self, name, epoch, iteration=0, partial_loss=(0.0, 0), measured=None):
        """Checkpoint after ``epoch`` rounds and ``iteration`` steps of the next, with everything a
        resume needs (and the ``measured`` arrays, the best's), atomically."""
        state = self.optimizer.state_dict()
        steps, lr = state.pop("steps"), state.pop("lr")
        meta = {**self.meta, "epoch": epoch, "iteration": iteration, "validate_every": self.validate_every,
                "partial_loss": list(partial_loss),
                "best_mean_iu": self.best_miu, "optim_steps": steps, "optim_lr": lr,
                "rng": self.model.rng_state(), "seconds": self.elapsed(), "interrupted": bool(iteration)}
        extra = {**{f"optim/{k}": v for k, v in state.items()}, **(measured or {})}
        return save_checkpoint(self.out_dir / name, self.model, extra=extra, meta=meta)

    @contextlib.contextmanager
    def _ctrl_c_finishes_the_step(self):
        """Within the block, a first Ctrl-C asks the loop to stop at the next step boundary."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def request(signum, frame):
            self._stop_requested = True
            signal.signal(signal.SIGINT, previous)        # a second Ctrl-C stops at once
        previous = signal.signal(signal.SIGINT, request)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)


def read_history(path, print_fn=print):
    """The records of a metrics.jsonl (none if it does not exist). A last line cut short by a crash is
    dropped with a note; any other unreadable line is an error that names the file and line."""
    path = Path(path)
    if not path.exists():
        return []
    lines = [line for line in path.read_text().splitlines() if line.strip()]
    records = []
    for number, line in enumerate(lines, start=1):
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as exc:
            if number == len(lines):
                print_fn(f"note: the last line of {path} was cut short and is dropped")
                break
            raise InputError(f"{path}, line {number}, is not a JSON record ({exc})") from None
    return records
