"""The real-size workload, as one dict: the paper's VGG16 FCN-8s predicting a 500 x 500 image, and one
training step on it.

    python -m fcn_scratch.bench --real-size            # 500 x 500 (--size for another)
    python -m fcn_scratch.bench --real-size --quick    # 224 x 224, one timed pass each, three steps (the tests)

Our ``build("fcn8s-vgg16")`` and PyTorch's (:func:`.torch_reference.vgg16_fcn8s`)
predict the same seeded image, as a prediction runs: eval mode, no gradients
(``fcn_scratch.no_grad()``, ``torch.no_grad()``), each with its default threads.
Each framework is timed in fresh processes of its own, taken in turns with the
other's (:func:`forward_time_child`): in one process, our pool's threads and
PyTorch's OpenMP threads, idle but awake, take cores from each other, and each
framework would be timed against the other's leftovers. Each layer is clocked
inside the same passes (:mod:`.layer_clock`), and each framework's memory
measured in a fresh process of its own (:func:`.memory.forward_memory`). The
logits are compared in this process, PyTorch's net given our weights, so that
both compute the same function. Then one SGD step of each, time and peak
memory, each side in a fresh process (:mod:`.real_step`).
"""
import itertools
import json
import statistics
import time

import numpy as np

from ..grad_mode import no_grad
from .layer_clock import OurClock, TorchClock, conv_flops
from .memory import forward_memory, in_fresh_process
from .real_step import QUICK_STEPS, STEPS, training_step
from .run import machine_info
from .timing import timeit_in_turns
from .torch_reference import torch_real_setup
from .workload import configuration, real_setup


def _clocked(clock, fn, repeats, passes):
    """``fn`` run through ``clock``, armed on every call but the first of each turn: those are
    :func:`.timing.timeit_in_turns`'s untimed warm-ups (a turn is one of them and ``repeats`` timed calls);
    the seconds of each armed call are appended to ``passes``."""
    calls = itertools.count()

    def call():
        clock.armed = next(calls) % (repeats + 1) != 0
        start = time.perf_counter()
        out = clock.run(fn)
        if clock.armed:
            passes.append(time.perf_counter() - start)
        return out
    return call


def layer_rows(ours, theirs, our_shapes, their_shapes):
    """A row per layer of ours, in the order they ran, PyTorch's module of the same name beside it:
    name, type, output shape, our and PyTorch's ms, FLOPs and GFLOP/s (convolutions)."""
    theirs = dict(theirs or [])
    rows = []
    for name, seconds in ours:
        kind, weight, in_shape, out_shape = our_shapes[name]
        row = {"layer": name, "type": kind, "output": list(out_shape), "ours_ms": seconds * 1e3,
               "torch_ms": theirs[name] * 1e3 if name in theirs else None}
        if name in their_shapes:
            row["torch_output"] = list(their_shapes[name][3])
        flops = conv_flops(kind, weight, in_shape, out_shape)
        if flops is not None:
            row.update(gflop=flops / 1e9, ours_gflops=flops / seconds / 1e9,
                       torch_gflops=flops / theirs[name] / 1e9 if name in theirs else None)
        rows.append(row)
    return rows


def _max_difference(ours, theirs):
    """``max |ours - PyTorch|`` over the logits, and the same relative to ``max |PyTorch|``."""
    theirs = theirs.numpy()
    diff = float(np.max(np.abs(ours - theirs)))
    return {"max_abs": diff, "relative": diff / max(float(np.max(np.abs(theirs))), 1e-30)}


