"""Every lesson runs with --quick into a temporary folder, exits cleanly and writes its figures."""
import os
import re
import pathlib
import subprocess
import sys

import pytest

LESSONS = sorted((pathlib.Path(__file__).resolve().parents[1] / "lessons").glob("[0-9][0-9]_*.py"))


def test_the_course_has_thirteen_lessons():
    assert [p.name[:2] for p in LESSONS] == [f"{i:02d}" for i in range(1, 14)]


def _number(pattern, text):
    match = re.search(pattern, text, re.M)
    assert match, f"the lesson no longer prints {pattern!r}"
    return float(match.group(1))


# Each lesson's key printed claim, checked on its --quick output.
CLAIMS = {
    # the tricks change the time, not the numbers; and a convolution with no column matrix is im2col's
    "01_convolution_im2col": lambda out: (_number(r"with fcn_scratch.fast on: .* largest difference (\S+)", out) == 0.0
                                          and "= the padded maps, flattened, from 1*Wp + 2 on (each row of Wp = 26 cut "
                                              "to 24): True" in out
                                          and all(_number(rf"shifted taps against im2col, {name}: largest difference "
                                                          r"(\S+)", out) < 1e-5 for name in ("y", "dW", "dx"))),
    # per-channel max pooling makes colours that no pixel of the window has
    "02_downsampling": lambda out: _number(r"^stride  2: .* in no pixel of their window: +(\S+)%", out) > 50,
    # the adjoint; and the border a bilinear x8 leaves after its crop of 4: 0.56-0.94, corners 0.32, 1 inside
    "03_upsampling": lambda out: (_number(r"conv_T\(y\) == C.T @ y: +largest difference (\S+)", out) < 1e-12
                                  and _number(r"conv_T.backward\(g\) == conv\(g\): largest difference (\S+)", out)
                                  < 1e-12
                                  and "the 4 outermost rows and columns: 0.56 to 0.94, the corner 0.32, "
                                      "everything inside: 1 to 1" in out
                                  and "divided out at every pixel: True" in out),
    "04_softmax_cross_entropy": lambda out: _number(r"softmax - onehot\) / M: (\S+)", out) < 1e-12,
    # float32 tells a 0.1% wrong gradient from a right one only near its best step; float64 at each step shown
    "05_gradient_checking": lambda out: (re.search(r"^float32 +3e-03 .* told apart$", out, re.M)
                                         and re.search(r"^float32 +1e-06 .* NOT told apart$", out, re.M)
                                         and "float64     1e-06" in out and out.count("NOT told apart") == 2),
    # the classifier decapitated: a zero score layer for the new classes, first loss ln 4
    "06_fully_convolutional": lambda out: abs(_number(r"first loss on the toy labels (\S+),", out) - 1.386294) < 1e-5,
    # the crops, from coordinate maps, for the small net and the paper's
    "07_fcn_skips": lambda out: ("crop offset 1" in out and "crop offset (4, 4)" in out
                                 and "= 1 = f/2 for f = 2: crop upscore2 at 1" in out
                                 and "= 4 = f/2 for f = 8: crop upscore8 at 4" in out
                                 and "fuse_pool4.offset -5, fuse_pool3.offset -9, upscore8 cropped at 31" in out),
    "08_training": lambda out: (_number(r"^mean IU +(\S+)$", out) >= 0.5
                                and re.search(r"^upscore8 +frozen .* 0\.0% away from bilinear", out, re.M)),
    # from scratch, FCN-8s learns; staged, FCN-16s starts from FCN-32s with only its new layers fresh
    "09_paper_comparison": lambda out: (_number(r"^fcn8s +(?:\S+ +){2}(\S+)", out) >= 50.0
                                        and "new: score_pool4.bias, score_pool4.weight, upscore16.weight, "
                                            "upscore2.weight" in out
                                        and "new: score_pool3.bias, score_pool3.weight, upscore8.weight, "
                                            "upscore_pool4.weight" in out),
    "11_unpooling_decoder": lambda out: _number(r"worst gradient error (\S+)", out) < 1e-6,
    # the crops derived from the coordinate maps, fc6 as a 7x7 convolution equal to VGG16's Linear classifier.0
    # (on a 7x7 map and window by window on a larger one), and a fresh net's first loss ln 21
    "12_paper_fcn8s": lambda out: (
        "crops: score_pool4 at 5, score_pool3 at 9, upscore8 at 31" in out
        and _number(r"^fc6 as a 7x7 convolution against classifier.0 as a Linear layer: largest difference (\S+)", out)
        < 1e-4
        and _number(r"one at a time: largest difference from the map (\S+)", out) < 1e-4
        and abs(_number(r"first loss (\S+), ln 21", out) - 3.04452) < 1e-4),
    # the summed loss's gradient is the mean's times M, and SGD on the sum at lr is SGD on the mean at lr * M;
    # momentum 0.99 reaches 63% of its speed after 100 iterations; the biases step at 2 lr; from zero score
    # layers, iteration 1 leaves every encoder weight and every (frozen) upsampling where it was
    "13_paper_training": lambda out: (
        (lambda m: m and float(m.group(1).replace(",", "")) == float(m.group(2).replace(",", "")))(
            re.search(r"\|gradient\| of score_fr.weight: .* ratio (\S+) \(M = (\S+)\)", out))
        and (lambda m: m and float(m.group(1)) < 1e-5 * float(m.group(2)))(
            re.search(r"largest difference between the two nets' weights after them: (\S+) "
                      r"\(the largest change of a weight: (\S+)\)", out))
        and "reaches 63% of its final speed after 100 iterations and 95% after 299" in out
        and "moved score_fr.bias by 2.0000 to 2.0000 times -lr x its gradient" in out
        and len(re.findall(r"^(?:conv\d_\d|fc6|fc7) +\S+ +0 +0% ", out, re.M)) == 15
        and len(re.findall(r"^upscore\S* +\S+ +frozen +0% +frozen +0%$", out, re.M)) == 3),
}


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_lesson_runs_quick(lesson, tmp_path):
    env = {**os.environ, "MPLBACKEND": "Agg"}
    done = subprocess.run([sys.executable, str(lesson), "--quick", "--out", str(tmp_path)], capture_output=True,
                          text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    assert list(tmp_path.rglob("*.png")), "the lesson saved no figure"
    assert done.stdout.count("==") >= 2, "the lesson printed no sections"
    claim = CLAIMS.get(lesson.stem)
    assert claim is None or claim(done.stdout), done.stdout[-3000:]


@pytest.mark.gpu
def test_gpu_lesson_runs_quick_on_cuda(tmp_path):
    """Lesson 10 on "cuda": a real GPU, or the CuPy stand-in that conftest puts on PYTHONPATH."""
    lesson = next(p for p in LESSONS if p.name.startswith("10_"))
    env = {**os.environ, "MPLBACKEND": "Agg"}
    done = subprocess.run([sys.executable, str(lesson), "--quick", "--device", "cuda", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert list(tmp_path.rglob("*.png"))


def _lesson(name):
    import importlib.util
    lessons = LESSONS[0].parent
    sys.path.insert(0, str(lessons))
    try:
        spec = importlib.util.spec_from_file_location(name, lessons / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(lessons))


def test_stride_cost_matches_plain_bilinear_interpolation():
    """Lesson 7's upsampled class fractions (FCN's ConvTranspose2d and crop) against the same thing done
    with half-pixel bilinear interpolation by hand: the crop by stride/2 puts cell centres where they belong."""
    import numpy as np

    from fcn_scratch.data import make_sample
    from fcn_scratch.metrics import ConfusionMatrix, metrics_from_confusion

    def by_hand(fractions, s):
        def axis(n):
            pos = (np.arange(n * s) + 0.5) / s - 0.5
            lo = np.floor(pos).astype(int)
            return np.clip(lo, 0, n - 1), np.clip(lo + 1, 0, n - 1), pos - lo
        y0, y1, fy = axis(fractions.shape[1])
        x0, x1, fx = axis(fractions.shape[2])
        rows = fractions[:, y0] * (1 - fy)[:, None] + fractions[:, y1] * fy[:, None]
        return rows[:, :, x0] * (1 - fx) + rows[:, :, x1] * fx

    lesson = _lesson("07_fcn_skips")
    for stride in (8, 16):
        confusion = ConfusionMatrix(4)
        for i in range(12):
            _, labels = make_sample(i, 0, "val", 64, 4)
            onehot = np.eye(4)[labels].transpose(2, 0, 1)
            fractions = onehot.reshape(4, 64 // stride, stride, 64 // stride, stride).mean(axis=(2, 4))
            confusion.update(by_hand(fractions, stride).argmax(axis=0), labels)
        expected = metrics_from_confusion(confusion.matrix)["mean_iu"]
        miu, per_class = lesson.stride_ceiling(stride, 64, 12)
        assert abs(miu - expected) < 2e-3, (stride, miu, expected)
        assert len(per_class) == 4
    by_stride = [lesson.stride_ceiling(stride, 64, 12)[0] for stride in (8, 16, 32)]
    assert by_stride[0] > by_stride[1] > by_stride[2]
