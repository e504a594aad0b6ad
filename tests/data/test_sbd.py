"""SBD folders: img/<id>.jpg, cls/<id>.mat (GTcls.Segmentation), train.txt and val.txt."""
import sys

import numpy as np
import pytest

from fcn_scratch.data import SBDSegmentation, load_image, load_mat_labels, sbd_root
from tests.helpers import write_sbd_folder


def test_reads_images_and_the_mat_labels_at_their_own_sizes(tmp_path, scipy_io):
    labels = write_sbd_folder(tmp_path, {"2008_000002": (20, 16), "2008_000003": (12, 18)}, val=["2008_000003"])
    ds = SBDSegmentation(tmp_path, "train")
    assert ds.ids == ["2008_000002", "2008_000003"] and ds.split == "train" and ds.root == tmp_path
    assert ds.num_classes == 21 and ds.class_names[15] == "person" and ds.mean == (0.485, 0.456, 0.406)
    assert ds.image_path(1) == tmp_path / "img" / "2008_000003.jpg"
    assert ds.mask_path(1) == tmp_path / "cls" / "2008_000003.mat"
    for i, name in enumerate(ds.ids):
        image, read = ds[i]
        assert image.shape == (3,) + labels[name].shape and image.dtype == np.float32 and read.dtype == np.int64
        np.testing.assert_array_equal(read, labels[name])
        np.testing.assert_array_equal(ds.read_labels(i), labels[name])
        np.testing.assert_array_equal(image, load_image(tmp_path / "img" / f"{name}.jpg"))
    assert SBDSegmentation(tmp_path, "val").ids == ["2008_000003"]


def test_the_folder_is_found_in_benchmark_release_too(tmp_path, scipy_io):
    write_sbd_folder(tmp_path / "benchmark_RELEASE" / "dataset", {"a": (8, 8)})
    for given in (tmp_path / "benchmark_RELEASE", tmp_path / "benchmark_RELEASE" / "dataset"):
        assert sbd_root(given) == tmp_path / "benchmark_RELEASE" / "dataset"
    assert sbd_root(tmp_path) is None and sbd_root(tmp_path / "nothing") is None


def test_labels_are_classes_or_the_ignore_value(tmp_path, scipy_io):
    given = np.array([[0, 20, 255], [3, 4, 5]], np.uint8)
    scipy_io.savemat(tmp_path / "a.mat", {"GTcls": {"Segmentation": given}})
    read = load_mat_labels(tmp_path / "a.mat", 21)
    assert read.dtype == np.int64
    np.testing.assert_array_equal(read, given)
    with pytest.raises(ValueError, match=r"a.mat has labels \[20\] outside the 6 classes \(and not the ignore "
                                         r"value 255\)$"):
        load_mat_labels(tmp_path / "a.mat", 6)


def test_each_bad_file_is_one_line(tmp_path, scipy_io):
    bad = {"noGT": {"other": np.zeros(3)},
           "noSegmentation": {"GTcls": {"Boundaries": np.zeros(3)}},
           "three_d": {"GTcls": {"Segmentation": np.zeros((2, 3, 4), np.uint8)}},
           "floats": {"GTcls": {"Segmentation": np.zeros((2, 3))}}}
    for name, content in bad.items():
        scipy_io.savemat(tmp_path / f"{name}.mat", content)
    (tmp_path / "text.mat").write_bytes(b"not a matlab file at all")
    said = {name: f"{tmp_path / name}.mat" for name in (*bad, "text", "missing")}
    for name, message in [
            ("noGT", f"{said['noGT']} has no GTcls; expected SBD's class labels (cls/<id>.mat)"),
            ("noSegmentation", f"{said['noSegmentation']} has no GTcls.Segmentation; expected SBD's class labels "
                               "(cls/<id>.mat)"),
            ("three_d", f"{said['three_d']}: GTcls.Segmentation is uint8 of shape (2, 3, 4); expected class "
                        "indices (H, W), as in SBD's cls/<id>.mat"),
            ("floats", f"{said['floats']}: GTcls.Segmentation is float64 of shape (2, 3); expected class indices "
                       "(H, W), as in SBD's cls/<id>.mat")]:
        with pytest.raises(ValueError) as info:
            load_mat_labels(tmp_path / f"{name}.mat", 21)
        assert str(info.value) == message
    with pytest.raises(ValueError) as info:
        load_mat_labels(tmp_path / "text.mat", 21)
    assert str(info.value).startswith(f"cannot read labels {said['text']} as a MATLAB v5 file (SBD's format): ")
    assert "\n" not in str(info.value)
    with pytest.raises(FileNotFoundError, match=f"labels not found: {said['missing']}"):
        load_mat_labels(tmp_path / "missing.mat", 21)


def test_a_missing_list_names_the_layout(tmp_path, scipy_io):
    write_sbd_folder(tmp_path, {"a": (8, 8)})
    with pytest.raises(FileNotFoundError, match=r"split list not found: .*trainval.txt \(expected an SBD folder "
                                                r"with img/, cls/ and train.txt, val.txt\)"):
        SBDSegmentation(tmp_path, "trainval")


def test_without_scipy_the_folder_says_once_how_to_install_it(tmp_path, monkeypatch):
    for folder in ("img", "cls"):
        (tmp_path / folder).mkdir()
    (tmp_path / "train.txt").write_text("a\n")
    monkeypatch.setitem(sys.modules, "scipy.io", None)
    with pytest.raises(ValueError) as info:
        SBDSegmentation(tmp_path, "train")
    assert str(info.value) == (f"reading SBD's labels ({tmp_path / 'cls'}) needs scipy: "
                               'pip install "fcn-scratch[sbd]" (or pip install scipy)')
    with pytest.raises(ValueError, match=r"needs scipy: pip install \"fcn-scratch\[sbd\]\""):
        load_mat_labels(tmp_path / "cls" / "a.mat", 21)
