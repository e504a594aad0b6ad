import json
import os
import subprocess
import sys

import numpy as np
import pytest

from fcn_scratch.bench import format_table, run
from fcn_scratch.bench.__main__ import main
from fcn_scratch.bench.run import cpu_model

MACHINE = f"({cpu_model()}, {os.cpu_count()} cores)"


def test_quick_bench_prints_a_table_and_writes_json(tmp_path, capsys):
    assert main(["--quick", "--repeats", "1", "--json", str(tmp_path / "b.json")]) == 0
    out = capsys.readouterr().out
    assert "training step (ms)" in out and "fwd/GEMM" in out and "naive loop convolution" in out
    assert f"device cpu {MACHINE}" in out
    result = json.loads((tmp_path / "b.json").read_text())
    assert result["ours"]["step_ms"] > 0 and result["ours"]["peak_mb"] > 0
    names = [row["layer"] for row in result["layers"]]
    assert "conv1_1" in names and "upscore8" in names and "pool1" in names
    conv = next(row for row in result["layers"] if row["layer"] == "conv1_1")
    assert conv["gflop"] > 0 and conv["gemm_ms"] > 0
    from fcn_scratch import fast
    rows = result["tricks"]["rows"]
    assert sorted(row["trick"] for row in rows) == sorted(fast.TRICKS) and all(row["ms"] > 0 for row in rows)
    assert "What each trick buys (training step, ms" in out


def test_table_without_pytorch():
    result = run(quick=True, repeats=1)
    result["torch"] = None
    assert "PyTorch not installed" in format_table(result)



@pytest.mark.parametrize("on", [True, False])
def test_step_products_are_the_formulas_of_a_real_step(on):
    """A training step's formulas make three products per convolution and per transposed convolution,
    less the image gradient of conv1_1 and the weight gradient of the frozen upscore8, each of the three
    the size of the layer's forward product; the list is the same whichever route the layers take."""
    from fcn_scratch import fast
    from fcn_scratch.bench.layers import layer_inputs
    from fcn_scratch.bench.products import flops, forward_products, step_products
    from fcn_scratch.bench.workload import QUICK, our_setup
    from fcn_scratch.layers import Conv2d, ConvTranspose2d

    model, x, step = our_setup(QUICK, "cpu")
    inputs = layer_inputs(model, x)
    forward = {name: forward_products(layer, inputs[name]) for name, layer in model.layers.items()
               if isinstance(layer, (Conv2d, ConvTranspose2d))}
    with fast.enabled(on):
        products = step_products(model, step, x)
    assert len(products) == 3 * len(forward) - 2
    expected = [p for layer_products in forward.values() for p in layer_products]
    assert sorted(products[:len(forward)], key=repr) == sorted(expected, key=repr)      # forward first
    total = 3 * sum(map(flops, forward.values())) - flops(forward["conv1_1"]) - flops(forward["upscore8"])
    assert flops(products) == total
    # conv2_1 of the quick configuration: W_col (8, 8*3*3) @ cols (2, 72, 32*32), float32
    assert forward["conv2_1"] == [(((8, 72), np.float32, False), ((2, 72, 32 * 32), np.float32, False))]


def test_the_trick_table_has_a_row_per_trick():
    """Every trick has one row, timed on the training step; printed and in the JSON alike. The layer table
    has a row per convolution, transposed convolution and pooling of the quick FCN-8s."""
    from fcn_scratch import fast
    result = run(quick=True, repeats=1)
    table = result["tricks"]
    assert table["workload"] == "training step"
    assert sorted(row["trick"] for row in table["rows"]) == sorted(fast.TRICKS)
    assert table["all_on_ms"] > 0 and table["all_off_ms"] > 0
    assert all(row["ms"] > 0 and row["saves_ms"] == pytest.approx(row["ms"] - table["all_on_ms"])
               for row in table["rows"])
    lines = format_table(result).splitlines()
    title = lines.index("What each trick buys (training step, ms; each row turns that trick off alone):")
    for name in fast.TRICKS:
        rows = [k for k, line in enumerate(lines) if line.startswith(name + " ")]
        assert len(rows) == 1 and rows[0] > title, (name, rows)
    assert sum(line.startswith("all off (textbook)") for line in lines) == 1
    layers = [row["layer"] for row in result["layers"]]
    assert len(layers) == 18        # conv1_1..conv5_1, pool1..pool5, fc6, fc7, three score layers, three upsamplings
    assert {"conv1_1", "pool5", "fc7", "score_pool3", "upscore2", "upscore8"} <= set(layers)
    assert all(row["textbook_forward_ms"] > 0 for row in result["layers"])


