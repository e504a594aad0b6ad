"""What every check shares: calling your functions, comparing, and saying what is wrong.

A check calls your function on cases drawn from a seeded generator (the same cases on every
run) and compares with the library, ``fcn_scratch``, in float64. The first difference stops
it with a diagnosis. The library's numbers are never printed: only what differs, where, by
how much, and, when the difference is one a typical mistake makes, the mistake.

Your code may fail in three ways, each reported as such:

- it still raises ``NotImplementedError``: "not started";
- it raises anything else: the lines of the traceback that are in your code, and the error;
- it returns something wrong: a :class:`Wrong`, one sentence that points at the mistake;
- it changes an array it was given (``logits -= ...``): a :class:`Wrong` too, since the caller, a
  layer's backward say, reads that array again. Your functions get copies, so the check goes on
  with the inputs it made, and says which argument changed.

Where the difference fits no known mistake, the diagnosis says what it sees: along which axes the
wrong entries lie, or that the right values are there in other places.
"""
import collections
import contextlib
import inspect
import sys
import sysconfig
import time
import traceback
import warnings
from pathlib import Path

import numpy as np

import fcn_scratch
from fcn_scratch.gradcheck import numerical_gradient, relative_error

CHECKER = Path(__file__).resolve().parent
OURS = (CHECKER, CHECKER.parent / "check.py", CHECKER.parent / "capstone.py", Path(fcn_scratch.__file__).parent,
        *{Path(sysconfig.get_paths()[key]).resolve() for key in ("stdlib", "purelib", "platlib")})
TOLERANCE = 1e-7        # relative to the largest entry of the right answer; float64 rounding is 1e-16


class Wrong(Exception):
    """A diagnosis: what is wrong, in words that point at the mistake; ``case`` says on which input, and
    ``hint``, when the mistake is a known one, the first hint toward the idea it missed."""

    def __init__(self, message, case=None, hint=None):
        super().__init__(message)
        self.message, self.case, self.hint = message, case, hint


class NotStarted(Exception):
    """A function still raises NotImplementedError."""


class Crashed(Exception):
    """Your code raised; ``lines`` are the traceback's lines in your code, then the error."""

    def __init__(self, lines, case=None):
        super().__init__("".join(lines))
        self.lines, self.case = lines, case


def _theirs(filename):
    """True for a file of yours: not the checker's, not the library's, not Python's or NumPy's."""
    path = Path(filename).resolve()
    return not any(path == place or place in path.parents for place in OURS)


class Student:
    """Your exercise file (a module, or any object holding the functions): ``student.im2col(...)``
    calls your ``im2col`` on copies of the arguments, says so (a :class:`Wrong`) when it changed one of
    them, and turns what it raises into :class:`NotStarted` or :class:`Crashed`. ``last`` is the function
    called last (the one a diagnosis is about), ``seconds`` the time spent in each."""

    def __init__(self, module, file_name):
        self.module, self.file_name = module, file_name
        self.last, self.seconds = None, collections.Counter()

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return lambda *args, **kwargs: self.call(name, None, *args, **kwargs)

    def raises(self, expected, name, *args):
        """True when your ``name(*args)`` raises ``expected`` (it should), False when it returns."""
        return self.call(name, expected, *args) is expected

    def call(self, name, expected, *args, **kwargs):
        function = getattr(self.module, name, None)
        if not callable(function):
            raise Wrong(f"{self.file_name} has no function {name}(): keep the name and signature of the template")
        given = [_copy(a) for a in args]       # yours to change; ``args`` stay as the caller made them
        self.last, start = name, time.perf_counter()
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                got = function(*given, **kwargs)
        except NotImplementedError as error:
            raise NotStarted(_not_started(name, error, self.file_name)) from None
        except Exception as error:   # noqa: BLE001 -- any error in your code is reported, not raised
            if expected is not None and isinstance(error, expected):
                return expected
            raise Crashed(_your_traceback(error, name)) from None
        finally:
            self.seconds[name] += time.perf_counter() - start
        _unchanged(name, function, args, given)
        return got


def _copy(thing):
    """A copy of an array, or of a list, tuple or dict of them; anything else as it is."""
    if isinstance(thing, np.ndarray):
        return thing.copy()
    if isinstance(thing, (list, tuple)) and not hasattr(thing, "_fields"):
        return type(thing)(_copy(part) for part in thing)
    if isinstance(thing, dict):
        return {key: _copy(value) for key, value in thing.items()}
    return thing


def _changes(before, after):
    """How many entries of ``after`` differ from ``before`` (arrays, or lists, tuples, dicts of them)."""
    if isinstance(before, np.ndarray):
        if not isinstance(after, np.ndarray) or after.shape != before.shape:
            return before.size or 1
        same = (after == before) | ((after != after) & (before != before))      # nan equals nan here
        return int(before.size - np.count_nonzero(same))
    if isinstance(before, (list, tuple)) and not hasattr(before, "_fields"):
        if len(after) != len(before):
            return abs(len(after) - len(before))
        return sum(_changes(b, a) for b, a in zip(before, after))
    if isinstance(before, dict):
        return sum(_changes(value, after.get(key)) for key, value in before.items()) + len(set(after) - set(before))
    return 0


