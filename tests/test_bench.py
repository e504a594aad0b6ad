import json

import pytest

from fcn_scratch.bench import format_table, main, run


def test_quick_bench_prints_a_table_and_writes_json(tmp_path, capsys):
    assert main(["--quick", "--repeats", "1", "--json", str(tmp_path / "b.json")]) == 0
    out = capsys.readouterr().out
    assert "training step (ms)" in out and "fwd/GEMM" in out and "naive loop convolution" in out
    result = json.loads((tmp_path / "b.json").read_text())
    assert result["ours"]["step_ms"] > 0 and result["ours"]["peak_mb"] > 0
    names = [row["layer"] for row in result["layers"]]
    assert "conv1_1" in names and "upscore8" in names and "pool1" in names
    conv = next(row for row in result["layers"] if row["layer"] == "conv1_1")
    assert conv["gflop"] > 0 and conv["gemm_ms"] > 0


def test_table_without_pytorch():
    result = run(quick=True, repeats=1)
    result["torch"] = None
    assert "PyTorch not installed" in format_table(result)



def test_step_products_are_what_each_layer_computes():
    """Each convolution does three products of its forward's size (conv1_1 two: no image gradient);
    each transposed convolution three, the frozen upscore8 two."""
    from collections import Counter

    import numpy as np
    from fcn_scratch.bench import QUICK, flops, layer_inputs, our_setup, step_products
    from fcn_scratch.layers import Conv2d

    model, x, _ = our_setup(QUICK, "cpu")
    products = step_products(model, x)
    work = Counter()
    for name, a, b, transposed in products:
        assert a[-1] == (b[-1] if transposed else b[-2]), (name, a, b)
        batch = int(np.prod(np.broadcast_shapes(a[:-2], b[:-2])))
        work[name] += 2 * batch * a[-2] * a[-1] * (b[-2] if transposed else b[-1])
    counts = Counter(name for name, *_ in products)
    for name, inp in layer_inputs(model, x).items():
        layer = model.layers[name]
        if isinstance(layer, Conv2d):
            per_product = flops(layer, inp.shape, layer(inp).shape)
            assert counts[name] == (2 if name == "conv1_1" else 3)
            assert work[name] == counts[name] * per_product
    assert counts["upscore2"] == counts["upscore_pool4"] == 3 and counts["upscore8"] == 2


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