def test_each_trick_is_timed_off_alone_in_the_same_turns():
    """A step that notes which tricks are off at each call (20 ms slower without phases): each trick is
    turned off alone, beside all on and all off, in the same turns."""
    import time

    from fcn_scratch import fast
    from fcn_scratch.bench.tricks import trick_table

    calls = []

    def step():
        calls.append(tuple(fast.tricks_off()))
        if not fast.is_on("phases"):
            time.sleep(0.02)
    table = trick_table(step, "cpu", 1)
    names = sorted(fast.TRICKS)
    expected = [()] + [(name,) for name in names] + [tuple(names)]
    # three turns, each a warm-up and one timed call of every contestant in order
    assert calls == [call for call in expected for _ in range(2)] * 3
    rows = {row["trick"]: row for row in table["rows"]}
    assert list(rows) == names
    assert rows["phases"]["ms"] >= 20 and rows["phases"]["saves_ms"] > 15 and table["all_off_ms"] >= 20
    assert table["all_on_ms"] < 5 and rows["threads"]["ms"] < 5


def test_configuration_can_be_resized(tmp_path, capsys):
    """--size, --classes and --batch replace the configuration's (the toy run is 64 x 64, 4 classes);
    anything else is refused by name."""
    assert main(["--quick", "--repeats", "1", "--size", "40", "--classes", "3", "--batch", "1",
                 "--json", str(tmp_path / "b.json")]) == 0
    assert "batch 1 x 3 x 40 x 40, 3 classes" in capsys.readouterr().out
    config = json.loads((tmp_path / "b.json").read_text())["config"]
    assert (config["size"], config["num_classes"], config["batch"]) == (40, 3, 1)
    assert config["widths"] == [8, 8, 16, 16, 16]
    with pytest.raises(ValueError, match="widths"):
        run(quick=True, repeats=1, widths=(4, 4, 4, 4, 4))
    with pytest.raises(SystemExit):
        main(["--quick", "--size", "0"])


# The real-size workload: the paper's VGG16 FCN-8s predicting a photo-sized image.

@pytest.mark.slow
def test_real_size_quick_prints_time_memory_and_layers(tmp_path, capsys):
    """``--real-size --quick``: fcn8s-vgg16 at 224 x 224, timed against PyTorch (where installed), its
    memory measured in fresh processes, and its layers clocked inside the passes, with their shapes; then
    three training steps of each, each side in a fresh process."""
    assert main(["--real-size", "--quick", "--repeats", "1", "--json", str(tmp_path / "r.json")]) == 0
    out = capsys.readouterr().out
    assert "fcn8s-vgg16, 134,489,759 parameters" in out and "batch 1 x 3 x 224 x 224" in out
    for line in ("forward (ms)", "peak memory (MB)", "  model + input (MB)", "  growth in forward (MB)",
                 "sum of the layers", "our threads: ", "Training, one SGD step (each side in a fresh process, "
                 "median of steps 2-3):", "step (s)", "  backward (s)", "  growth in steps (MB)"):
        assert line in out
    assert f"device cpu {MACHINE}" in out
    r = json.loads((tmp_path / "r.json").read_text())
    assert r["config"] == {"model": "fcn8s-vgg16", "batch": 1, "size": 224, "num_classes": 21}
    assert r["parameters"] == 134_489_759 and r["output_shape"] == [1, 21, 224, 224]
    ours = r["ours"]
    mem = ours["memory"]
    assert mem is not None, "the fresh-process memory measurement failed"
    # the weights alone are 538 MB; a forward at 224 x 224 needs more than its 1x64x422x422 maps (46 MB)
    assert 538 < mem["baseline_mb"] < mem["peak_mb"] and mem["growth_mb"] > 46
    rows = {row["layer"]: row for row in r["layers"]}
    assert rows["conv1_1"]["output"] == [1, 64, 422, 422]      # padded by 100: 224 + 200 - 2
    assert rows["pool5"]["output"] == [1, 512, 14, 14] and rows["fc6"]["output"] == [1, 4096, 8, 8]
    assert rows["upscore8"]["output"] == [1, 21, 312, 312] and rows["crop_upscore8"]["output"] == [1, 21, 224, 224]
    assert rows["conv1_2"]["gflop"] == pytest.approx(2 * 64 * 64 * 9 * 422 * 422 / 1e9)
    assert rows["fc6"]["gflop"] == pytest.approx(2 * 4096 * 512 * 49 * 64 / 1e9)
    assert all(row["ours_ms"] > 0 for row in r["layers"])
    assert sum(row["ours_ms"] for row in r["layers"]) == pytest.approx(ours["forward_ms"], rel=0.5)
    step = r["training"]["ours"]
    assert step is not None, "the fresh-process training step failed"
    assert len(step["steps_s"]) == 3 and step["step_s"] > 0 and step["threads"] >= 1
    assert step["step_s"] == pytest.approx(step["forward_s"] + step["backward_s"] + step["update_s"], rel=0.5)
    # the weights, their gradients and the momentum are 538 MB each
    assert 538 < step["baseline_mb"] and step["peak_mb"] > step["baseline_mb"] + 2 * 538
    if r["torch"] is None:
        assert "PyTorch not installed" in out
        return
    t = r["torch"]
    assert t["forward_ms"] > 0 and t["memory"]["peak_mb"] > t["memory"]["baseline_mb"] > 538
    assert t["difference"]["relative"] < 1e-4                   # the same function, with the same weights
    theirs = r["training"]["torch"]
    assert theirs["step_s"] > 0 and theirs["peak_mb"] > theirs["baseline_mb"] + 2 * 538
    assert "max |ours - PyTorch|" in out
    convs = [row for row in r["layers"] if row["type"] in ("Conv2d", "ConvTranspose2d")]
    assert len(convs) == 21 and all(row["torch_ms"] > 0 and row["torch_output"] == row["output"] for row in convs)


