"""The exercises' checker: one module per exercise, each with its ``FILE``, ``LESSON``, ``TITLE``,
``HINTS`` (for each function, hints from the idea toward the details) and ``check(student)``; this
module runs them and keeps the files and the hints.

Hints follow the diagnosis: they are about the function the checker found wrong, and when it named
a known mistake, the first one is about that mistake. Asking again gives the next; a new diagnosis
starts a new series.

Your files are ``lessons/exercises/exNN_name.py``; each starts as a copy of
``templates/exNN_name.py``, made when the checker first finds it missing, and is never
written again unless you ask (:func:`reset` with ``confirmed``).
"""
import importlib.util
import json
import shutil
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from . import (bilinear, conv_backward, conv_forward, conv_transpose, crop_offset, fusion, im2col, maxpool, mean_iu,
               softmax_cross_entropy)
from .core import Crashed, NotStarted, Student, Wrong, sys_path

EXERCISES = [im2col, conv_forward, maxpool, conv_transpose, bilinear, softmax_cross_entropy, conv_backward,
             crop_offset, mean_iu, fusion]
FOLDER = Path(__file__).resolve().parent.parent
TEMPLATES = FOLDER / "templates"
HINTS_FILE = ".hints.json"


def name_of(exercise):
    """``im2col`` for ``checker.im2col``: the name you type."""
    return exercise.__name__.rsplit(".", 1)[-1]


def find(name):
    """The exercise called ``name``: ``im2col``, ``ex01``, ``01``, ``1`` or ``ex01_im2col``."""
    for number, exercise in enumerate(EXERCISES, start=1):
        if name in (name_of(exercise), exercise.FILE, exercise.FILE[:4], f"{number:02d}", str(number)):
            return exercise
    names = ", ".join(name_of(e) for e in EXERCISES)
    raise KeyError(f"no exercise called {name!r}; the exercises are {names} (or their numbers, 1 to 10)")


@dataclass
class Result:
    """What a check found: ``status`` is "passed", "wrong", "crashed" or "not started"; ``function`` the one it
    was about, ``hint`` the first hint for the mistake it named (None for a mistake it could not name)."""
    exercise: object
    status: str
    lines: list = field(default_factory=list)
    case: str = None
    function: str = None
    hint: str = None


def run(exercise, module):
    """Check ``module`` (your file loaded, or any object holding the functions) for ``exercise``."""
    student = Student(module, exercise.FILE + ".py")
    try:
        return Result(exercise, "passed", exercise.check(student))
    except NotStarted as not_started:
        return Result(exercise, "not started", [str(not_started)], function=student.last)
    except Wrong as wrong:
        return Result(exercise, "wrong", [wrong.message], wrong.case, student.last, wrong.hint)
    except Crashed as crashed:
        return Result(exercise, "crashed", crashed.lines, crashed.case, student.last)


def student_file(exercise, folder=FOLDER):
    """Your file for ``exercise``, copied from its template if it is not there yet (never over one that is)."""
    path = Path(folder) / f"{exercise.FILE}.py"
    if not path.exists():
        shutil.copyfile(TEMPLATES / path.name, path)
    return path


def load(path):
    """Your file as a module; a file that does not even load is a :class:`Crashed`."""
    sys_path(path.parent)
    spec = importlib.util.spec_from_file_location(f"your_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as error:   # noqa: BLE001 -- a syntax error or an import that fails: yours to see
        frames = [f for f in traceback.extract_tb(error.__traceback__) if Path(f.filename).resolve() == path.resolve()]
        raise Crashed([f"{path.name} does not load:\n"] + traceback.format_list(frames)
                      + traceback.format_exception_only(type(error), error)) from None
    return module


def check_file(exercise, folder=FOLDER):
    """Load your file for ``exercise`` and check it."""
    try:
        module = load(student_file(exercise, folder))
    except Crashed as crashed:
        return Result(exercise, "crashed", crashed.lines)
    return run(exercise, module)


def hints_for(result):
    """``(function, hints)``: the hints for the diagnosis in ``result``, the one for its mistake first."""
    exercise = result.exercise
    function = result.function if result.function in exercise.HINTS else exercise.FUNCTIONS[0]
    return function, ([result.hint] if result.hint else []) + exercise.HINTS[function]


def next_hint(result, folder=FOLDER):
    """``(number, count, function, hint)``: the next hint for the diagnosis in ``result``, counted in
    ``.hints.json`` beside your files; past the last one, ``hint`` is None. A diagnosis about another
    function, or another known mistake, starts again at 1."""
    function, hints = hints_for(result)
    about = f"{function}: {result.hint or 'any mistake'}"
    state_file = Path(folder) / HINTS_FILE
    state = json.loads(state_file.read_text()) if state_file.exists() else {}
    mine = state.get(result.exercise.FILE)
    shown = (mine["shown"] if isinstance(mine, dict) and mine.get("about") == about else 0) + 1
    state[result.exercise.FILE] = {"about": about, "shown": min(shown, len(hints) + 1)}
    state_file.write_text(json.dumps(state, indent=1, sort_keys=True) + "\n")
    return shown, len(hints), function, hints[shown - 1] if shown <= len(hints) else None


def forget_hints(exercise, folder=FOLDER):
    """Start ``exercise``'s hints over (what a reset does)."""
    state_file = Path(folder) / HINTS_FILE
    if state_file.exists():
        state = json.loads(state_file.read_text())
        if state.pop(exercise.FILE, None) is not None:
            state_file.write_text(json.dumps(state, indent=1, sort_keys=True) + "\n")


def reset(exercise, confirmed=False, folder=FOLDER):
    """Put the template back in place of your file, and start its hints over. Your changes are replaced only when
    ``confirmed``, and then kept beside it as ``exNN_name.py.bak`` (``.bak1``, ... when that exists). Returns what
    happened, in words."""
    path, template = Path(folder) / f"{exercise.FILE}.py", TEMPLATES / f"{exercise.FILE}.py"
    if not path.exists() or path.read_bytes() == template.read_bytes():
        shutil.copyfile(template, path)
        forget_hints(exercise, folder)
        return f"{path.name} is the template; its hints start over"
    if not confirmed:
        raise PermissionError(f"{path.name} has your changes: reset replaces them with the template only when you "
                              f"add --yes (your version is then kept as {path.name}.bak)")
    backup, number = path.with_name(path.name + ".bak"), 0
    while backup.exists():
        number += 1
        backup = path.with_name(f"{path.name}.bak{number}")
    shutil.copyfile(path, backup)
    shutil.copyfile(template, path)
    forget_hints(exercise, folder)
    return f"{path.name} is the template again, and its hints start over; your version is in {backup.name}"
