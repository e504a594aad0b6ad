"""Trainer: epochs of SGD/Adam, evaluation, checkpoints, resuming, and a clean Ctrl-C."""
import json
import math
import time
from pathlib import Path

from .. import backend
from ..checkpoint import load_into, save_checkpoint
from ..layers import SoftmaxCrossEntropy
from ..optim import set_lr
from .evaluate import evaluate
from .progress import Progress, format_seconds


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite."""


class Trainer:
    """Train ``model`` on ``train_loader``, evaluating on ``val_loader`` after each epoch.

    Writes into ``out_dir``: ``metrics.jsonl`` (one JSON line per epoch),
    ``last.npz`` (after every epoch, with the optimizer state, for resuming) and
    ``best.npz`` (the best validation mean IU so far). ``meta`` (class names,
    normalization, data set) goes into every checkpoint.
    """

    def __init__(self, model, optimizer, train_loader, val_loader, out_dir, epochs, schedule="constant",
                 meta=None, print_fn=print, progress_every=5.0):
        self.model, self.optimizer = model, optimizer
        self.train_loader, self.val_loader = train_loader, val_loader
        self.out_dir = Path(out_dir)
        self.epochs, self.schedule = epochs, schedule
        self.meta = dict(meta or {})
        self.print, self.progress_every = print_fn, progress_every
        self.loss_fn = SoftmaxCrossEntropy()
        self.start_epoch = 1
        self.best_miu = -1.0
        self.history = []

    @property
    def total_iters(self):
        return self.epochs * len(self.train_loader)

    def resume(self, path):
        """Continue from a ``last.npz``: weights, optimizer state, epoch, best mean IU, history."""
        ckpt = load_into(self.model, path)
        optim_state = {k[len("optim/"):]: v for k, v in ckpt.extra.items() if k.startswith("optim/")}
        optim_state["steps"], optim_state["lr"] = ckpt.meta["optim_steps"], ckpt.meta["optim_lr"]
        self.optimizer.load_state_dict(optim_state)
        self.start_epoch = int(ckpt.meta["epoch"]) + 1
        self.best_miu = ckpt.meta.get("best_mean_iu", -1.0)
        self.history = [json.loads(line) for line in (self.out_dir / "metrics.jsonl").read_text().splitlines()
                        if line.strip()] if (self.out_dir / "metrics.jsonl").exists() else []
        self.history = [h for h in self.history if h["epoch"] < self.start_epoch]
        self._write_history()
        self.print(f"resumed from {path} after epoch {self.start_epoch - 1}")
        return self

    def fit(self):
        """Run the remaining epochs; returns the history (a list of per-epoch dicts)."""
        if self.start_epoch == 1:
            self._write_history()
        progress = Progress(self.total_iters - (self.start_epoch - 1) * len(self.train_loader),
                            self.print, self.progress_every)
        epoch = self.start_epoch - 1
        try:
            for epoch in range(self.start_epoch, self.epochs + 1):
                started = time.perf_counter()
                train_loss = self.train_epoch(epoch, progress)
                seconds = time.perf_counter() - started
                self.end_epoch(epoch, train_loss, seconds)
        except KeyboardInterrupt:
            path = self.save("last.npz", epoch - 1, interrupted=True)
            self.print(f"\ninterrupted during epoch {epoch}: saved {path}; resume with --resume {path}")
            raise
        return self.history

    def train_epoch(self, epoch, progress):
        """One pass over the training data; returns the mean loss."""
        model, xp = self.model.train(), backend.xp_for(self.model.device)
        self.train_loader.set_epoch(epoch)
        iters, total, count = len(self.train_loader), 0.0, 0
        for it, (images, labels) in enumerate(self.train_loader, start=1):
            set_lr(self.optimizer, self.schedule, (epoch - 1) * iters + it - 1, self.total_iters)
            logits = model(xp.asarray(images, dtype=model.dtype))
            loss = self.loss_fn(logits, xp.asarray(labels))
            if not math.isfinite(loss):
                raise TrainingDiverged(
                    f"loss became {loss} at epoch {epoch}, iteration {it}; stopped. The last good checkpoint "
                    f"is {self.out_dir / 'last.npz'}. Try a lower learning rate.")
            model.backward(self.loss_fn.backward(), input_grad=False)
            self.optimizer.step()
            total, count = total + loss, count + 1
            progress.update(epoch, self.epochs, it, iters, loss, len(images), force=it == iters)
        return total / max(count, 1)

    def end_epoch(self, epoch, train_loss, seconds):
        """Evaluate, log a line to metrics.jsonl, keep the last and best checkpoints."""
        metrics, _ = evaluate(self.model, self.val_loader)
        record = {"epoch": epoch, "train_loss": train_loss, "lr": self.optimizer.lr, "seconds": seconds,
                  **{k: metrics[k] for k in ("pixel_acc", "mean_acc", "mean_iu", "fw_iu")},
                  "per_class_iu": metrics["per_class_iu"]}
        self.history.append(record)
        with open(self.out_dir / "metrics.jsonl", "a") as f:
            f.write(json.dumps(record) + "\n")
        if metrics["mean_iu"] > self.best_miu:
            self.best_miu = metrics["mean_iu"]
            self.save("best.npz", epoch)
        self.save("last.npz", epoch)
        self.print(f"epoch {epoch}/{self.epochs}  train loss {train_loss:.4f}  val pixel acc "
                   f"{metrics['pixel_acc']:.3f}  mean acc {metrics['mean_acc']:.3f}  mean IU "
                   f"{metrics['mean_iu']:.3f}  f.w. IU {metrics['fw_iu']:.3f}  ({format_seconds(seconds)})")

    def _write_history(self):
        """Rewrite metrics.jsonl from the history kept so far (empty for a fresh run)."""
        self.out_dir.mkdir(parents=True, exist_ok=True)
        with open(self.out_dir / "metrics.jsonl", "w") as f:
            f.writelines(json.dumps(record) + "\n" for record in self.history)

    def save(self, name, epoch, interrupted=False):
        """Checkpoint with the optimizer state, atomically."""
        state = self.optimizer.state_dict()
        steps, lr = state.pop("steps"), state.pop("lr")
        meta = {**self.meta, "epoch": epoch, "best_mean_iu": self.best_miu, "optim_steps": steps,
                "optim_lr": lr, "interrupted": interrupted}
        return save_checkpoint(self.out_dir / name, self.model, extra={f"optim/{k}": v for k, v in state.items()},
                               meta=meta)
