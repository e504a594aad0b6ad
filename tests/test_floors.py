"""The package's floors, listed below from the lowest up: each module imports only from floors below its
own, so there is no import circle, and nothing but ``__main__`` imports the command line."""
import ast
import pathlib

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "fcn_scratch"

# Lowest first. A unit is a top-level module or sub-package of fcn_scratch.
FLOORS = [
    {"errors"},
    {"backend", "labels", "argtypes", "grad_mode", "files", "npz"},
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


def _module_of(parts):
    """The file of dotted module ``parts`` inside the package (a module, or a sub-package's __init__), or None."""
    path = PACKAGE.joinpath(*parts)
    if path.with_suffix(".py").is_file():
        return path.with_suffix(".py")
    return path / "__init__.py" if (path / "__init__.py").is_file() else None


def _imported_modules(path):
    """The package's files that ``path`` imports, at any depth of the file (a deferred import inside a
    function is an arrow too: deferring an import hides a circle, it does not remove it)."""
    here = path.relative_to(PACKAGE).parent.parts
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = here[:len(here) - (node.level - 1)] if node.level > 1 else here
            target = base + tuple(node.module.split(".")) if node.module else base
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("fcn_scratch."):
            target = tuple(node.module.split(".")[1:])
        else:
            continue
        for alias in node.names:                    # "from . import bands": the module bands.py
            found = _module_of(target + (alias.name,))
            yield found or _module_of(target)


def test_no_import_circle_between_modules():
    """No module reaches itself again through the modules it imports, inside a floor's unit too."""
    graph = {path: {m for m in _imported_modules(path) if m is not None and m != path}
             for path in PACKAGE.rglob("*.py")}
    state, circles = {}, []

    def visit(node, trail):
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                circle = trail[trail.index(nxt):] + [nxt]
                circles.append(" -> ".join(str(p.relative_to(PACKAGE)) for p in circle))
            elif nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert circles == []
