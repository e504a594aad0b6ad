"""The configuration: one switch turns every trick off; each name turns off its own trick and nothing else,
seen where the trick runs; the environment sets the start, read when first asked for; a change holds for
its own thread and the work it hands to the pool, as no_grad() does."""
import collections
import concurrent.futures
import os
import subprocess
import sys

import numpy as np
import pytest

from fcn_scratch import buffers, fast, no_grad
from fcn_scratch.errors import InputError
from fcn_scratch.fast import clipped_taps, flat_shifts, running_max, shifted_taps, softmax_in_place, tall_first, threads
from fcn_scratch.layers import SoftmaxCrossEntropy
from fcn_scratch.models import build


def test_enabled_turns_all_or_one_off_and_restores():
    assert fast.tricks_off() == []
    with fast.enabled(False):
        assert fast.tricks_off() == sorted(fast.TRICKS)
        with fast.enabled(True, "phases"):
            assert not fast.is_on("flat_shifts") and fast.is_on("phases")
    with fast.enabled(False, "phases"):
        assert fast.tricks_off() == ["phases"]
    assert fast.tricks_off() == []


def test_unknown_trick_is_named():
    with pytest.raises(ValueError, match="unknown trick 'warp'; expected one of"):
        with fast.enabled(False, "warp"):
            pass


def _child(code, **variables):
    """Run ``code`` in a fresh Python with this process's environment and ``variables``."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, **variables})


@pytest.mark.parametrize("value,off", [("0", True), ("off", True), ("1", False)])
def test_environment_variable(value, off):
    done = _child("from fcn_scratch import fast; print(len(fast.tricks_off()))", FCN_SCRATCH_FAST=value)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) == (len(fast.TRICKS) if off else 0)


@pytest.mark.parametrize("variable,message", [
    ("FCN_SCRATCH_FAST", "FCN_SCRATCH_FAST must be 0 or 1, got 'maybe'"),
    ("FCN_SCRATCH_THREADS", "FCN_SCRATCH_THREADS must be a whole number of threads >= 1, got 'maybe'")])
def test_a_bad_value_is_read_when_first_asked_for_not_at_import(variable, message):
    code = ("import fcn_scratch.fast as fast, fcn_scratch.models\n"
            "from fcn_scratch.errors import InputError\n"
            "try:\n    fast.config()\nexcept InputError as error:\n    print(error)")
    done = _child(code, **{variable: "maybe"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == message


def test_the_configuration_shows_what_it_holds():
    shown = repr(fast.config())
    assert shown.startswith(f"Config(tricks_off=(), threads={fast.config().threads}, work_arrays_mb=")
    with fast.enabled(False, "phases", "threads"), fast.threads_used(5):
        assert repr(fast.config()).startswith("Config(tricks_off=('phases', 'threads'), threads=5, ")
    assert repr(fast.config()) == shown
    with pytest.raises(InputError, match="threads must be a whole number >= 1, got 0"):
        fast.threads_used(0)


def test_a_change_holds_for_its_own_thread_and_the_work_it_hands_out(split_small):
    """Another thread keeps the environment's configuration; the pool's threads, running the parts of
    work split inside the block, see the block's."""
    seen = []
    with fast.enabled(False, "phases"):
        with concurrent.futures.ThreadPoolExecutor(1) as other:
            assert other.submit(fast.tricks_off).result() == []
        threads.run(lambda k, part: seen.append((k, fast.tricks_off())), [slice(0, 1), slice(1, 2), slice(2, 3)],
                    np.zeros(1), "copies")
    assert sorted(seen) == [(0, ["phases"]), (1, ["phases"]), (2, ["phases"])]


def test_each_thread_has_its_own_work_arrays_and_can_let_them_go():
    mine = fast.config().work.get("probe", (1000,), np.float32, np)
    with concurrent.futures.ThreadPoolExecutor(1) as other:
        theirs = other.submit(lambda: fast.config().work.get("probe", (1000,), np.float32, np)).result()
    assert not np.shares_memory(mine, theirs)
    assert fast.config().work.nbytes >= 4000
    fast.config().work.release()
    assert fast.config().work.nbytes == 0


def _small_fcn8s(rng):
    """A small FCN-8s in float64 with random score layers, a batch of two and its labels."""
    model = build("fcn8s", num_classes=3, widths=(4, 4, 8, 8, 8), convs_per_block=1, fc_channels=8,
                  dropout=0.0, rng=np.random.default_rng(0), dtype=np.float64)
    for name in ("score_fr", "score_pool4", "score_pool3"):
        model.layers[name].params["weight"][...] = rng.standard_normal(model.layers[name].params["weight"].shape)
    return model, rng.standard_normal((2, 3, 40, 36)), rng.integers(0, 3, (2, 40, 36))


def _training_step(model, x, labels):
    """The loss and every parameter's gradient."""
    loss = SoftmaxCrossEntropy()
    value = loss(model(x), labels)
    model.backward(loss.backward(), input_grad=False)
    return [np.array(value)] + [grad.copy() for _, _, grad in model.named_parameters()]


def _prediction(model, x, labels):
    """The logits of a forward in eval mode under no_grad(); the model is left training."""
    model.eval()
    with no_grad():
        logits = model(x)
    model.train()
    return [logits]


