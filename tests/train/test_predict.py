"""Prediction and evaluation: each image at its own size, in bounded memory; files in, masks and overlays out."""
import re
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fcn_scratch import fast
from fcn_scratch.data import DataLoader, Preprocessing, load_image
from fcn_scratch.errors import InputError
from fcn_scratch.labels import IGNORE_INDEX
from fcn_scratch.metrics import ConfusionMatrix
from fcn_scratch.models import build
from fcn_scratch.train import evaluate
from fcn_scratch.train.predict import image_files, output_names, predict_batch, predict_files, predict_image

SMALL = dict(widths=(4, 8, 8, 8, 8), convs_per_block=1, fc_channels=16, dropout=0.5)
NAMES = ["background", "circle", "square"]


class MixedSizes:
    """Images of several sizes, in runs of one size and alone, with labels that partly follow the image."""
    mean = (0.4, 0.5, 0.6)
    std = (0.2, 0.25, 0.3)

    def __init__(self, sizes, seed=0):
        rng = np.random.default_rng(seed)
        self.samples = []
        for h, w in sizes:
            image = rng.random((3, h, w), dtype=np.float32)
            labels = np.minimum((image[0] * 3).astype(np.int64), 2)
            labels[rng.random((h, w)) < 0.1] = IGNORE_INDEX
            self.samples.append((image, labels))

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, i):
        image, labels = self.samples[i]
        return image.copy(), labels.copy()


SIZES = [(20, 24), (20, 24), (31, 17), (20, 24), (16, 16), (16, 16), (16, 16), (45, 33), (31, 17)]


def model_with_scores(seed=0, **kw):
    """A small FCN-8s whose score layers are drawn (a fresh one predicts class 0 everywhere)."""
    model = build("fcn8s", num_classes=3, class_names=NAMES, rng=np.random.default_rng(seed), **{**SMALL, **kw})
    rng = np.random.default_rng(seed + 1)
    for _, value, _ in model.named_parameters(include_frozen=True):
        if not value.any():
            value[...] = rng.standard_normal(value.shape) * 0.3
    return model


def one_at_a_time(model, dataset, preprocessing):
    """The confusion matrix of every image predicted alone, in eval mode: what evaluate must give."""
    confusion = ConfusionMatrix(3)
    model.eval()
    for i in range(len(dataset)):
        image, labels = dataset[i]
        confusion.update(model(preprocessing(image[None])).argmax(axis=1), labels[None])
    model.train()
    return confusion.matrix


def test_evaluate_does_not_depend_on_the_batch_size():
    dataset, model = MixedSizes(SIZES), model_with_scores()
    expected = one_at_a_time(model, dataset, DataLoader(dataset).preprocessing)
    assert len(np.nonzero(expected)[0]) >= 6                    # predictions of several classes, right and wrong
    results = {}
    for batch_size in (1, 2, 5):
        metrics, confusion = evaluate(model, DataLoader(dataset, batch_size))
        np.testing.assert_array_equal(confusion.matrix, expected, err_msg=f"batch size {batch_size}")
        results[batch_size] = metrics
        assert model.training                                   # the mode is restored
    assert results[1] == results[2] == results[5]
    assert confusion.matrix.sum() == sum((dataset[i][1] != IGNORE_INDEX).sum() for i in range(len(dataset)))
    # padded batches (how batches are made for training) would have changed the predictions at the borders
    padded = ConfusionMatrix(3)
    model.eval()
    for images, labels in DataLoader(dataset, 5):
        padded.update(model(images).argmax(axis=1), labels)
    assert not np.array_equal(padded.matrix, expected)


def test_unpadded_batches_hold_one_size_each_in_order():
    dataset = MixedSizes(SIZES)
    batches = list(DataLoader(dataset, 2).unpadded())
    assert [images.shape for images, _ in batches] == [
        (2, 3, 20, 24), (1, 3, 31, 17), (1, 3, 20, 24), (2, 3, 16, 16), (1, 3, 16, 16), (1, 3, 45, 33),
        (1, 3, 31, 17)]
    np.testing.assert_array_equal(batches[3][1][1], dataset[5][1])
    assert all(labels.dtype == np.int64 for _, labels in batches)


