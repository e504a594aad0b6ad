"""The whole benchmark, as one dict."""
import os
import platform
import time

import numpy as np
from threadpoolctl import threadpool_info

from .. import backend, fast
from .layers import layer_table, naive_vs_im2col
from .memory import gpu_peak_memory, rss_growth
from .products import replay, step_products
from .timing import timeit_in_turns
from .torch_reference import torch_setup
from .tricks import trick_table, without
from .workload import configuration, our_setup, prediction


def step_times(model, x, step, cfg, device, repeats):
    """Forward and training-step times of our FCN-8s (also with the threads trick off), of its products
    alone (whole, on the BLAS's own threads) and, on the CPU when it is installed, of PyTorch's, timed
    in turns; each side's step memory. ``(ours, torch or None)``."""
    xp = backend.xp_for(device)
    theirs = torch_setup(cfg) if device == "cpu" else None
    products = replay(step_products(model, step, x), xp)
    # both forwards as a prediction runs them: eval mode, nothing kept for a backward
    forwards, steps = [prediction(model, x)], [step, products, without(step, ("threads",))]
    if theirs is not None:
        import torch
        t_model, t_x, t_step = theirs

        def t_forward():
            with torch.no_grad():
                t_model(t_x)
        forwards.append(t_forward)
        steps.append(t_step)
        t_model.eval()
    forward = timeit_in_turns(forwards, device, repeats)
    if theirs is not None:
        t_model.train()
    train = timeit_in_turns(steps, device, repeats)
    if device == "cpu":
        peak, textbook_peak = rss_growth("ours", cfg), rss_growth("ours", cfg, textbook=True)
    else:
        peak, textbook_peak = gpu_peak_memory(step) / 2 ** 20, None
    ours = {"forward_ms": forward[0] * 1e3, "step_ms": train[0] * 1e3, "matmul_floor_ms": train[1] * 1e3,
            "threads_off_step_ms": train[2] * 1e3, "peak_mb": peak, "textbook_peak_mb": textbook_peak}
    if theirs is None:
        return ours, None
    return ours, {"forward_ms": forward[1] * 1e3, "step_ms": train[3] * 1e3, "threads": torch.get_num_threads(),
                  "version": torch.__version__, "peak_mb": rss_growth("torch", cfg)}


def machine_info(device):
    """What a result was measured on, and when: date, device, CPU, NumPy, its BLAS, our threads."""
    return {"date": time.strftime("%Y-%m-%d"), "device": device, "machine": f"{cpu_model()}, {os.cpu_count()} cores",
            "numpy": np.__version__, "blas": blas_info(), "threads": fast.config().threads,
            "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE")}


def blas_info():
    """The BLAS NumPy uses: library, version, kernel, and its own thread count."""
    return "; ".join(f"{i.get('internal_api')} {i.get('version')} {i.get('architecture')} "
                     f"threads={i.get('num_threads')}" for i in threadpool_info() if i.get("user_api") == "blas")


def cpu_model():
    """The processor's name, as /proc/cpuinfo gives it (the platform's word for it elsewhere)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def run(quick=False, device="cpu", repeats=None, **overrides):
    """The whole benchmark as a dict. ``overrides`` replace entries of the configuration (``batch``,
    ``size``, ``num_classes``), for example the toy training run's 64 x 64 images and 4 classes."""
    cfg = configuration(quick, **overrides)
    repeats = repeats or (3 if quick else 7)
    backend.xp_for(device)
    model, x, step = our_setup(cfg, device)
    layers = layer_table(model, x, device, repeats)
    ours, theirs = step_times(model, x, step, cfg, device, repeats)
    return {
        **machine_info(device), "config": {**cfg, "widths": list(cfg["widths"])},
        "ours": ours, "torch": theirs, "tricks": trick_table(step, device, repeats),
        "layers": layers, "naive": naive_vs_im2col(device, repeats),
    }
