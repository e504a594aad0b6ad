"""Check your exercises against the library, and hear what is wrong.

    python lessons/exercises/check.py                  all ten, a line each (and the diagnosis of each not yet right)
    python lessons/exercises/check.py im2col           one (by name, or number: 1, 01, ex01)
    python lessons/exercises/check.py im2col --hint    the same, then the next hint for what it found wrong
    python lessons/exercises/check.py reset im2col     your file back to the template, hints from the first
                                                       (--yes if you changed it)
    python lessons/exercises/check.py capstone         FCN-8s trained with your layers, once all ten pass (about 25 s)
    python lessons/exercises/check.py capstone --quick the same, smaller (2-4 s)

The first run writes your copy of each exercise, lessons/exercises/exNN_name.py, from its template;
after that only ``reset --yes`` ever writes over one. The exit status is 0 when everything checked passed.
"""
import argparse
import os
import sys
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import checker  # noqa: E402  (the folder above is on the path now)

WIDTH = 100


def say(text, indent="  ", out=print):
    for paragraph in str(text).rstrip("\n").split("\n"):
        out(textwrap.fill(paragraph, WIDTH, initial_indent=indent, subsequent_indent=indent + "  ") or indent)


def heading(exercise):
    number = checker.EXERCISES.index(exercise) + 1
    return f"ex{number:02d} {checker.name_of(exercise)} (after lesson {exercise.LESSON}): {exercise.TITLE}"


SAID = {"passed": "passed", "wrong": "not right yet", "crashed": "raised an error", "not started": "not started"}


def shown(path):
    """``path`` relative to here when it is below here, else as it is."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def report(result, folder, out=print):
    """Print one result: passed, or what is wrong and on which input."""
    exercise, path = result.exercise, shown(Path(folder) / f"{result.exercise.FILE}.py")
    out(f"{heading(exercise)}: {SAID[result.status]}")
    if result.status == "passed":
        for line in result.lines:
            say(line, out=out)
    elif result.status == "not started":
        say(f"{result.lines[0]}: open {path} and write it", out=out)
    elif result.status == "wrong":
        say(result.lines[0], out=out)
    else:
        for line in "".join(result.lines).rstrip("\n").split("\n"):
            out("    " + line)
    if result.case:
        say(f"on: {result.case}", out=out)


def check(names, hint, folder, out=print):
    """Check the exercises ``names`` (or all); with ``hint``, the next hint for the first one not passed."""
    exercises = checker.EXERCISES if names in ([], ["all"]) else [checker.find(name) for name in names]
    results = [checker.check_file(exercise, folder) for exercise in exercises]
    for result in results:
        report(result, folder, out)
    waiting = [r for r in results if r.status != "passed"]
    if len(results) > 1:
        out(f"\n{len(results) - len(waiting)} of {len(results)} passed." + (
            " Next: the capstone, python lessons/exercises/check.py capstone" if not waiting else
            f" Next: python lessons/exercises/check.py {checker.name_of(waiting[0].exercise)}"))
    if hint and waiting:
        number, count, function, text = checker.next_hint(waiting[0], folder)
        if text is None:
            name = checker.name_of(waiting[0].exercise)
            out(f"\nno more hints for {function}(): you have seen all {count}. The diagnosis above says what "
                f"differs; lesson {waiting[0].exercise.LESSON} works the idea through. (A new diagnosis brings its "
                f"own hints; python lessons/exercises/check.py reset {name} starts them over, with the template.)")
        else:
            out(f"\nhint {number} of {count} for {function}():")
            say(text, out=out)
    elif hint:
        out("\npassed: no hint needed")
    elif waiting:
        out(f"(a hint: python lessons/exercises/check.py {checker.name_of(waiting[0].exercise)} --hint)")
    return 0 if not waiting else 1


def main(argv=None, folder=checker.FOLDER, out=print):
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n".join(__doc__.strip().splitlines()[1:]))
    parser.add_argument("names", nargs="*", help="exercises to check (default: all), or: reset NAME, capstone")
    parser.add_argument("--hint", action="store_true", help="show the next hint for the first exercise not passed")
    parser.add_argument("--yes", action="store_true", help="with reset: replace your changed file (kept as .bak)")
    parser.add_argument("--quick", action="store_true", help="with capstone: a smaller run, 2-4 s")
    args = parser.parse_args(argv)
    try:
        if args.names[:1] == ["reset"]:
            if len(args.names) != 2:
                parser.error("reset takes one exercise: reset NAME [--yes]")
            out(checker.reset(checker.find(args.names[1]), args.yes, folder))
            return 0
        if args.names[:1] == ["capstone"]:
            import capstone
            return capstone.main(["--quick"] if args.quick else [], folder=folder, out=out)
        return check(args.names, args.hint, folder, out)
    except (KeyError, PermissionError) as error:
        out(error.args[0])
        return 2


if __name__ == "__main__":
    sys.exit(main())