def _unchanged(name, function, before, after):
    """A :class:`Wrong` when your ``name()`` wrote into an argument: the caller's array would change under it."""
    try:
        names = list(inspect.signature(function).parameters)
    except (TypeError, ValueError):
        names = []
    for position, (old, new) in enumerate(zip(before, after)):
        count = _changes(old, new)
        if count:
            arg = names[position] if position < len(names) else f"number {position + 1}"
            what = f"{count} of its {old.size} entries" if isinstance(old, np.ndarray) else f"{count} of its items"
            raise Wrong(f"your {name}() changed its argument {arg} in place ({what}): the caller may still need it "
                        f"as it was (a layer's backward reads its input again); an in-place operation (-=, *=, "
                        f"[...] =, .pop()) on an argument changes the caller's own object, so work on a new one",
                        hint=f"{arg} belongs to whoever called {name}(). 'a = a - m' makes a new array and leaves "
                             f"theirs alone; 'a -= m' writes into theirs.")


def _your_traceback(error, name):
    frames = [frame for frame in traceback.extract_tb(error.__traceback__) if _theirs(frame.filename)]
    head = [f"your {name}() raised {type(error).__name__}:\n"] if frames else [
        f"calling your {name}() raised {type(error).__name__}: does its signature match the template's?\n"]
    return head + traceback.format_list(frames) + traceback.format_exception_only(type(error), error)


def _not_started(name, error, file_name):
    frames = [frame for frame in traceback.extract_tb(error.__traceback__) if _theirs(frame.filename)]
    where = Path(frames[-1].filename).name if frames else file_name
    if where != file_name:
        return (f"your {name}() calls into {where}, which still raises NotImplementedError: finish that "
                f"exercise first, or use the library's function meanwhile")
    return f"{name}() still raises NotImplementedError"


@contextlib.contextmanager
def case(description):
    """Attach ``description`` (the input) to a diagnosis or a crash raised inside the block."""
    try:
        yield
    except (Wrong, Crashed) as failure:
        failure.case = failure.case or description
        raise


def as_array(name, got):
    """``got`` as a NumPy array, or a diagnosis of why it is none."""
    if got is None:
        raise Wrong(f"{name} is None: did you forget to return it?")
    if isinstance(got, (tuple, list)) and any(isinstance(part, np.ndarray) for part in got):
        raise Wrong(f"{name} is a {type(got).__name__} of {len(got)} arrays, expected one array")
    try:
        array = np.asarray(got)
    except Exception:   # noqa: BLE001
        raise Wrong(f"{name} is a {type(got).__name__}, expected a NumPy array") from None
    if array.dtype.kind not in "biuf":
        raise Wrong(f"{name} has dtype {array.dtype}, expected numbers")
    return array


def unpack(name, got, count, names):
    """``got`` as a tuple of ``count`` things, or a diagnosis."""
    if not isinstance(got, (tuple, list)) or len(got) != count:
        what = f"a {type(got).__name__}" + (f" of {len(got)}" if isinstance(got, (tuple, list)) else "")
        raise Wrong(f"{name} returned {what}; return the tuple ({', '.join(names)})")
    return got


def close(got, want, tolerance=TOLERANCE):
    scale = max(float(np.abs(want).max(initial=0.0)), 1e-12)
    return got.shape == want.shape and bool(np.all(np.abs(got - want) <= tolerance * scale))


def _resolve(wrong):
    """A known mistake's result: a value, or a function that makes it (skipped if it cannot)."""
    try:
        with np.errstate(all="ignore"):
            return wrong() if callable(wrong) else wrong
    except Exception:   # noqa: BLE001 -- a mistake that does not apply to this case
        return None


def compare(name, got, want, shapes=None, mistakes=(), tolerance=TOLERANCE):
    """Raise a :class:`Wrong` unless ``got`` equals ``want``.

    ``shapes``: ``{wrong shape: question}`` for shapes a known mistake gives;
    ``mistakes``: ``(sentence, what the mistake gives)`` pairs, or ``(sentence, what it gives, hint)``
    triples, tried in order when the values differ; the hint, when there is one, is the first one shown.
    """
    got, want = as_array(name, got), np.asarray(want)
    if got.shape != want.shape:
        question = (shapes or {}).get(got.shape)
        if question is None and got.shape[-2:] == want.shape[-2:][::-1] and got.shape[:-2] == want.shape[:-2]:
            question = "are H and W swapped?"
        raise Wrong(f"{name} has shape {got.shape}, expected {want.shape}" + (f": {question}" if question else ""))
    if close(got, want, tolerance):
        return
    if not np.all(np.isfinite(got)):
        bad = int((~np.isfinite(got)).sum())
        raise Wrong(f"{name} has {bad} of {got.size} values nan or infinite")
    for sentence, wrong, *hint in mistakes:
        wrong = _resolve(wrong)
        if wrong is not None and close(got, np.asarray(wrong, dtype=np.float64), tolerance):
            raise Wrong(sentence, hint=hint[0] if hint else None)
    raise Wrong(describe_difference(name, got, want, tolerance))


