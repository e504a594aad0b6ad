"""The checker accepts the library's own answers, says "not started" for the templates, and shows a student's
traceback (their lines, none of the checker's) when their code raises."""
import sys
import types

import pytest

import checker
from tests.exercises import solutions


@pytest.mark.parametrize("exercise", checker.EXERCISES, ids=checker.name_of)
def test_the_library_s_answers_pass(exercise):
    result = checker.run(exercise, solutions)
    assert result.status == "passed", (result.lines, result.case)


@pytest.mark.parametrize("exercise", checker.EXERCISES, ids=checker.name_of)
def test_each_template_raises_not_implemented_and_is_not_started(exercise, tmp_path):
    result = checker.check_file(exercise, tmp_path)
    assert result.status == "not started"
    assert "still raises NotImplementedError" in result.lines[0]
    assert (tmp_path / f"{exercise.FILE}.py").read_text() == (checker.TEMPLATES / f"{exercise.FILE}.py").read_text()


def test_an_error_in_the_student_s_code_shows_their_lines_and_none_of_the_checker_s(tmp_path):
    (tmp_path / "ex01_im2col.py").write_text(
        "import numpy as np\n\n\ndef im2col(x, kernel_size, stride=1, padding=0):\n"
        "    rows = x.shape[5]\n    return rows\n")
    result = checker.check_file(checker.find("im2col"), tmp_path)
    text = "".join(result.lines)
    assert result.status == "crashed"
    assert "ex01_im2col.py\", line 5, in im2col" in text and "rows = x.shape[5]" in text
    assert "IndexError: tuple index out of range" in text
    assert "checker" not in text and "core.py" not in text
    assert result.case.startswith("x (2, 3, 9, 9)")


def test_a_file_that_does_not_load_says_so_with_its_line(tmp_path):
    (tmp_path / "ex09_mean_iu.py").write_text("def class_iu(confusion)\n    return 1\n")
    result = checker.check_file(checker.find("mean_iu"), tmp_path)
    text = "".join(result.lines)
    assert result.status == "crashed" and "ex09_mean_iu.py does not load" in text and "SyntaxError" in text


def test_an_exercise_that_calls_one_not_started_names_that_one(tmp_path):
    (tmp_path / "ex02_conv_forward.py").write_text(
        "from ex01_im2col import im2col\n\n\ndef conv2d_forward(x, weight, bias, stride=1, padding=0):\n"
        "    return im2col(x, weight.shape[2], stride, padding)\n")
    sys.modules.pop("ex01_im2col", None)
    try:
        checker.student_file(checker.find("im2col"), tmp_path)      # the template, not started
        result = checker.check_file(checker.find("conv_forward"), tmp_path)
    finally:
        sys.modules.pop("ex01_im2col", None)
    assert result.status == "not started"
    assert "calls into ex01_im2col.py, which still raises NotImplementedError" in result.lines[0]


def test_a_missing_function_is_named():
    result = checker.run(checker.find("maxpool"), types.SimpleNamespace(maxpool_forward=solutions.maxpool_forward))
    assert result.status == "wrong" and "has no function maxpool_backward()" in result.lines[0]


def test_exercises_are_found_by_name_or_number():
    assert checker.find("3") is checker.find("03") is checker.find("ex03") is checker.find("maxpool")
    assert checker.find("ex10_fusion") is checker.EXERCISES[-1]
    with pytest.raises(KeyError, match="no exercise called 'conv'"):
        checker.find("conv")


def test_every_exercise_follows_a_lesson_in_order_and_has_hints():
    lessons = [exercise.LESSON for exercise in checker.EXERCISES]
    assert lessons == sorted(lessons) and set(lessons) <= set(range(1, 13))
    for exercise in checker.EXERCISES:          # hints for every function, at least two each, three per exercise
        assert set(exercise.HINTS) == set(exercise.FUNCTIONS), checker.name_of(exercise)
        assert min(map(len, exercise.HINTS.values())) >= 2 and sum(map(len, exercise.HINTS.values())) >= 3
    assert sorted(p.stem for p in checker.TEMPLATES.glob("ex*.py")) == [e.FILE for e in checker.EXERCISES]


def test_a_function_with_the_wrong_signature_is_told_so():
    result = checker.run(checker.find("im2col"), types.SimpleNamespace(im2col=lambda x, kernel_size: x))
    assert result.status == "crashed"
    assert "calling your im2col() raised TypeError: does its signature match the template's?" in result.lines[0]


def test_the_transposed_convolution_as_a_convolution_of_the_dilated_input_passes():
    """The other route: the input spread by zeros, convolved with the flipped, channel-swapped kernel."""
    from tests.exercises.test_diagnoses import dilated_route
    student = types.SimpleNamespace(col2im=solutions.col2im, conv_transpose2d_forward=dilated_route)
    result = checker.run(checker.find("conv_transpose"), student)
    assert result.status == "passed", (result.lines, result.case)


def test_a_function_that_changes_its_input_is_told_so_and_the_caller_s_array_is_kept():
    def centred_im2col(x, kernel_size, stride=1, padding=0):
        x -= x.mean()
        return solutions.im2col(x, kernel_size, stride, padding)
    result = checker.run(checker.find("im2col"), types.SimpleNamespace(im2col=centred_im2col))
    assert result.status == "wrong" and result.function == "im2col"
    assert result.lines[0].startswith("your im2col() changed its argument x in place (486 of its 486 entries)")