def test_evaluate_prints_its_progress():
    lines = []
    evaluate(model_with_scores(), DataLoader(MixedSizes(SIZES), 2), print_fn=lines.append, every=0.0)
    assert lines and lines[0].startswith("evaluated 2/9 images")


def test_predict_batch_gives_host_classes_and_keeps_no_cache(rng):
    model = model_with_scores()
    images = rng.standard_normal((2, 3, 29, 35)).astype(np.float32)
    predictions = predict_batch(model, images)
    assert predictions.shape == (2, 29, 35) and predictions.dtype.kind == "i"
    assert [name for name, layer in model.layers.items() if layer.cache is not None] == []
    assert model.training                                       # the mode is restored
    model.eval()
    np.testing.assert_array_equal(predictions, model(images).argmax(axis=1))
    assert len(np.unique(predictions)) >= 2                    # not a fresh model's all-background


def test_predict_image_at_its_size_and_scaled(rng):
    model = model_with_scores()
    image = rng.random((3, 50, 70), dtype=np.float32)
    preprocessing = Preprocessing("RGB", 1.0, MixedSizes.mean, MixedSizes.std)
    mask = predict_image(model, image, preprocessing)
    assert mask.shape == (50, 70)
    np.testing.assert_array_equal(mask, predict_batch(model, preprocessing(image[None]))[0])
    scaled = predict_image(model, image, preprocessing, longer_side=35)
    assert scaled.shape == (50, 70) and set(np.unique(scaled)) <= {0, 1, 2}


def write_images(folder, rng):
    paths = {}
    rgb = (rng.random((30, 40, 3)) * 255).astype(np.uint8)
    Image.fromarray(rgb).save(folder / "photo.png")
    paths["photo"] = folder / "photo.png"
    grey = (rng.random((25, 20)) * 255).astype(np.uint8)
    Image.fromarray(grey, mode="L").save(folder / "grey.png")
    paths["grey"] = folder / "grey.png"
    (folder / "broken.jpg").write_bytes(b"this is not a JPEG")
    paths["broken"] = folder / "broken.jpg"
    paths["missing"] = folder / "missing.png"
    return paths


def test_predict_files_writes_masks_and_overlays_and_skips_what_it_cannot_read(tmp_path, rng):
    model = model_with_scores()
    paths = write_images(tmp_path, rng)
    out = tmp_path / "out"
    out.mkdir()
    lines = []
    order = ["photo", "broken", "grey", "missing"]
    failures = predict_files(model, [paths[n] for n in order], order, out, Preprocessing(), print_fn=lines.append)
    assert [f for f, _ in failures] == [paths["broken"], paths["missing"]]
    assert "cannot read image" in failures[0][1] and "image not found" in failures[1][1]
    assert sorted(p.name for p in out.iterdir()) == ["grey_mask.png", "grey_overlay.png", "photo_mask.png",
                                                     "photo_overlay.png"]
    for name, (h, w) in (("photo", (30, 40)), ("grey", (25, 20))):
        with Image.open(out / f"{name}_mask.png") as mask:
            assert mask.mode == "P" and mask.size == (w, h)
            written = np.asarray(mask)
        np.testing.assert_array_equal(written, predict_image(model, load_image(paths[name]), Preprocessing()))
        with Image.open(out / f"{name}_overlay.png") as overlay:
            assert overlay.format == "PNG" and overlay.size[0] >= w and overlay.size[1] >= h
    assert len(np.unique(written)) >= 2
    assert any(line.startswith(f"{paths['broken']}: skipped: cannot read image") for line in lines)
    assert any("has colour mode L" in line for line in lines)
    assert any(line.startswith(f"{paths['photo']}: ") and "%" in line for line in lines)
    assert model.training


