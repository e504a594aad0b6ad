import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fcn_scratch.cli import main
from tests.data.test_voc import write_voc
from tests.helpers import cupy_without_a_gpu

TINY = ["--widths", "4", "8", "8", "8", "8", "--convs-per-block", "1", "--fc-channels", "16", "--dropout", "0"]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    code = main(["train", "--out", str(out), "--epochs", "2", "--train-size", "16", "--val-size", "4",
                 "--image-size", "32", "--num-classes", "3", "--batch-size", "8", "--lr", "3e-3", "--quiet"] + TINY)
    assert code == 0
    return out


def test_train_writes_a_run_folder(run, capsys):
    for name in ["best.npz", "last.npz", "metrics.jsonl", "results.json", "curves.png", "confusion.png",
                 "predictions.png"]:
        assert (run / name).exists(), name
    result = json.loads((run / "results.json").read_text())
    assert {"pixel_acc", "mean_acc", "mean_iu", "fw_iu", "per_class_iu"} <= set(result)
    assert result["class_names"] == ["background", "circle", "square"]


def test_evaluate_prints_and_saves(run, capsys, tmp_path):
    assert main(["evaluate", str(run / "best.npz"), "--size", "4", "--out", str(tmp_path / "e.json")]) == 0
    out = capsys.readouterr().out
    assert "mean IU" in out and "frequency-weighted IU" in out and "circle" in out
    assert json.loads((tmp_path / "e.json").read_text())["split"] == "val"


def test_predict_writes_masks_and_overlays(run, tmp_path, capsys):
    folder = tmp_path / "imgs"
    folder.mkdir()
    for i in range(2):
        Image.fromarray(np.random.default_rng(i).integers(0, 255, (30, 41, 3), dtype=np.uint8)).save(
            folder / f"im{i}.png")
    assert main(["predict", str(run / "best.npz"), str(folder), "--out", str(tmp_path / "pred")]) == 0
    mask = Image.open(tmp_path / "pred" / "im0_mask.png")
    assert mask.mode == "P" and mask.size == (41, 30)
    assert (tmp_path / "pred" / "im1_overlay.png").exists()


def test_staged_init_from_a_checkpoint(tmp_path, capsys):
    small = ["--epochs", "1", "--train-size", "8", "--val-size", "2", "--image-size", "32", "--num-classes", "3",
             "--quiet"] + TINY
    assert main(["train", "--model", "fcn32s", "--out", str(tmp_path / "32s")] + small) == 0
    capsys.readouterr()
    code = main(["train", "--model", "fcn16s", "--init-from", str(tmp_path / "32s" / "best.npz"),
                 "--out", str(tmp_path / "16s")] + small)
    assert code == 0
    assert "new: score_pool4.bias, score_pool4.weight, upscore16.weight" in capsys.readouterr().out


def test_train_on_a_voc_folder(tmp_path, capsys):
    write_voc(tmp_path / "voc", names=("a", "b", "c"), size=(40, 36))
    write_voc(tmp_path / "voc", names=("a", "b"), size=(40, 36), split="val")
    code = main(["train", "--data", str(tmp_path / "voc"), "--num-classes", "3", "--image-size", "32",
                 "--epochs", "1", "--batch-size", "2", "--out", str(tmp_path / "run"), "--quiet"] + TINY)
    assert code == 0
    assert (tmp_path / "run" / "predictions.png").exists()


def test_summary(capsys):
    assert main(["summary", "--num-classes", "21", "--image-size", "67", "93"]) == 0
    out = capsys.readouterr().out
    assert "(1, 21, 67, 93)" in out and "total parameters" in out
    assert "(frozen)" in out


def test_summary_with_a_learned_final_upsampling(capsys):
    assert main(["summary", "--num-classes", "4", "--image-size", "64", "--learn-final-upsampling"]) == 0
    out = capsys.readouterr().out
    assert "(frozen)" not in out
    total, trainable = [int(n.replace(",", "")) for n in out.split("total parameters: ")[1].split("trainable: ")]
    assert total == trainable == 956_060