def describe_difference(name, got, want, tolerance=TOLERANCE):
    """The generic diagnoses: zeros, a sign, a factor, a transpose; else where and by how much."""
    got = got.astype(np.float64)
    if not got.any():
        return f"{name} is all zeros"
    if close(-got, want, tolerance):
        return f"{name} has the wrong sign"
    norm = float((want * want).sum())
    if norm:
        factor = float((got * want).sum()) / norm
        if close(got, factor * want, tolerance):
            whole = round(1 / factor) if factor else 0
            if abs(factor) < 1 and whole and abs(1 / factor - whole) < 1e-6:
                return f"{name} is 1/{whole} of the right one: a mean where a sum belongs?"
            return f"{name} is {factor:.4g} times the right one"
    if got.ndim >= 2 and got.shape[-1] == got.shape[-2] and close(np.swapaxes(got, -1, -2), want, tolerance):
        return f"{name} is transposed in its last two axes (rows and columns swapped)"
    scale = max(float(np.abs(want).max(initial=0.0)), 1e-12)
    bad = np.abs(got - want) > tolerance * scale
    first = tuple(int(i) for i in np.argwhere(bad)[0])
    return (f"{name} is wrong at {int(bad.sum())} of {got.size} entries, the first at index {first} "
            f"(largest difference {float(np.abs(got - want).max()):.3g})" + pattern(got, want, bad, tolerance))


def pattern(got, want, bad, tolerance=TOLERANCE):
    """What the wrong entries have in common, in words, without the right values: the axes along which they
    keep to some indices, or that the right values are all there in other places."""
    if bad.sum() < 2:
        return ""
    if close(np.sort(got, axis=None), np.sort(want, axis=None), tolerance):
        return (": the right values, in the wrong places (axes in another order, or a reshape where a transpose "
                "belongs?)")
    parts = []
    for axis, size in enumerate(bad.shape):
        if size > 1:
            rows = np.flatnonzero(bad.any(axis=tuple(a for a in range(bad.ndim) if a != axis)))
            if len(rows) < size:
                where = ", ".join(str(int(r)) for r in rows[:4]) + (", ..." if len(rows) > 4 else "")
                parts.append(f"index {where} of axis {axis} (size {size})")
    if parts:
        return "; the wrong entries lie only at " + ", and at ".join(parts) + ": right everywhere else"
    if bad.all() and bad.size > 1:
        return "; every entry differs, at every index of every axis"
    return ""


def same_dtype(name, got, dtype):
    """float32 in, float32 out: the nets train in float32, and a float64 array in one layer would
    make the next one refuse its input."""
    got = as_array(name, got)
    if got.dtype != dtype:
        raise Wrong(f"{name} is {got.dtype} for {np.dtype(dtype)} inputs: make new arrays with the input's "
                    f"dtype (np.zeros(shape, dtype=x.dtype))")


def gradient_check(name, analytic, f, x, seed=0, entries=40, tolerance=1e-6):
    """Central differences (float64) of the scalar ``f()`` at ``x`` against ``analytic`` on up to ``entries``
    entries; returns the worst relative error, or raises a :class:`Wrong`."""
    rng = np.random.default_rng(seed)
    chosen = rng.choice(x.size, size=min(entries, x.size), replace=False)
    numeric = numerical_gradient(f, x, entries=chosen).reshape(-1)[chosen]
    error, index = relative_error(np.asarray(analytic, np.float64).reshape(-1)[chosen], numeric)
    if error > tolerance:
        where = tuple(int(i) for i in np.unravel_index(int(chosen[index[0]]), x.shape))
        raise Wrong(f"gradient check: your {name} differs from the central differences of the loss by "
                    f"{error:.1e} (relative; right is below {tolerance:.0e}), worst at index {where}")
    return error


def small(error):
    """A worst error for the summary line: "exact" when it is 0."""
    return "exact" if error == 0 else f"{error:.0e}"


def adjoint_check(what, left, right, tolerance=1e-10):
    """``<A x, y>`` against ``<x, A^T y>``: a linear map and its adjoint agree on every pair."""
    gap = abs(left - right) / max(abs(left), abs(right), 1e-12)
    if gap > tolerance:
        raise Wrong(f"the adjoint identity fails: {what}: {left:.6g} against {right:.6g}")
    return gap


def sys_path(folder):
    """Put ``folder`` on the import path, so an exercise may import another (``from ex01_im2col import im2col``)."""
    folder = str(Path(folder).resolve())
    if folder not in sys.path:
        sys.path.insert(0, folder)
