"""Every lesson runs with --quick into a temporary folder, exits cleanly and writes its figures."""
import os
import pathlib
import subprocess
import sys

import pytest

LESSONS = sorted((pathlib.Path(__file__).resolve().parents[1] / "lessons").glob("[0-9][0-9]_*.py"))


def test_the_course_has_ten_lessons():
    assert [p.name[:2] for p in LESSONS] == [f"{i:02d}" for i in range(1, 11)]


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_lesson_runs_quick(lesson, tmp_path):
    env = {**os.environ, "MPLBACKEND": "Agg"}
    done = subprocess.run([sys.executable, str(lesson), "--quick", "--out", str(tmp_path)], capture_output=True,
                          text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    assert list(tmp_path.rglob("*.png")), "the lesson saved no figure"
    assert done.stdout.count("==") >= 2, "the lesson printed no sections"