@pytest.mark.parametrize("argv,message", [
    (["evaluate", "missing.npz"], "checkpoint not found: missing.npz"),
    (["train", "--data", "/no/such/voc", "--epochs", "1"], "split list not found"),
    (["train", "--num-classes", "9", "--epochs", "1"], "num_classes must be in [2, 6]"),
    (["summary", "--image-size", "1", "2", "3"], "--image-size takes S or H W"),
])
def test_errors_are_one_line(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_bad_argument_values(capsys):
    with pytest.raises(SystemExit) as info:
        main(["train", "--epochs", "0"])
    assert info.value.code == 2
    assert "must be positive" in capsys.readouterr().err


@pytest.mark.parametrize("argv,message", [
    (["train", "--loss-reduction", "median"], "argument --loss-reduction: invalid choice: 'median'"),
    (["train", "--epochs", "1", "--iterations", "5"], "argument --iterations: not allowed with argument --epochs"),
    (["train", "--image-size", "4"], "argument --image-size"),
])
def test_a_command_line_mistake_is_one_line(argv, message, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    err = capsys.readouterr().err
    assert info.value.code == 2 and message in err and len(err.strip().splitlines()) == 1
    assert "(see fcn-scratch train --help)" in err


def test_train_help_shows_each_default_per_family(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    for said in ("(default: adam for the small nets, sgd for the VGG16 nets)",
                 "(default: 8 for the small nets, 1 for the VGG16 nets)",
                 "(default: mean for the small nets, sum for the VGG16 nets)",
                 "(default: 14 for the small nets, none for the VGG16 nets)",
                 "(default: none for the small nets, 100,000 for the VGG16 nets)",
                 "1e-14 for fcn8s-vgg16", "(default: 64 for the small nets, 0 (whole images) for the VGG16 nets)"):
        assert said in out, said


def test_learning_the_last_upsampling_while_freezing_them_all_is_one_line(capsys):
    assert main(["train", "--model", "fcn8s-vgg16", "--learn-final-upsampling", "--iterations", "1"]) == 2
    err = capsys.readouterr().err
    assert "--freeze-upsampling keeps" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("cupy,message", [
    (None, "device 'cuda' needs CuPy, which is not installed"),
    (cupy_without_a_gpu(), "CuPy is installed but no usable GPU was found (cudaErrorNoDevice"),
])
def test_no_usable_gpu_is_the_user_s_one_line_error(capsys, monkeypatch, cupy, message):
    monkeypatch.setitem(sys.modules, "cupy", cupy)
    assert main(["train", "--device", "cuda", "--epochs", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"fcn-scratch train: error: {message}") and len(err.strip().splitlines()) == 1


def test_bench_passes_its_options_through(capsys):
    """`python -m fcn_scratch bench --quick ...` reaches the benchmark's own parser; other commands still
    refuse options they do not know."""
    assert main(["bench", "--quick", "--repeats", "1", "--size", "32", "--batch", "1"]) == 0
    assert "batch 1 x 3 x 32 x 32" in capsys.readouterr().out
    with pytest.raises(SystemExit) as info:
        main(["train", "--quick"])
    assert info.value.code == 2
    assert "unrecognized arguments: --quick" in capsys.readouterr().err


@pytest.mark.parametrize("bug", [TypeError("unsupported operand type(s)"),
                                 ValueError("operands could not be broadcast together"),
                                 RuntimeError("something the code did not expect")])
def test_a_bug_keeps_its_traceback(monkeypatch, bug):
    """Only the user's mistakes (InputError, OSError, a diverged run) become one-line errors; a ValueError
    from the code itself, as NumPy raises for mismatched shapes, is a bug."""
    from fcn_scratch import cli

    def broken(args):
        raise bug
    monkeypatch.setitem(cli.COMMANDS, "summary", broken)
    with pytest.raises(type(bug), match=str(bug).split("(")[0]):
        main(["summary"])


def test_an_input_error_raised_anywhere_is_one_line(monkeypatch, capsys):
    from fcn_scratch import cli
    from fcn_scratch.errors import InputError

    def refuses(args):
        raise InputError("--thing must be a thing, got 3")
    monkeypatch.setitem(cli.COMMANDS, "summary", refuses)
    assert main(["summary"]) == 2
    assert capsys.readouterr().err == "fcn-scratch summary: error: --thing must be a thing, got 3\n"


def test_bench_without_a_gpu_is_a_one_line_error(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "cupy", None)
    assert main(["bench", "--quick", "--device", "cuda"]) == 2
    assert "needs CuPy" in capsys.readouterr().err


def test_the_commands_on_cuda(tmp_path, capsys):
    """train, --resume, evaluate, predict and bench --quick with --device cuda (a GPU or the CuPy stand-in)."""
    out = tmp_path / "run"
    common = ["--train-size", "8", "--val-size", "4", "--image-size", "32", "--num-classes", "3",
              "--batch-size", "4", "--quiet", "--device", "cuda"] + TINY
    assert main(["train", "--out", str(out), "--epochs", "1"] + common) == 0
    assert main(["train", "--out", str(out), "--epochs", "2", "--resume", str(out / "last.npz")] + common) == 0
    assert [json.loads(line)["epoch"] for line in (out / "metrics.jsonl").read_text().splitlines()] == [1, 2]
    assert main(["evaluate", str(out / "best.npz"), "--size", "4", "--device", "cuda",
                 "--out", str(tmp_path / "e.json")]) == 0
    Image.fromarray(np.zeros((20, 24, 3), np.uint8)).save(tmp_path / "im.png")
    assert main(["predict", str(out / "best.npz"), str(tmp_path / "im.png"), "--device", "cuda",
                 "--out", str(tmp_path / "pred")]) == 0
    assert (tmp_path / "pred" / "im_mask.png").exists()
    assert main(["bench", "--quick", "--repeats", "1", "--device", "cuda", "--size", "32", "--batch", "1"]) == 0
    assert "device cuda" in capsys.readouterr().out


SMALL = ["--epochs", "1", "--train-size", "8", "--val-size", "2", "--image-size", "32", "--num-classes", "3",
         "--quiet"] + TINY


def test_a_second_run_into_the_same_folder_is_refused_unless_asked(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--out", str(out)] + SMALL) == 0
    before = (out / "best.npz").read_bytes()
    capsys.readouterr()
    assert main(["train", "--out", str(out)] + SMALL) == 2
    err = capsys.readouterr().err
    assert "already holds a run" in err and "--overwrite" in err and len(err.strip().splitlines()) == 1
    assert (out / "best.npz").read_bytes() == before
    (out / "eval_val.json").write_text("{}")
    assert main(["train", "--out", str(out), "--overwrite", "--seed", "1"] + SMALL) == 0
    assert (out / "best.npz").read_bytes() != before and not (out / "eval_val.json").exists()


def test_resuming_a_finished_run_trains_nothing_and_keeps_its_results(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--out", str(out)] + SMALL) == 0
    results = (out / "results.json").read_text()
    assert "seconds" in json.loads(results)
    assert main(["train", "--out", str(out), "--resume", str(out / "last.npz")] + SMALL) == 0
    assert "nothing to train" in capsys.readouterr().out
    assert (out / "results.json").read_text() == results


def test_predict_gives_images_of_the_same_name_their_own_files(run, tmp_path, capsys):
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        Image.fromarray(np.zeros((20, 24, 3), np.uint8)).save(tmp_path / folder / "x.png")
    assert main(["predict", str(run / "best.npz"), str(tmp_path / "a" / "x.png"), str(tmp_path / "b" / "x.png"),
                 "--out", str(tmp_path / "pred")]) == 0
    assert sorted(p.name for p in (tmp_path / "pred").iterdir()) == [
        "a_x_mask.png", "a_x_overlay.png", "b_x_mask.png", "b_x_overlay.png"]
    assert "wrote 4 files" in capsys.readouterr().out


@pytest.mark.parametrize("option,value,message", [
    ("--momentum", "-5", "must be at least 0"), ("--weight-decay", "-1", "must be zero or more"),
    ("--image-size", "1", "must be at least 8"), ("--seed", "-3", "must be zero or more"),
    ("--lr", "nan", "must be a finite number"), ("--lr", "inf", "must be a finite number"),
    ("--lr", "abc", "expected a number, got 'abc'"), ("--dropout", "1", "below 1")])
def test_bad_option_values_name_the_option(option, value, message, capsys):
    with pytest.raises(SystemExit) as info:
        main(["train", option, value])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert option in err and message in err


def test_widths_must_be_positive(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--widths", "0", "0", "0", "0", "0"])
    assert "--widths" in capsys.readouterr().err


def test_file_system_faults_are_one_line(run, tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    assert main(["train", "--out", str(tmp_path / "file")] + SMALL) == 2
    assert "is a file; expected a folder" in capsys.readouterr().err
    (tmp_path / "folder").mkdir()
    assert main(["evaluate", str(run / "best.npz"), "--size", "2", "--out", str(tmp_path / "folder")]) == 2
    err = capsys.readouterr().err
    assert "Is a directory" in err and str(tmp_path / "folder") in err and len(err.strip().splitlines()) == 1


def test_divergence_is_one_line(tmp_path, capsys):
    assert main(["train", "--out", str(tmp_path / "run"), "--optimizer", "sgd", "--lr", "1e6", "--epochs", "2", "--train-size", "16",
                 "--val-size", "2", "--image-size", "32", "--num-classes", "3", "--quiet"] + TINY[:-2]) == 2
    err = capsys.readouterr().err
    assert "loss became" in err and "Try a lower learning rate" in err and len(err.strip().splitlines()) == 1


def test_checkpoints_are_ordinary_files(run):
    import os
    import stat
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE((run / "best.npz").stat().st_mode) == 0o666 & ~mask


def test_predict_resize_works_at_the_training_scale_and_keeps_the_image_size(run, tmp_path, capsys):
    Image.fromarray(np.zeros((150, 200, 3), np.uint8)).save(tmp_path / "big.png")
    assert main(["predict", str(run / "best.npz"), str(tmp_path / "big.png"), "--out", str(tmp_path / "p1")]) == 0
    assert "the model learned on 32" in capsys.readouterr().out
    assert main(["predict", str(run / "best.npz"), str(tmp_path / "big.png"), "--resize",
                 "--out", str(tmp_path / "p2")]) == 0
    assert "note:" not in capsys.readouterr().out
    assert Image.open(tmp_path / "p2" / "big_mask.png").size == (200, 150)


def test_summary_defaults_build_what_train_builds(capsys):
    assert main(["summary"]) == 0
    assert "total parameters: 956,060" in capsys.readouterr().out


def test_a_full_disk_is_one_line_and_leaves_no_temporary_file(tmp_path, capsys, monkeypatch):
    import errno

    from fcn_scratch import checkpoint

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(checkpoint.np, "savez", full)
    assert main(["train", "--out", str(tmp_path / "run")] + SMALL) == 2
    err = capsys.readouterr().err
    assert "No space left on device" in err and len(err.strip().splitlines()) == 1
    assert not list((tmp_path / "run").glob(".*.tmp"))


def test_predict_says_once_that_it_converts_other_image_modes(run, tmp_path, capsys):
    for i in range(2):
        Image.fromarray(np.zeros((20, 24), np.uint8), "L").save(tmp_path / f"grey{i}.png")
    assert main(["predict", str(run / "best.npz"), str(tmp_path), "--out", str(tmp_path / "pred")]) == 0
    out = capsys.readouterr().out
    assert out.count("has colour mode L") == 1 and "read as RGB" in out


@pytest.mark.parametrize("variable,value,message", [
    ("FCN_SCRATCH_THREADS", "two", "FCN_SCRATCH_THREADS must be a whole number of threads >= 1, got 'two'"),
    ("FCN_SCRATCH_FAST", "maybe", "FCN_SCRATCH_FAST must be 0 or 1, got 'maybe'")])
def test_a_bad_environment_variable_is_one_line(variable, value, message):
    """Read when the fast routes first ask (summary runs a forward): one line, exit 2, no traceback."""
    done = subprocess.run([sys.executable, "-m", "fcn_scratch", "summary"], capture_output=True, text=True,
                          env={**os.environ, variable: value})
    assert done.returncode == 2
    assert done.stderr.strip() == f"fcn-scratch summary: error: {message}"


def test_train_the_paper_net_from_an_imported_imagenet_classifier(tmp_path, capsys):
    """The paper's starting point: the ImageNet encoder with fc6/fc7 convolutionalized, zero score layers,
    bilinear upsampling, and the classifier's own preprocessing; then one training step."""
    from fcn_scratch.checkpoint import read_checkpoint
    from fcn_scratch.functional import bilinear_kernel
    from fcn_scratch.weights import import_weights
    from tests.weights.synthetic import classifier_state, write

    source = write(classifier_state("torchvision"), tmp_path / "vgg16.safetensors")
    reduced = ["--widths", "4", "4", "8", "8", "8", "--fc-channels", "16"]
    import_weights(source, "fcn8s-vgg16", tmp_path / "vgg16.npz", num_classes=4, widths=(4, 4, 8, 8, 8),
                   fc_channels=16)
    start = read_checkpoint(tmp_path / "vgg16.npz")
    assert not start.state["score_fr.weight"].any() and not start.state["score_pool3.weight"].any()
    np.testing.assert_array_equal(start.state["upscore8.weight"], bilinear_kernel(4, 4, 16))
    state = classifier_state("torchvision")
    np.testing.assert_array_equal(start.state["fc6.weight"], state["classifier.0.weight"].reshape(16, 8, 7, 7))
    capsys.readouterr()
    assert main(["train", "--model", "fcn8s-vgg16", *reduced, "--init-from", str(tmp_path / "vgg16.npz"),
                 "--epochs", "1", "--train-size", "2", "--val-size", "2", "--batch-size", "2",
                 "--image-size", "32", "--quiet", "--out", str(tmp_path / "run")]) == 0
    out = capsys.readouterr().out
    assert "initialized 39 parameters" in out and "new: none" in out
    last = read_checkpoint(tmp_path / "run" / "last.npz")
    assert last.meta["preprocessing"]["mean"] == [0.485, 0.456, 0.406]
    assert last.config["convs_per_block"] == [2, 2, 3, 3, 3] and last.config["conv1_padding"] == 100
    assert np.abs(last.state["score_fr.weight"]).max() > 0                      # one step trained it
    # zero score layers pass no gradient down: the first step leaves the ImageNet encoder as it was
    np.testing.assert_array_equal(last.state["conv1_1.weight"], start.state["conv1_1.weight"])


def test_the_paper_net_imports_and_predicts_alike_on_cpu_and_cuda(tmp_path, capsys):
    """pytorch-fcn's keys in, a photo-sized image out, the same mask on both devices (a GPU or the stand-in)."""
    from fcn_scratch.weights import import_weights
    from tests.weights.synthetic import fcn_state, write

    state = {k: v * 0.1 for k, v in fcn_state("fcn8s-vgg16").items()}
    source = write(state, tmp_path / "fcn8s.safetensors")
    import_weights(source, "fcn8s-vgg16", tmp_path / "fcn8s.npz", widths=(4, 4, 8, 8, 8), fc_channels=16)
    rng = np.random.default_rng(0)
    Image.fromarray((rng.random((61, 83, 3)) * 255).astype(np.uint8)).save(tmp_path / "photo.jpg")
    masks = {}
    for device in ("cpu", "cuda"):
        assert main(["predict", str(tmp_path / "fcn8s.npz"), str(tmp_path / "photo.jpg"), "--device", device,
                     "--out", str(tmp_path / device)]) == 0
        masks[device] = np.asarray(Image.open(tmp_path / device / "photo_mask.png"))
    assert masks["cpu"].shape == (61, 83) and len(np.unique(masks["cpu"])) > 1
    np.testing.assert_array_equal(masks["cpu"], masks["cuda"])
    from fcn_scratch.data import VOC_CLASSES
    found = capsys.readouterr().out.splitlines()[0].split(": ", 1)[1]          # "name 40%, name 21%, ..."
    assert {part.rsplit(" ", 1)[0] for part in found.split(", ")} <= set(VOC_CLASSES)


def test_errors_do_not_depend_on_a_run_in_the_current_folder(capsys):
    """The README's training leaves runs/fcn8s in the current folder; a bad data argument is still
    named as such, not refused for the folder."""
    Path("runs/fcn8s").mkdir(parents=True)
    Path("runs/fcn8s/last.npz").write_bytes(b"a run")
    for argv, message in ((["train", "--data", "/no/such/voc", "--epochs", "1"], "split list not found"),
                          (["train", "--num-classes", "9", "--epochs", "1"], "num_classes must be in [2, 6]")):
        assert main(argv) == 2
        assert message in capsys.readouterr().err


def test_a_run_holds_its_folder_against_a_second_run_and_a_resume(tmp_path, capsys):
    from fcn_scratch.train import hold_run_folder

    out = tmp_path / "run"
    assert main(["train", "--out", str(out)] + SMALL) == 0
    capsys.readouterr()
    with hold_run_folder(out):                  # as a run in progress holds it
        for extra in ([], ["--resume", str(out / "last.npz"), "--epochs", "2"], ["--overwrite"]):
            assert main(["train", "--out", str(out)] + SMALL + extra) == 2
            err = capsys.readouterr().err
            assert f"is in use by another run: process {os.getpid()}" in err and len(err.strip().splitlines()) == 1
    assert main(["train", "--out", str(out), "--resume", str(out / "last.npz")] + SMALL[2:] + ["--epochs", "2"]) == 0


def test_evaluate_names_its_output_after_the_checkpoint_and_split_and_replaces_it_only_when_asked(run, capsys):
    for name in ("best", "last"):
        assert main(["evaluate", str(run / f"{name}.npz"), "--size", "4"]) == 0
        assert json.loads((run / f"eval_{name}_val.json").read_text())["checkpoint"] == str(run / f"{name}.npz")
    before = (run / "eval_best_val.json").read_text()
    capsys.readouterr()
    assert main(["evaluate", str(run / "best.npz"), "--size", "2", "--seed", "5"]) == 2
    err = capsys.readouterr().err
    assert "eval_best_val.json already exists" in err and "--overwrite" in err and len(err.strip().splitlines()) == 1
    assert (run / "eval_best_val.json").read_text() == before
    assert main(["evaluate", str(run / "best.npz"), "--size", "2", "--seed", "5", "--overwrite"]) == 0
    assert (run / "eval_best_val.json").read_text() != before


def test_evaluate_help_gives_the_image_size_one_default(capsys):
    with pytest.raises(SystemExit):
        main(["evaluate", "--help"])
    entry = capsys.readouterr().out.split("--image-size IMAGE_SIZE\n")[1].split("\n  --")[0]
    assert entry.count("default") == 1 and "the checkpoint's" in entry


def test_evaluate_uses_the_image_size_it_is_given(run, tmp_path, capsys):
    """The checkpoint's size (32) by default; an explicit --image-size 64 (the train default) is taken."""
    assert main(["evaluate", str(run / "best.npz"), "--size", "2", "--out", str(tmp_path / "a.json")]) == 0
    assert main(["evaluate", str(run / "best.npz"), "--size", "2", "--image-size", "64",
                 "--out", str(tmp_path / "b.json")]) == 0
    assert json.loads((tmp_path / "a.json").read_text()) != json.loads((tmp_path / "b.json").read_text())


def test_resume_into_another_folder_writes_a_whole_run_there(tmp_path, capsys):
    """No resumed epoch beats the best (a learning rate too small to move a weight): the new folder
    still gets its best.npz, results.json (naming the run it continued) and figures."""
    assert main(["train", "--out", str(tmp_path / "a")] + SMALL) == 0
    assert main(["train", "--resume", str(tmp_path / "a" / "last.npz"), "--out", str(tmp_path / "b"),
                 "--lr", "1e-30"] + SMALL[2:] + ["--epochs", "2"]) == 0
    b = tmp_path / "b"
    for name in ("best.npz", "last.npz", "metrics.jsonl", "results.json", "curves.png", "confusion.png",
                 "predictions.png"):
        assert (b / name).exists(), name
    result = json.loads((b / "results.json").read_text())
    assert result["continued_from"] == str(tmp_path / "a" / "last.npz") and result["best_epoch"] == 1
    assert [json.loads(line)["epoch"] for line in (b / "metrics.jsonl").read_text().splitlines()] == [1, 2]


def test_data_faults_are_found_before_the_first_step_and_leave_the_folder_as_it_was(tmp_path, capsys):
    from fcn_scratch.data import save_mask

    write_voc(tmp_path / "voc", names=("a", "b", "c"), size=(40, 36))
    write_voc(tmp_path / "voc", names=("d", "e"), size=(40, 36), split="val")
    (tmp_path / "voc" / "JPEGImages" / "b.jpg").unlink()
    save_mask(np.full((36, 40), 9), tmp_path / "voc" / "SegmentationClass" / "e.png")
    argv = ["train", "--data", str(tmp_path / "voc"), "--num-classes", "3", "--image-size", "32", "--epochs", "1",
            "--batch-size", "2", "--out", str(tmp_path / "run"), "--quiet"] + TINY
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "the data has 2 faults:" in err and "train split: image not found:" in err and "b.jpg" in err
    assert "val split: mask" in err and "e.png has labels [9]" in err and "epoch" not in err
    assert not (tmp_path / "run").exists()
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "notes.txt").write_text("mine")
    assert main(argv) == 2
    assert os.listdir(tmp_path / "run") == ["notes.txt"]
    (tmp_path / "run" / "best.npz").write_bytes(b"an earlier run")
    assert main(argv + ["--overwrite"]) == 2         # refused for its data: the run it would replace is kept
    assert sorted(os.listdir(tmp_path / "run")) == ["best.npz", "notes.txt"]
    (tmp_path / "run" / "best.npz").unlink()
    (tmp_path / "voc" / "SegmentationClass" / "e.png").unlink()
    save_mask(np.zeros((36, 40)), tmp_path / "voc" / "SegmentationClass" / "e.png")
    Image.open(tmp_path / "voc" / "JPEGImages" / "a.jpg").save(tmp_path / "voc" / "JPEGImages" / "b.jpg")
    assert main(argv) == 0                       # the fixed data trains; nothing of the failed starts is in the way


def test_training_on_masks_with_no_labelled_pixel_says_so_before_training(tmp_path, capsys):
    from fcn_scratch.data import save_mask

    write_voc(tmp_path / "voc", names=("a", "b"), size=(40, 36))
    write_voc(tmp_path / "voc", names=("c",), size=(40, 36), split="val")
    for name in ("a", "b", "c"):
        save_mask(np.full((36, 40), 255), tmp_path / "voc" / "SegmentationClass" / f"{name}.png")
    assert main(["train", "--data", str(tmp_path / "voc"), "--num-classes", "3", "--epochs", "1",
                 "--out", str(tmp_path / "run"), "--quiet"] + TINY) == 2
    err = capsys.readouterr().err
    assert "train split: no pixel is labelled" in err and "val split: no pixel is labelled" in err
    assert not (tmp_path / "run").exists()


def test_predict_goes_on_past_an_unreadable_image_and_exits_non_zero(run, tmp_path, capsys):
    folder = tmp_path / "imgs"
    folder.mkdir()
    (folder / "a_broken.jpg").write_bytes(b"not a jpeg")
    Image.fromarray(np.zeros((20, 24, 3), np.uint8)).save(folder / "b_good.png")
    assert main(["predict", str(run / "best.npz"), str(folder), "--out", str(tmp_path / "pred")]) == 1
    captured = capsys.readouterr()
    assert "wrote 2 files" in captured.out and (tmp_path / "pred" / "b_good_mask.png").exists()
    assert "1 of 2 images could not be read" in captured.err and "a_broken.jpg" in captured.err
