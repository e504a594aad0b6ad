"""What each trick buys: the training step with every trick on, with each trick off alone and with all of
them off (the textbook routes), all timed in the same turns."""
from .. import fast
from .timing import timeit_in_turns


def without(step, tricks):
    """``step`` run with the named tricks off (all of them when ``tricks`` is empty)."""
    def run():
        with fast.enabled(False, *tricks):
            step()
    return run


def trick_table(step, device, repeats):
    """``{"workload", "all_on_ms", "all_off_ms", "rows": [{"trick", "what", "ms", "saves_ms"}]}``, a row per
    trick, timed on ``step()`` (a training step): ``ms``, the step with that trick off alone; ``saves_ms``,
    how much slower that is than with all on."""
    names = sorted(fast.TRICKS)
    times = timeit_in_turns([step] + [without(step, (name,)) for name in names] + [without(step, ())],
                            device, repeats)
    all_on, all_off = times[0], times[-1]
    rows = [{"trick": name, "what": fast.TRICKS[name], "ms": t * 1e3, "saves_ms": (t - all_on) * 1e3}
            for name, t in zip(names, times[1:-1])]
    return {"workload": "training step", "all_on_ms": all_on * 1e3, "all_off_ms": all_off * 1e3, "rows": rows}
