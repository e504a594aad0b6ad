"""The picture reader: every colour mode as a viewer shows it, EXIF turns, one line for what it cannot read."""
import numpy as np
import pytest
from PIL import Image

from fcn_scratch.data import NoteOnce, load_image, read_image
from fcn_scratch.data.images import EXIF_ORIENTATION


def exif(orientation):
    tags = Image.Exif()
    tags[EXIF_ORIENTATION] = orientation
    return tags


def grey_of(picture):
    """The one grey channel of a picture whose three channels must agree."""
    np.testing.assert_array_equal(picture.pixels[0], picture.pixels[1])
    np.testing.assert_array_equal(picture.pixels[0], picture.pixels[2])
    return picture.pixels[0]


def test_rgb_is_read_as_it_is_with_no_note(tmp_path, rng):
    rgb = rng.integers(0, 256, (7, 9, 3), dtype=np.uint8)
    Image.fromarray(rgb).save(tmp_path / "a.png")
    picture = read_image(tmp_path / "a.png")
    assert picture.pixels.shape == (3, 7, 9) and picture.pixels.dtype == np.float32 and picture.notes == ()
    np.testing.assert_array_equal(picture.pixels, rgb.transpose(2, 0, 1) / np.float32(255))
    np.testing.assert_array_equal(load_image(tmp_path / "a.png"), picture.pixels)


@pytest.mark.parametrize("suffix,dtype", [(".png", "<u2"), (".tif", ">u2")])
def test_16_bit_grey_is_scaled_by_its_depth_not_clipped(tmp_path, suffix, dtype):
    """Pillow's convert("RGB") clips at 255: this image, 0 to 59,900, came out nearly all white."""
    values = (np.arange(20 * 30).reshape(20, 30) * 100).astype(dtype)
    Image.fromarray(values).save(tmp_path / f"g{suffix}")
    picture = read_image(tmp_path / f"g{suffix}")
    assert picture.mode.startswith("I;16")
    np.testing.assert_allclose(grey_of(picture), values / 65535.0, rtol=1e-6)
    assert "16-bit grey, scaled by its depth" in picture.notes[0][1]


def test_32_bit_and_floating_point_grey_by_depth_or_range(tmp_path):
    sixteen = np.arange(12, dtype=np.int32).reshape(3, 4) * 5000              # 0 .. 55,000: 16-bit values
    wide = np.arange(12, dtype=np.int32).reshape(3, 4) * 100_000 - 300_000    # beyond any 16 bits
    unit = np.linspace(0, 1, 12, dtype=np.float32).reshape(3, 4)
    for name, values in (("sixteen", sixteen), ("wide", wide), ("unit", unit), ("scaled", unit * 40 - 7)):
        Image.fromarray(values).save(tmp_path / f"{name}.tif")
    np.testing.assert_allclose(grey_of(read_image(tmp_path / "sixteen.tif")), sixteen / 65535.0, rtol=1e-6)
    np.testing.assert_allclose(grey_of(read_image(tmp_path / "wide.tif")), np.linspace(0, 1, 12).reshape(3, 4),
                               atol=1e-6)
    np.testing.assert_array_equal(grey_of(read_image(tmp_path / "unit.tif")), unit)
    np.testing.assert_allclose(grey_of(read_image(tmp_path / "scaled.tif")), unit, atol=1e-6)
    assert "its own range" in read_image(tmp_path / "wide.tif").notes[0][1]


def test_transparent_pixels_are_laid_over_white(tmp_path):
    rgba = np.zeros((2, 2, 4), np.uint8)
    rgba[0, 0] = (255, 0, 0, 255)          # opaque red
    rgba[0, 1] = (0, 0, 0, 0)              # fully transparent: black underneath, white on a page
    rgba[1, 0] = (0, 0, 255, 51)           # 20% blue
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    pixels = read_image(tmp_path / "a.png").pixels
    np.testing.assert_allclose(pixels[:, 0, 0], [1, 0, 0])
    np.testing.assert_allclose(pixels[:, 0, 1], [1, 1, 1])
    np.testing.assert_allclose(pixels[:, 1, 0], [0.8, 0.8, 1.0], atol=1e-6)
    Image.fromarray(rgba, "RGBA").convert("LA").save(tmp_path / "la.png")
    np.testing.assert_allclose(read_image(tmp_path / "la.png").pixels[:, 0, 1], [1, 1, 1])
    palette = Image.fromarray(np.array([[0, 1]], np.uint8), "P")
    palette.putpalette([0, 128, 0, 9, 9, 9] + [0] * 762)
    palette.save(tmp_path / "p.png", transparency=1)
    pixels = read_image(tmp_path / "p.png").pixels
    np.testing.assert_allclose(pixels[:, 0, 0], [0, 128 / 255, 0], rtol=1e-6)
    np.testing.assert_allclose(pixels[:, 0, 1], [1, 1, 1])


