"""``check.py`` as a student meets it: the first run writes their files, a check never writes over one, a reset
replaces a changed file only when confirmed, and hints come one at a time."""
import json

import check
import checker

TEMPLATE = checker.TEMPLATES / "ex01_im2col.py"


def _run(argv, folder):
    lines = []
    code = check.main(argv, folder=folder, out=lines.append)
    return code, "\n".join(lines)


def test_the_first_run_writes_every_exercise_from_its_template_and_says_not_started(tmp_path):
    code, text = _run([], tmp_path)
    assert code == 1
    assert text.count(": not started") == 10
    assert "0 of 10 passed. Next: python lessons/exercises/check.py im2col" in text
    for exercise in checker.EXERCISES:
        name = f"{exercise.FILE}.py"
        assert (tmp_path / name).read_bytes() == (checker.TEMPLATES / name).read_bytes()


def test_a_check_never_writes_over_the_student_s_file(tmp_path):
    mine = tmp_path / "ex01_im2col.py"
    mine.write_text("def im2col(x, kernel_size, stride=1, padding=0):\n    return x\n")
    code, text = _run(["im2col"], tmp_path)
    assert code == 1 and "not right yet" in text and "cols has shape" in text
    assert mine.read_text() == "def im2col(x, kernel_size, stride=1, padding=0):\n    return x\n"


def test_reset_refuses_to_replace_a_changed_file_without_yes_then_keeps_a_copy(tmp_path):
    mine = tmp_path / "ex01_im2col.py"
    mine.write_text("# my work\n")
    code, text = _run(["reset", "im2col"], tmp_path)
    assert code == 2 and "has your changes" in text and "--yes" in text
    assert mine.read_text() == "# my work\n"
    code, text = _run(["reset", "im2col", "--yes"], tmp_path)
    assert code == 0 and "ex01_im2col.py.bak" in text
    assert mine.read_bytes() == TEMPLATE.read_bytes() and (tmp_path / "ex01_im2col.py.bak").read_text() == "# my work\n"
    mine.write_text("# my second try\n")
    _run(["reset", "1", "--yes"], tmp_path)
    assert (tmp_path / "ex01_im2col.py.bak1").read_text() == "# my second try\n"


def test_reset_of_an_unchanged_or_missing_file_needs_no_confirmation(tmp_path):
    assert _run(["reset", "im2col"], tmp_path) == (0, "ex01_im2col.py is the template; its hints start over")
    assert _run(["reset", "im2col"], tmp_path) == (0, "ex01_im2col.py is the template; its hints start over")


INDEXED_ADD = """from tests.exercises.solutions import maxpool_forward  # noqa: F401
import numpy as np


def maxpool_backward(dy, indices, x_shape):
    n, c, h, w = x_shape
    dx = np.zeros((n, c, h * w), dy.dtype)
    dx[np.arange(n)[:, None, None, None], np.arange(c)[None, :, None, None], indices] += dy
    return dx.reshape(x_shape)
"""


def test_hints_follow_the_diagnosis_one_at_a_time_then_say_there_are_no_more(tmp_path):
    (tmp_path / "ex03_maxpool.py").write_text(INDEXED_ADD)
    general = checker.find("maxpool").HINTS["maxpool_backward"]
    texts = []
    for number in range(1, len(general) + 2):
        code, text = _run(["maxpool", "--hint"], tmp_path)
        assert code == 1 and f"hint {number} of {len(general) + 1} for maxpool_backward():" in text
        texts.append(text.split("for maxpool_backward():")[1].replace("\n    ", " "))
    assert "appears twice among the indices of one assignment" in texts[0]      # the mistake found, first
    assert [t.strip()[:40] for t in texts[1:]] == [h[:40] for h in general]
    code, text = _run(["maxpool", "--hint"], tmp_path)
    assert "no more hints for maxpool_backward(): you have seen all 4" in text
    assert json.loads((tmp_path / ".hints.json").read_text())["ex03_maxpool"]["shown"] == len(general) + 2


def test_hints_start_from_the_function_found_wrong(tmp_path):
    """col2im passes; the transposed convolution flips its kernel: the first hint is about the flip."""
    (tmp_path / "ex04_conv_transpose.py").write_text(
        "from tests.exercises.solutions import col2im, conv_transpose2d_forward as right\n\n\n"
        "def conv_transpose2d_forward(x, weight, stride=1, padding=0):\n"
        "    return right(x, weight[:, :, ::-1, ::-1], stride, padding)\n")
    code, text = _run(["conv_transpose", "--hint"], tmp_path)
    assert "hint 1 of 5 for conv_transpose2d_forward():" in text and "scatters its value times the kernel" in text


def test_reset_starts_the_hints_over(tmp_path):
    (tmp_path / "ex03_maxpool.py").write_text(INDEXED_ADD)
    _run(["maxpool", "--hint"], tmp_path)
    _run(["maxpool", "--hint"], tmp_path)
    code, text = _run(["reset", "maxpool", "--yes"], tmp_path)
    assert code == 0 and "hints start over" in text
    assert "ex03_maxpool" not in json.loads((tmp_path / ".hints.json").read_text())
    code, text = _run(["maxpool", "--hint"], tmp_path)
    assert "hint 1 of 3 for maxpool_forward():" in text          # the template: not started, its first function


def test_a_passed_exercise_needs_no_hint(tmp_path):
    (tmp_path / "ex05_bilinear.py").write_text(
        "from fcn_scratch.functional import bilinear_kernel as library\n\n\n"
        "def bilinear_kernel(channels, kernel_size):\n    return library(channels, channels, kernel_size, 'float64')\n")
    code, text = _run(["bilinear", "--hint"], tmp_path)
    assert code == 0 and ": passed" in text and "passed: no hint needed" in text
    assert not (tmp_path / ".hints.json").exists()


def test_an_unknown_exercise_lists_the_names(tmp_path):
    code, text = _run(["pooling"], tmp_path)
    assert code == 2 and "no exercise called 'pooling'" in text and "maxpool" in text