def test_memory_of_a_large_photo_stays_bounded():
    """A 2000 x 1500 image through the small FCN-8s: its conv1_2 alone would make a 1.7 GB column matrix,
    and a training forward keeps about 5 GB. predict_image stays under 1.5 GB (about 0.5 GB measured)."""
    model = build("fcn8s", num_classes=4, rng=np.random.default_rng(0))
    image = np.random.default_rng(1).random((3, 2000, 1500), dtype=np.float32)
    tracemalloc.start()
    try:
        with fast.enabled(True, "shifted_taps"):
            mask = predict_image(model, image, Preprocessing())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert mask.shape == (2000, 1500)
    assert peak < 1.5e9, f"peak {peak / 1e9:.2f} GB"


def test_predict_files_sees_images_as_a_viewer_shows_them(tmp_path):
    """A photo with an EXIF turn gets a mask of the size shown, not the size stored; a 16-bit grey image
    is not read as white; what the reader did is said once per kind."""
    from fcn_scratch.data.images import EXIF_ORIENTATION

    tags = Image.Exif()
    tags[EXIF_ORIENTATION] = 6
    Image.fromarray(np.zeros((100, 80, 3), np.uint8)).save(tmp_path / "turned.jpg", exif=tags)
    for i in range(2):
        Image.fromarray(np.full((20, 30), 4000 * (i + 1), np.uint16)).save(tmp_path / f"deep{i}.png")
    out = tmp_path / "out"
    out.mkdir()
    lines = []
    names = ["turned", "deep0", "deep1"]
    failures = predict_files(model_with_scores(), [tmp_path / "turned.jpg", tmp_path / "deep0.png",
                                                   tmp_path / "deep1.png"], names, out, Preprocessing(),
                             print_fn=lines.append)
    assert failures == []
    with Image.open(out / "turned_mask.png") as mask:
        assert mask.size == (100, 80)
    notes = [line for line in lines if line.startswith("note: ")]
    assert len(notes) == 2 and "EXIF orientation" in notes[0] and "colour mode I;16" in notes[1]
    np.testing.assert_allclose(load_image(tmp_path / "deep0.png"), 4000 / 65535, rtol=1e-6)


def test_image_files_takes_files_as_given_and_a_folders_images_sorted(tmp_path):
    folder = tmp_path / "photos"
    (folder / "sub").mkdir(parents=True)
    for name in ("b.png", "a.JPG", "c.webp", "notes.txt", "sub/inner.png"):
        (folder / name).write_bytes(b"")
    given = [tmp_path / "z.txt", folder, tmp_path / "missing.png"]
    assert image_files([str(p) for p in given]) == [
        tmp_path / "z.txt", folder / "a.JPG", folder / "b.png", folder / "c.webp", tmp_path / "missing.png"]
    (folder / "sub" / "inner.png").unlink()
    with pytest.raises(InputError, match=re.escape(f"no images found in {folder / 'sub'}, {folder / 'sub'}/")):
        image_files([str(folder / "sub"), f"{folder / 'sub'}/"])


@pytest.mark.parametrize("files,names", [
    (["p/x.png", "q/y.jpg"], ["x", "y"]),
    (["a/x.png", "b/x.png", "b/y.png"], ["a_x", "b_x", "y"]),
    (["x.png", "x.jpg"], ["x_1", "x"]),                       # no folder to tell them apart
    (["/x.png", "/x.jpg"], ["x_1", "x"]),                     # the root is no folder name
    (["a/x.png", "a/x.jpg", "c/a_x.png"], ["a_x_1", "a_x_2", "a_x"]),
    (["x_2.png", "x.png", "x.jpg"], ["x_2", "x_2_2", "x"]),   # numbered, it would take x_2.png's name
])
def test_output_names_are_distinct(files, names):
    assert output_names([Path(f) for f in files]) == names


