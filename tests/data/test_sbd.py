"""SBD folders (img/, cls/*.mat, train.txt, val.txt) and the split seg11valid (VOC2011 val less SBD train)."""
import sys

import numpy as np
import pytest
from PIL import Image

from fcn_scratch.data import (SBDSegmentation, ToySegmentation, VOCSegmentation, check_files, load_image,
                              make_dataset, seg11valid_ids, write_split_list)
from tests.data.test_voc import write_voc

scipy_io = pytest.importorskip("scipy.io", reason="scipy is not installed: SBD's .mat labels cannot be read "
                                                  "(pip install scipy)")


def write_sbd(root, sizes, train=None, val=(), classes=21, seed=0):
    """An SBD folder: for each ``{id: (H, W)}`` a JPEG in img/ and its labels as GTcls.Segmentation in
    cls/<id>.mat, as SBD stores them; ``train`` (default: every id) and ``val`` lists. Returns the labels."""
    rng = np.random.default_rng(seed)
    (root / "img").mkdir(parents=True, exist_ok=True)
    (root / "cls").mkdir(exist_ok=True)
    labels = {}
    for name, (h, w) in sizes.items():
        Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(root / "img" / f"{name}.jpg")
        labels[name] = rng.integers(0, classes, (h, w)).astype(np.uint8)
        scipy_io.savemat(root / "cls" / f"{name}.mat", {"GTcls": {"Segmentation": labels[name],
                                                                  "Boundaries": np.zeros(classes)}})
    (root / "train.txt").write_text("".join(f"{n}\n" for n in (sizes if train is None else train)))
    (root / "val.txt").write_text("".join(f"{n}\n" for n in val))
    return labels


def test_reads_images_and_the_mat_labels_at_their_own_sizes(tmp_path):
    labels = write_sbd(tmp_path, {"2008_000002": (20, 16), "2008_000003": (12, 18)})
    ds = SBDSegmentation(tmp_path, "train")
    assert len(ds) == 2 and ds.class_names[15] == "person"
    for i, name in enumerate(ds.ids):
        image, read = ds[i]
        assert image.shape == (3,) + labels[name].shape and read.dtype == np.int64
        np.testing.assert_array_equal(read, labels[name])
        np.testing.assert_array_equal(image, load_image(tmp_path / "img" / f"{name}.jpg"))


def test_make_dataset_recognizes_sbd_by_its_layout_and_benchmark_release_too(tmp_path):
    write_sbd(tmp_path / "benchmark_RELEASE" / "dataset", {"a": (8, 8)})
    for given in (tmp_path / "benchmark_RELEASE", tmp_path / "benchmark_RELEASE" / "dataset"):
        ds = make_dataset(str(given), "train", None, None)
        assert isinstance(ds, SBDSegmentation) and ds.root == tmp_path / "benchmark_RELEASE" / "dataset"
    with pytest.raises(FileNotFoundError, match="expected a VOC-format folder"):
        make_dataset(str(tmp_path / "nothing"), "train", None, None)


def test_seg11valid_is_voc_val_less_sbd_train_in_vocs_order(tmp_path):
    write_voc(tmp_path / "voc", names=("a", "b", "c", "d"), split="val")
    write_sbd(tmp_path / "sbd", {"b": (8, 8), "d": (8, 8), "e": (8, 8)})
    assert seg11valid_ids(tmp_path / "voc", tmp_path / "sbd") == ["a", "c"]
    ds = make_dataset(str(tmp_path / "voc"), "seg11valid", None, None, num_classes=3, sbd=str(tmp_path / "sbd"))
    assert isinstance(ds, VOCSegmentation) and ds.ids == ["a", "c"] and ds.computed and ds.split == "seg11valid"
    assert ds[1][1].shape == (16, 20)
    write_split_list(tmp_path / "run" / "seg11valid.txt", ds.ids)
    assert (tmp_path / "run" / "seg11valid.txt").read_text() == "a\nc\n"
    # a folder with a list of its own reads it; one without, and no SBD folder, is one line
    (tmp_path / "voc" / "ImageSets" / "Segmentation" / "seg11valid.txt").write_text("d\n")
    assert make_dataset(str(tmp_path / "voc"), "seg11valid", None, None, num_classes=3).ids == ["d"]
    (tmp_path / "voc" / "ImageSets" / "Segmentation" / "seg11valid.txt").unlink()
    with pytest.raises(ValueError, match="seg11valid is VOC2011's val less SBD's train; give the SBD folder with "
                                         "--sbd"):
        make_dataset(str(tmp_path / "voc"), "seg11valid", None, None)
    with pytest.raises(ValueError, match="is not an SBD folder"):
        make_dataset(str(tmp_path / "voc"), "seg11valid", None, None, sbd=str(tmp_path / "voc"))


def test_bad_sbd_files_are_each_one_line_before_training(tmp_path):
    write_sbd(tmp_path, {"ok": (8, 8), "nomat": (8, 8), "nogt": (8, 8), "small": (8, 8), "notmat": (8, 8),
                         "range": (8, 8)}, train=["ok", "nomat", "nogt", "small", "notmat", "range", "noimage"])
    (tmp_path / "cls" / "nomat.mat").unlink()
    scipy_io.savemat(tmp_path / "cls" / "nogt.mat", {"other": np.zeros(3)})
    scipy_io.savemat(tmp_path / "cls" / "small.mat", {"GTcls": {"Segmentation": np.zeros((4, 4), np.uint8)}})
    (tmp_path / "cls" / "notmat.mat").write_bytes(b"not a matlab file at all")
    scipy_io.savemat(tmp_path / "cls" / "range.mat", {"GTcls": {"Segmentation": np.full((8, 8), 40, np.uint8)}})
    with pytest.raises(ValueError) as info:
        check_files({"train": SBDSegmentation(tmp_path, "train"), "toy": ToySegmentation("val", 2, 16, 3)})
    lines = str(info.value).splitlines()
    assert lines[0] == "the data has 7 faults:"
    expected = [f"labels not found: {tmp_path / 'cls' / 'nomat.mat'}",
                f"{tmp_path / 'cls' / 'nogt.mat'} has no GTcls; expected SBD's class labels (cls/<id>.mat)",
                f"mask {tmp_path / 'cls' / 'small.mat'} is 4x4 but its image is 8x8",
                f"cannot read labels {tmp_path / 'cls' / 'notmat.mat'}: not a MATLAB file",
                f"mask {tmp_path / 'cls' / 'range.mat'} has labels [40] outside the 21 classes",
                str(tmp_path / "img" / "noimage.jpg"), f"labels not found: {tmp_path / 'cls' / 'noimage.mat'}"]
    assert len(lines) == 1 + len(expected)
    for line, said in zip(lines[1:], expected):
        assert line.startswith("  train split: ") and said in line, (line, said)


def test_without_scipy_an_sbd_folder_says_how_to_install_it(tmp_path, monkeypatch):
    write_sbd(tmp_path, {"a": (8, 8)})
    monkeypatch.setitem(sys.modules, "scipy.io", None)
    with pytest.raises(ValueError, match=r"needs scipy: pip install \"fcn-scratch\[sbd\]\" \(or pip install scipy\)"):
        SBDSegmentation(tmp_path, "train")[0]
