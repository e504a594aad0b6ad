"""Lesson 10: the same model on a GPU, through CuPy.

Nothing in the layers imports NumPy or CuPy. Each asks
``fcn_scratch.backend.get_array_module(x)`` for the module of its input and
calls ``xp.matmul``, ``xp.maximum``, ... on it. Move the parameters with
``model.to("cuda")`` and the inputs with ``backend.to_device(x, "cuda")``, and
the very same lines run on the GPU. Timing GPU work needs a synchronize:
kernels are queued, and the Python call returns before they finish. And any
timing needs warm-up calls first (a GPU compiles and caches its kernels on
first use; a CPU's first step page-faults fresh memory) and the median of
several runs, not a single one.

Without a GPU (or without CuPy: ``pip install -e ".[gpu]"``) this lesson says
so, times the CPU alone, and exits cleanly.

Run: python lessons/10_gpu.py [--quick] [--out DIR] [--device cpu|cuda]
(--quick: small sizes, seconds; the tests use it.)
"""
import numpy as np

from _common import figure, parse_args, save, section
from fcn_scratch import backend
from fcn_scratch.bench.timing import timeit
from fcn_scratch.layers import SoftmaxCrossEntropy
from fcn_scratch.models import build
from fcn_scratch.optim import SGD


def step_time(device, size, batch, repeats):
    """Median seconds of one training step of FCN-8s on ``device``, after warm-up steps."""
    xp = backend.xp_for(device)
    model = build("fcn8s", num_classes=21, rng=np.random.default_rng(0)).to(device)
    rng = np.random.default_rng(0)
    x = xp.asarray(rng.standard_normal((batch, 3, size, size)).astype(np.float32))
    y = xp.asarray(rng.integers(0, 21, (batch, size, size)))
    loss, opt = SoftmaxCrossEntropy(), SGD(model, 1e-3)

    def step():
        loss(model(x), y)
        model.backward(loss.backward(), input_grad=False)
        opt.step()
        backend.synchronize(device)
    step()
    return timeit(step, device, repeats)


def main():
    args = parse_args(__doc__, "10_gpu")
    size, batch, repeats = (32, 2, 3) if args.quick else (128, 8, 7)
    section("1. Is there a GPU?")
    try:
        cupy = backend.xp_for("cuda")
        has_gpu = True
        if getattr(cupy, "STAND_IN", False):
            print("CuPy here is the tests' stand-in (NumPy underneath): the code runs, its times mean nothing.")
        else:
            print(f"CuPy {cupy.__version__} found a GPU.")
    except backend.BackendError as exc:
        has_gpu = False
        print(f"No GPU here: {exc}")
        print("The rest of this lesson times the CPU only.")

    section("2. One training step, batch %d x 3 x %d x %d" % (batch, size, size))
    times = {"cpu": step_time("cpu", size, batch, repeats)}
    if has_gpu:
        times["cuda"] = step_time("cuda", size, batch, repeats)
    for device, t in times.items():
        print(f"{device:<5} {t * 1e3:9.1f} ms  (median of {repeats} after warm-up)")
    if has_gpu:
        print(f"the GPU is {times['cpu'] / times['cuda']:.1f}x faster")

    fig, ax = figure(1, 1, (5, 3))
    ax[0, 0].bar(list(times), [t * 1e3 for t in times.values()])
    ax[0, 0].set(ylabel="ms per training step", title="FCN-8s training step" + ("" if has_gpu else " (no GPU)"))
    save(fig, args, "step_time")


if __name__ == "__main__":
    main()
