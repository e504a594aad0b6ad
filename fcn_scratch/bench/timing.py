"""Timing in turns: the medians of several contestants, each timed in every turn."""
import statistics
import time

from .. import backend


def timeit_in_turns(fns, device, repeats, rounds=3):
    """Median seconds of each of ``fns``: ``rounds`` turns each, of a warm-up and then ``repeats``
    timed calls.

    On a noisy machine a slow spell then falls on every contestant alike, so
    the ratio of the medians holds still where one block each would not. A
    turn starts with an untimed call because a framework's worker threads keep
    spinning for a while after it returns, which slows whatever runs next.
    """
    times = [[] for _ in fns]
    for _ in range(rounds):
        for fn, spent in zip(fns, times):
            fn()
            for _ in range(repeats):
                backend.synchronize(device)
                start = time.perf_counter()
                fn()
                backend.synchronize(device)
                spent.append(time.perf_counter() - start)
    return [statistics.median(spent) for spent in times]


def timeit(fn, device, repeats):
    """Median seconds of ``fn()``: :func:`timeit_in_turns` with one contestant and one turn."""
    return timeit_in_turns([fn], device, repeats, rounds=1)[0]