def test_torch_reference_is_our_vgg16_fcn8s():
    """The PyTorch reference, given our weights, computes what ours does: the same crops (5, 9, 31) and
    pools rounding up, on an image that is not square; narrow widths, as both accept them."""
    torch = pytest.importorskip("torch", reason="PyTorch is not installed: the comparison with it is skipped")

    from fcn_scratch import no_grad
    from fcn_scratch.bench.torch_reference import copy_weights, vgg16_fcn8s
    from fcn_scratch.bench.workload import fill_random
    from fcn_scratch.models import build

    widths, fc = (4, 4, 8, 8, 8), 16
    ours = build("fcn8s-vgg16", num_classes=3, widths=widths, fc_channels=fc)
    fill_random(ours, seed=3)
    theirs = vgg16_fcn8s(3, widths=widths, fc_channels=fc)
    copy_weights(theirs, ours)
    x = np.random.default_rng(0).standard_normal((2, 3, 37, 53)).astype(np.float32)
    with no_grad():
        y = ours.eval()(x)
    with torch.no_grad():
        expected = theirs.eval()(torch.from_numpy(x)).numpy()
    assert y.shape == expected.shape == (2, 3, 37, 53)
    assert np.abs(expected).max() > 0.1
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())
    with pytest.raises(ValueError, match="names differ"):
        copy_weights(vgg16_fcn8s(3, widths=widths, fc_channels=fc), build("fcn8s", num_classes=3))