def _calls_of(module, *functions, by_caller=False):
    """Counts the calls of ``module``'s ``functions``, which run only on their trick's route (the routes
    call them by these names), by function, or ``by_caller``: by the function that called it."""
    def install(monkeypatch, splits):
        calls = collections.Counter()
        for function in functions:
            original = getattr(module, function)

            def spy(*args, _function=function, _original=original):
                calls[sys._getframe(1).f_code.co_name if by_caller else _function] += 1
                return _original(*args)
            monkeypatch.setattr(module, function, spy)
        return lambda: calls
    return install


def _column_matrix_on_the_left(monkeypatch, splits):
    """Counts the products in ``tall_first.matmul_sum_batch(a, b)`` that take b, the tall column matrix, on
    the left."""
    products, columns = [], []
    batch_sum, matmul = tall_first.matmul_sum_batch, tall_first.matmul

    def matmul_sum_batch(a, b):
        columns.append(b)
        try:
            return batch_sum(a, b)
        finally:
            columns.pop()

    def spied_matmul(left, right, out=None):
        products.append(bool(columns) and np.may_share_memory(left, columns[-1]))
        return matmul(left, right, out=out)
    monkeypatch.setattr(tall_first, "matmul_sum_batch", matmul_sum_batch)
    monkeypatch.setattr(tall_first, "matmul", spied_matmul)
    return lambda: collections.Counter(matmul_sum_batch=sum(products))


def _split_work(monkeypatch, splits):
    """Counts the splits in more than one part (split_small's threads)."""
    return lambda: collections.Counter(run=sum(count > 1 for count in splits))


# How to see each trick's route taken: counters, by where it is taken, that grow only while it is.
TAKEN = {
    "clipped_taps": _calls_of(clipped_taps, "_taps", by_caller=True),
    "flat_shifts": _calls_of(flat_shifts, "im2col_flat_shifts"),
    "kept_buffers": _calls_of(buffers, "kept", by_caller=True),
    "phases": _calls_of(fast, "conv_transpose_phase"),
    "running_max": _calls_of(running_max, "running_max"),
    "shifted_taps": _calls_of(shifted_taps, "_correlate", by_caller=True),
    "softmax_in_place": _calls_of(softmax_in_place, "log_softmax_at_labels_in_place"),
    "tall_first": _column_matrix_on_the_left,
    "threads": _split_work,
}


@pytest.fixture
def taken(split_small, splits, monkeypatch):
    """``taken(work)``: ``(what work() returned, routes)``, routes the ``(trick, where)`` of every trick's
    route that work() took (the threads split work with split_small's three threads and parts of any size,
    a batch of two is one with fewer samples than threads)."""
    counters = {name: install(monkeypatch, splits) for name, install in TAKEN.items()}

    def run(work):
        before = {name: dict(counts()) for name, counts in counters.items()}
        out = work()
        return out, {(name, where) for name, counts in counters.items() for where, count in counts().items()
                     if count > before[name].get(where, 0)}
    return run


def _tricks(routes):
    return {name for name, _ in routes}


def test_every_trick_can_be_seen_taken():
    assert sorted(TAKEN) == sorted(fast.TRICKS), "a trick has no counter in TAKEN: say how to see its route taken"


def test_every_trick_is_taken_in_a_training_step(taken, rng):
    """The training step takes every trick: the bench times each one there (fcn_scratch/bench/tricks.py)."""
    model, x, labels = _small_fcn8s(rng)
    _, in_training = taken(lambda: _training_step(model, x, labels))
    assert _tricks(in_training) == set(fast.TRICKS)


def _assert_close(on, off):
    assert len(on) == len(off) > 0
    for k, (a, b) in enumerate(zip(on, off)):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12, err_msg=f"output {k}")


# The pieces that run only inside a trick's route: with that trick off, its layer runs its own formulas,
# and these with it (the transposed convolution's im2col and weight gradient on the phase route).
INSIDE = {"phases": {("clipped_taps", "im2col_into"), ("tall_first", "matmul_sum_batch")}}


@pytest.mark.parametrize("name", sorted(fast.TRICKS))
def test_each_name_turns_off_its_own_trick_and_nothing_else(taken, rng, name):
    """Where the trick runs, with it on its route is taken; with it off alone, that route is not, and every
    other trick's route the work took is still taken wherever it was, but for the pieces of the route
    turned off (the route in its place may take more); the numbers are the same to float rounding."""
    model, x, labels = _small_fcn8s(rng)
    on, routes_on = taken(lambda: _training_step(model, x, labels))
    assert name in _tricks(routes_on), f"{name} is on but its route was not taken: on and off would be one route"
    with fast.enabled(False, name):
        assert fast.tricks_off() == [name]
        off, routes_off = taken(lambda: _training_step(model, x, labels))
    assert name not in _tricks(routes_off), f"{name} is off but its route was taken"
    assert {route for route in routes_on if route[0] != name} - INSIDE.get(name, set()) <= routes_off
    assert INSIDE.get(name, set()) <= routes_on
    _assert_close(on, off)


def test_all_off_takes_no_trick_and_gives_the_same_numbers(taken, rng):
    model, x, labels = _small_fcn8s(rng)
    on, routes_on = taken(lambda: _training_step(model, x, labels) + _prediction(model, x, labels))
    assert _tricks(routes_on) == set(fast.TRICKS)
    with fast.enabled(False):
        assert fast.tricks_off() == sorted(fast.TRICKS)
        off, routes_off = taken(lambda: _training_step(model, x, labels) + _prediction(model, x, labels))
    assert routes_off == set()
    _assert_close(on, off)
