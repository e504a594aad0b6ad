"""fcn_scratch/npz.py: named arrays into the very file named, and back; a file that is none is the caller's error."""
import numpy as np
import pytest

from fcn_scratch.npz import load_npz, npz_array, save_npz


class Unreadable(Exception):
    pass


def unreadable(path, reason):
    return Unreadable(f"{path.name}: {reason}")


def test_arrays_go_into_the_file_named_and_come_back(tmp_path):
    arrays = {"param/conv1_1.weight": np.arange(24, dtype=np.float32).reshape(2, 3, 2, 2), "header": np.array("{}")}
    save_npz(tmp_path / "model.ckpt", arrays)
    assert [p.name for p in tmp_path.iterdir()] == ["model.ckpt"]          # np.savez would have added ".npz"
    with load_npz(tmp_path / "model.ckpt", unreadable) as archive:
        assert sorted(archive.files) == sorted(arrays)
        for key, value in arrays.items():
            got = npz_array(tmp_path / "model.ckpt", archive, key, unreadable)
            assert got.dtype == value.dtype
            np.testing.assert_array_equal(got, value)


def lone_array(path):
    with open(path, "wb") as f:
        np.save(f, np.ones(3))


@pytest.mark.parametrize("write,reason", [
    (lone_array, "it holds a single array, not named ones"),
    (lambda path: path.write_bytes(b""), "No data left in file"),           # np.load's EOFError
])
def test_a_file_of_no_named_arrays_is_the_callers_error(tmp_path, write, reason):
    write(tmp_path / "w.npz")
    with pytest.raises(Unreadable, match=f"^w.npz: {reason}$"):
        load_npz(tmp_path / "w.npz", unreadable)
