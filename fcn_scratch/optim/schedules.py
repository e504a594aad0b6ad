"""Learning-rate schedules: the factor by which the base rate is multiplied at iteration ``t``."""
from ..errors import InputError


def constant(t, total):
    """Always 1."""
    return 1.0


def step(t, total, every=None, gamma=0.1):
    """Multiply by ``gamma`` every ``every`` iterations (default: a third of the run)."""
    every = every or max(1, total // 3)
    return gamma ** (t // every)


def poly(t, total, power=0.9):
    """``(1 - t / total) ** power``: the "poly" decay of DeepLab and later FCN training."""
    return max(0.0, 1 - t / max(1, total)) ** power


SCHEDULES = {"constant": constant, "step": step, "poly": poly}


def set_lr(optimizer, schedule, t, total):
    """Set ``optimizer.lr`` to the base rate times the schedule's factor at iteration ``t``."""
    if schedule not in SCHEDULES:
        raise InputError(f"unknown schedule {schedule!r}; expected one of {sorted(SCHEDULES)}")
    optimizer.lr = optimizer.base_lr * SCHEDULES[schedule](t, total)
    return optimizer.lr
