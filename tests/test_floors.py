"""The package's floors, listed below from the lowest up: each module imports only from floors below its
own, so there is no import circle, and nothing but ``__main__`` imports the command line."""
import ast
import pathlib

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "fcn_scratch"

# Lowest first. A unit is a top-level module or sub-package of fcn_scratch.
FLOORS = [
    {"errors"},
    {"backend", "labels", "argtypes", "grad_mode", "files"},
    {"data", "metrics"},
    {"viz"},
    {"functional"},
    {"buffers"},
    {"fast"},
    {"layers"},
    {"models", "gradcheck"},
    {"checkpoint", "optim"},
    {"weights"},
    {"train"},
    {"bench"},
    {"cli"},
    {"__main__"},
]
FLOOR = {unit: level for level, units in enumerate(FLOORS) for unit in units}


def _unit(path):
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return parts[0] if parts[0] != "__init__" else None


def _imported_units(path):
    """The fcn_scratch units a module imports (relative imports resolved against its own location)."""
    here = path.relative_to(PACKAGE).parent.parts
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = here[:len(here) - (node.level - 1)] if node.level > 1 else here
            target = base + tuple(node.module.split(".")) if node.module else base
            if target:
                yield target[0]
            else:                                   # "from .. import backend, fast"
                yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("fcn_scratch."):
            yield node.module.split(".")[1]


def test_every_unit_has_a_floor():
    units = {_unit(p) for p in PACKAGE.rglob("*.py")} - {None}
    assert units <= set(FLOOR), sorted(units - set(FLOOR))


def test_imports_only_go_down():
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        unit = _unit(path)
        if unit is None:
            continue
        for other in _imported_units(path):
            if other != unit and FLOOR[other] >= FLOOR[unit]:
                wrong.append(f"{path.relative_to(PACKAGE)} imports {other}")
    assert wrong == []
