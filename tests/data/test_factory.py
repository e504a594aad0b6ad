"""make_dataset: the toy shapes, or a folder recognized by its layout (SBD, or VOC otherwise)."""
import pytest

from fcn_scratch.data import SBDSegmentation, ToySegmentation, VOCSegmentation, make_dataset
from tests.data.test_voc import write_voc
from tests.helpers import write_sbd_folder


def test_each_layout_is_recognized(tmp_path, scipy_io):
    write_voc(tmp_path / "voc")
    write_sbd_folder(tmp_path / "benchmark_RELEASE" / "dataset", {"a": (8, 8)})
    assert isinstance(make_dataset("toy", "train", 2, 16), ToySegmentation)
    voc = make_dataset(str(tmp_path / "voc"), "train", None, None, num_classes=3)
    assert type(voc) is VOCSegmentation and voc.ids == ["a", "b"]
    for given in (tmp_path / "benchmark_RELEASE", tmp_path / "benchmark_RELEASE" / "dataset"):
        ds = make_dataset(str(given), "train", None, None)
        assert isinstance(ds, SBDSegmentation) and ds.root == tmp_path / "benchmark_RELEASE" / "dataset"
        assert ds.ids == ["a"] and ds.num_classes == 21


def test_a_folder_of_neither_layout_names_both(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        make_dataset(str(tmp_path / "nothing"), "train", None, None)
    assert str(info.value) == (f"split list not found: {tmp_path / 'nothing/ImageSets/Segmentation/train.txt'} "
                               "(expected a VOC-format folder with JPEGImages/, SegmentationClass/ and "
                               "ImageSets/Segmentation/, or an SBD folder with img/, cls/ and train.txt, val.txt, "
                               "or its benchmark_RELEASE/)")
    write_voc(tmp_path / "voc")
    with pytest.raises(FileNotFoundError, match=r"split list not found: .*val.txt \(expected a VOC-format folder "
                                                r"with JPEGImages/, SegmentationClass/ and ImageSets/Segmentation/\)$"):
        make_dataset(str(tmp_path / "voc"), "val", None, None)
