import json

import pytest

from fcn_scratch.bench import format_table, run
from fcn_scratch.bench.__main__ import main


def test_quick_bench_prints_a_table_and_writes_json(tmp_path, capsys):
    assert main(["--quick", "--repeats", "1", "--json", str(tmp_path / "b.json")]) == 0
    out = capsys.readouterr().out
    assert "training step (ms)" in out and "fwd/GEMM" in out and "naive loop convolution" in out
    assert "AMD" in out or "Intel" in out or "cores" in out
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



@pytest.mark.parametrize("on", [True, False])
def test_step_products_are_recorded_from_a_real_step(on):
    """A training step does three products per convolution and per transposed convolution, less the
    image gradient of conv1_1 and the weight gradient of the frozen upscore8; on the textbook route
    each of the three has the size of the layer's forward product. Recorded, as the bench records them,
    with the threads trick off (whole batches, not a product per part)."""
    from fcn_scratch import fast
    from fcn_scratch.bench.layers import layer_inputs
    from fcn_scratch.bench.products import flops, step_products
    from fcn_scratch.bench.workload import QUICK, our_setup
    from fcn_scratch.layers import Conv2d, ConvTranspose2d

    model, x, step = our_setup(QUICK, "cpu")
    inputs = layer_inputs(model, x)
    with fast.enabled(on), fast.enabled(False, "threads"):
        forward = {name: flops(step_products(lambda: layer(inputs[name])))
                   for name, layer in model.layers.items() if isinstance(layer, (Conv2d, ConvTranspose2d))}
        products = step_products(step)
    assert len(products) == 3 * len(forward) - 2
    if not on:
        assert flops(products) == 3 * sum(forward.values()) - forward["conv1_1"] - forward["upscore8"]


def test_trick_table_has_a_row_per_trick():
    from fcn_scratch import fast
    result = run(quick=True, repeats=1)
    assert sorted(row["trick"] for row in result["tricks"]["rows"]) == sorted(fast.TRICKS)
    assert result["tricks"]["all_off_ms"] > 0
    table = format_table(result)
    assert "What each trick buys" in table and "all off (textbook)" in table
    assert all(row["textbook_forward_ms"] > 0 for row in result["layers"])


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