def test_the_pytorch_reference_without_pytorch():
    """PyTorch is no dependency: where ``import torch`` fails the reference module still imports, the bench's
    entry points answer None, and building a net says what is missing."""
    code = ("import sys; sys.modules['torch'] = None\n"
            "from fcn_scratch.bench import torch_reference as t\n"
            "from fcn_scratch.bench.workload import QUICK, REAL_QUICK\n"
            "print([t.torch_setup(QUICK), t.torch_real_setup(REAL_QUICK), t.torch_real_training_step(REAL_QUICK),"
            " t.vgg16_fcn8s(), t.installed_torch()])\n"
            "t.torch_fcn('fcn8s')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout == "[None, None, None, None, None]\n"
    assert done.returncode == 1
    assert done.stderr.strip().endswith("ModuleNotFoundError: import of torch halted; None in sys.modules")


def test_layer_clock_times_armed_passes_only():
    """Our clock notes each layer of a pass, in call order, only while armed; the layers' times add up to
    the pass; FLOPs are 2 * weight size * pixels (output pixels of a convolution, input of a transposed)."""
    import time

    from fcn_scratch import no_grad
    from fcn_scratch.bench.layer_clock import OurClock, conv_flops
    from fcn_scratch.bench.workload import QUICK, our_setup

    model, x, _ = our_setup(QUICK, "cpu")
    model.eval()
    clock = OurClock(model)

    def forward():
        with no_grad():
            return model(x)
    clock.armed = False
    clock.run(forward)
    assert clock.medians() == []
    clock.armed = True
    start = time.perf_counter()
    clock.run(forward)
    total = time.perf_counter() - start
    clock.close()
    noted = {name: len(times) for name, times in clock.seconds.items()}
    clock.run(forward)                      # armed, but its hooks are off the model: the pass goes unnoted
    assert {name: len(times) for name, times in clock.seconds.items()} == noted and clock.ends == []
    names = [name for name, _ in clock.medians()]
    assert names[:3] == ["conv1_1", "relu1_1", "pool1"] and names[-1] == "crop_upscore8"
    assert sum(seconds for _, seconds in clock.medians()) == pytest.approx(total, rel=0.2)
    kind, weight, in_shape, out_shape = clock.shapes["conv1_1"]
    assert conv_flops(kind, weight, in_shape, out_shape) == 2 * 8 * 3 * 9 * 2 * 64 * 64
    assert conv_flops("ConvTranspose2d", (5, 5, 16, 16), (2, 5, 3, 3), (2, 5, 32, 32)) == 2 * 5 * 5 * 256 * 2 * 9
    assert conv_flops("MaxPool2d", None, (2, 8, 64, 64), (2, 8, 32, 32)) is None


def test_real_size_is_cpu_only_and_resizable():
    """--real-size refuses the GPU by name (it measures resident memory); --size and --classes still apply."""
    from fcn_scratch.bench.workload import configuration
    with pytest.raises(SystemExit):
        main(["--real-size", "--device", "cuda"])
    assert configuration(real_size=True)["size"] == 500 and configuration(True, real_size=True)["size"] == 224
    assert configuration(real_size=True, size=320, num_classes=5)["num_classes"] == 5


def test_real_size_without_pytorch(monkeypatch):
    """Without PyTorch the real-size report has our column alone and says why (a small image, no memory
    measurement, so that it runs in seconds)."""
    from fcn_scratch.bench import real_size
    from fcn_scratch.bench.report import format_real
    monkeypatch.setattr(real_size, "torch_real_setup", lambda cfg, our_model=None: None)
    result = real_size.run_real(quick=True, repeats=1, memory=False, training=False, size=48)
    assert result["torch"] is None and result["output_shape"] == [1, 21, 48, 48]
    assert result["layers"] and all(row["torch_ms"] is None for row in result["layers"])
    table = format_real(result)
    assert "PyTorch not installed" in table and "batch 1 x 3 x 48 x 48" in table
    assert "fc6            Conv2d          1x4096x" in table


def test_real_size_times_each_framework_in_fresh_processes_of_its_own_in_turns(monkeypatch):
    """In one process our idle pool threads and PyTorch's OpenMP threads take cores from each other: each
    framework's forward is timed in processes of its own, the frameworks taking turns, and the medians
    are over every pass of every process; a framework whose process failed (no PyTorch) is left out."""
    from fcn_scratch.bench import real_size
    calls = []

    def fake(function, arguments, module):
        framework = arguments.split(",")[0].strip("'")
        calls.append((function, framework, module))
        if framework == "torch":
            return None
        return {"passes_s": [0.1 * len(calls), 0.2], "layers": [["conv1_1", 0.01 * len(calls)]],
                "shapes": {"conv1_1": ["Conv2d", [64, 3, 3, 3], [1, 3, 8, 8], [1, 64, 206, 206]]}}
    monkeypatch.setattr(real_size, "in_fresh_process", fake)
    times = real_size._forward_times(("ours", "torch"), {"size": 8}, 2, 3)
    assert [framework for _, framework, _ in calls] == ["ours", "torch"] * 3
    assert {(function, module) for function, _, module in calls} == {("forward_time_child", real_size.__name__)}
    assert list(times) == ["ours"]
    assert sorted(times["ours"]["passes_s"]) == pytest.approx([0.1, 0.2, 0.2, 0.2, 0.3, 0.5])
    assert times["ours"]["layers"] == [("conv1_1", pytest.approx(0.03))]


def test_the_forward_time_child_prints_its_passes_and_layers(capsys):
    from fcn_scratch.bench.real_size import forward_time_child
    from fcn_scratch.bench.workload import configuration
    forward_time_child("ours", configuration(True, real_size=True, size=32), 2)
    printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert len(printed["passes_s"]) == 2 and all(s > 0 for s in printed["passes_s"])
    names = [name for name, _ in printed["layers"]]
    assert names[0] == "conv1_1" and names[-1] == "crop_upscore8"
    assert printed["shapes"]["conv1_1"][3] == [1, 64, 230, 230]
