"""The run folder: what a training run writes, and the rule that no run is replaced unasked."""
from pathlib import Path

RUN_FILES = ("best.npz", "last.npz", "interrupted.npz", "metrics.jsonl", "results.json", "curves.png",
             "confusion.png", "predictions.png")


def run_files(out):
    """The files of a run (and of evaluations beside it) that ``out`` holds."""
    out = Path(out)
    if not out.is_dir():
        return []
    return sorted(f.name for f in out.iterdir() if f.name in RUN_FILES or
                  (f.name.startswith("eval_") and f.suffix == ".json"))


def prepare_run_folder(out, resume=None, overwrite=False):
    """Check ``out`` before training writes anything there.

    A file is refused. A folder that holds a run is refused, unless ``resume``
    is a checkpoint of that very run (the run goes on) or ``overwrite`` is set
    (its files are removed first). Raises ValueError naming what to do.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out} is a file; expected a folder for the run")
    existing = run_files(out)
    continuing = resume is not None and Path(resume).resolve().parent == out.resolve()
    if existing and not (continuing or overwrite):
        raise ValueError(f"{out} already holds a run ({', '.join(existing)}); pass --overwrite to replace it, "
                         f"--resume {out / 'last.npz'} to continue it, or choose another --out")
    if overwrite and not continuing:
        for name in existing:
            (out / name).unlink()
    return out
