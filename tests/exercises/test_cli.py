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
    assert _run(["reset", "im2col"], tmp_path) == (0, "ex01_im2col.py is the template")
    assert _run(["reset", "im2col"], tmp_path) == (0, "ex01_im2col.py is the template")


def test_hints_come_one_at_a_time_and_are_counted_beside_the_files(tmp_path):
    hints = checker.find("maxpool").HINTS
    for number in range(1, len(hints) + 2):
        code, text = _run(["maxpool", "--hint"], tmp_path)
        shown = min(number, len(hints))
        assert f"hint {shown} of {len(hints)} for maxpool:" in text
        assert hints[shown - 1][:40] in text.replace("\n    ", " ")
    assert json.loads((tmp_path / ".hints.json").read_text()) == {"ex03_maxpool": len(hints)}


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
