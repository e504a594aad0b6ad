"""Benchmark: FCN-8s on the bench configuration, layer by layer, against the machine's own
matrix-product speed and (when installed) PyTorch, in one run.

    python -m fcn_scratch.bench                  # CPU, the full table
    python -m fcn_scratch.bench --device cuda    # the same on CuPy
    python -m fcn_scratch.bench --quick          # a small configuration, seconds (the tests use it)
    python -m fcn_scratch.bench --json out.json
    python -m fcn_scratch.bench --size 64 --classes 4   # the default toy training run's step

Bench configuration: FCN-8s, float32, batch 8 x 3 x 128 x 128, 21 classes, widths
16-32-64-128-128, two 3x3 convolutions per block, fc6 3x3 to 256, fc7 1x1 to 256.
Every time is the median of ``--repeats`` runs after a warm-up. Machines are noisy:
compare figures from the same run (the ratio columns), not across runs. Our forward and
step and PyTorch's are timed in three turns each, so a slow spell of the machine hits both.

"Step, products only" runs nothing but the matrix products of our training step, in their shapes
(:func:`step_products`): the floor that any im2col design stands on here, timed in the same turns.

"Step memory" on the CPU is how far three training steps raise a fresh process's peak
resident memory above what the model and the batch already took, measured the same way
for us and for PyTorch; on the GPU, what CuPy's memory pool holds after a step.

On machines that set ``OPENBLAS_CORETYPE`` (these development machines do), NumPy's
BLAS runs an older, slower kernel; measure as a user's machine would with
``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m fcn_scratch.bench``.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np

from . import backend
from .cli import _positive
from .functional import conv2d_naive, im2col, phase
from .layers import Conv2d, ConvTranspose2d, MaxPool2d, SoftmaxCrossEntropy
from .models import build
from .optim import SGD

BENCH = dict(batch=8, size=128, num_classes=21, widths=(16, 32, 64, 128, 128), convs_per_block=2,
             fc_channels=256, fc6_kernel=3)
QUICK = dict(batch=2, size=64, num_classes=5, widths=(8, 8, 16, 16, 16), convs_per_block=1,
             fc_channels=32, fc6_kernel=3)


def timeit(fn, device, repeats):
    """Median seconds of ``fn()`` over ``repeats`` runs after one warm-up: :func:`timeit_in_turns`
    with a single contestant and a single turn."""
    return timeit_in_turns([fn], device, repeats, rounds=1)[0]


def timeit_in_turns(fns, device, repeats, rounds=3):
    """Median seconds of each of ``fns``: ``rounds`` turns each, of a warm-up and then ``repeats``
    timed calls.

    On a noisy machine a slow spell then falls on every contestant alike, so
    the ratio of the medians holds still where one block each would not. A
    turn starts with an untimed call because a framework's worker threads keep
    spinning for a while after it returns, which slows whatever runs next.
    """
    times = [[] for _ in fns]
    for _ in range(rounds):
        for fn, spent in zip(fns, times):
            fn()
            for _ in range(repeats):
                backend.synchronize(device)
                start = time.perf_counter()
                fn()
                backend.synchronize(device)
                spent.append(time.perf_counter() - start)
    return [statistics.median(spent) for spent in times]


def make_model(cfg, device):
    model = build("fcn8s", num_classes=cfg["num_classes"], widths=cfg["widths"],
                  convs_per_block=cfg["convs_per_block"], fc_channels=cfg["fc_channels"],
                  fc6_kernel=cfg["fc6_kernel"], rng=backend.host_rng(0))
    for layer in (model.score_fr, model.score_pool4, model.score_pool3):
        layer.params["weight"][...] = backend.host_rng(1).standard_normal(layer.params["weight"].shape) * 0.01
    return model.to(device)


def inputs(cfg, device):
    rng = backend.host_rng(0)
    xp = backend.xp_for(device)
    x = xp.asarray(rng.standard_normal((cfg["batch"], 3, cfg["size"], cfg["size"])).astype(np.float32))
    y = xp.asarray(rng.integers(0, cfg["num_classes"], (cfg["batch"], cfg["size"], cfg["size"])))
    return x, y


def our_setup(cfg, device):
    """Our FCN-8s on the bench configuration: ``(model, x, step)``."""
    model = make_model(cfg, device)
    x, y = inputs(cfg, device)
    loss = SoftmaxCrossEntropy()
    optimizer = SGD(model, lr=1e-4, momentum=0.9)

    def step():
        loss(model(x), y)
        model.backward(loss.backward(), input_grad=False)
        optimizer.step()
    return model, x, step


def step_times(model, x, step, cfg, device, repeats):
    """Forward and training-step times of our FCN-8s (from :func:`our_setup`) and, on the CPU when it
    is installed, of PyTorch's, timed in turns; each side's step memory. ``(ours, torch or None)``."""
    theirs = torch_setup(cfg) if device == "cpu" else None
    forwards, steps = [lambda: model(x)], [step, matmul_floor(model, x, device)]
    if theirs is not None:
        import torch
        t_model, t_x, t_step = theirs

        def t_forward():
            with torch.no_grad():
                t_model(t_x)
        forwards.append(t_forward)
        steps.append(t_step)
        t_model.eval()
    model.eval()
    forward = timeit_in_turns(forwards, device, repeats)
    model.train()
    if theirs is not None:
        t_model.train()
    train = timeit_in_turns(steps, device, repeats)
    peak = rss_growth("ours", cfg) if device == "cpu" else gpu_peak_memory(step) / 2 ** 20
    ours = {"forward_ms": forward[0] * 1e3, "step_ms": train[0] * 1e3, "matmul_floor_ms": train[1] * 1e3,
            "peak_mb": peak}
    if theirs is None:
        return ours, None
    return ours, {"forward_ms": forward[1] * 1e3, "step_ms": train[2] * 1e3, "threads": torch.get_num_threads(),
                  "version": torch.__version__, "peak_mb": rss_growth("torch", cfg)}


def gpu_peak_memory(fn):
    """Bytes CuPy's memory pool holds after ``fn`` ran (it keeps what the step needed)."""
    pool = backend.xp_for("cuda").get_default_memory_pool()
    fn()
    return pool.total_bytes()


