"""Fixtures of the fast routes' tests: the threads made to split the small arrays of a test, and a record
of the splits."""
import pytest

from fcn_scratch import fast
from fcn_scratch.fast import threads


@pytest.fixture
def split_small(monkeypatch):
    """Three threads, and parts of any size: the small arrays of a test are split too, unevenly."""
    monkeypatch.setattr(threads, "MIN_PART_BYTES", {"products": 1, "arithmetic": 1, "copies": 1})
    with fast.threads_used(3):
        yield


@pytest.fixture
def splits(monkeypatch):
    """The number of parts of every split, in order."""
    counts, original = [], threads.run
    monkeypatch.setattr(threads, "run",
                        lambda work, slices, *rest: (counts.append(len(slices)), original(work, slices, *rest)))
    return counts
