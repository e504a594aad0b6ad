"""The benchmark's printed tables."""


def _versus(lines, label, ours, theirs, fmt=".1f"):
    if theirs:
        lines.append(f"{label:<24}{ours:>10{fmt}}{theirs:>10{fmt}}{ours / theirs:>8.2f}")
    else:
        lines.append(f"{label:<24}{ours:>10{fmt}}{'-':>10}{'-':>8}")


def step_lines(r):
    """Ours against PyTorch: forward, step, products alone, memory."""
    ours, t = r["ours"], r["torch"]
    lines = [f"{'':<24}{'ours':>10}{'PyTorch':>10}{'ratio':>8}"]
    _versus(lines, "forward (ms)", ours["forward_ms"], t and t["forward_ms"])
    _versus(lines, "training step (ms)", ours["step_ms"], t and t["step_ms"])
    if ours.get("threads_off_step_ms") is not None:
        lines.append(f"{'  threads off (ms)':<24}{ours['threads_off_step_ms']:>10.1f}{'':>18}   "
                     f"(threads off / on: {ours['threads_off_step_ms'] / ours['step_ms']:.2f})")
    floor = ours["matmul_floor_ms"]
    ratios = f"ours / products only: {ours['step_ms'] / floor:.2f}"
    if t:
        ratios += f"; PyTorch / products only: {t['step_ms'] / floor:.2f}"
    lines.append(f"{'step, products only (ms)':<24}{floor:>10.1f}{'':>18}   ({ratios})")
    if ours["peak_mb"] is not None:
        _versus(lines, "step memory (MB)", ours["peak_mb"], t and t.get("peak_mb"))
    if ours.get("textbook_peak_mb") is not None:
        lines.append(f"{'  textbook routes (MB)':<24}{ours['textbook_peak_mb']:>10.1f}")
    if not t:
        lines.append("(PyTorch not installed: no side-by-side column; it is not a dependency)")
    else:
        lines.append(f"(PyTorch {t['version']}, {t['threads']} threads)")
    return lines


def trick_lines(table):
    """What each trick buys: the training step without it alone, against all on and all off."""
    on, off = table["all_on_ms"], table["all_off_ms"]
    lines = [f"What each trick buys ({table['workload']}, ms; each row turns that trick off alone):",
             f"{'trick':<18}{'ms':>9}{'saves ms':>10}  what it does"]
    for row in sorted(table["rows"], key=lambda row: -row["saves_ms"]):
        lines.append(f"{row['trick']:<18}{row['ms']:>9.1f}{row['saves_ms']:>+10.1f}  {row['what']}")
    lines.append(f"{'all tricks on':<18}{on:>9.1f}")
    lines.append(f"{'all off (textbook)':<18}{off:>9.1f}{off - on:>+10.1f}  ({off / on:.2f}x the time with them)")
    return lines



def layer_lines(rows, step_ms):
    lines = [f"{'layer':<15}{'type':<17}{'fwd ms':>8}{'bwd ms':>8}{'textbook':>10}{'GFLOP':>7}{'GFLOP/s':>9}"
             f"{'GEMM ms':>9}{'fwd/GEMM':>9}"]
    for row in rows:
        textbook = f"{row['textbook_forward_ms'] + row['textbook_backward_ms']:>10.2f}"
        extra = (f"{row['gflop']:>7.3f}{row['fwd_gflops']:>9.1f}{row['gemm_ms']:>9.2f}{row['fwd_over_gemm']:>9.2f}"
                 if "gemm_ms" in row else "")
        lines.append(f"{row['layer']:<15}{row['type']:<17}{row['forward_ms']:>8.2f}{row['backward_ms']:>8.2f}"
                     + textbook + extra)
    lines.append("(textbook: forward + backward ms with every trick off)")
    pool = sum(row["forward_ms"] + row["backward_ms"] for row in rows if row["type"] == "MaxPool2d")
    lines.append(f"max-pooling forward + backward: {pool:.1f} ms = {pool / step_ms:.0%} of the step "
                 "(layers timed alone)")
    return lines


def _software_line(r):
    """NumPy, its BLAS, our threads (1 in results written before they were recorded), OPENBLAS_CORETYPE."""
    return (f"numpy {r['numpy']}; BLAS: {r['blas']}; our threads: {r.get('threads', 1)}; "
            f"OPENBLAS_CORETYPE={r['openblas_coretype']}")


def format_table(r):
    cfg = r["config"]
    lines = [f"FCN-8s, batch {cfg['batch']} x 3 x {cfg['size']} x {cfg['size']}, {cfg['num_classes']} classes, "
             f"widths {cfg['widths']}, float32, device {r['device']} ({r['machine']}), {r['date']}",
             _software_line(r), ""]
    lines += step_lines(r) + [""] + trick_lines(r["tricks"]) + [""] + layer_lines(r["layers"], r["ours"]["step_ms"])
    n = r["naive"]
    lines += ["", f"naive loop convolution {n['shape']}: {n['naive_ms']:.1f} ms; im2col + product: "
                  f"{n['im2col_ms']:.2f} ms ({n['speedup']:.0f}x faster)"]
    return "\n".join(lines)


def _shape(shape):
    return "x".join(str(d) for d in shape)


def _ms(value, width=10):
    return f"{value:>{width}.1f}" if value is not None else f"{'-':>{width}}"


def real_memory_lines(ours, theirs):
    """Peak resident memory of the forward passes, each framework in a fresh process."""
    lines = []
    for label, key in (("peak memory (MB)", "peak_mb"), ("  model + input (MB)", "baseline_mb"),
                       ("  growth in forward (MB)", "growth_mb")):
        _versus(lines, label, ours[key], theirs and theirs[key])
    return lines


