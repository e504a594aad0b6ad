"""The run folder: one run at a time holds it, a dead run's lock is taken over, a failed start leaves
no trace, and a refusal names only what is there."""
import json
import os
import socket
import subprocess
import sys

import pytest

from fcn_scratch.train import files_to_replace, hold_run_folder, remove_run_files
from fcn_scratch.train.run_folder import LOCK


def lock_naming(folder, pid, host=None):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / LOCK).write_text(json.dumps({"pid": pid, "host": host or socket.gethostname(),
                                           "started": "2026-12-04 09:00:00", "command": "train --out x"}))


def a_dead_process():
    """The id of a process that has ended (and been reaped, so that it is not a zombie)."""
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(done.stdout)


def test_the_folder_is_held_for_the_block_and_released_after(tmp_path):
    out = tmp_path / "run"
    with hold_run_folder(out) as held:
        assert held == out and json.loads((out / LOCK).read_text())["pid"] == os.getpid()
        (out / "last.npz").write_bytes(b"x")
    assert not (out / LOCK).exists() and (out / "last.npz").exists()


def test_a_second_run_is_refused_naming_the_process_that_holds_the_folder(tmp_path):
    out = tmp_path / "run"
    with hold_run_folder(out):
        with pytest.raises(ValueError, match=rf"{out} is in use by another run: process {os.getpid()} \(`"):
            with hold_run_folder(out):
                pass
        assert (out / LOCK).exists()                   # the refused run took nothing away
    lock_naming(out, 1, host="elsewhere")
    with pytest.raises(ValueError, match=r"process 1 on elsewhere .*; if that run has ended, remove .*\.lock$"):
        with hold_run_folder(out):
            pass
    (out / LOCK).write_text("")
    with pytest.raises(ValueError, match="which names no process; if no run is using the folder, remove"):
        with hold_run_folder(out):
            pass


def test_the_lock_of_a_dead_process_is_taken_over(tmp_path):
    out = tmp_path / "run"
    lock_naming(out, a_dead_process())
    with hold_run_folder(out):
        assert json.loads((out / LOCK).read_text())["pid"] == os.getpid()
    assert sorted(os.listdir(out)) == []


@pytest.mark.parametrize("stop", [ValueError("bad data"), KeyboardInterrupt()])
def test_an_error_or_ctrl_c_releases_the_lock_and_removes_the_folders_it_made(tmp_path, stop):
    out = tmp_path / "runs" / "fcn8s"
    with pytest.raises(type(stop)):
        with hold_run_folder(out):
            raise stop
    assert not (tmp_path / "runs").exists()
    out.mkdir(parents=True)
    with pytest.raises(type(stop)):
        with hold_run_folder(out):
            raise stop
    assert out.is_dir() and os.listdir(out) == []        # a folder that was there stays


def test_racing_processes_get_the_folder_one_at_a_time(tmp_path):
    """Four processes ask for the folder at the same instant: one holds it, three are refused."""
    out, go = tmp_path / "run", tmp_path / "go"
    code = ("import sys, time, pathlib\n"
            "from fcn_scratch.train import hold_run_folder\n"
            "go = pathlib.Path(sys.argv[2])\n"
            "print('ready', flush=True)\n"
            "while not go.exists(): time.sleep(0.001)\n"
            "try:\n"
            "    with hold_run_folder(sys.argv[1]):\n"
            "        print('held', flush=True); time.sleep(1.0)\n"
            "except ValueError as exc: print(exc, flush=True)\n")
    racers = [subprocess.Popen([sys.executable, "-c", code, str(out), str(go)], stdout=subprocess.PIPE, text=True)
              for _ in range(4)]
    for racer in racers:
        assert racer.stdout.readline().strip() == "ready"
    go.touch()
    outcomes = [racer.communicate(timeout=60)[0].strip() for racer in racers]
    assert sorted(o == "held" for o in outcomes) == [False, False, False, True], outcomes
    assert all("is in use by another run" in o for o in outcomes if o != "held")
    assert not (out / LOCK).exists()


def test_a_refusal_names_only_checkpoints_that_exist(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "metrics.jsonl").write_text("")
    with pytest.raises(ValueError) as info:
        files_to_replace(out)
    assert "--overwrite" in str(info.value) and "--resume" not in str(info.value)
    (out / "last.npz").write_bytes(b"x")
    (out / "interrupted.npz").write_bytes(b"x")
    with pytest.raises(ValueError, match=f"--resume {out / 'interrupted.npz'} to continue it"):
        files_to_replace(out)
    assert files_to_replace(out, resume=out / "last.npz") == []
    replaced = files_to_replace(out, overwrite=True)
    assert replaced == ["interrupted.npz", "last.npz", "metrics.jsonl"]
    remove_run_files(out, replaced)
    assert os.listdir(out) == []


def test_the_lock_file_is_not_part_of_the_run(tmp_path):
    out = tmp_path / "run"
    with hold_run_folder(out):
        assert files_to_replace(out) == []
