import json
import os

import zipfile

import numpy as np
import pytest

import fcn_scratch.checkpoint
from fcn_scratch.checkpoint import load_into, load_model, read_checkpoint, read_header, save_checkpoint
from fcn_scratch.errors import InputError
from fcn_scratch.models import build
from tests.weights.synthetic import DAMAGE, damaged_npz

CONFIG = dict(widths=(2, 3, 3, 4, 4), convs_per_block=1, fc_channels=4)


def model(name="fcn8s", seed=0, **kw):
    m = build(name, num_classes=3, rng=np.random.default_rng(seed), class_names=["bg", "a", "b"], **{**CONFIG, **kw})
    m.score_fr.params["weight"][...] = np.random.default_rng(seed).standard_normal(m.score_fr.params["weight"].shape)
    return m.eval()


def test_round_trip_rebuilds_the_same_model(tmp_path):
    m = model()
    x = np.random.default_rng(0).standard_normal((1, 3, 35, 29)).astype(np.float32)
    path = save_checkpoint(tmp_path / "best.npz", m, extra={"optim/step": np.array(7)}, meta={"epoch": 3})
    loaded, ckpt = load_model(path)
    np.testing.assert_array_equal(loaded.eval()(x), m(x))
    assert type(loaded).__name__ == "FCN8s" and loaded.config["class_names"] == ["bg", "a", "b"]
    assert ckpt.meta == {"epoch": 3} and int(ckpt.extra["optim/step"]) == 7
    assert sorted(os.listdir(tmp_path)) == ["best.npz"]


def test_wrong_model_kind(tmp_path):
    save_checkpoint(tmp_path / "c.npz", model("fcn32s"))
    with pytest.raises(ValueError, match="holds a fcn32s but the model is a fcn8s"):
        load_into(model("fcn8s"), tmp_path / "c.npz")


def test_wrong_shape_and_missing_key_are_named(tmp_path):
    save_checkpoint(tmp_path / "c.npz", model(fc_channels=6))
    with pytest.raises(ValueError, match=r"c.npz: .*fc6.weight: checkpoint \(6, 4, 3, 3\), model \(4, 4, 3, 3\)"):
        load_into(model(), tmp_path / "c.npz")
    path = tmp_path / "d.npz"
    save_checkpoint(path, model())
    ckpt = read_checkpoint(path)
    del ckpt.state["fc7.weight"]
    with pytest.raises(ValueError, match="missing: fc7.weight"):
        model().load_state_dict(ckpt.state)


def test_truncated_and_missing_files(tmp_path):
    path = save_checkpoint(tmp_path / "c.npz", model())
    data = path.read_bytes()
    (tmp_path / "cut.npz").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="cut.npz is not a readable checkpoint"):
        load_model(tmp_path / "cut.npz")
    with pytest.raises(FileNotFoundError, match="checkpoint not found: .*nothere.npz"):
        load_model(tmp_path / "nothere.npz")
    np.savez(tmp_path / "plain.npz", a=np.zeros(2))
    with pytest.raises(ValueError, match="not an fcn-scratch checkpoint"):
        read_checkpoint(tmp_path / "plain.npz")


def test_failed_save_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    path = save_checkpoint(tmp_path / "last.npz", model(seed=1))
    before = path.read_bytes()

    def broken_savez(f, **arrays):
        f.write(b"half a checkpoint")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", broken_savez)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(path, model(seed=2))
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["last.npz"]


def with_header(path, header, **arrays):
    np.savez(path, header=np.array(header if isinstance(header, str) else json.dumps(header)), **arrays)
    return path


@pytest.mark.parametrize("header,message", [
    ("{not json", r"its header is not JSON \(Expecting property name"),
    ("[1, 2]", "its header is not a JSON object"),
    ({"format": "fcn-scratch-checkpoint", "config": {}}, "is a damaged checkpoint: its header has no 'model' entry"),
    ({"format": "fcn-scratch-checkpoint", "model": "fcn8s"}, "has no 'config' entry"),
    ({"format": "fcn-scratch-checkpoint", "model": "fcn8s", "config": {}, "meta": [1]},
     "has a 'meta' entry that is not a JSON object"),
    ({"format": "fcn-scratch-checkpoint", "model": "fcn8s", "config": {"num_classes": 3, "wings": 2}},
     "describes no model this version builds: .*wings"),
    ({"format": "fcn-scratch-checkpoint", "model": "fcn99s", "config": {}}, "describes no model .*fcn99s"),
])
def test_every_header_fault_is_one_line_naming_the_file(tmp_path, header, message):
    path = with_header(tmp_path / "c.npz", header)
    with pytest.raises(ValueError, match=message) as info:
        load_model(path)
    assert str(info.value).startswith(str(path)) and "\n" not in str(info.value)