def forward_time_child(framework, cfg, repeats):
    """Run in a fresh process: build ``framework``'s ("ours" or "torch") real-size net and image, run an
    untimed forward pass and ``repeats`` timed ones, each layer clocked, and print, as JSON, the seconds of
    each pass (``passes_s``), each layer's median (``layers``: ``[[name, seconds]]`` in the order they
    ran) and shapes (``shapes``: ``{name: [kind, weight shape, input shape, output shape]}``)."""
    if framework == "torch":
        import torch
        model, x = torch_real_setup(cfg)
        clock, grad_off = TorchClock(model), torch.no_grad
    else:
        model, x = real_setup(cfg)
        clock, grad_off = OurClock(model), no_grad

    def forward():
        with grad_off():
            model(x)
    passes = []
    timeit_in_turns([_clocked(clock, forward, repeats, passes)], "cpu", repeats, rounds=1)
    print(json.dumps({"passes_s": passes, "layers": clock.medians(), "shapes": clock.shapes}))


def _forward_times(frameworks, cfg, repeats, rounds):
    """``{framework: {"passes_s": [...], "layers": [...], "shapes": {...}}}``, ``rounds`` fresh processes per
    framework (:func:`forward_time_child`), the frameworks taking turns; a framework whose process
    failed is left out."""
    results = {}
    for _ in range(rounds):
        for framework in frameworks:
            done = in_fresh_process("forward_time_child", f"{framework!r}, {json.dumps(cfg)!s}, {repeats}", __name__)
            if done is None:
                continue
            mine = results.setdefault(framework, {"passes_s": [], "layers": {}, "shapes": done["shapes"]})
            mine["passes_s"] += done["passes_s"]
            for name, seconds in done["layers"]:
                mine["layers"].setdefault(name, []).append(seconds)
    for mine in results.values():
        mine["layers"] = [(name, statistics.median(times)) for name, times in mine["layers"].items()]
    return results


def run_real(quick=False, repeats=None, rounds=None, memory=True, training=True, **overrides):
    """The real-size benchmark as a dict (``overrides``: ``batch``, ``size``, ``num_classes``).
    Forward times are medians of ``rounds`` fresh processes per framework, taken in turns, each of
    ``repeats`` timed passes after an untimed one (defaults: 3 of 2 at full size, 1 of 1 with
    ``quick``); ``memory=False`` skips the fresh-process memory measurements, ``training=False`` the
    training step. Everything timed runs before this process builds a net."""
    cfg = configuration(quick, real_size=True, **overrides)
    repeats = repeats or (1 if quick else 2)
    rounds = rounds or (1 if quick else 3)
    times = _forward_times(("ours", "torch"), cfg, repeats, rounds)
    memories = {framework: forward_memory(framework, cfg) if memory else None for framework in times}
    steps = None
    if training:
        steps = {"steps": QUICK_STEPS if quick else STEPS, "ours": training_step("ours", cfg, quick),
                 "torch": training_step("torch", cfg, quick) if "torch" in times else None}
    model, x = real_setup(cfg)
    with no_grad():
        logits = model(x)
    ours = times["ours"]
    result = {
        **machine_info("cpu"), "config": cfg,
        "parameters": model.num_parameters(), "timed_passes": len(ours["passes_s"]),
        "output_shape": list(logits.shape),
        "ours": {"forward_ms": statistics.median(ours["passes_s"]) * 1e3, "memory": memories["ours"]},
        "torch": None,
    }
    theirs = torch_real_setup(cfg, our_model=model) if "torch" in times else None
    if theirs is not None:
        import torch
        t_model, t_x = theirs
        with torch.no_grad():
            their_logits = t_model(t_x)
        result["torch"] = {"forward_ms": statistics.median(times["torch"]["passes_s"]) * 1e3,
                           "version": torch.__version__, "threads": torch.get_num_threads(),
                           "interop_threads": torch.get_num_interop_threads(), "memory": memories["torch"],
                           "difference": _max_difference(logits, their_logits)}
    their = times.get("torch") if theirs is not None else None
    result["layers"] = layer_rows(ours["layers"], their and their["layers"], ours["shapes"],
                                  their["shapes"] if their else {})
    if steps is not None:
        result["training"] = steps
    return result
