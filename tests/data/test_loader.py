import numpy as np
import pytest

from fcn_scratch.data import Compose, DataLoader, RandomCropOrPad, RandomHorizontalFlip, ToySegmentation


class Ramp:
    """Samples whose image and labels encode the column, to check that transforms move them together."""
    mean, std = (0.0, 0.0, 0.0), (1.0, 1.0, 1.0)

    def __init__(self, n=10, h=6, w=9):
        self.n, self.h, self.w = n, h, w

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        cols = np.broadcast_to(np.arange(self.w), (self.h, self.w))
        return np.stack([cols] * 3).astype(np.float32) + 100 * i, cols.astype(np.int64) + 100 * i


def test_batches_and_seeded_shuffle():
    ds = ToySegmentation("train", 10, 16)
    loader = DataLoader(ds, 4, shuffle=True, seed=3)
    batches = list(loader)
    assert [b[0].shape for b in batches] == [(4, 3, 16, 16), (4, 3, 16, 16), (2, 3, 16, 16)]
    assert batches[0][1].dtype == np.int64
    again = list(DataLoader(ds, 4, shuffle=True, seed=3))
    np.testing.assert_array_equal(batches[0][0], again[0][0])
    loader.set_epoch(1)
    assert not np.array_equal(next(iter(loader))[0], batches[0][0])
    assert len(DataLoader(ds, 4, drop_last=True)) == 2


def test_transforms_move_image_and_labels_together():
    transform = Compose(RandomCropOrPad((4, 5)), RandomHorizontalFlip(0.5))
    for images, labels in DataLoader(Ramp(), 5, shuffle=True, seed=1, transform=transform):
        assert images.shape == (5, 3, 4, 5) and labels.shape == (5, 4, 5)
        np.testing.assert_array_equal(images[:, 0], labels.astype(np.float32))


def test_padding_uses_the_ignore_label():
    image, labels = RandomCropOrPad(8)(*Ramp(1, 5, 6)[0], np.random.default_rng(0))
    assert image.shape == (3, 8, 8) and (labels[5:] == 255).all() and (labels[:, 6:] == 255).all()
    assert not image[:, 5:].any()


def test_the_loader_applies_the_data_sets_mean_and_std_by_default():
    x = np.full((3, 2, 2), 0.75, np.float32)

    class Flat(Ramp):
        mean, std = (0.5, 0.5, 0.25), (0.25, 0.5, 0.5)

        def __getitem__(self, i):
            return x, np.zeros((2, 2), np.int64)
    images, _ = next(iter(DataLoader(Flat(2, 2, 2), 2)))
    np.testing.assert_allclose(images, np.broadcast_to(np.array([1.0, 0.5, 1.0]).reshape(1, 3, 1, 1), (2, 3, 2, 2)))


def test_unpadded_batches_hold_one_size_each():
    class Mixed(Ramp):
        def __getitem__(self, i):
            size = (4, 5) if i in (1, 2) else (6, 3)
            return np.full((3,) + size, i, np.float32), np.full(size, i, np.int64)
    loader = DataLoader(Mixed(5, 4, 4), 2)
    sizes = [(tuple(labels[:, 0, 0]), labels.shape[1:]) for _, labels in loader.unpadded()]
    assert sizes == [((0,), (6, 3)), ((1, 2), (4, 5)), ((3, 4), (6, 3))]


def test_bad_batch_size():
    with pytest.raises(ValueError, match="batch_size must be at least 1"):
        DataLoader(Ramp(), 0)
