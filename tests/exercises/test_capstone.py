"""The capstone trains FCN-8s with the student's functions swapped in, beside the library's layers, and waits
until all ten exercises pass."""
import capstone
import check
import checker
from checker.core import Student
from tests.exercises import solutions

TINY = dict(capstone.QUICK, train_images=32, val_images=8, image_size=32)


def test_with_the_library_s_answers_the_two_nets_are_the_same_net():
    lines = []
    yours, library, logits_gap, grads_gap = capstone.run(Student(solutions, "solutions"), TINY, lines.append)
    assert logits_gap < 1e-12 and grads_gap < 1e-12
    assert yours == library
    text = "\n".join(lines)
    assert "your crops (1, 1, 4)" in text and "the same net, trained alike" in text


def test_the_student_s_layers_are_the_ones_that_run():
    """A planted bug in the student's loss must change what the student's net learns, and only that net."""
    def doubled(logits, labels, ignore_index=255):
        loss, grad = solutions.softmax_cross_entropy(logits, labels, ignore_index)
        return loss, 2 * grad
    student = Student(type("You", (), {**vars(solutions), "softmax_cross_entropy": staticmethod(doubled)}), "you")
    yours, library, _, grads_gap = capstone.run(student, dict(TINY, epochs=2), lambda line: None)
    assert grads_gap > 0.5


def test_the_capstone_waits_for_all_ten_exercises(tmp_path):
    lines = []
    assert capstone.main([], folder=tmp_path, out=lines.append) == 1
    assert "not passed yet: im2col, conv_forward" in lines[0]


def test_ten_passing_files_lead_to_the_capstone_and_it_runs(tmp_path):
    for exercise in checker.EXERCISES:
        (tmp_path / f"{exercise.FILE}.py").write_text(
            f"from tests.exercises.solutions import {', '.join(exercise.FUNCTIONS)}  # noqa: F401\n")
    lines = []
    assert check.main([], folder=tmp_path, out=lines.append) == 0
    assert "10 of 10 passed. Next: the capstone, python lessons/exercises/check.py capstone" in "\n".join(lines)
    lines.clear()
    assert check.main(["capstone", "--quick"], folder=tmp_path, out=lines.append) == 0
    assert "the same net, trained alike: your layers train FCN-8s." in lines[-1]


def test_layers_five_times_slower_than_the_library_s_are_told_where_the_time_went_and_that_it_is_fine():
    lines = []
    capstone.where_the_time_went({"conv2d_forward": 3.0, "maxpool_backward": 40.0}, 60.0, 10.0, lines.append)
    assert len(lines) == 1 and "6 times as long as the library's (60 s against 10 s)" in lines[0]
    assert "40 s of it in your maxpool_backward()" in lines[0] and "a Python loop over pixels" in lines[0]
    assert "Correctness is what counts here" in lines[0]
    capstone.where_the_time_went({"maxpool_backward": 40.0}, 45.0, 10.0, lines.append)
    assert len(lines) == 1          # under five times: nothing to say