def real_layer_lines(rows, forward_ms, torch_forward_ms):
    """Each of our layers, clocked inside the timed passes, PyTorch's module of the same name beside it."""
    lines = [f"{'layer':<15}{'type':<16}{'output':<17}{'ours ms':>9}{'PyTorch':>9}{'ratio':>7}{'share':>7}"
             f"{'GFLOP':>8}{'ours GF/s':>10}{'PT GF/s':>9}"]
    for row in rows:
        ratio = f"{row['ours_ms'] / row['torch_ms']:>7.2f}" if row["torch_ms"] else f"{'-':>7}"
        flops = ""
        if "gflop" in row:
            theirs = f"{row['torch_gflops']:>9.1f}" if row["torch_gflops"] else f"{'-':>9}"
            flops = f"{row['gflop']:>8.2f}{row['ours_gflops']:>10.1f}" + theirs
        lines.append(f"{row['layer']:<15}{row['type']:<16}{_shape(row['output']):<17}{row['ours_ms']:>9.1f}"
                     f"{_ms(row['torch_ms'], 9)}{ratio}{row['ours_ms'] / forward_ms:>7.1%}" + flops)
    ours_sum = sum(row["ours_ms"] for row in rows)
    their_sum = sum(row["torch_ms"] for row in rows if row["torch_ms"])
    convs = [row for row in rows if "gflop" in row]
    gflop, conv_ms = sum(row["gflop"] for row in convs), sum(row["ours_ms"] for row in convs)
    line = (f"sum of the layers: ours {ours_sum:.1f} ms" + (f", PyTorch {their_sum:.1f} ms" if their_sum else "")
            + f"; convolutions {gflop:.1f} GFLOP: ours {conv_ms:.1f} ms ({gflop / conv_ms * 1e3:.1f} GFLOP/s)")
    if their_sum:
        their_conv = sum(row["torch_ms"] for row in convs if row["torch_ms"])
        line += f", PyTorch {their_conv:.1f} ms ({gflop / their_conv * 1e3:.1f} GFLOP/s)"
    lines.append(line)
    lines.append("(each layer clocked inside the timed passes, median; share: of our forward; PyTorch's crops "
                 "and sums run outside its modules)" if torch_forward_ms else
                 "(each layer clocked inside the timed passes, median; share: of our forward)")
    return lines


def format_real(r):
    """The real-size workload's report: forward time and memory against PyTorch, then layer by layer."""
    cfg, ours, t = r["config"], r["ours"], r["torch"]
    lines = [f"The paper's FCN-8s ({cfg['model']}, {r['parameters']:,} parameters), inference (eval, no gradients), "
             f"batch {cfg['batch']} x 3 x {cfg['size']} x {cfg['size']}, {cfg['num_classes']} classes, float32, "
             f"device {r['device']} ({r['machine']}), {r['date']}",
             _software_line(r)
             + (f"; PyTorch {t['version']}, {t['threads']} threads ({t['interop_threads']} inter-op)" if t else ""),
             "", f"{'':<24}{'ours':>10}{'PyTorch':>10}{'ratio':>8}"]
    _versus(lines, "forward (ms)", ours["forward_ms"], t and t["forward_ms"])
    if ours["memory"]:
        lines += real_memory_lines(ours["memory"], t and t["memory"])
    passes = r["timed_passes"]
    lines.append(f"(forward: median of {passes} pass{'es' if passes != 1 else ''}, each framework in fresh processes "
                 "of its own taken in turns, each process's first pass untimed; "
                 "memory: peak resident memory (VmHWM) over two passes, each framework in a fresh process)")
    if t:
        d = t["difference"]
        lines.append(f"logits {_shape(r['output_shape'])}, the same weights: max |ours - PyTorch| = "
                     f"{d['max_abs']:.2e} ({d['relative']:.1e} of max |PyTorch|)")
    else:
        lines.append("(PyTorch not installed: no side-by-side column; it is not a dependency)")
    if r.get("training"):
        lines += [""] + training_lines(r["training"])
    lines += [""] + real_layer_lines(r["layers"], ours["forward_ms"], t and t["forward_ms"])
    return "\n".join(lines)


def training_lines(training):
    """One SGD step of the real-size net, ours against PyTorch's, each in a fresh process."""
    ours, t = training["ours"], training["torch"]
    lines = [f"Training, one SGD step (each side in a fresh process, median of steps 2-{training['steps']}):",
             f"{'':<24}{'ours':>10}{'PyTorch':>10}{'ratio':>8}"]
    if ours is None:
        return lines + ["(our training step failed in its process)"]
    _versus(lines, "step (s)", ours["step_s"], t and t["step_s"], ".2f")
    for phase in ("forward", "backward", "update"):
        _versus(lines, f"  {phase} (s)", ours[phase + "_s"], t and t[phase + "_s"], ".2f")
    _versus(lines, "peak memory (MB)", ours["peak_mb"], t and t["peak_mb"])
    _versus(lines, "  model (MB)", ours["baseline_mb"], t and t["baseline_mb"])
    _versus(lines, "  growth in steps (MB)", ours["growth_mb"], t and t["growth_mb"])
    lines.append(f"(threads: ours {ours['threads']}" + (f", PyTorch {t['threads']}" if t else "") + "; memory: the "
                 "process's peak resident memory (VmHWM), building included; the first step, which touches every "
                 "array for the first time, left out of the times)")
    return lines
