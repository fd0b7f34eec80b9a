"""A small assignment of our own for the red-team tests, so that they do not depend on the
content of assignments/ (which the content engineers rewrite): a read-only cell with a
helper the tests call (built on numpy), two solution cells, three test cells, one with
hidden tests."""
import nbformat

NAME = "rt_cheats"
POINTS = {"test_double": 2, "test_roots": 1, "test_hidden": 1}

SETUP = '''import math

import numpy as np


def check_close(actual, expected):
    """The read-only helper the tests call."""
    assert np.allclose(actual, expected), f"{actual} is not close to {expected}"'''

DOUBLE = '''def double(x):
    """Twice x."""
    ### BEGIN SOLUTION
    return 2 * x
    ### END SOLUTION'''

ROOTS = '''def roots(n):
    """Real parts of the n-th roots of unity, an array of length n."""
    ### BEGIN SOLUTION
    return np.cos(2 * math.pi * np.arange(n) / n)
    ### END SOLUTION'''

TEST_DOUBLE = '''check_close(double(np.arange(3)), [0, 2, 4])
### BEGIN HIDDEN TESTS
check_close(double(5.0), 10.0)
### END HIDDEN TESTS
print("double: ok")'''

TEST_ROOTS = '''r = roots(4)
assert len(r) == 4, "four roots"
assert np.allclose(r, [1, 0, -1, 0], atol=1e-12), r'''

TEST_HIDDEN = '''assert double(1) == 2
### BEGIN HIDDEN TESTS
assert abs(double(-2) + 4) < 1e-12, "SECRET-HIDDEN-TEST-MARKER"
### END HIDDEN TESTS'''


def _nbg(cell, gid, **flags):
    meta = {"grade": False, "locked": False, "schema_version": 3, "solution": False, "task": False}
    meta.update(grade_id=gid, **flags)
    cell.metadata["nbgrader"] = meta
    return cell


def source_notebook():
    code, md = nbformat.v4.new_code_cell, nbformat.v4.new_markdown_cell
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "language": "python",
                                                            "display_name": "Python 3"}})
    nb.cells = [
        md("# Red team"),
        _nbg(code(SETUP), "setup", locked=True),
        _nbg(code(DOUBLE), "double", solution=True),
        _nbg(code(TEST_DOUBLE), "test_double", grade=True, locked=True, points=POINTS["test_double"]),
        _nbg(code(ROOTS), "roots", solution=True),
        _nbg(code(TEST_ROOTS), "test_roots", grade=True, locked=True, points=POINTS["test_roots"]),
        _nbg(code(TEST_HIDDEN), "test_hidden", grade=True, locked=True, points=POINTS["test_hidden"]),
    ]
    return nb


def write_course(root):
    """Write ``root/source/<NAME>/<NAME>.ipynb``; return its path."""
    path = root / "source" / NAME / f"{NAME}.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(source_notebook(), path)
    return path