def test_predict_checkpoint_does_what_the_command_does(tmp_path, rng):
    from fcn_scratch.checkpoint import save_checkpoint
    from fcn_scratch.train import predict_checkpoint

    model = model_with_scores()
    save_checkpoint(tmp_path / "m.npz", model, meta={"image_size": 32})
    (tmp_path / "in").mkdir()
    paths = write_images(tmp_path / "in", rng)
    lines = []
    files, failures = predict_checkpoint(tmp_path / "m.npz", [str(tmp_path / "in")], tmp_path / "out",
                                         print_fn=lines.append)
    assert files == sorted([paths["photo"], paths["grey"], paths["broken"]])
    assert failures == [(paths["broken"], failures[0][1])] and "cannot read image" in failures[0][1]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["grey_mask.png", "grey_overlay.png",
                                                                   "photo_mask.png", "photo_overlay.png"]
    with Image.open(tmp_path / "out" / "photo_mask.png") as mask:
        np.testing.assert_array_equal(np.asarray(mask),
                                      predict_image(model.eval(), load_image(paths["photo"]), Preprocessing()))
    assert lines[-1] == f"wrote 4 files to {tmp_path / 'out'}/"
    save_checkpoint(tmp_path / "nosize.npz", model)
    with pytest.raises(InputError, match="does not record a training image size; give --resize a size"):
        predict_checkpoint(tmp_path / "nosize.npz", [str(paths["photo"])], tmp_path / "out2", resize=0)
    assert not (tmp_path / "out2").exists()
    # a size of its own: the longer side scaled to it, the mask back at the image's size
    predict_checkpoint(tmp_path / "nosize.npz", [str(paths["photo"])], tmp_path / "out2", resize=16)
    with Image.open(tmp_path / "out2" / "photo_mask.png") as mask:
        assert mask.size == Image.open(paths["photo"]).size
    # an earlier run's outputs are kept unless asked
    before = (tmp_path / "out" / "photo_mask.png").read_bytes()
    with pytest.raises(InputError, match=r"grey_mask.png already exists \(and 3 more of this run's outputs\); "
                                         "replace them with --overwrite"):
        predict_checkpoint(tmp_path / "m.npz", [str(tmp_path / "in")], tmp_path / "out")
    assert (tmp_path / "out" / "photo_mask.png").read_bytes() == before
    predict_checkpoint(tmp_path / "m.npz", [str(tmp_path / "in")], tmp_path / "out", overwrite=True,
                       print_fn=lines.append)


def test_an_image_past_the_memory_budget_is_skipped_with_the_resize_that_fits(tmp_path, rng):
    """The estimate holds the parameters and four maps of conv1's output; an image past the budget is
    named with the --resize that brings it within, the others predicted; resized, it is predicted."""
    from fcn_scratch.checkpoint import save_checkpoint
    from fcn_scratch.train import predict_checkpoint
    from fcn_scratch.train.predict import prediction_bytes

    model = model_with_scores()
    save_checkpoint(tmp_path / "m.npz", model)
    (tmp_path / "in").mkdir()
    Image.fromarray((rng.random((300, 400, 3)) * 255).astype(np.uint8)).save(tmp_path / "in" / "big.png")
    Image.fromarray((rng.random((30, 40, 3)) * 255).astype(np.uint8)).save(tmp_path / "in" / "small.png")
    itemsize = 4
    assert prediction_bytes(model, (300, 400)) == (model.num_parameters() + 4 * SMALL["widths"][0] * 300 * 400) \
        * itemsize
    budget = prediction_bytes(model, (150, 200))
    lines = []
    files, failures = predict_checkpoint(tmp_path / "m.npz", [str(tmp_path / "in")], tmp_path / "out",
                                         memory_budget=budget, print_fn=lines.append)
    assert [f.name for f, _ in failures] == ["big.png"]
    reason = failures[0][1]
    assert reason.startswith("predicting it at 400 x 300 would take about") and "(--memory-budget)" in reason
    fits = int(reason.split("--resize ")[1].split()[0])
    assert 150 < fits <= 200 and prediction_bytes(model, (fits * 3 // 4, fits)) <= budget
    assert (tmp_path / "out" / "small_mask.png").exists() and not (tmp_path / "out" / "big_mask.png").exists()
    _, failures = predict_checkpoint(tmp_path / "m.npz", [str(tmp_path / "in" / "big.png")], tmp_path / "out2",
                                     resize=fits, memory_budget=budget, print_fn=lines.append)
    assert failures == [] and Image.open(tmp_path / "out2" / "big_mask.png").size == (400, 300)