def test_palette_cmyk_black_and_white_and_grey_become_their_colours(tmp_path):
    palette = Image.fromarray(np.array([[0, 1, 2]], np.uint8), "P")
    palette.putpalette([255, 0, 0, 0, 255, 0, 0, 0, 255] + [0] * 759)
    palette.save(tmp_path / "p.png")
    np.testing.assert_array_equal(read_image(tmp_path / "p.png").pixels[:, 0], np.eye(3))
    Image.new("CMYK", (2, 1), (0, 255, 255, 0)).save(tmp_path / "c.jpg", quality=100)
    np.testing.assert_allclose(read_image(tmp_path / "c.jpg").pixels[:, 0, 0], [1, 0, 0], atol=0.02)
    Image.fromarray(np.array([[0, 255]], np.uint8)).convert("1").save(tmp_path / "b.png")
    np.testing.assert_array_equal(grey_of(read_image(tmp_path / "b.png")), [[0, 1]])
    Image.fromarray(np.array([[0, 51]], np.uint8), "L").save(tmp_path / "l.png")
    np.testing.assert_allclose(grey_of(read_image(tmp_path / "l.png")), [[0, 0.2]], rtol=1e-6)
    for name, mode in (("p.png", "P"), ("c.jpg", "CMYK"), ("b.png", "1"), ("l.png", "L")):
        picture = read_image(tmp_path / name)
        assert picture.mode == mode and f"has colour mode {mode}" in picture.notes[0][1]


def test_the_exif_orientation_turns_the_picture_as_viewers_show_it(tmp_path, rng):
    stored = rng.integers(0, 256, (48, 40, 3), dtype=np.uint8)           # 40 wide, 48 high as stored
    Image.fromarray(stored).save(tmp_path / "turned.png", exif=exif(6))  # 6: shown turned 90 degrees clockwise
    picture = read_image(tmp_path / "turned.png")
    assert picture.pixels.shape == (3, 40, 48)
    np.testing.assert_array_equal(picture.pixels, np.rot90(stored, k=-1).transpose(2, 0, 1) / np.float32(255))
    assert [kind for kind, _ in picture.notes] == ["EXIF"]
    Image.fromarray(stored).save(tmp_path / "photo.jpg", exif=exif(8))
    assert read_image(tmp_path / "photo.jpg").pixels.shape == (3, 40, 48)
    Image.fromarray(stored).save(tmp_path / "upright.jpg", exif=exif(1))
    assert read_image(tmp_path / "upright.jpg").pixels.shape == (3, 48, 40)


def test_notes_are_said_once_per_kind(tmp_path):
    for i in range(3):
        Image.fromarray(np.zeros((4, 4), np.uint8), "L").save(tmp_path / f"grey{i}.png")
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(tmp_path / "turned.png", exif=exif(3))
    Image.fromarray(np.zeros((4, 4), np.uint8), "L").save(tmp_path / "both.png", exif=exif(3))
    lines = []
    note = NoteOnce(lines.append)
    for name in ("grey0", "grey1", "turned", "both", "grey2"):
        note(read_image(tmp_path / f"{name}.png"))
    assert len(lines) == 2 and all(line.startswith("note: ") for line in lines)
    assert "grey0.png has colour mode L" in lines[0] and "turned.png is turned" in lines[1]


def test_what_cannot_be_read_is_one_line_naming_the_file_and_its_mode(tmp_path):
    with pytest.raises(FileNotFoundError, match="image not found: .*nothing.png"):
        read_image(tmp_path / "nothing.png")
    (tmp_path / "text.jpg").write_text("not a picture")
    with pytest.raises(ValueError, match=r"cannot read image .*text.jpg: cannot identify"):
        read_image(tmp_path / "text.jpg")
    Image.fromarray(np.zeros((64, 64, 3), np.uint8)).save(tmp_path / "cut.png")
    data = (tmp_path / "cut.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"cannot read image .*cut.png \(colour mode RGB\)") as info:
        read_image(tmp_path / "cut.png")
    assert "\n" not in str(info.value)
    Image.fromarray(np.array([[0.5, np.nan]], np.float32)).save(tmp_path / "nan.tif")
    with pytest.raises(ValueError, match=r"nan.tif \(colour mode F\): .*NaN"):
        read_image(tmp_path / "nan.tif")
