"""Weights and outputs as the user means them: a file is written in the format its name says or refused
in one line naming the fix; a weights file given where a checkpoint goes says how to make one; a NaN is
refused where it enters; exports are ordinary files; names say which model."""
import stat

import numpy as np
import pytest

from fcn_scratch.cli import main
from fcn_scratch.errors import InputError
from fcn_scratch.functional import no_init
from fcn_scratch.models import REFERENCE, build, name_of
from fcn_scratch.weights import import_weights
from tests.weights.synthetic import SMALL
from tests.weights.synthetic import fcn_state, write
from tests.weights.test_export import random_checkpoint


def one_line(capsys):
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    return err


def test_import_weights_writes_a_checkpoint_under_a_checkpoints_name_only(tmp_path, capsys):
    src = write(fcn_state(), tmp_path / "fcn8s.safetensors")
    assert main(["import-weights", str(src), "--out", str(tmp_path / "m.safetensors")]) == 2
    assert "import-weights writes a checkpoint, an .npz; name it .npz" in one_line(capsys)
    assert not (tmp_path / "m.safetensors").exists()


@pytest.mark.parametrize("suffix", [".safetensors", ".pth"])
def test_predict_or_init_from_a_weights_file_says_how_to_make_a_checkpoint(tmp_path, capsys, suffix):
    src = tmp_path / f"m{suffix}"
    if suffix == ".safetensors":
        random_checkpoint(tmp_path / "c.npz")
        assert main(["export", str(tmp_path / "c.npz"), "--out", str(src)]) == 0
    else:
        src.write_bytes(b"\x80\x02}q\x00.")                  # a pickle, as a .pth begins
    capsys.readouterr()
    (tmp_path / "photo.png").write_bytes(b"")
    for argv in (["predict", str(src), str(tmp_path / "photo.png")],
                 ["train", "--init-from", str(src), "--epochs", "1", "--out", str(tmp_path / "run")]):
        assert main(argv) == 2
        err = one_line(capsys)
        assert f"{src} holds weights, not an fcn-scratch checkpoint; make a checkpoint of it with " \
               f"`fcn-scratch import-weights {src} --out m.npz`" in err
        assert "pickle" not in err


def test_an_npz_of_weights_without_a_header_names_import_weights(tmp_path, capsys):
    random_checkpoint(tmp_path / "c.npz")
    assert main(["export", str(tmp_path / "c.npz"), "--out", str(tmp_path / "w.npz")]) == 0
    capsys.readouterr()
    assert main(["evaluate", str(tmp_path / "w.npz")]) == 2
    assert "it has no header; if it holds weights, make a checkpoint of it with `fcn-scratch import-weights" \
           in one_line(capsys)


def test_a_nan_weight_is_refused_where_it_enters(tmp_path):
    state = fcn_state()
    state["fc7.weight"][0, 0] = np.nan
    src = write(state, tmp_path / "bad.safetensors")
    with pytest.raises(InputError, match=f"{src} is not usable: parameter fc7.weight holds NaN or infinity"):
        import_weights(src, "fcn8s-vgg16", tmp_path / "m.npz", **SMALL)
    assert not (tmp_path / "m.npz").exists()


def test_a_folder_is_not_a_weights_file_nor_a_checkpoint(tmp_path, capsys):
    (tmp_path / "a_dir").mkdir()
    assert main(["import-weights", str(tmp_path / "a_dir"), "--out", str(tmp_path / "m.npz")]) == 2
    assert "a folder, not a weights file" in one_line(capsys)
    assert main(["predict", str(tmp_path / "a_dir"), str(tmp_path)]) == 2
    assert "a folder, not a checkpoint" in one_line(capsys)


def test_an_out_inside_a_file_is_named_as_given(tmp_path, capsys):
    random_checkpoint(tmp_path / "c.npz")
    (tmp_path / "notes.txt").write_text("x")
    out = tmp_path / "notes.txt" / "w.safetensors"
    assert main(["export", str(tmp_path / "c.npz"), "--out", str(out)]) == 2
    err = one_line(capsys)
    assert str(out) in err and ".tmp" not in err


def test_exports_are_ordinary_files(tmp_path):
    random_checkpoint(tmp_path / "c.npz")
    for suffix in (".safetensors", ".npz"):
        assert main(["export", str(tmp_path / "c.npz"), "--out", str(tmp_path / f"w{suffix}")]) == 0
    modes = {stat.S_IMODE((tmp_path / name).stat().st_mode) for name in ("c.npz", "w.safetensors", "w.npz")}
    assert len(modes) == 1 and modes != {0o600}


def test_summary_names_the_model_and_the_size_it_used(capsys):
    assert main(["summary", "--model", "fcn8s-vgg16", "--image-size", "96"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == \
        "fcn8s-vgg16 on a 1 x 3 x 96 x 96 input: logits (1, 21, 96, 96)"
    with no_init():
        assert [name_of(build(name)) for name in REFERENCE] == list(REFERENCE)
        assert name_of(build("fcn8s", num_classes=4)) == "fcn8s"
