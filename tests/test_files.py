"""fcn_scratch/files.py: a file is replaced whole or not at all, and only when asked."""
import os
import stat

import numpy as np
import pytest

from fcn_scratch.files import check_writable, refuse_overwrite, temporary_files, write_atomically
from fcn_scratch.npz import save_npz


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


def test_the_file_gets_the_mode_of_a_new_file_whatever_the_writer_makes(tmp_path, monkeypatch):
    """safetensors makes its file 0600; what we write is an ordinary file, as the process's umask says.
    The umask is never changed to read it."""
    target = tmp_path / "w.safetensors"
    previous = os.umask(0o027)
    try:
        monkeypatch.setattr(os, "umask", lambda *a: pytest.fail("the process umask was touched"))

        def private_writer(tmp):
            os.unlink(tmp)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT, 0o600)
            os.write(fd, b"data")
            os.close(fd)
        write_atomically(target, private_writer)
    finally:
        monkeypatch.undo()
        os.umask(previous)
    assert stat.S_IMODE(target.stat().st_mode) == 0o640 and target.read_bytes() == b"data"


def test_a_path_that_cannot_be_written_is_named_as_given(tmp_path):
    """An --out inside a file: the error names the user's path, not the hidden temporary file, and
    check_writable finds it before any work."""
    (tmp_path / "notes.txt").write_text("x")
    target = tmp_path / "notes.txt" / "model.npz"
    for attempt in (lambda: check_writable(target), lambda: write_atomically(target, lambda tmp: None)):
        with pytest.raises(OSError) as info:
            attempt()
        assert info.value.filename == str(target) and ".tmp" not in str(info.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_stale_temporaries_are_found_by_their_target(tmp_path):
    write_atomically(tmp_path / "a.npz", lambda tmp: open(tmp, "wb").write(b"1"))
    stale = tmp_path / ".last.npz.0123abcd.tmp"
    stale.write_bytes(b"half")
    assert list(temporary_files(tmp_path, "*.npz")) == [stale]
