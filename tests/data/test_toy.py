import numpy as np
import pytest

from fcn_scratch.data import CLASS_NAMES, ToySegmentation, make_sample


def test_sample_shapes_and_ranges():
    image, labels = make_sample(3, seed=1, image_size=48, num_classes=6)
    assert image.shape == (3, 48, 48) and image.dtype == np.float32
    assert labels.shape == (48, 48) and labels.dtype == np.int64
    assert 0 <= image.min() and image.max() <= 1
    assert set(np.unique(labels)) <= set(range(6))


def test_deterministic_and_splits_differ():
    a = make_sample(5, seed=0, split="train")
    b = make_sample(5, seed=0, split="train")
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(make_sample(5, seed=0, split="val")[0], a[0])
    assert not np.array_equal(make_sample(5, seed=1, split="train")[0], a[0])


def test_splits_share_no_sample():
    train = {ToySegmentation("train", 30, 32)[i][0].tobytes() for i in range(30)}
    val = {ToySegmentation("val", 30, 32)[i][0].tobytes() for i in range(30)}
    test = {ToySegmentation("test", 30, 32)[i][0].tobytes() for i in range(30)}
    assert not (train & val) and not (train & test) and not (val & test)


def test_every_class_appears_and_shapes_touch_borders():
    ds = ToySegmentation("train", 100, 48, num_classes=6)
    labels = np.stack([ds[i][1] for i in range(100)])
    assert set(np.unique(labels)) == set(range(6))
    border = np.concatenate([labels[:, 0], labels[:, -1], labels[:, :, 0], labels[:, :, -1]], axis=1)
    assert (border > 0).any(axis=1).mean() > 0.2
    assert ds.class_names == list(CLASS_NAMES)


def test_fewer_classes():
    ds = ToySegmentation("train", 50, 32, num_classes=3)
    assert set(np.unique(np.stack([ds[i][1] for i in range(50)]))) == {0, 1, 2}


def test_bad_arguments():
    with pytest.raises(ValueError, match=r"num_classes must be in \[2, 6\]"):
        ToySegmentation(num_classes=9)
    with pytest.raises(ValueError, match="split must be one of"):
        make_sample(0, split="dev")
    with pytest.raises(IndexError, match="out of range for 4 samples"):
        ToySegmentation(size=4)[4]
