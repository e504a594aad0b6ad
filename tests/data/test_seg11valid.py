"""seg11valid, the paper's validation split: VOC2011's val less SBD's train, computed from the two folders."""
import pytest

from fcn_scratch.data import VOCSegmentation, make_dataset, seg11valid_ids
from tests.data.test_voc import write_voc
from tests.helpers import write_sbd_folder


def folders(tmp_path):
    """A VOC folder with val a, b, c, d and an SBD folder (in benchmark_RELEASE/dataset) whose train holds
    b, d and e (e is not in VOC): ``(VOC folder, SBD folder, VOC's masks)``."""
    masks = write_voc(tmp_path / "voc", names=("a", "b", "c", "d"), split="val")
    sbd = tmp_path / "benchmark_RELEASE" / "dataset"
    write_sbd_folder(sbd, {"b": (8, 8), "d": (8, 8), "e": (8, 8)}, val=["a"])
    return tmp_path / "voc", sbd, masks


def test_is_voc_val_less_sbd_train_in_vocs_order(tmp_path, scipy_io):
    voc, sbd, masks = folders(tmp_path)
    (voc / "ImageSets" / "Segmentation" / "val.txt").write_text("d\nc\nb\na\n")
    assert seg11valid_ids(voc, sbd) == ["c", "a"]


def test_make_dataset_reads_voc_over_the_computed_ids(tmp_path, scipy_io):
    voc, sbd, masks = folders(tmp_path)
    for given in (sbd, sbd.parent):
        ds = make_dataset(str(voc), "seg11valid", None, None, num_classes=3, sbd=str(given))
        assert isinstance(ds, VOCSegmentation) and ds.ids == ["a", "c"]
        assert ds.split == "seg11valid" and ds.computed
    image, labels = ds[1]
    assert image.shape == (3, 16, 20) and (labels == masks["c"]).all()
    assert not make_dataset(str(voc), "val", None, None, num_classes=3).computed


def test_a_folder_with_its_own_list_reads_it(tmp_path, scipy_io):
    voc, sbd, _ = folders(tmp_path)
    (voc / "ImageSets" / "Segmentation" / "seg11valid.txt").write_text("d\n")
    for given in (None, str(sbd)):
        ds = make_dataset(str(voc), "seg11valid", None, None, num_classes=3, sbd=given)
        assert ds.ids == ["d"] and not ds.computed


def test_without_the_sbd_folder_it_is_one_line_naming_the_option(tmp_path, scipy_io):
    voc, _, _ = folders(tmp_path)
    with pytest.raises(ValueError) as info:
        make_dataset(str(voc), "seg11valid", None, None)
    assert str(info.value) == (f"{voc} has no list seg11valid.txt: seg11valid is computed from VOC2011's val and "
                               "SBD's train list; give the SBD folder with --sbd FOLDER")
    with pytest.raises(ValueError) as info:
        make_dataset(str(voc), "seg11valid", None, None, sbd=str(voc))
    assert str(info.value) == (f"--sbd {voc} is not an SBD folder (expected img/ and cls/, or benchmark_RELEASE/ "
                               "holding them in dataset/)")


def test_missing_lists_and_an_empty_result_are_named(tmp_path, scipy_io):
    voc, sbd, _ = folders(tmp_path)
    (voc / "ImageSets" / "Segmentation" / "val.txt").write_text("b\nd\n")
    with pytest.raises(ValueError) as info:
        seg11valid_ids(voc, sbd)
    assert str(info.value) == (f"seg11valid is empty: every id of {voc / 'ImageSets' / 'Segmentation' / 'val.txt'} "
                               f"is in {sbd / 'train.txt'}")
    (sbd / "train.txt").unlink()
    with pytest.raises(FileNotFoundError, match=r"split list not found: .*train.txt \(seg11valid is VOC2011's val "
                                                r"less SBD's train\)"):
        seg11valid_ids(voc, sbd)