def layer_inputs(model, x):
    """Run one forward pass and note the input of each convolution, transposed convolution and pool."""
    seen = {}
    for name, layer in model.layers.items():
        if isinstance(layer, (Conv2d, ConvTranspose2d, MaxPool2d)):
            def record(inp, *args, _name=name, _orig=layer.forward):
                seen[_name] = inp
                return _orig(inp, *args)
            layer.forward = record
    try:
        model(x)
    finally:
        for layer in model.layers.values():
            layer.__dict__.pop("forward", None)
    return seen


def flops(layer, x_shape, out_shape):
    """Forward multiply-adds times 2 (backward is twice that: dx and dW)."""
    if isinstance(layer, Conv2d):
        kh, kw = layer.kernel_size
        return 2 * int(np.prod(out_shape)) * layer.in_channels * kh * kw
    if isinstance(layer, ConvTranspose2d):
        kh, kw = layer.kernel_size
        return 2 * int(np.prod(x_shape)) * layer.out_channels * kh * kw
    return 0


def step_products(model, x):
    """Every matrix product one training step of ``model`` does, as ``(layer, A shape, B shape,
    transpose B)`` for ``matmul(A, B)``: forward, weight gradient and input gradient of each
    convolution and transposed convolution, by the route each layer takes (no image gradient for
    ``conv1_1``, no weight gradient for a frozen kernel). Transposed convolutions are listed on the
    phase route, the one all of FCN's upsampling layers take."""
    products = []
    for name, inp in layer_inputs(model, x).items():
        layer = model.layers[name]
        n, c, h, w = inp.shape
        if isinstance(layer, Conv2d):
            (kh, kw), o = layer.kernel_size, layer.out_channels
            ho, wo = layer.output_size(h, w)
            k, cols = c * kh * kw, (n, c * kh * kw, ho * wo)
            products += [(name, (o, k), cols, False), (name, cols, (n, o, ho * wo), True)]
            if name == "conv1_1":
                continue
            if layer.input_grad_route() == "convolution":
                products.append((name, (c, o * kh * kw), (n, o * kh * kw, h * w), False))
            else:
                products.append((name, (k, o), (n, o, ho * wo), False))
        elif isinstance(layer, ConvTranspose2d) and phase.applies(layer.kernel_size, layer.stride, layer.padding):
            (kh, kw), (sh, sw), o = layer.kernel_size, layer.stride, layer.out_channels
            m, q = kh // sh, kw // sw
            k_shape, cols = (o * sh * sw, c * m * q), (n, c * m * q, (h + m - 1) * (w + q - 1))
            dz = (n, o * sh * sw, cols[2])
            products.append((name, k_shape, cols, False))
            if layer.needs_grad("weight"):
                products.append((name, cols, dz, True))
            products.append((name, (k_shape[1], k_shape[0]), dz, False))
    return products


