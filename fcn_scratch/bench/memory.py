"""Step memory: how far training steps raise the peak memory, for us and for PyTorch alike; and the
same for the real-size workload's forward passes.

On the CPU, three training steps in a fresh process, measured as the growth of
its peak resident memory (``/proc/self/status``) above what the model and the
batch already took; on the GPU, what CuPy's memory pool holds after a step.
For the real-size forward (:func:`forward_memory`), two forward passes in a
fresh process, reported as the whole process's peak and as its growth above
the model and the image.
"""
import json
import subprocess
import sys

from .. import backend, fast
from ..grad_mode import no_grad
from .torch_reference import torch_real_setup, torch_setup
from .workload import our_setup, real_setup


def gpu_peak_memory(fn):
    """Bytes CuPy's memory pool holds after ``fn`` ran (it keeps what the step needed)."""
    pool = backend.xp_for("cuda").get_default_memory_pool()
    fn()
    return pool.total_bytes()


def rss_kb(field):
    """The kB of ``field`` (VmRSS, VmHWM) in /proc/self/status."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise OSError(f"{field} not in /proc/self/status")


def reset_peak():
    """Set the peak resident memory (VmHWM) back to the resident memory now; False where Linux refuses."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def memory_child(framework, cfg, textbook=False):
    """Run in a fresh process: build the model and a batch, then report how far three training steps
    (ours on the textbook routes if ``textbook``) push the peak resident memory above that point
    (in MB, printed as JSON)."""
    with fast.enabled(not textbook):
        _, _, step = torch_setup(cfg) if framework == "torch" else our_setup(cfg, "cpu")
        if not reset_peak():
            raise OSError("this system does not let a process reset its peak memory (/proc/self/clear_refs)")
        base = rss_kb("VmRSS")
        for _ in range(3):
            step()
    print(json.dumps({"mb": (rss_kb("VmHWM") - base) / 1024}))


def rss_growth(framework, cfg, textbook=False):
    """Peak resident-memory growth of three training steps, measured the same way for us and PyTorch
    in a fresh process each (None where /proc is not available)."""
    result = in_fresh_process("memory_child", f"{framework!r}, {json.dumps(cfg)!s}, {textbook!r}")
    return None if result is None else result["mb"]


def forward_memory_child(framework, cfg):
    """Run in a fresh process: build the real-size net (``"ours"`` or ``"torch"``, each with its own
    initialization) and its image, note the resident memory, then run two forward passes as a
    prediction does (eval mode, no gradients) and print, as JSON, in MB: ``baseline_mb`` (the resident
    memory with the framework, the model and the image loaded), ``peak_mb`` (the process's peak
    resident memory over everything it did, building included), ``forward_peak_mb`` (the peak during
    the forward passes) and ``growth_mb`` (``forward_peak_mb - baseline_mb``)."""
    if framework == "torch":
        import torch
        model, x = torch_real_setup(cfg)
        grad_off = torch.no_grad
    else:
        model, x = real_setup(cfg)
        grad_off = no_grad
    build_peak = rss_kb("VmHWM")
    base = rss_kb("VmRSS")
    reset = reset_peak()
    with grad_off():
        for _ in range(2):
            y = model(x)
            del y
    peak = rss_kb("VmHWM")
    mb = 1 / 1024
    print(json.dumps({"baseline_mb": base * mb, "peak_mb": max(peak, build_peak) * mb,
                      "forward_peak_mb": peak * mb, "growth_mb": (peak - base) * mb, "peak_reset": reset}))


def forward_memory(framework, cfg):
    """The real-size forward's memory (:func:`forward_memory_child`), measured in a fresh process:
    a dict of MB figures, or None where /proc is not available or the child failed."""
    return in_fresh_process("forward_memory_child", f"{framework!r}, {json.dumps(cfg)!s}")


def in_fresh_process(function, arguments, module=__name__):
    """Call ``function`` of ``module`` (this one unless named) on ``arguments`` (their source text) in a
    fresh Python process and return the JSON it printed last, as a dict; None where the process failed
    (no /proc, no PyTorch) or took too long."""
    code = f"from {module} import {function}; {function}({arguments})"
    try:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=900)
        return json.loads(done.stdout.strip().splitlines()[-1])
    except (OSError, ValueError, IndexError, subprocess.TimeoutExpired):
        return None
