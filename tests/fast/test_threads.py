"""The threads trick: every layer, and a whole training step, give the bits one thread gives; the BLAS has
its own thread count back whenever control returns to the caller."""
import os
import subprocess
import sys

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from fcn_scratch import fast
from fcn_scratch.fast import phases, shifted_taps, threads
from fcn_scratch.layers import ConvTranspose2d, Conv2d, MaxPool2d, ReLU, SoftmaxCrossEntropy
from fcn_scratch.models import build
from fcn_scratch.optim import SGD


def _both_ways(fn, splits):
    """``fn()`` with the threads trick on and off: ``(on, off, parts)``, on and off each a list of copied
    arrays, ``parts`` the number of parts of every split made with the trick on. With it off no work
    may be split: the comparison would hold the threads to themselves."""
    def copies():
        return [np.array(a, copy=True) for a in fn()]
    splits.clear()
    on = copies()
    parts = list(splits)
    splits.clear()
    with fast.enabled(False, "threads"):
        off = copies()
    assert all(count == 1 for count in splits), splits
    return on, off, parts


def _assert_same_bits(on, off):
    assert len(on) == len(off) > 0
    for k, (a, b) in enumerate(zip(on, off)):
        assert a.dtype == b.dtype and a.shape == b.shape, k
        np.testing.assert_array_equal(a, b, err_msg=f"output {k}")


def _assert_same_bits_split_in_three(fn, splits):
    """``fn()`` gives the same bits with the threads trick on as off, and with it on its work was split,
    in split_small's three parts."""
    on, off, parts = _both_ways(fn, splits)
    _assert_same_bits(on, off)
    assert parts and max(parts) == 3, f"no work was split in three: {parts}"


def _layer_through(layer, x, dy_seed, *backward_args):
    def run():
        y = layer(x.copy())
        dy = np.random.default_rng(dy_seed).standard_normal(y.shape).astype(y.dtype)
        dx = layer.backward(dy, *backward_args)
        return [y, dx] + [layer.grads[name] for name in sorted(layer.grads)]
    return run


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("c_in,c_out,k,s,p", [(3, 8, 3, 1, 1), (8, 4, 3, 1, 1), (4, 6, 3, 2, 1), (5, 5, 1, 1, 0),
                                              (6, 3, (3, 5), 1, (1, 2)), (4, 4, 7, 1, 0)])
def test_conv2d(split_small, splits, rng, dtype, c_in, c_out, k, s, p):
    conv = Conv2d(c_in, c_out, k, stride=s, padding=p, rng=rng, dtype=dtype)
    conv.params["bias"][...] = rng.standard_normal(c_out)
    x = rng.standard_normal((5, c_in, 13, 11)).astype(dtype)
    _assert_same_bits_split_in_three(_layer_through(conv, x, 1), splits)


def test_one_sample_shares_the_rows_of_its_products(split_small, splits, rng):
    """A batch of one on the column route (more output channels than pixels, as fc6 on a photo's small
    map, where no shifted taps apply): the forward's and both gradients' products each split by rows in
    three, the same bits."""
    conv = Conv2d(4, 40, 3, padding=1, rng=rng, dtype=np.float32)
    conv.params["bias"][...] = rng.standard_normal(40)
    x = rng.standard_normal((1, 4, 5, 6)).astype(np.float32)
    assert not shifted_taps.applies(x, conv.params["weight"], conv.stride, conv.padding)
    _assert_same_bits_split_in_three(_layer_through(conv, x, 5), splits)


@pytest.mark.parametrize("c_in,c_out,k,s,op", [(4, 3, 4, 2, 0), (3, 3, 16, 8, 0), (2, 5, 4, 2, 1), (3, 2, 6, 3, 2)])
def test_conv_transpose2d_by_phases(split_small, splits, rng, c_in, c_out, k, s, op):
    layer = ConvTranspose2d(c_in, c_out, k, stride=s, output_padding=op, rng=rng, dtype=np.float32)
    layer.params["bias"][...] = rng.standard_normal(c_out)
    assert phases.applies(layer.params["weight"].shape, layer.stride, layer.padding)
    x = rng.standard_normal((5, c_in, 6, 7)).astype(np.float32)
    _assert_same_bits_split_in_three(_layer_through(layer, x, 2), splits)


@pytest.mark.parametrize("k,s,p,ceil", [(2, 2, 0, False), (2, 2, 0, True), (3, 2, 1, True), (3, 1, 1, False)])
def test_max_pool(split_small, splits, rng, k, s, p, ceil):
    pool = MaxPool2d(k, s, padding=p, ceil_mode=ceil)
    x = rng.integers(-3, 3, (5, 4, 11, 9)).astype(np.float32)       # ties in many windows
    _assert_same_bits_split_in_three(_layer_through(pool, x, 3), splits)


@pytest.mark.parametrize("inplace", [False, True])
def test_relu(split_small, splits, rng, inplace):
    x = rng.standard_normal((5, 4, 7, 3)).astype(np.float32)
    x[0, 0, 0] = 0.0
    _assert_same_bits_split_in_three(_layer_through(ReLU(inplace=inplace), x, 4), splits)


def _train(steps):
    model = build("fcn8s", num_classes=4, widths=(4, 8, 8, 16, 16), convs_per_block=2, fc_channels=16,
                  dropout=0.5, rng=np.random.default_rng(0))
    for name in ("score_fr", "score_pool4", "score_pool3"):
        weight = model.layers[name].params["weight"]
        weight[...] = np.random.default_rng(1).standard_normal(weight.shape) * 0.1
    data = np.random.default_rng(2)
    x = data.standard_normal((5, 3, 48, 40)).astype(np.float32)
    labels = data.integers(0, 4, (5, 48, 40))
    loss, optimizer, losses = SoftmaxCrossEntropy(), SGD(model, lr=1e-2, momentum=0.9), []
    for _ in range(steps):
        losses.append(np.array(loss(model(x), labels)))
        model.backward(loss.backward(), input_grad=False)
        optimizer.step()
    return losses + [value for _, value in sorted(model.state_dict().items())]