def product(a_shape, b_shape, transposed, xp):
    """A function of no arguments that runs ``matmul(A, B)`` (B read through a transposed view when
    ``transposed``) on stand-in operands, into an output allocated once."""
    a, b = xp.ones(a_shape, np.float32), xp.ones(b_shape, np.float32)
    b = b.transpose(0, 2, 1) if transposed else b
    out = xp.matmul(a, b)
    return lambda: xp.matmul(a, b, out=out)


def matmul_floor(model, x, device):
    """A function that runs only the matrix products of one training step (:func:`step_products`):
    the time of a step made of nothing but BLAS, the floor that any im2col design on this machine
    stands on."""
    xp = backend.xp_for(device)
    calls = [product(a, b, transposed, xp) for _, a, b, transposed in step_products(model, x)]

    def run_products():
        for call in calls:
            call()
    return run_products


def layer_table(model, x, device, repeats):
    """Each layer timed alone on the input it sees in the model, backward as in training (conv1_1
    without the image's gradient), beside its forward matrix product alone, batched over the samples
    as the layer calls it (:func:`step_products`)."""
    xp = backend.xp_for(device)
    forward_products = {}
    for name, a, b, transposed in step_products(model, x):
        forward_products.setdefault(name, (a, b, transposed))
    rows = []
    for name, inp in layer_inputs(model, x).items():
        layer = model.layers[name]
        out = layer(inp)
        grad = xp.ones_like(out)
        fwd = timeit(lambda: layer(inp), device, repeats)
        if name == "conv1_1":
            bwd = timeit(lambda: layer.backward(grad, input_grad=False), device, repeats)
        else:
            bwd = timeit(lambda: layer.backward(grad), device, repeats)
        f = flops(layer, inp.shape, out.shape)
        row = {"layer": name, "type": type(layer).__name__, "input": list(inp.shape), "forward_ms": fwd * 1e3,
               "backward_ms": bwd * 1e3, "gflop": f / 1e9}
        if name in forward_products:
            gemm = timeit(product(*forward_products[name], xp), device, repeats)
            row.update(gemm_ms=gemm * 1e3, fwd_gflops=f / fwd / 1e9, gemm_gflops=f / gemm / 1e9,
                       fwd_over_gemm=fwd / gemm)
        rows.append(row)
    return rows


def torch_setup(cfg):
    """The same FCN-8s in PyTorch: ``(model, x, step)``, or None when PyTorch is not installed."""
    try:
        import torch
        import torch.nn.functional as F
        from torch import nn
    except ImportError:
        return None
    torch.manual_seed(0)

    class TorchFCN8s(nn.Module):
        def __init__(self):
            super().__init__()
            layers, c = [], 3
            self.pools = []
            for w in cfg["widths"]:
                for _ in range(cfg["convs_per_block"]):
                    layers += [nn.Conv2d(c, w, 3, padding=1), nn.ReLU(inplace=True)]
                    c = w
                layers.append(nn.MaxPool2d(2, 2, ceil_mode=True))
                self.pools.append(len(layers) - 1)
            self.features = nn.Sequential(*layers)
            k, n = cfg["fc6_kernel"], cfg["num_classes"]
            self.head = nn.Sequential(nn.Conv2d(c, cfg["fc_channels"], k, padding=k // 2), nn.ReLU(True),
                                      nn.Dropout(0.5), nn.Conv2d(cfg["fc_channels"], cfg["fc_channels"], 1),
                                      nn.ReLU(True), nn.Dropout(0.5), nn.Conv2d(cfg["fc_channels"], n, 1))
            self.score_pool4 = nn.Conv2d(cfg["widths"][3], n, 1)
            self.score_pool3 = nn.Conv2d(cfg["widths"][2], n, 1)
            self.upscore2 = nn.ConvTranspose2d(n, n, 4, 2, bias=False)
            self.upscore_pool4 = nn.ConvTranspose2d(n, n, 4, 2, bias=False)
            self.upscore8 = nn.ConvTranspose2d(n, n, 16, 8, bias=False)
            self.upscore8.weight.requires_grad_(False)

        def forward(self, x):
            skips = []
            h = x
            for i, layer in enumerate(self.features):
                h = layer(h)
                if i in self.pools[2:4]:
                    skips.append(h)
            pool3, pool4 = skips
            s = self.head(h)
            s = self.upscore2(s)[:, :, 1:1 + pool4.shape[2], 1:1 + pool4.shape[3]] + self.score_pool4(pool4)
            s = self.upscore_pool4(s)[:, :, 1:1 + pool3.shape[2], 1:1 + pool3.shape[3]] + self.score_pool3(pool3)
            return self.upscore8(s)[:, :, 4:4 + x.shape[2], 4:4 + x.shape[3]]

    model = TorchFCN8s()
    x = torch.randn(cfg["batch"], 3, cfg["size"], cfg["size"])
    y = torch.randint(0, cfg["num_classes"], (cfg["batch"], cfg["size"], cfg["size"]))
    opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=1e-4, momentum=0.9)

    def step():
        opt.zero_grad()
        F.cross_entropy(model(x), y, ignore_index=255).backward()
        opt.step()
    return model, x, step


