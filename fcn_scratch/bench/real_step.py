"""The real-size training step: one SGD step of the paper's FCN-8s on one image, ours and PyTorch's, each
in a fresh process of its own.

Each side builds its net (:func:`.workload.real_training_step`, :func:`.torch_reference.torch_real_training_step`),
notes its resident memory, and runs a few steps: the first touches every array for the first time, so the
step time is the median of the others; the memory is the process's peak resident memory (VmHWM), building
included, and its growth over the built model. Both use every core: our threads and PyTorch's.
"""
import json
import statistics

from .memory import in_fresh_process, reset_peak, rss_kb

# Steps per process: the first is left out of the medians.
STEPS, QUICK_STEPS = 4, 3
PHASES = ("forward", "backward", "update")


def training_step_child(framework, cfg, steps):
    """Run in a fresh process: build ``framework``'s ("ours" or "torch") net and step, run ``steps`` steps,
    and print, as JSON, the seconds of each step and of its phases (forward, backward, update), the
    medians of the steps after the first (``step_s``, ``forward_s``, ``backward_s``, ``update_s``), the
    threads, and in MB the resident memory of the built model (``baseline_mb``), the peak over everything
    (``peak_mb``) and the peak's growth over the baseline (``growth_mb``)."""
    if framework == "torch":
        import torch
        from .torch_reference import torch_real_training_step
        step, threads = torch_real_training_step(cfg), torch.get_num_threads()
    else:
        from .. import fast
        from .workload import real_training_step
        step, threads = real_training_step(cfg), fast.config().threads
    build_peak, base = rss_kb("VmHWM"), rss_kb("VmRSS")
    reset_peak()
    phases = [step() for _ in range(steps)]
    peak = max(rss_kb("VmHWM"), build_peak)
    later = phases[1:] or phases
    medians = {f"{name}_s": statistics.median(p[k] for p in later) for k, name in enumerate(PHASES)}
    print(json.dumps({"step_s": statistics.median(sum(p) for p in later), **medians,
                      "steps_s": [sum(p) for p in phases], "phases_s": phases, "threads": threads,
                      "baseline_mb": base / 1024, "peak_mb": peak / 1024, "growth_mb": (peak - base) / 1024}))


def training_step(framework, cfg, quick=False):
    """:func:`training_step_child` of ``framework`` in a fresh process (:data:`QUICK_STEPS` steps if
    ``quick``, else :data:`STEPS`): its dict, or None where the process failed (no PyTorch)."""
    steps = QUICK_STEPS if quick else STEPS
    return in_fresh_process("training_step_child", f"{framework!r}, {json.dumps(cfg)!s}, {steps}", __name__)
