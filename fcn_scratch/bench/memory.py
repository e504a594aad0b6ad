"""Step memory: how far training steps raise the peak memory, for us and for PyTorch alike.

On the CPU, three training steps in a fresh process, measured as the growth of
its peak resident memory (``/proc/self/status``) above what the model and the
batch already took; on the GPU, what CuPy's memory pool holds after a step.
"""
import json
import subprocess
import sys

from .. import backend, fast
from .torch_reference import torch_setup
from .workload import our_setup


def gpu_peak_memory(fn):
    """Bytes CuPy's memory pool holds after ``fn`` ran (it keeps what the step needed)."""
    pool = backend.xp_for("cuda").get_default_memory_pool()
    fn()
    return pool.total_bytes()


def _rss_kb(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise OSError(f"{field} not in /proc/self/status")


def memory_child(framework, cfg, textbook=False):
    """Run in a fresh process: build the model and a batch, then report how far three training steps
    (ours on the textbook routes if ``textbook``) push the peak resident memory above that point
    (in MB, printed as JSON)."""
    with fast.enabled(not textbook):
        _, _, step = torch_setup(cfg) if framework == "torch" else our_setup(cfg, "cpu")
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        base = _rss_kb("VmRSS")
        for _ in range(3):
            step()
    print(json.dumps({"mb": (_rss_kb("VmHWM") - base) / 1024}))


def rss_growth(framework, cfg, textbook=False):
    """Peak resident-memory growth of three training steps, measured the same way for us and PyTorch
    in a fresh process each (None where /proc is not available)."""
    code = ("from fcn_scratch.bench.memory import memory_child; "
            f"memory_child({framework!r}, {json.dumps(cfg)!s}, {textbook!r})")
    try:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=900)
        return json.loads(done.stdout.strip().splitlines()[-1])["mb"]
    except (OSError, ValueError, IndexError, subprocess.TimeoutExpired):
        return None
