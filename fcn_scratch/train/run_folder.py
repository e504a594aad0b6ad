"""The run folder: what a training run writes, the rule that no run is replaced unasked, and the
lock that lets one run at a time write there.

Two runs writing one folder would interleave their ``metrics.jsonl`` lines and rename their
checkpoints over each other's. A run holds the folder by creating ``.lock`` in it with
``O_CREAT | O_EXCL``, which the file system grants to one process only, and writes its process id
there; a lock whose process has died (a run killed with ``kill -9``) is recognized and taken over.
"""
import contextlib
import json
import os
import socket
import sys
import time
from pathlib import Path

from ..errors import InputError

RUN_FILES = ("best.npz", "last.npz", "interrupted.npz", "metrics.jsonl", "results.json", "curves.png",
             "confusion.png", "predictions.png")
LOCK = ".lock"


def run_files(out):
    """The files of a run (and of evaluations beside it) that ``out`` holds."""
    out = Path(out)
    if not out.is_dir():
        return []
    return sorted(f.name for f in out.iterdir() if f.name in RUN_FILES or
                  (f.name.startswith("eval_") and f.suffix == ".json"))


def files_to_replace(out, resume=None, overwrite=False):
    """Check ``out`` before training writes anything there; returns the files ``overwrite`` will replace.

    A folder that holds a run is refused, unless ``resume`` is a checkpoint of that very run (the run
    goes on, nothing is replaced) or ``overwrite`` is set. The refusal is an InputError naming the
    ways on, a checkpoint to resume only where one exists.
    """
    out = Path(out)
    existing = run_files(out)
    if resume is not None and Path(resume).resolve().parent == out.resolve():
        return []
    if existing and not overwrite:
        resumable = [name for name in ("interrupted.npz", "last.npz") if name in existing]
        resume_hint = f", --resume {out / resumable[0]} to continue it" if resumable else ""
        raise InputError(f"{out} already holds a run ({', '.join(existing)}); pass --overwrite to replace it"
                         f"{resume_hint}, or choose another --out")
    return existing


def remove_run_files(out, names):
    """Remove the files ``names`` of the run in ``out`` (what :func:`files_to_replace` returned)."""
    for name in names:
        (Path(out) / name).unlink(missing_ok=True)


@contextlib.contextmanager
def hold_run_folder(out):
    """Within the block, this process alone writes the run folder ``out`` (created if missing).

    Another run holding it is a one-line InputError naming its process. The lock is released when
    the block ends, by an error or Ctrl-C too; a folder the block created is removed again if it is
    left empty (a start that failed leaves the disk as it found it).
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out} is a file; expected a folder for the run")
    created = [folder for folder in (out, *out.parents) if not folder.exists()]
    out.mkdir(parents=True, exist_ok=True)
    try:
        _acquire(out / LOCK)
        try:
            yield out
        finally:
            _release(out / LOCK)
    finally:
        for folder in created:             # deepest first; one that holds anything stays
            with contextlib.suppress(OSError):
                folder.rmdir()


def _acquire(lock, attempts=3):
    """Create ``lock`` for this process, taking over one left by a process that has died."""
    record = json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                         "started": time.strftime("%Y-%m-%d %H:%M:%S"), "command": " ".join(sys.argv)})
    for _ in range(attempts):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            holder = _holder(lock)
            if holder is None:                  # released between our two looks: try again
                continue
            if _alive(holder):
                raise InputError(_busy(lock, holder)) from None
            _take_over(lock, holder)
            continue
        with os.fdopen(fd, "w") as f:
            f.write(record)
        return
    raise InputError(f"{lock.parent} is being locked by other runs starting at the same time; try again")


def _holder(lock, patience=1.0):
    """What the lock file says of its process: ``{"pid", "host", "started", "command"}``; None if it is
    gone. A process that has just created it writes its record the next instant, so an empty or
    partial record is read again for up to ``patience`` seconds; then it is ``{}`` (a stray file)."""
    deadline = time.monotonic() + patience
    while True:
        try:
            text = lock.read_text()
        except FileNotFoundError:
            return None
        with contextlib.suppress(json.JSONDecodeError):
            holder = json.loads(text)
            return holder if isinstance(holder, dict) else {}
        if time.monotonic() > deadline:
            return {}
        time.sleep(0.01)


def _alive(holder):
    """Whether the process a lock names may still run: a process of another machine, or one the lock
    does not name, cannot be looked up and counts as running."""
    pid = holder.get("pid")
    if not isinstance(pid, int) or holder.get("host") != socket.gethostname():
        return True
    try:
        os.kill(pid, 0)                    # signal 0 sends nothing; it asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:                # it exists, as another user's process
        pass
    return True


def _busy(lock, holder):
    if "pid" not in holder:
        return (f"{lock.parent} is locked by {lock}, which names no process; if no run is using the folder, "
                f"remove {lock}")
    here = holder.get("host") == socket.gethostname()
    # a process of another machine cannot be looked up from here: only a person can tell it has ended
    where, ended = ("", "") if here else (f" on {holder.get('host')}", f"; if that run has ended, remove {lock}")
    return (f"{lock.parent} is in use by another run: process {holder['pid']}{where} "
            f"(`{holder.get('command', '?')}`, started {holder.get('started', '?')}); wait for it to end or "
            f"choose another --out{ended}")


def _take_over(lock, stale):
    """Remove the lock of a dead process. It is first renamed aside, which one process alone can do; if
    what was moved is not that lock (another run took the folder in between), it is put back."""
    aside = lock.with_name(f"{lock.name}.{os.getpid()}.stale")
    try:
        os.rename(lock, aside)
    except FileNotFoundError:
        return
    if _holder(aside) != stale:
        with contextlib.suppress(FileExistsError):
            os.link(aside, lock)
    aside.unlink()


def _release(lock):
    """Remove ``lock`` if it is this process's (one taken over from us is left to its holder)."""
    holder = _holder(lock)
    if holder and holder.get("pid") == os.getpid() and holder.get("host") == socket.gethostname():
        lock.unlink()