def test_weights_holding_nan_or_infinity_are_refused_with_their_name(tmp_path):
    m = model()
    m.fc6.params["weight"][0, 0, 0, 0] = np.nan
    save_checkpoint(tmp_path / "nan.npz", m)
    with pytest.raises(ValueError, match=r"nan.npz is not usable: parameter fc6.weight holds NaN or infinity"):
        load_model(tmp_path / "nan.npz")
    m = model()
    m.score_fr.params["bias"][1] = -np.inf
    save_checkpoint(tmp_path / "inf.npz", m)
    with pytest.raises(ValueError, match="parameter score_fr.bias holds NaN or infinity"):
        load_into(model(), tmp_path / "inf.npz")


def test_a_model_of_other_sizes_is_a_short_line_with_counts(tmp_path):
    """A checkpoint of other widths differs in every weight: the line counts them and names three."""
    save_checkpoint(tmp_path / "wide.npz", model(widths=(3, 4, 4, 5, 5), fc_channels=6))
    with pytest.raises(ValueError) as info:
        load_into(model(), tmp_path / "wide.npz")
    message = str(info.value)
    assert "wrong shape: conv1_1.weight: checkpoint (3, 3, 3, 3), model (2, 3, 3, 3); " in message
    assert message.endswith("; ...") and message.count("checkpoint (") == 3 and len(message) < 300
    wrong = sum(1 for name, value in model().state_dict().items()
                if read_checkpoint(tmp_path / "wide.npz").state[name].shape != value.shape)
    assert f"{wrong} wrong shape" in message


def test_the_header_alone_is_read_without_the_weights(tmp_path):
    path = save_checkpoint(tmp_path / "c.npz", model(), meta={"epoch": 4})
    header = read_header(path)
    assert header["model"] == "fcn8s" and header["meta"] == {"epoch": 4}
    path.write_bytes(b"garbage")
    with pytest.raises(ValueError, match="c.npz is not a readable checkpoint"):
        read_header(path)



FCN8S_KEYS = ("at_once, class_names, conv1_padding, convs_per_block, dropout, fc6_kernel, fc6_padding, fc_channels, "
              "in_channels, learn_final_upsampling, num_classes, widths")


@pytest.mark.parametrize("model_name, config, fault", [
    ("fcn8s", {"num_classes": 3, "wings": 2}, "fcn8s takes no 'wings'"),
    ("fcn8s", {"widths": [2, 3, 3, 4, 4]}, "fcn8s needs 'num_classes'"),
    ("fcn8s", {"num_classes": 3, "dtype": "float16", "rng": 0}, "fcn8s takes no 'dtype', 'rng'"),
    ("fcn32s", {"at_once": False}, "fcn32s takes no 'at_once' and needs 'num_classes'"),
])
def test_a_configuration_key_the_model_does_not_take_or_needs_is_named_before_building(tmp_path, model_name, config,
                                                                                        fault):
    path = with_header(tmp_path / "c.npz", {"format": "fcn-scratch-checkpoint", "model": model_name, "config": config})
    keys = FCN8S_KEYS.replace("at_once, ", "") if model_name == "fcn32s" else FCN8S_KEYS
    with pytest.raises(InputError) as info:
        load_model(path)
    assert str(info.value) == f"{path} describes no model this version builds: {fault} (its configuration keys: {keys})"


@pytest.mark.parametrize("config, fault", [
    ({"widths": 5}, "widths must be the channels of the 5 encoder blocks, each a whole number of at least 1, got 5"),
    ({"widths": [2, 3, 3, 4]}, "widths must be the channels of the 5 encoder blocks"),
    ({"dropout": None}, "dropout must be a probability in [0, 1), got None"),
    ({"fc_channels": "x"}, "fc_channels must be a whole number of at least 1, got 'x'"),
    ({"class_names": 3}, "class_names must be None or a list of names, got 3"),
    ({"convs_per_block": [1, 1, 0, 1, 1]}, "convs_per_block must be one number or 5, each at least 1"),
    ({"learn_final_upsampling": "yes"}, "learn_final_upsampling must be True or False, got 'yes'"),
    ({"at_once": 1}, "at_once must be True or False, got 1"),
    ({"fc6_padding": -1}, "fc6_padding must be None (keep the size) or a whole number of at least 0, got -1"),
])
def test_a_configuration_value_of_the_wrong_kind_is_one_line(tmp_path, config, fault):
    """A header edited by hand, or written by something else: each value checked before any layer is built."""
    header = {"format": "fcn-scratch-checkpoint", "model": "fcn8s", "config": {"num_classes": 3, **config}}
    path = with_header(tmp_path / "c.npz", header)
    with pytest.raises(InputError) as info:
        load_model(path)
    assert str(info.value).startswith(f"{path} describes no model this version builds: {fault}")
    assert "\n" not in str(info.value)