def test_training_steps_of_fcn8s_are_the_same_bits(split_small, splits):
    _assert_same_bits_split_in_three(lambda: _train(3), splits)


def test_training_steps_on_the_real_pool_are_the_same_bits(splits):
    """With the machine's own thread count and size thresholds."""
    if fast.config().threads == 1:
        pytest.skip("this machine gives the process one core: nothing to split")
    on, off, parts = _both_ways(lambda: _train(2), splits)
    _assert_same_bits(on, off)
    assert parts and max(parts) > 1, "no work was split: the comparison held a route to itself"


def test_parts_cover_the_batch_evenly(split_small):
    x = np.zeros((7, 2))
    assert threads.parts("copies", 7, x) == [slice(0, 2), slice(2, 4), slice(4, 7)]
    assert threads.parts("copies", 2, x) == [slice(0, 1), slice(1, 2)]
    assert threads.parts("copies", 0, x) == [slice(0, 0)]
    with fast.enabled(False, "threads"):
        assert threads.parts("copies", 7, x) == [slice(0, 7)]


@pytest.mark.parametrize("kind", sorted(threads.MIN_PART_BYTES))
def test_small_work_stays_on_fewer_threads(monkeypatch, kind):
    """The work's size is the bytes of all its arrays (and its scratch), whole."""
    least = threads.MIN_PART_BYTES[kind]
    with fast.threads_used(4):
        assert threads.parts(kind, 8, np.zeros(least - 1, np.uint8)) == [slice(0, 8)]
        assert len(threads.parts(kind, 8, np.zeros(least, np.uint8), np.zeros(least, np.uint8))) == 2
        assert len(threads.parts(kind, 8, np.zeros(least, np.uint8), scratch_bytes=least)) == 2
        assert len(threads.parts(kind, 8, np.zeros(100 * least, np.uint8))) == 4


def test_an_error_in_a_part_is_raised_by_the_caller(split_small):
    def work(k, samples):
        if k == 2:
            raise ArithmeticError(f"part {k} failed")
    with pytest.raises(ArithmeticError, match="part 2 failed"):
        threads.split(work, "copies", 6, np.zeros((6, 1000)))


def _blas_threads():
    return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]


@pytest.mark.parametrize("count", [2, 3])
def test_the_blas_runs_one_thread_while_the_parts_run_and_has_its_count_back_after(split_small, count):
    seen = []
    with threadpool_limits(limits=count, user_api="blas"):
        own = _blas_threads()
        assert own and all(n == count for n in own)
        threads.split(lambda k, samples: seen.append(_blas_threads()), "products", 6, np.zeros((6, 1000)))
        assert seen == [[1] * len(own)] * 3
        assert _blas_threads() == own
        with fast.enabled(False, "threads"):            # nothing split, nothing held
            threads.split(lambda k, samples: seen.append(_blas_threads()), "products", 6, np.zeros((6, 1000)))
        assert seen[-1] == own


@pytest.mark.parametrize("count", [2, 3])
def test_after_a_training_step_the_blas_has_the_threads_it_had_before(split_small, splits, count):
    """A user's own products in the same process keep the BLAS's threads: no process-wide hold."""
    with threadpool_limits(limits=count, user_api="blas"):
        own = _blas_threads()
        _train(1)
        assert max(splits) == 3
        assert _blas_threads() == own == [count] * len(own)


def test_an_error_in_a_part_gives_the_blas_its_threads_back(split_small):
    with threadpool_limits(limits=2, user_api="blas"):
        with pytest.raises(ArithmeticError):
            threads.split(lambda k, samples: 1 / 0 if k else None, "products", 6, np.zeros((6, 1000)))
        assert _blas_threads() == [2] * len(_blas_threads())


@pytest.mark.parametrize("value,expected", [("1", "1"), ("3", "3"), ("", "cores")])
def test_thread_count_from_the_environment(value, expected):
    code = "import os; from fcn_scratch import fast; print(fast.config().threads, len(os.sched_getaffinity(0)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "FCN_SCRATCH_THREADS": value})
    assert done.returncode == 0, done.stderr
    count, cores = done.stdout.split()
    assert count == (cores if expected == "cores" else expected)


@pytest.mark.parametrize("value", ["0", "two", "-1"])
def test_a_bad_thread_count_is_named(value):
    done = subprocess.run([sys.executable, "-c", "import fcn_scratch.fast as fast; fast.config()"],
                          capture_output=True, text=True, env={**os.environ, "FCN_SCRATCH_THREADS": value})
    assert done.returncode != 0
    assert f"FCN_SCRATCH_THREADS must be a whole number of threads >= 1, got {value!r}" in done.stderr


def test_one_image_splits_over_its_planes(split_small, splits, rng):
    """A batch of one image: ReLU and max pooling cut their parts from the planes, both ways, to the same bits."""
    x = rng.standard_normal((1, 5, 9, 7)).astype(np.float32)
    for layer, seed in ((ReLU(), 1), (MaxPool2d(2, ceil_mode=True), 2)):
        on, off, parts = _both_ways(_layer_through(layer, x, seed), splits)
        _assert_same_bits(on, off)
        assert parts == [3, 3]                  # forward and backward, each over the five planes
