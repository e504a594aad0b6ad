import numpy as np
import pytest
from PIL import Image

from fcn_scratch.data import VOCSegmentation, load_image, load_mask, save_mask, voc_palette
from fcn_scratch.data.images import EXIF_ORIENTATION


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


def test_an_exif_turned_photo_pairs_with_the_mask_drawn_on_it_and_masks_are_never_turned(tmp_path):
    """The photo is stored 40 wide and 48 high with orientation 6 (shown 48 x 40); its mask was drawn on
    what a viewer shows. A mask's own EXIF tag is never followed: its values are read as stored."""
    write_voc(tmp_path, names=("a",), size=(48, 40))
    tags = Image.Exif()
    tags[EXIF_ORIENTATION] = 6
    stored = np.random.default_rng(0).integers(0, 255, (48, 40, 3), dtype=np.uint8)
    Image.fromarray(stored).save(tmp_path / "JPEGImages" / "a.jpg", exif=tags)
    mask = np.random.default_rng(1).integers(0, 3, (40, 48)).astype(np.uint8)
    turned_mask = Image.fromarray(mask, "P")
    turned_mask.putpalette(voc_palette().reshape(-1).tolist())
    turned_mask.save(tmp_path / "SegmentationClass" / "a.png", exif=tags)
    image, labels = VOCSegmentation(tmp_path, "train", 3)[0]
    assert image.shape == (3, 40, 48)
    np.testing.assert_array_equal(labels, mask)
    np.testing.assert_array_equal(load_mask(tmp_path / "SegmentationClass" / "a.png", 3), mask)


def test_masks_keep_their_exact_values_in_every_integer_mode(tmp_path):
    """Grey and 16-bit PNGs, and 32-bit grey (older Pillows open 16-bit PNGs so; here a TIFF)."""
    values = np.array([[0, 1, 2], [255, 2, 0]])
    for mode, dtype, suffix in (("L", np.uint8, ".png"), ("I;16", np.uint16, ".png"), ("I", np.int32, ".tif")):
        Image.fromarray(values.astype(dtype)).save(tmp_path / f"mask{suffix}")
        with Image.open(tmp_path / f"mask{suffix}") as im:
            assert im.mode == mode
        np.testing.assert_array_equal(load_mask(tmp_path / f"mask{suffix}", 3), values)
    Image.fromarray(np.array([[0, -4]], np.int32)).save(tmp_path / "negative.tif")
    with pytest.raises(ValueError, match=r"negative.tif has labels \[-4\] outside the 3 classes"):
        load_mask(tmp_path / "negative.tif", 3)
    Image.fromarray(np.zeros((2, 2, 3), np.uint8)).save(tmp_path / "colour.png")
    with pytest.raises(ValueError, match="colour.png has mode RGB; expected a palette"):
        load_mask(tmp_path / "colour.png", 3)


def test_a_folder_written_by_another_tool(tmp_path):
    """A list with a byte-order mark, Windows line ends, blank lines and ids with their suffix; images
    saved as PNG or with an upper-case suffix."""
    masks = write_voc(tmp_path, names=("a", "b", "c"))
    Image.open(tmp_path / "JPEGImages" / "b.jpg").save(tmp_path / "JPEGImages" / "b.png")
    (tmp_path / "JPEGImages" / "b.jpg").unlink()
    (tmp_path / "JPEGImages" / "c.jpg").rename(tmp_path / "JPEGImages" / "c.JPG")
    lists = tmp_path / "ImageSets" / "Segmentation"
    (lists / "train.txt").write_bytes("\ufeffa\r\n\r\nb.jpg\r\n  c  \r\n".encode("utf-8"))
    ds = VOCSegmentation(tmp_path, "train", 3)
    assert ds.ids == ["a", "b", "c"]
    assert [ds.image_path(i).name for i in range(3)] == ["a.jpg", "b.png", "c.JPG"]
    for i, name in enumerate("abc"):
        np.testing.assert_array_equal(ds[i][1], masks[name])
    (lists / "train.txt").write_bytes(b"a\n\xff\xfeb\n")
    with pytest.raises(ValueError, match=r"split list .*train.txt is not UTF-8 text \(byte 2\)"):
        VOCSegmentation(tmp_path, "train", 3)
