import numpy as np
import pytest

from fcn_scratch.metrics import ConfusionMatrix, metrics_from_confusion


def test_hand_computed_example():
    # truth:      0 0 0 1 1 2     prediction: 0 0 1 1 1 0
    cm = ConfusionMatrix(3).update(np.array([0, 0, 1, 1, 1, 0]), np.array([0, 0, 0, 1, 1, 2]))
    np.testing.assert_array_equal(cm.matrix, [[2, 1, 0], [0, 2, 0], [1, 0, 0]])
    m = cm.compute()
    assert m["pixel_acc"] == pytest.approx(4 / 6)
    assert m["mean_acc"] == pytest.approx((2 / 3 + 1 + 0) / 3)
    # IU: class 0: 2 / (3 + 3 - 2) = 0.5; class 1: 2 / (2 + 3 - 2); class 2: 0 / (1 + 0 - 0)
    assert m["per_class_iu"] == pytest.approx([0.5, 2 / 3, 0.0])
    assert m["mean_iu"] == pytest.approx((0.5 + 2 / 3) / 3)
    assert m["fw_iu"] == pytest.approx((3 * 0.5 + 2 * 2 / 3 + 0) / 6)


def test_ignored_pixels_and_absent_classes():
    cm = ConfusionMatrix(4, ignore_index=255)
    cm.update(np.array([[0, 1], [3, 1]]), np.array([[0, 1], [255, 1]]))
    m = cm.compute()
    assert cm.matrix.sum() == 3
    assert m["per_class_iu"] == [1.0, 1.0, None, None]
    assert m["mean_iu"] == 1.0 and m["mean_acc"] == 1.0 and m["pixel_acc"] == 1.0


def test_predicted_but_absent_class_counts_as_zero_iu():
    m = ConfusionMatrix(3).update(np.array([0, 2]), np.array([0, 0])).compute()
    assert m["per_class_iu"] == [0.5, None, 0.0]
    assert m["mean_iu"] == pytest.approx(0.25)
    assert m["mean_acc"] == pytest.approx(0.5)


def test_accumulates_over_the_set_not_per_image():
    cm = ConfusionMatrix(2)
    cm.update(np.zeros(99, int), np.zeros(99, int))
    cm.update(np.zeros(1, int), np.ones(1, int))
    assert cm.compute()["pixel_acc"] == pytest.approx(0.99)


def test_int64_counts_do_not_overflow():
    m = metrics_from_confusion(np.array([[3_000_000_000, 0], [0, 1_000_000_000]], np.int64))
    assert m["pixel_acc"] == 1.0 and ConfusionMatrix(2).matrix.dtype == np.int64


def test_bad_inputs():
    with pytest.raises(ValueError, match="differ in shape"):
        ConfusionMatrix(2).update(np.zeros(3, int), np.zeros(4, int))
    with pytest.raises(ValueError, match=r"labels must be in \[0, 2\)"):
        ConfusionMatrix(2).update(np.zeros(3, int), np.array([0, 1, 5]))
