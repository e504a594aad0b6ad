"""Kept buffers (fast/kept_buffers.py): the same memory from step to step, or fresh arrays with the trick
off, and work in chunks of the shared array that give what the whole batch gives."""
import numpy as np
import pytest

from fcn_scratch import buffers, fast
from fcn_scratch.fast import kept_buffers, threads


def test_work_arrays_are_kept_between_calls_and_fresh_when_the_trick_is_off():
    owner = type("Owner", (), {})()
    first = kept_buffers.work_array(owner, "cols", (4, 5), np.float32, np)
    assert np.shares_memory(first, kept_buffers.work_array(owner, "cols", (4, 5), np.float32, np))
    assert np.shares_memory(kept_buffers.shared_work_array((2, 2), np.float64, np),
                            kept_buffers.shared_work_array((3,), np.float32, np))
    with fast.enabled(False, "kept_buffers"):
        assert not np.shares_memory(first, kept_buffers.work_array(owner, "cols", (4, 5), np.float32, np))
        fresh = kept_buffers.shared_work_array((3,), np.float32, np)
        assert not np.shares_memory(fresh, kept_buffers.shared_work_array((3,), np.float32, np))


def _doubled_in_chunks(x):
    """2 * x, a chunk at a time through the work array, and the chunks the route was given."""
    out, chunks = np.empty_like(x), []

    def route(samples, work):
        chunks.append((samples.start, samples.stop, work.shape))
        np.multiply(x[samples], 2, out=work)
        out[samples] = work
    kept_buffers.in_chunks(route, x.shape[0], x.shape[1:], x, out)
    return out, chunks


def test_in_chunks_goes_through_the_batch_a_few_samples_at_a_time(monkeypatch, rng):
    x = rng.standard_normal((5, 3, 4))
    whole, chunks = _doubled_in_chunks(x)
    np.testing.assert_array_equal(whole, 2 * x)
    monkeypatch.setattr(buffers, "SHARED_LIMIT", 2 * x[0].nbytes)      # two samples at a time
    with fast.threads_used(1):
        chunked, chunks = _doubled_in_chunks(x)
    assert [(lo, hi) for lo, hi, _ in chunks] == [(0, 2), (2, 4), (4, 5)]
    np.testing.assert_array_equal(chunked, whole)
    with fast.enabled(False, "kept_buffers"):                           # fresh memory: the batch at once
        assert [(lo, hi) for lo, hi, _ in _doubled_in_chunks(x)[1]] == [(0, 5)]


@pytest.mark.parametrize("kept", [True, False])
def test_each_part_of_the_threads_has_its_own_share(monkeypatch, rng, kept):
    """Turning the kept buffers off leaves the threads' split as it was: the trick's name turns off
    the kept memory and nothing else."""
    monkeypatch.setattr(threads, "MIN_PART_BYTES", {"products": 1, "arithmetic": 1, "copies": 1})
    x = rng.standard_normal((6, 3, 4))
    with fast.enabled(kept, "kept_buffers"), fast.threads_used(2):
        out, chunks = _doubled_in_chunks(x)
    np.testing.assert_array_equal(out, 2 * x)
    assert sorted((lo, hi) for lo, hi, _ in chunks) == [(0, 3), (3, 6)]
