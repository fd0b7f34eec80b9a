"""The package's folders are layers, and imports point one way (issue 15).

    checks, blas  <-  data  <-  nn  <-  diagnostics  <-  lessons  <-  viz

A module may import from its own folder and from folders to its left, never to its
right, and no chain of imports (top-level or inside a function) comes back to where it
started. Read from the source with ast, so a lazy import inside a function counts too.
The instructors' tools (course_lib/classroom/) use none of the course's layers.
"""
import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "course_lib"
RANK = {"checks": 0, "blas": 0, "data": 1, "nn": 2, "diagnostics": 3, "lessons": 4, "viz": 5}
CLASSROOM = {"classroom"}


def module_name(path):
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path):
    """Every course_lib module that ``path`` imports, anywhere in the file."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "course_lib"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "course_lib":
                continue
            # `from . import data` / `from .lessons import depth` import submodules
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.add(sub if (PACKAGE.parent / (sub.replace(".", "/") + ".py")).exists()
                          or (PACKAGE.parent / sub.replace(".", "/")).is_dir() else target)
    found.discard(name)
    return found


GRAPH = {module_name(p): imports_of(p) for p in PACKAGE.rglob("*.py")}


def layer(module):
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None  # None: the top-level course_lib/__init__


def test_the_graph_was_read():
    assert "course_lib.nn.network" in GRAPH and "course_lib.viz.widgets" in GRAPH
    assert "course_lib.nn.activations" in GRAPH["course_lib.nn.network"]
    assert "course_lib.lessons.saturation" in GRAPH["course_lib.viz.widgets"]  # a layer to the left


@pytest.mark.parametrize("module", sorted(m for m in GRAPH if layer(m) is not None))
def test_imports_point_one_way(module):
    here = layer(module)
    for target in GRAPH[module]:
        there = layer(target)
        if here in CLASSROOM or there in CLASSROOM:
            assert here in CLASSROOM and there in CLASSROOM, f"{module} imports {target}"
            continue
        assert there is not None, f"{module} imports the top-level course_lib package"
        assert RANK[there] <= RANK[here], f"{module} ({here}) imports {target} ({there}): arrows point the other way"


def test_no_import_cycle():
    modules = {m: {t for t in targets if t in GRAPH} for m, targets in GRAPH.items() if m != "course_lib"}
    state = {}

    def visit(m, path):
        state[m] = "open"
        for t in sorted(modules.get(m, ())):
            if state.get(t) == "open":
                cycle = path[path.index(t):] + [t]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if t not in state:
                visit(t, path + [t])
        state[m] = "done"

    for m in sorted(modules):
        if m not in state:
            visit(m, [m])


def test_the_student_core_imports_nothing_but_itself_and_the_shared_checks():
    for module, targets in GRAPH.items():
        if layer(module) == "nn":
            assert {layer(t) for t in targets} <= {"nn", "checks", "blas"}, (module, targets)
