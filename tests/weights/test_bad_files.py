"""Weights files that are damaged, foreign or say wrong things of themselves: one line naming the file,
from the reader and from the commands that read them (import-weights, export)."""
import json
import zipfile

import numpy as np
import pytest

from fcn_scratch.checkpoint import save_checkpoint
from fcn_scratch.cli import main
from fcn_scratch.errors import InputError
from fcn_scratch.models import build
from fcn_scratch.weights import open_weights
from tests.weights.synthetic import DAMAGE, damaged_npz

NOT_JSON = "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"
# (the file, what it says of itself, what the line says after the file's name)
BAD_HEADERS = [
    ("w.npz", "{not json", f"is not an fcn-scratch checkpoint: its header is not JSON ({NOT_JSON})"),
    ("w.npz", "[1, 2]", "is not an fcn-scratch checkpoint: its header is not a JSON object"),
    ("w.npz", {"format": "fcn-scratch-checkpoint", "config": {}},
     "is a damaged checkpoint: its header has no 'model' entry"),
    ("w.npz", {"format": "fcn-scratch-checkpoint", "model": "fcn8s", "config": [3]},
     "is a damaged checkpoint: its header has a 'config' entry that is not a JSON object"),
    ("w.npz", {"format": "another-tool", "model": "fcn8s", "config": {}},
     "is not an fcn-scratch checkpoint (format 'another-tool')"),
    ("w.safetensors", "{not json",
     f"is not an fcn-scratch export: its 'fcn-scratch' metadata is not JSON ({NOT_JSON})"),
    ("w.safetensors", "[1]", "is not an fcn-scratch export: its 'fcn-scratch' metadata is not a JSON object"),
    ("w.safetensors", {"config": {}, "meta": {}},
     "is a damaged export: its 'fcn-scratch' metadata has no 'model' entry"),
    ("w.safetensors", {"model": "fcn8s", "config": {}, "meta": "caffe"},
     "is a damaged export: its 'fcn-scratch' metadata has a 'meta' entry that is not a JSON object"),
]
IDS = ["npz-not-json", "npz-list", "npz-no-model", "npz-config-list", "npz-other-format",
       "safetensors-not-json", "safetensors-list", "safetensors-no-model", "safetensors-meta-str"]


def saying(path, about):
    """``path`` (.npz or .safetensors): one array, and ``about`` (JSON, or text) where an fcn-scratch file
    of that format says what it holds (a checkpoint's header, an export's metadata)."""
    text = about if isinstance(about, str) else json.dumps(about)
    array = np.ones((2, 3, 3, 3), np.float32)
    if path.suffix == ".npz":
        np.savez(path, header=np.array(text), **{"param/conv1_1.weight": array})
    else:
        from safetensors.numpy import save_file
        save_file({"conv1_1.weight": array}, path, metadata={"fcn-scratch": text})
    return path


def small_checkpoint(path):
    return save_checkpoint(path, build("fcn8s", num_classes=3, widths=(2, 3, 3, 4, 4), convs_per_block=1,
                                       fc_channels=4))


@pytest.mark.parametrize("name, about, message", BAD_HEADERS, ids=IDS)
def test_a_file_that_says_wrong_things_of_itself_is_one_line(tmp_path, name, about, message):
    path = saying(tmp_path / name, about)
    with pytest.raises(InputError) as info:
        open_weights(path)
    assert str(info.value) == f"{path} {message}"


@pytest.mark.parametrize("command, out", [("import-weights", "o.npz"), ("export", "o.safetensors")])
@pytest.mark.parametrize("name, about, message", BAD_HEADERS, ids=IDS)
def test_the_commands_say_it_in_one_line_and_write_nothing(tmp_path, capsys, command, out, name, about, message):
    path = saying(tmp_path / name, about)
    assert main([command, str(path), "--out", str(tmp_path / out)]) == 2
    assert capsys.readouterr().err == f"fcn-scratch {command}: error: {path} {message}\n"
    assert not (tmp_path / out).exists()


@pytest.mark.parametrize("kind", list(DAMAGE))
def test_each_damage_raises_in_numpy_what_the_catalogue_says(tmp_path, kind):
    """The exceptions the readers turn into one line are these: if NumPy changes them, this says so."""
    path = damaged_npz(small_checkpoint(tmp_path / "c.npz"), tmp_path / "d.npz", kind)
    with pytest.raises(DAMAGE[kind]) as info:
        with np.load(path, allow_pickle=False) as archive:
            for name in archive.files:
                archive[name]
    assert type(info.value) is DAMAGE[kind]


@pytest.mark.parametrize("kind", list(DAMAGE))
def test_a_damaged_npz_is_one_line_whether_at_opening_or_reading(tmp_path, kind):
    path = damaged_npz(small_checkpoint(tmp_path / "c.npz"), tmp_path / "d.npz", kind)
    with pytest.raises(InputError) as info:
        with open_weights(path) as weights:
            for name in weights.shapes:
                weights.read(name)
    assert str(info.value).startswith(f"{path} is not a readable .npz file: ") and "\n" not in str(info.value)


def test_import_weights_says_a_damaged_array_in_one_line_and_writes_nothing(tmp_path, capsys):
    fits = save_checkpoint(tmp_path / "c.npz", build("fcn8s", num_classes=3))     # what --model fcn8s builds
    path = damaged_npz(fits, tmp_path / "d.npz", "an array's bytes altered")
    assert main(["import-weights", str(path), "--model", "fcn8s", "--out", str(tmp_path / "o.npz")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"fcn-scratch import-weights: error: {path} is not a readable .npz file: Bad CRC-32 ")
    assert err.count("\n") == 1 and not (tmp_path / "o.npz").exists()


def test_a_zip_with_a_member_that_is_no_array_is_one_line(tmp_path):
    np.savez(tmp_path / "w.npz", **{"conv1_1.weight": np.ones((2, 3, 3, 3), np.float32)})
    with zipfile.ZipFile(tmp_path / "w.npz", "a") as z:
        z.writestr("README.txt", "weights of a model")
    with pytest.raises(InputError) as info:
        open_weights(tmp_path / "w.npz")
    assert str(info.value) == (f"{tmp_path / 'w.npz'} is not a readable .npz file: its member 'README.txt' "
                               "is not a .npy array")

