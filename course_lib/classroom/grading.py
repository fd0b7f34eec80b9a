"""Grade submitted assignment notebooks automatically, without nbgrader; release student versions.

Command line, from the repository root (``--help`` on each for every option)::

    python -m course_lib.grading release [NAME ...] [--force] [--check]
    python -m course_lib.grading grade NAME SUBMISSION ... --output grades.csv [--graded-dir DIR] [--timeout 60]

``release`` writes the student versions (see :mod:`course_lib.assignments`).
``grade`` grades submissions of assignment NAME against the instructor's source
``assignments/source/NAME/NAME.ipynb``. A SUBMISSION is a notebook file (the
student is its file name, e.g. ``alice.ipynb``, or, for ``.../alice/NAME/NAME.ipynb``,
the folder above ``NAME``: nbgrader's layout) or a folder laid out like nbgrader's
``submitted/``: ``DIR/<student>/NAME/NAME.ipynb``.

How one submission is graded
----------------------------
1. *Restore the instructor's cells.* Cells are matched by ``grade_id``
   (``metadata.nbgrader``). Test and read-only cells are replaced by the
   instructor's source (with its hidden tests), whatever the student did to them;
   a deleted one is put back after the cell that precedes it in the source;
   solution cells keep the student's code (a deleted one becomes the stub). Cells
   the student added stay where they are, without nbgrader metadata (a copied cell
   cannot pose as a test).
2. *Run it* in a fresh kernel with nbclient, in an empty temporary working
   directory, each cell limited to ``timeout`` seconds; errors do not stop the run.
   A cell that times out, or a kernel that dies, ends the run: the cells after it
   count as not run.
3. *Score it.* A test cell earns its ``points`` (from the instructor's source,
   never from the submission) when it ran without an error, else 0.

Nothing is ever written next to a submission or over an existing file (unless
``--force``): the score table goes to ``--output``, and, with ``--graded-dir``, the
executed notebooks (with the tracebacks the student will want to see) go to
``DIR/<student>/NAME/NAME.ipynb``.

The score table (CSV) has one row per student: ``student, assignment, score,
max_score``, one column per test cell (its ``grade_id``; points earned) and
``problems`` (which test failed, with the exception's name).
"""
from __future__ import annotations

import argparse
import copy
import csv
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .assignments import cell_role, find_assignments, grade_id, release, student_version

__all__ = [
    "DEFAULT_TIMEOUT",
    "CellScore",
    "Grade",
    "restore_instructor_cells",
    "run_notebook",
    "grade_notebook",
    "collect_submissions",
    "grade_assignment",
    "write_scores",
    "main",
]

#: Seconds each cell may run before the grader gives up on the notebook.
DEFAULT_TIMEOUT = 60


@dataclass(frozen=True)
class CellScore:
    """One test cell's outcome: ``status`` is 'passed', the exception's name, 'timeout' or 'not run';
    ``message`` the exception's message, if any."""

    grade_id: str
    points: float
    max_points: float
    status: str
    message: str = ""


@dataclass
class Grade:
    """One student's grade on one assignment."""

    student: str
    assignment: str
    tests: list = field(default_factory=list)
    note: str = ""

    @property
    def score(self):
        return sum(t.points for t in self.tests)

    @property
    def max_score(self):
        return sum(t.max_points for t in self.tests)

    @property
    def problems(self):
        """'grade_id: status (message)' for each test that did not pass, plus the run's note."""
        parts = [f"{t.grade_id}: {t.status}" + (f" ({t.message})" if t.message else "")
                 for t in self.tests if t.status != "passed"]
        return "; ".join(parts + ([self.note] if self.note else []))


def _plain(cell):
    """A copy of a student's own cell with any nbgrader metadata removed."""
    cell = copy.deepcopy(cell)
    cell.metadata.pop("nbgrader", None)
    return cell


def _fresh(cell):
    cell = copy.deepcopy(cell)
    if cell.cell_type == "code":
        cell.outputs = []
        cell.execution_count = None
    return cell


def restore_instructor_cells(source, submission):
    """The notebook to run: the submission with the instructor's cells restored (see the module docstring).

    Inputs: the instructor's source notebook and the student's submission (nbformat nodes; neither changes).
    Returns: a new notebook, with the source's notebook metadata (kernel).
    """
    by_id = {grade_id(c): c for c in source.cells if cell_role(c) != "plain"}
    stubs = {grade_id(c): c for c in student_version(source).cells if grade_id(c) in by_id}
    merged, placed = [], set()
    for cell in submission.cells:
        gid = grade_id(cell)
        if gid in by_id and gid not in placed:
            placed.add(gid)
            original = by_id[gid]
            restored = _fresh(original)
            if cell_role(original) == "solution":
                # the student's answer, or the stub if they turned the cell into another type
                restored.source = cell.source if cell.cell_type == original.cell_type else stubs[gid].source
            merged.append(restored)
        else:
            merged.append(_fresh(_plain(cell)))
    # Put back what the student deleted, after the cell that precedes it in the source.
    previous = None
    for cell in source.cells:
        gid = grade_id(cell) if cell_role(cell) != "plain" else None
        if gid is None:
            continue
        if gid not in placed:
            restored = _fresh(stubs[gid] if cell_role(cell) == "solution" else cell)
            restored.metadata = copy.deepcopy(cell.metadata)
            at = 0 if previous is None else 1 + next(
                i for i, c in enumerate(merged) if "nbgrader" in c.metadata and grade_id(c) == previous)
            merged.insert(at, restored)
            placed.add(gid)
        previous = gid
    out = nbformat.v4.new_notebook(metadata=copy.deepcopy(source.metadata))
    out.metadata.pop("course_lib", None)
    out.cells = merged
    return out


