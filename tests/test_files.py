"""fcn_scratch/files.py: a file is replaced whole or not at all, and only when asked."""
import numpy as np
import pytest

from fcn_scratch.files import refuse_overwrite, save_npz, write_atomically


def test_a_failed_write_leaves_the_old_file_and_no_temporary_one(tmp_path):
    target = tmp_path / "weights.npz"
    target.write_bytes(b"old")

    def half_then_fail(tmp):
        open(tmp, "wb").write(b"half")
        raise OSError(28, "No space left on device")
    with pytest.raises(OSError, match="No space left"):
        write_atomically(target, half_then_fail)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["weights.npz"]


def test_a_write_replaces_the_file_under_its_own_name(tmp_path):
    target = tmp_path / "sub" / "a.npz"
    assert write_atomically(target, lambda tmp: save_npz(tmp, {"w": np.arange(3.0)})) == target
    with np.load(target) as archive:
        np.testing.assert_array_equal(archive["w"], np.arange(3.0))
    assert sorted(p.name for p in target.parent.iterdir()) == ["a.npz"]


def test_an_existing_file_is_refused_unless_asked(tmp_path):
    target = tmp_path / "out.safetensors"
    refuse_overwrite(target, overwrite=False)
    target.write_bytes(b"x")
    with pytest.raises(ValueError, match="out.safetensors already exists; replace it with --overwrite"):
        refuse_overwrite(target, overwrite=False)
    refuse_overwrite(target, overwrite=True)