def test_numpy_numbers_are_taken_and_saved_as_plain_ones(tmp_path, rng):
    net = build("fcn8s", num_classes=np.int64(3), widths=tuple(np.array([2, 3, 3, 4, 4])), convs_per_block=np.int32(1),
                fc_channels=4, dropout=np.float32(0.25), rng=rng)
    assert net.num_classes == 3 and net.conv3_1.params["weight"].shape == (3, 3, 3, 3)
    assert read_header(save_checkpoint(tmp_path / "c.npz", net))["config"] == {**net.config, "widths": [2, 3, 3, 4, 4]}
    assert load_model(tmp_path / "c.npz")[0].config == net.config


def test_a_paper_nets_name_fills_the_keys_its_configuration_leaves_out(tmp_path):
    net = build("fcn8s-vgg16", widths=(2, 3, 3, 4, 4), fc_channels=4)         # 21 classes, from the name
    path = with_header(tmp_path / "c.npz", {"format": "fcn-scratch-checkpoint", "model": "fcn8s-vgg16",
                                            "config": {"widths": [2, 3, 3, 4, 4], "fc_channels": 4}},
                       **{f"param/{k}": v for k, v in net.state_dict().items()})
    loaded, _ = load_model(path)
    assert loaded.num_classes == 21 and loaded.config["conv1_padding"] == 100


def test_a_bug_while_building_keeps_its_traceback(tmp_path, monkeypatch):
    path = save_checkpoint(tmp_path / "c.npz", model())

    def broken(name, **config):
        raise TypeError("a bug in build")

    monkeypatch.setattr(fcn_scratch.checkpoint, "build", broken)
    with pytest.raises(TypeError, match="a bug in build"):
        load_model(path)


@pytest.mark.parametrize("kind", list(DAMAGE))
def test_every_kind_of_damage_is_one_line_naming_the_file(tmp_path, kind):
    path = damaged_npz(save_checkpoint(tmp_path / "c.npz", model()), tmp_path / "d.npz", kind)
    with pytest.raises(InputError) as info:
        load_model(path)
    message = str(info.value)
    assert message.startswith(f"{path} is not a readable checkpoint (truncated or corrupt?): ") and "\n" not in message


def test_a_single_array_or_a_member_that_is_no_array_is_one_line(tmp_path):
    np.save(tmp_path / "one.npy", np.ones(3))
    (tmp_path / "one.npy").rename(tmp_path / "one.npz")
    with pytest.raises(InputError, match="one.npz is not a readable checkpoint .*: it holds a single array"):
        load_model(tmp_path / "one.npz")
    path = save_checkpoint(tmp_path / "c.npz", model())
    with zipfile.ZipFile(path) as z:
        members = {name: z.read(name) for name in z.namelist()}
    members["param/fc6.weight.npy"] = b"not an array"
    with zipfile.ZipFile(path, "w") as z:
        for name, member in members.items():
            z.writestr(name, member)
    with pytest.raises(InputError, match="c.npz is not a readable checkpoint .*: its member 'param/fc6.weight' is "
                                         "not a .npy array"):
        load_model(path)


@pytest.mark.parametrize("where, error", [
    ("opening", AttributeError("a bug")),
    ("opening", PermissionError(13, "Permission denied")),
    ("reading an array", AttributeError("a bug")),
])
def test_a_bug_or_a_file_systems_error_while_reading_keeps_its_type(tmp_path, monkeypatch, where, error):
    """Only what a damaged file raises becomes "not a readable checkpoint"; a bug stays itself, and so does
    an OSError from opening the file (the command line prints it as one line)."""
    path = save_checkpoint(tmp_path / "c.npz", model())

    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr(*((np, "load") if where == "opening" else (np.lib.npyio.NpzFile, "__getitem__")), fail)
    with pytest.raises(type(error)) as info:
        load_model(path)
    assert info.value is error