def run_notebook(nb, *, timeout=DEFAULT_TIMEOUT, kernel_name=None):
    """Execute ``nb`` in place in a fresh kernel, in an empty temporary directory.

    Every cell runs even if earlier ones fail; a cell running longer than
    ``timeout`` seconds, or a dead kernel, stops the run.
    Returns: ({cell index: status}, note): status 'ok', the exception's name
    ('AssertionError', ...), or 'timeout'; cells missing from the dict did not run.
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    if not (isinstance(timeout, (int, float)) and not isinstance(timeout, bool) and timeout > 0):
        raise ValueError(f"timeout must be a number of seconds > 0, got {timeout!r}")
    status, current = {}, {"index": None}

    def on_execute(cell, cell_index, **_):
        current["index"] = cell_index

    def on_executed(cell, cell_index, execute_reply, **_):
        content = execute_reply.get("content", {}) if execute_reply else {}
        status[cell_index] = "ok" if content.get("status") == "ok" else content.get("ename") or "error"

    note = ""
    with tempfile.TemporaryDirectory(prefix="grading-") as workdir:
        client = NotebookClient(
            nb,
            timeout=timeout,
            kernel_name=kernel_name or nb.metadata.get("kernelspec", {}).get("name", "python3"),
            allow_errors=True,
            resources={"metadata": {"path": workdir}},
            on_cell_execute=on_execute,
            on_cell_executed=on_executed,
        )
        try:
            client.execute()
        except CellTimeoutError:
            status[current["index"]] = "timeout"
            note = f"cell {current['index']} ran longer than {timeout:g} s; the cells after it did not run"
        except DeadKernelError:
            status[current["index"]] = "kernel died"
            note = f"the kernel died in cell {current['index']}; the cells after it did not run"
    return status, note


def grade_notebook(source, submission, *, student="", assignment="", timeout=DEFAULT_TIMEOUT, kernel_name=None):
    """Grade one submission against the instructor's source (nbformat nodes, unchanged).

    Returns: (Grade, executed notebook).
    """
    nb = restore_instructor_cells(source, submission)
    status, note = run_notebook(nb, timeout=timeout, kernel_name=kernel_name)
    grade = Grade(student=student, assignment=assignment, note=note)
    for index, cell in enumerate(nb.cells):
        if "nbgrader" not in cell.metadata or cell_role(cell) != "tests":
            continue
        max_points = float(cell.metadata["nbgrader"]["points"])
        state = status.get(index, "not run")
        message = ""
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                message = " ".join(str(output.get("evalue", "")).split())[:120]
        passed = state == "ok"
        grade.tests.append(
            CellScore(grade_id(cell), max_points if passed else 0.0, max_points, "passed" if passed else state, message)
        )
    return grade, nb


def _student_of(path, name):
    """alice.ipynb -> 'alice'; .../alice/NAME/NAME.ipynb (nbgrader) -> 'alice'; .../alice/NAME.ipynb -> 'alice'."""
    if path.stem != name:
        return path.stem
    parent = path.parent.parent if path.parent.name == name else path.parent
    return parent.name


def collect_submissions(name, paths):
    """``{student: notebook path}`` from files and nbgrader-style ``submitted/`` folders (see the module docstring)."""
    found = {}
    for path in map(Path, paths):
        if path.is_dir():
            files = sorted(path.glob(f"*/{name}/{name}.ipynb"))
            if not files:
                raise ValueError(f"submission folder {path} holds no <student>/{name}/{name}.ipynb (nbgrader's layout)")
        elif path.is_file() and path.suffix == ".ipynb":
            files = [path]
        else:
            raise ValueError(f"a submission must be a .ipynb file or a folder, got {path}")
        for file in files:
            student = _student_of(file, name)
            if student in found and found[student].resolve() != file.resolve():
                raise ValueError(f"two submissions for student {student!r}: {found[student]} and {file}")
            found[student] = file
    return found


def _refuse_existing(path, force):
    if path.exists() and not force:
        raise FileExistsError(f"{path} exists; grading never overwrites a file: choose another name or pass --force")


def grade_assignment(name, submissions, *, course_dir="assignments", graded_dir=None, timeout=DEFAULT_TIMEOUT,
                     force=False, kernel_name=None, log=None):
    """Grade every submission of assignment ``name``; return the list of :class:`Grade` (by student).

    ``submissions`` is a list of notebook files or nbgrader ``submitted/`` folders, or
    a dict ``{student: path}``. With ``graded_dir``, each executed notebook is written
    to ``graded_dir/<student>/<name>/<name>.ipynb`` (never over a file, unless force,
    and never over a submission).
    """
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise ValueError(f"timeout must be a number of seconds > 0, got {timeout!r}")
    sources = find_assignments(course_dir)
    if name not in sources:
        raise ValueError(f"name must be an assignment under {Path(course_dir) / 'source'}: {sorted(sources)}, got {name!r}")
    source = nbformat.read(sources[name], as_version=4)
    student_version(source, str(sources[name]))  # validates the source
    found = submissions if isinstance(submissions, dict) else collect_submissions(name, submissions)
    inputs = {Path(p).resolve() for p in found.values()}
    targets = {}
    if graded_dir is not None:
        for student in found:
            target = Path(graded_dir) / student / name / f"{name}.ipynb"
            if target.resolve() in inputs:
                raise ValueError(f"graded_dir would overwrite the submission {target}")
            _refuse_existing(target, force)
            targets[student] = target
    grades = []
    for student, path in sorted(found.items()):
        try:
            submission = nbformat.read(path, as_version=4)
        except Exception as error:  # not a notebook: every test 'not run', with the reason
            submission, note = None, f"could not read {path}: {type(error).__name__}"
        if submission is None:
            grade = Grade(student, name, note=note)
            grade.tests = [CellScore(grade_id(c), 0.0, float(c.metadata["nbgrader"]["points"]), "not run")
                           for c in source.cells if cell_role(c) == "tests"]
        else:
            grade, executed = grade_notebook(source, submission, student=student, assignment=name,
                                             timeout=timeout, kernel_name=kernel_name)
            if student in targets:
                targets[student].parent.mkdir(parents=True, exist_ok=True)
                nbformat.write(executed, targets[student])
        if log:
            log(f"{student}: {grade.score:g} / {grade.max_score:g}" + (f"  ({grade.problems})" if grade.problems else ""))
        grades.append(grade)
    return grades


def write_scores(grades, path, *, force=False):
    """Write the score table (CSV, one row per student) to a new file ``path``."""
    path = Path(path)
    _refuse_existing(path, force)
    ids = []
    for grade in grades:
        ids += [t.grade_id for t in grade.tests if t.grade_id not in ids]
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["student", "assignment", "score", "max_score", *ids, "problems"])
        for g in grades:
            points = {t.grade_id: t.points for t in g.tests}
            writer.writerow([g.student, g.assignment, f"{g.score:g}", f"{g.max_score:g}",
                             *(f"{points[i]:g}" if i in points else "" for i in ids), g.problems])


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m course_lib.grading", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    rel = sub.add_parser("release", help="write the student versions to <course-dir>/release/")
    rel.add_argument("names", nargs="*", help="assignments to release (default: all)")
    rel.add_argument("--course-dir", default="assignments", help="folder holding source/ (default: assignments)")
    rel.add_argument("--force", action="store_true", help="overwrite student versions someone edited")
    rel.add_argument("--check", action="store_true", help="write nothing; fail if a student version is not up to date")
    grd = sub.add_parser("grade", help="grade submitted notebooks and write a score table (CSV)")
    grd.add_argument("name", help="the assignment, e.g. a1_initializers")
    grd.add_argument("submissions", nargs="+", help="notebook files, or nbgrader submitted/ folders")
    grd.add_argument("--output", required=True, help="the CSV to write (a new file)")
    grd.add_argument("--graded-dir", help="also write the executed notebooks here, as <student>/<name>/<name>.ipynb")
    grd.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                     help=f"seconds each cell may run (default {DEFAULT_TIMEOUT})")
    grd.add_argument("--course-dir", default="assignments", help="folder holding source/ (default: assignments)")
    grd.add_argument("--force", action="store_true", help="overwrite existing output files")
    args = parser.parse_args(argv)
    try:
        if args.command == "release":
            results = release(args.course_dir, args.names, force=args.force, check=args.check)
            for result in results:
                print(result)
            bad = [r for r in results if r.action in ("refused", "missing", "stale")]
            if any(r.action == "refused" for r in bad):
                print("refused: those student versions were edited since they were written; "
                      "pass --force to overwrite them", file=sys.stderr)
            return 1 if bad else 0
        _refuse_existing(Path(args.output), args.force)  # before the slow part
        grades = grade_assignment(args.name, args.submissions, course_dir=args.course_dir, graded_dir=args.graded_dir,
                                  timeout=args.timeout, force=args.force, log=print)
        write_scores(grades, args.output, force=args.force)
        print(f"wrote {args.output} ({len(grades)} submission{'s' if len(grades) != 1 else ''})")
        return 0
    except (ValueError, FileExistsError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
