import numpy as np
import pytest
from PIL import Image

from fcn_scratch.data import VOCSegmentation, load_image, save_mask, voc_palette


def write_voc(root, names=("a", "b"), size=(20, 16), split="train"):
    """A tiny VOC-format folder: JPEGImages, SegmentationClass palette PNGs, ImageSets list."""
    (root / "JPEGImages").mkdir(parents=True, exist_ok=True)
    (root / "SegmentationClass").mkdir(exist_ok=True)
    (root / "ImageSets" / "Segmentation").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    masks = {}
    for name in names:
        w, h = size
        Image.fromarray(rng.integers(0, 255, (h, w, 3), dtype=np.uint8)).save(root / "JPEGImages" / f"{name}.jpg")
        mask = rng.integers(0, 3, (h, w))
        mask[0] = 255
        save_mask(mask, root / "SegmentationClass" / f"{name}.png")
        masks[name] = mask
    (root / "ImageSets" / "Segmentation" / f"{split}.txt").write_text("\n".join(names) + "\n")
    return masks


def test_reads_images_and_palette_indices(tmp_path):
    masks = write_voc(tmp_path)
    ds = VOCSegmentation(tmp_path, "train", num_classes=3)
    assert len(ds) == 2
    image, labels = ds[1]
    assert image.shape == (3, 16, 20) and image.dtype == np.float32
    np.testing.assert_array_equal(labels, masks["b"])
    assert (labels[0] == 255).all()


def test_palette_colours():
    p = voc_palette()
    assert p.shape == (256, 3)
    assert tuple(p[0]) == (0, 0, 0) and tuple(p[1]) == (128, 0, 0) and tuple(p[2]) == (0, 128, 0)
    assert tuple(p[15]) == (192, 128, 128) and tuple(p[255]) == (224, 224, 192)


def test_missing_files_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="split list not found: .*train.txt"):
        VOCSegmentation(tmp_path, "train")
    write_voc(tmp_path)
    (tmp_path / "JPEGImages" / "a.jpg").unlink()
    with pytest.raises(FileNotFoundError, match="image not found: .*a.jpg"):
        VOCSegmentation(tmp_path, "train", 3)[0]


def test_corrupt_image_is_named(tmp_path):
    write_voc(tmp_path)
    (tmp_path / "JPEGImages" / "b.jpg").write_bytes(b"not a jpeg at all")
    with pytest.raises(ValueError, match="cannot read image .*b.jpg"):
        VOCSegmentation(tmp_path, "train", 3)[1]
    with pytest.raises(FileNotFoundError):
        load_image(tmp_path / "nothing.png")


def test_mask_size_mismatch_and_bad_labels(tmp_path):
    write_voc(tmp_path)
    save_mask(np.zeros((5, 5)), tmp_path / "SegmentationClass" / "a.png")
    with pytest.raises(ValueError, match="mask .*a.png is 5x5 but its image is 20x16"):
        VOCSegmentation(tmp_path, "train", 3)[0]
    save_mask(np.full((16, 20), 7), tmp_path / "SegmentationClass" / "b.png")
    with pytest.raises(ValueError, match=r"mask .*b.png has labels \[7\] outside the 3 classes"):
        VOCSegmentation(tmp_path, "train", 3)[1]
