"""What each trick buys, timed where it runs: the tricks of training on the training step, the
inference-only ones on a prediction (a forward pass under ``no_grad()``); each workload with every
trick on, with each of its tricks off alone and with all of them off (the textbook routes), all
timed in the same turns."""
from .. import fast
from .timing import timeit_in_turns

# Tricks that only a forward pass under no_grad() can take: "bands" keeps no column matrix for a backward
# to read, so it applies only there; a training step never reaches it, and its row on the step would time nothing.
INFERENCE_ONLY = ("bands",)

WORKLOADS = {"training": "training step", "inference": "forward under no_grad()"}


def without(step, tricks):
    """``step`` run with the named tricks off (all of them when ``tricks`` is empty)."""
    def run():
        with fast.enabled(False, *tricks):
            step()
    return run


def _contestants(fn, names):
    return [fn] + [without(fn, (name,)) for name in names] + [without(fn, ())]


def _table(workload, names, times):
    all_on, all_off = times[0], times[-1]
    rows = [{"trick": name, "what": fast.TRICKS[name], "ms": t * 1e3, "saves_ms": (t - all_on) * 1e3}
            for name, t in zip(names, times[1:-1])]
    return {"workload": WORKLOADS[workload], "all_on_ms": all_on * 1e3, "all_off_ms": all_off * 1e3, "rows": rows}


def trick_table(step, predict, device, repeats):
    """``{"training": table, "inference": table}``, every trick in one of them: the training tricks timed
    on ``step()`` (a training step), the :data:`INFERENCE_ONLY` ones on ``predict()`` (a forward under
    ``no_grad()``). A table is ``{"workload", "all_on_ms", "all_off_ms", "rows": [{"trick", "what", "ms",
    "saves_ms"}]}``: ``ms``, the workload with that trick off alone; ``saves_ms``, how much slower that is
    than with all on."""
    training = sorted(set(fast.TRICKS) - set(INFERENCE_ONLY))
    inference = sorted(INFERENCE_ONLY)
    steps, predictions = _contestants(step, training), _contestants(predict, inference)
    times = timeit_in_turns(steps + predictions, device, repeats)
    return {"training": _table("training", training, times[:len(steps)]),
            "inference": _table("inference", inference, times[len(steps):])}
