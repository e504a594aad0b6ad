"""Checking the data before training: every file of every split opened, every fault reported at once."""
import numpy as np
import pytest
from PIL import Image

from fcn_scratch.data import SBDSegmentation, ToySegmentation, VOCSegmentation, check_files, save_mask
from tests.data.test_voc import write_voc
from tests.helpers import write_sbd_folder


def splits(root, num_classes=3):
    return {split: VOCSegmentation(root, split, num_classes) for split in ("train", "val")}


def test_a_sound_folder_passes_quietly_and_generated_data_is_not_opened(tmp_path):
    write_voc(tmp_path, names=("a", "b"))
    write_voc(tmp_path, names=("c",), split="val")
    lines = []
    check_files({**splits(tmp_path), "toy": ToySegmentation("val", 4, 16, 3)}, print_fn=lines.append)
    assert lines == []


def test_every_fault_of_both_splits_is_reported_together_with_its_file(tmp_path):
    write_voc(tmp_path, names=("a", "b", "c"))
    write_voc(tmp_path, names=("d", "e", "f"), split="val")
    (tmp_path / "JPEGImages" / "a.jpg").unlink()
    (tmp_path / "JPEGImages" / "b.jpg").write_bytes(b"not a jpeg")
    save_mask(np.full((16, 20), 7), tmp_path / "SegmentationClass" / "b.png")        # and its mask is bad too
    save_mask(np.zeros((5, 5)), tmp_path / "SegmentationClass" / "d.png")
    (tmp_path / "SegmentationClass" / "e.png").unlink()
    with pytest.raises(ValueError) as info:
        check_files(splits(tmp_path))
    lines = str(info.value).splitlines()
    assert lines[0] == "the data has 5 faults:"
    assert lines[1].startswith("  train split: image not found: ") and lines[1].endswith("a.jpg")
    assert "train split: cannot read image" in lines[2] and "b.jpg" in lines[2]
    assert "train split: mask" in lines[3] and "b.png has labels [7]" in lines[3]
    assert "val split: mask" in lines[4] and "d.png is 5x5 but its image is 20x16" in lines[4]
    assert "val split: mask not found" in lines[5] and "e.png" in lines[5]


def test_one_fault_is_one_line_and_many_are_listed_up_to_a_count(tmp_path):
    write_voc(tmp_path, names=[f"n{i}" for i in range(7)])
    write_voc(tmp_path, names=("v",), split="val")
    (tmp_path / "JPEGImages" / "n0.jpg").unlink()
    with pytest.raises(ValueError) as info:
        check_files(splits(tmp_path))
    assert str(info.value).startswith("train split: image not found: ") and "\n" not in str(info.value)
    for i in range(7):
        (tmp_path / "JPEGImages" / f"n{i}.jpg").unlink(missing_ok=True)
    with pytest.raises(ValueError) as info:
        check_files(splits(tmp_path), max_listed=3)
    lines = str(info.value).splitlines()
    assert lines[0] == "the data has 7 faults:" and len(lines) == 5 and lines[-1] == "  and 4 more"


def test_masks_with_no_labelled_pixel_leave_nothing_to_learn(tmp_path):
    write_voc(tmp_path, names=("a", "b"))
    write_voc(tmp_path, names=("c",), split="val")
    for name in ("a", "b"):
        save_mask(np.full((16, 20), 255), tmp_path / "SegmentationClass" / f"{name}.png")
    with pytest.raises(ValueError, match=r"^train split: no pixel is labelled: every mask value is 255"):
        check_files(splits(tmp_path))


def test_what_the_reader_did_is_said_once_per_kind(tmp_path):
    write_voc(tmp_path, names=("a", "b"))
    write_voc(tmp_path, names=("c",), split="val")
    for name in ("a", "b", "c"):
        Image.fromarray(np.full((16, 20), 30000, np.uint16)).save(tmp_path / "JPEGImages" / f"{name}.png")
        (tmp_path / "JPEGImages" / f"{name}.jpg").unlink()
    lines = []
    check_files(splits(tmp_path), print_fn=lines.append)
    assert len(lines) == 1 and "a.png has colour mode I;16" in lines[0] and "scaled by its depth" in lines[0]


def test_each_bad_file_of_an_sbd_folder_is_one_line(tmp_path, scipy_io):
    write_sbd_folder(tmp_path, {name: (8, 10) for name in ("ok", "nomat", "nogt", "small", "notmat", "range")},
                     train=["ok", "nomat", "nogt", "small", "notmat", "range", "noimage"], val=["ok"])
    cls = tmp_path / "cls"
    (cls / "nomat.mat").unlink()
    scipy_io.savemat(cls / "nogt.mat", {"other": np.zeros(3)})
    scipy_io.savemat(cls / "small.mat", {"GTcls": {"Segmentation": np.zeros((4, 6), np.uint8)}})
    (cls / "notmat.mat").write_bytes(b"not a matlab file at all")
    scipy_io.savemat(cls / "range.mat", {"GTcls": {"Segmentation": np.full((8, 10), 40, np.uint8)}})
    check_files({"val": SBDSegmentation(tmp_path, "val")})
    with pytest.raises(ValueError) as info:
        check_files({"train": SBDSegmentation(tmp_path, "train"), "val": SBDSegmentation(tmp_path, "val")})
    lines = str(info.value).splitlines()
    assert lines[0] == "the data has 7 faults:"
    expected = [f"labels not found: {cls / 'nomat.mat'}",
                f"{cls / 'nogt.mat'} has no GTcls; expected SBD's class labels (cls/<id>.mat)",
                f"mask {cls / 'small.mat'} is 6x4 but its image is 10x8 (width x height)",
                f"cannot read labels {cls / 'notmat.mat'} as a MATLAB v5 file (SBD's format): ",
                f"mask {cls / 'range.mat'} has labels [40] outside the 21 classes (and not the ignore value 255)",
                f"image not found: {tmp_path / 'img' / 'noimage.jpg'}",
                f"labels not found: {cls / 'noimage.mat'}"]
    assert len(lines) == 1 + len(expected)
    for line, said in zip(lines[1:], expected):
        assert line.startswith(f"  train split: {said}"), (line, said)
