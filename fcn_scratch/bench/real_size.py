"""The real-size workload, as one dict: the paper's VGG16 FCN-8s predicting a 500 x 500 image, and one
training step on it.

    python -m fcn_scratch.bench --real-size            # 500 x 500 (--size for another)
    python -m fcn_scratch.bench --real-size --quick    # 224 x 224, one timed pass each, three steps (the tests)

Our ``build("fcn8s-vgg16")`` and PyTorch's (:func:`.torch_reference.vgg16_fcn8s`,
given our weights, so both compute the same function; the logits are compared)
predict the same seeded image, as a prediction runs: eval mode, no gradients
(``fcn_scratch.no_grad()``, ``torch.no_grad()``), PyTorch with its default
threads. Both forwards are timed in turns (:mod:`.timing`), each layer clocked
inside the same passes (:mod:`.layer_clock`), and each framework's memory
measured in a fresh process of its own (:func:`.memory.forward_memory`). Then one SGD step
of each, time and peak memory, each side in a fresh process (:mod:`.real_step`).
"""
import itertools

import numpy as np

from ..grad_mode import no_grad
from .layer_clock import OurClock, TorchClock, conv_flops
from .memory import forward_memory
from .real_step import QUICK_STEPS, STEPS, training_step
from .run import machine_info
from .timing import timeit_in_turns
from .torch_reference import torch_real_setup
from .workload import configuration, real_setup


def _clocked(clock, fn, repeats):
    """``fn`` run through ``clock``, armed on every call but the first of each turn: those are
    :func:`.timing.timeit_in_turns`'s untimed warm-ups (a turn is one of them and ``repeats`` timed calls)."""
    calls = itertools.count()

    def call():
        clock.armed = next(calls) % (repeats + 1) != 0
        return clock.run(fn)
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


def run_real(quick=False, repeats=None, rounds=None, memory=True, training=True, **overrides):
    """The real-size benchmark as a dict (``overrides``: ``batch``, ``size``, ``num_classes``).
    Times are medians of ``rounds`` turns of ``repeats`` timed passes each, after an untimed one
    (defaults: 3 turns of 2 at full size, 1 turn of 1 with ``quick``); ``memory=False`` skips the
    fresh-process memory measurements, ``training=False`` the training step."""
    cfg = configuration(quick, real_size=True, **overrides)
    repeats = repeats or (1 if quick else 2)
    rounds = rounds or (1 if quick else 3)
    model, x = real_setup(cfg)
    theirs = torch_real_setup(cfg, our_model=model)
    outputs = {}

    def ours_forward():
        with no_grad():
            outputs["ours"] = model(x)
    our_clock = OurClock(model)
    contestants, clocks = [_clocked(our_clock, ours_forward, repeats)], [our_clock]
    if theirs is not None:
        import torch
        t_model, t_x = theirs

        def torch_forward():
            with torch.no_grad():
                outputs["torch"] = t_model(t_x)
        torch_clock = TorchClock(t_model)
        contestants.append(_clocked(torch_clock, torch_forward, repeats))
        clocks.append(torch_clock)
    try:
        forward = timeit_in_turns(contestants, "cpu", repeats, rounds=rounds)
    finally:
        for clock in clocks:
            clock.close()
    result = {
        **machine_info("cpu"), "config": cfg,
        "parameters": model.num_parameters(), "timed_passes": rounds * repeats,
        "output_shape": list(outputs["ours"].shape),
        "ours": {"forward_ms": forward[0] * 1e3, "memory": forward_memory("ours", cfg) if memory else None},
        "torch": None,
    }
    their_medians, their_shapes = None, {}
    if theirs is not None:
        result["torch"] = {"forward_ms": forward[1] * 1e3, "version": torch.__version__,
                           "threads": torch.get_num_threads(), "interop_threads": torch.get_num_interop_threads(),
                           "memory": forward_memory("torch", cfg) if memory else None,
                           "difference": _max_difference(outputs["ours"], outputs["torch"])}
        their_medians, their_shapes = torch_clock.medians(), torch_clock.shapes
    result["layers"] = layer_rows(our_clock.medians(), their_medians, our_clock.shapes, their_shapes)
    if training:
        result["training"] = {"steps": QUICK_STEPS if quick else STEPS, "ours": training_step("ours", cfg, quick),
                              "torch": training_step("torch", cfg, quick) if theirs is not None else None}
    return result
