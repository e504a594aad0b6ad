import json

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
