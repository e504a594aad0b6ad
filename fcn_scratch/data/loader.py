"""Batches from a data set, with seeded shuffling."""
import numpy as np

from ..errors import InputError
from ..labels import IGNORE_INDEX
from .preprocess import Preprocessing
from .transforms import pad_to


class DataLoader:
    """Iterate over ``(images (N, 3, H, W) float32, labels (N, H, W) int64)`` batches.

    Images go through ``preprocessing`` (default: the data set's own ``mean`` and ``std``). Epoch ``e`` shuffles with
    the generator seeded by ``(seed, e)``, so a run can be resumed and gives the
    same batches. Samples of different sizes in one batch are padded to the
    largest (labels with the ignore index).
    """

    def __init__(self, dataset, batch_size=8, shuffle=False, seed=0, transform=None, preprocessing=None,
                 drop_last=False):
        if batch_size < 1:
            raise InputError(f"batch_size must be at least 1, got {batch_size}")
        self.dataset, self.batch_size, self.shuffle = dataset, batch_size, shuffle
        self.seed, self.transform, self.drop_last = seed, transform, drop_last
        if preprocessing is None:
            preprocessing = Preprocessing("RGB", 1.0, getattr(dataset, "mean", (0.0, 0.0, 0.0)),
                                          getattr(dataset, "std", (1.0, 1.0, 1.0)))
        self.preprocessing = preprocessing
        self.epoch = 0

    def __len__(self):
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def set_epoch(self, epoch):
        """Choose the shuffle (and transform randomness) of ``epoch``."""
        self.epoch = epoch

    def __iter__(self):
        rng = np.random.default_rng([self.seed, self.epoch])
        order = rng.permutation(len(self.dataset)) if self.shuffle else np.arange(len(self.dataset))
        for b in range(len(self)):
            samples = [self.dataset[int(i)] for i in order[b * self.batch_size:(b + 1) * self.batch_size]]
            if self.transform is not None:
                samples = [self.transform(img, lab, rng) for img, lab in samples]
            yield self.collate(samples)

    def unpadded(self):
        """The data set in order, untransformed, in batches of at most ``batch_size`` images of one
        size: no image is padded, so what a model predicts for it does not depend on its neighbours
        (evaluation reads these)."""
        batch = []
        for i in range(len(self.dataset)):
            sample = self.dataset[i]
            if batch and (len(batch) == self.batch_size or sample[1].shape != batch[0][1].shape):
                yield self.collate(batch)
                batch = []
            batch.append(sample)
        if batch:
            yield self.collate(batch)

    def collate(self, samples):
        h = max(lab.shape[0] for _, lab in samples)
        w = max(lab.shape[1] for _, lab in samples)
        padded = [pad_to(img, lab, (h, w), IGNORE_INDEX) for img, lab in samples]
        images = np.stack([img for img, _ in padded])
        labels = np.stack([lab for _, lab in padded]).astype(np.int64)
        return self.preprocessing(images), labels