def _rss_kb(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise OSError(f"{field} not in /proc/self/status")


def memory_child(framework, cfg):
    """Run in a fresh process: build the model and a batch, then report how far three training steps
    push the peak resident memory above that point (in MB, printed as JSON)."""
    _, _, step = torch_setup(cfg) if framework == "torch" else our_setup(cfg, "cpu")
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    base = _rss_kb("VmRSS")
    for _ in range(3):
        step()
    print(json.dumps({"mb": (_rss_kb("VmHWM") - base) / 1024}))


def rss_growth(framework, cfg):
    """Peak resident-memory growth of three training steps, measured the same way for us and PyTorch
    in a fresh process each (None where /proc is not available)."""
    code = f"from fcn_scratch.bench import memory_child; memory_child({framework!r}, {json.dumps(cfg)!s})"
    try:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=900)
        return json.loads(done.stdout.strip().splitlines()[-1])["mb"]
    except (OSError, ValueError, IndexError, subprocess.TimeoutExpired):
        return None


def naive_vs_im2col(device, repeats):
    """What im2col buys: the loop-over-pixels convolution against im2col + one product, on (2, 8, 32, 32)."""
    rng = backend.host_rng(0)
    xp = backend.xp_for(device)
    x = xp.asarray(rng.standard_normal((2, 8, 32, 32)).astype(np.float32))
    w = xp.asarray(rng.standard_normal((16, 8, 3, 3)).astype(np.float32))
    naive = timeit(lambda: conv2d_naive(x, w, padding=1), device, max(1, repeats // 3))
    fast = timeit(lambda: w.reshape(16, -1) @ im2col(x, (3, 3), (1, 1), (1, 1)), device, repeats)
    return {"shape": [2, 8, 32, 32], "naive_ms": naive * 1e3, "im2col_ms": fast * 1e3, "speedup": naive / fast}


def blas_info():
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "threadpoolctl not installed (pip install threadpoolctl to see which BLAS kernel ran)"
    return "; ".join(f"{i.get('internal_api')} {i.get('version')} {i.get('architecture')} "
                     f"threads={i.get('num_threads')}" for i in threadpool_info() if i.get("user_api") == "blas")


def run(quick=False, device="cpu", repeats=None, **overrides):
    """The whole benchmark as a dict. ``overrides`` replace entries of the configuration (``batch``,
    ``size``, ``num_classes``), for example the toy training run's 64 x 64 images and 4 classes."""
    unknown = set(overrides) - {"batch", "size", "num_classes"}
    if unknown:
        raise ValueError(f"cannot override {sorted(unknown)}; only batch, size and num_classes")
    cfg = {**(QUICK if quick else BENCH), **{k: v for k, v in overrides.items() if v is not None}}
    repeats = repeats or (3 if quick else 7)
    backend.xp_for(device)
    model, x, step = our_setup(cfg, device)
    layers = layer_table(model, x, device, repeats)
    ours, theirs = step_times(model, x, step, cfg, device, repeats)
    result = {
        "date": time.strftime("%Y-%m-%d"), "device": device, "machine": f"{platform.machine()}, "
        f"{os.cpu_count()} cores", "numpy": np.__version__, "blas": blas_info(),
        "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"), "config": {**cfg, "widths": list(cfg["widths"])},
        "ours": ours, "layers": layers, "naive": naive_vs_im2col(device, repeats),
    }
    result["torch"] = theirs
    return result


def format_table(r):
    cfg, ours = r["config"], r["ours"]
    lines = [f"FCN-8s, batch {cfg['batch']} x 3 x {cfg['size']} x {cfg['size']}, {cfg['num_classes']} classes, "
             f"widths {cfg['widths']}, float32, device {r['device']} ({r['machine']}), {r['date']}",
             f"numpy {r['numpy']}; BLAS: {r['blas']}; OPENBLAS_CORETYPE={r['openblas_coretype']}", ""]
    lines.append(f"{'':<24}{'ours':>10}{'PyTorch':>10}{'ratio':>8}")
    t = r["torch"]
    for key, label in (("forward_ms", "forward (ms)"), ("step_ms", "training step (ms)")):
        if t:
            lines.append(f"{label:<24}{ours[key]:>10.1f}{t[key]:>10.1f}{ours[key] / t[key]:>8.2f}")
        else:
            lines.append(f"{label:<24}{ours[key]:>10.1f}{'-':>10}{'-':>8}")
    floor = ours["matmul_floor_ms"]
    ratios = f"ours / products only: {ours['step_ms'] / floor:.2f}"
    if t:
        ratios += f"; PyTorch / products only: {t['step_ms'] / floor:.2f}"
    lines.append(f"{'step, products only (ms)':<24}{floor:>10.1f}{'':>18}   ({ratios})")
    if ours["peak_mb"] is not None:
        theirs = t.get("peak_mb") if t else None
        row = f"{'step memory (MB)':<24}{ours['peak_mb']:>10.1f}"
        lines.append(row + (f"{theirs:>10.1f}{ours['peak_mb'] / theirs:>8.2f}" if theirs else f"{'-':>10}{'-':>8}"))
    if not t:
        lines.append("(PyTorch not installed: no side-by-side column; it is not a dependency)")
    else:
        lines.append(f"(PyTorch {t['version']}, {t['threads']} threads)")
    lines += ["", f"{'layer':<15}{'type':<17}{'fwd ms':>8}{'bwd ms':>8}{'GFLOP':>7}{'GFLOP/s':>9}"
                  f"{'GEMM ms':>9}{'GEMM GF/s':>10}{'fwd/GEMM':>9}"]
    for row in r["layers"]:
        extra = (f"{row['fwd_gflops']:>9.1f}{row['gemm_ms']:>9.2f}{row['gemm_gflops']:>10.1f}"
                 f"{row['fwd_over_gemm']:>9.2f}") if "gemm_ms" in row else ""
        lines.append(f"{row['layer']:<15}{row['type']:<17}{row['forward_ms']:>8.2f}{row['backward_ms']:>8.2f}"
                     f"{row['gflop']:>7.3f}" + extra)
    pool = sum(row["forward_ms"] + row["backward_ms"] for row in r["layers"] if row["type"] == "MaxPool2d")
    lines.append(f"max-pooling forward + backward: {pool:.1f} ms = {pool / ours['step_ms']:.0%} of the step "
                 "(layers timed alone)")
    n = r["naive"]
    lines += ["", f"naive loop convolution {n['shape']}: {n['naive_ms']:.1f} ms; im2col + product: "
                  f"{n['im2col_ms']:.2f} ms ({n['speedup']:.0f}x faster)"]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m fcn_scratch.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small configuration that runs in seconds")
    parser.add_argument("--device", default="cpu", choices=list(backend.DEVICES))
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--size", type=_positive(int), default=None, help="image size instead of the configuration's")
    parser.add_argument("--classes", type=_positive(int), default=None,
                        help="number of classes instead of the configuration's")
    parser.add_argument("--batch", type=_positive(int), default=None, help="batch size instead of the configuration's")
    parser.add_argument("--json", help="also write the results to this JSON file")
    args = parser.parse_args(argv)
    result = run(args.quick, args.device, args.repeats, batch=args.batch, size=args.size, num_classes=args.classes)
    print(format_table(result))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
