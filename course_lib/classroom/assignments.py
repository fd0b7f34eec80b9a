"""Student versions of graded assignment notebooks, the way nbgrader writes them, without nbgrader.

An assignment is one instructor notebook, ``<course>/source/<name>/<name>.ipynb``
(nbgrader's course-directory layout), whose cells carry nbgrader's metadata in
``cell.metadata["nbgrader"]``, so that ``nbgrader generate_assignment`` reads the
same file:

====================  ======================================================  ==============================
role                  metadata.nbgrader                                       in the student version
====================  ======================================================  ==============================
solution              ``solution: true``, ``grade_id``                        each ``### BEGIN SOLUTION`` ..
                                                                              ``### END SOLUTION`` region
                                                                              becomes the stub
                                                                              ``# YOUR CODE HERE`` /
                                                                              ``raise NotImplementedError()``
tests                 ``grade: true``, ``locked: true``, ``grade_id``,        ``### BEGIN HIDDEN TESTS`` ..
                      ``points``                                              ``### END HIDDEN TESTS``
                                                                              removed; not editable
read-only             ``locked: true``, ``grade_id``                          unchanged; not editable
====================  ======================================================  ==============================

Every code cell loses its outputs and execution count. Cells without nbgrader
metadata (the prose) are copied as they are.

:func:`release` writes ``<course>/release/<name>/<name>.ipynb``. It never
overwrites a student version someone edited: each student version records a
fingerprint of what was written (``metadata.course_lib.fingerprint``), and a file
whose cells no longer match it is left alone unless ``force=True``. A pristine but
stale file (the source changed since) is simply rewritten.

What counts as an edit: anything a person can change in JupyterLab or an editor,
that is the whole notebook but the fingerprint itself: every cell's type, id,
source, outputs, execution count, metadata (tags, ``editable``...) and attachments,
and the notebook's metadata and format version.

Faults are reported per assignment (``action='error'``, with ``detail``) and never
stop the others: a folder, a link or a special file where the student version should
be is left alone; a target that is not UTF-8 text is not a student version this tool
wrote, so it is refused like an edited one. Files are written atomically (a temporary
file in the same folder, then renamed).

Command line (from the repository root): ``python -m course_lib.classroom release``.
"""
from __future__ import annotations

import copy
import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

__all__ = [
    "CODE_STUB",
    "TEXT_STUB",
    "cell_role",
    "grade_id",
    "validate_source",
    "student_version",
    "fingerprint",
    "is_pristine",
    "find_assignments",
    "ReleaseResult",
    "release",
]

#: nbgrader's default stubs (ClearSolutions.code_stub["python"] and .text_stub).
CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
TEXT_STUB = "YOUR ANSWER HERE"
BEGIN_SOLUTION, END_SOLUTION = "BEGIN SOLUTION", "END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"
GENERATOR = "python -m course_lib.classroom release"


def _meta(cell):
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def grade_id(cell):
    """The cell's nbgrader ``grade_id``, or None."""
    return _meta(cell).get("grade_id")


def cell_role(cell) -> str:
    """'solution', 'tests', 'readonly', 'manual' (a graded answer), 'task', or 'plain'."""
    meta = _meta(cell)
    solution, grade, locked = bool(meta.get("solution")), bool(meta.get("grade")), bool(meta.get("locked"))
    if meta.get("task"):
        return "task"
    if solution and grade:
        return "manual"
    if solution:
        return "solution"
    if grade:
        return "tests"
    if locked:
        return "readonly"
    return "plain"


def _replace_regions(source, begin, end, replacement_lines):
    """Replace every begin..end marker region (marker lines included) by the replacement
    lines, indented like the begin marker (what nbgrader's ClearSolutions does);
    ``replacement_lines=[]`` deletes the regions (ClearHiddenTests). Returns
    (new_source, number_of_regions); ValueError on nested or unclosed regions."""
    out, inside, regions = [], False, 0
    for line in source.split("\n"):
        if begin in line:
            if inside:
                raise ValueError(f"nested '{begin}' markers")
            inside, regions = True, regions + 1
            indent = re.match(r"\s*", line).group(0)
            out += [indent + r for r in replacement_lines]
        elif end in line:
            if not inside:
                raise ValueError(f"'{end}' without a matching '{begin}'")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"'{begin}' without a matching '{end}'")
    return "\n".join(out), regions


def validate_source(nb, where="notebook"):
    """Check an instructor notebook; raise ValueError naming the cell and the problem.

    Rules (nbgrader's, plus one of ours): grade_ids are unique and match
    ``[A-Za-z0-9_-]+``; test cells have ``points`` >= 0 and are locked; solution
    markers appear only in solution cells and hidden-test markers only in test
    cells, balanced; no manually graded or task cells (course_lib.classroom grades
    automatically only: use nbgrader's formgrader for those).
    """
    seen = {}
    for index, cell in enumerate(nb.cells):
        here = f"{where}, cell {index}"
        role = cell_role(cell)
        gid = grade_id(cell)
        if role in ("manual", "task"):
            raise ValueError(
                f"{here} ({gid!r}) is a {'manually graded answer' if role == 'manual' else 'task'} cell; "
                "course_lib.classroom only grades automatically: use nbgrader's formgrader for it"
            )
        if role != "plain":
            if not isinstance(gid, str) or not re.fullmatch(r"[A-Za-z0-9_-]+", gid):
                raise ValueError(f"{here}: grade_id must be letters, digits, '_' or '-', got {gid!r}")
            if gid in seen:
                raise ValueError(f"{here}: grade_id {gid!r} is used twice (also cell {seen[gid]})")
            seen[gid] = index
        if role == "tests":
            points = _meta(cell).get("points")
            if isinstance(points, bool) or not isinstance(points, (int, float)) or not points >= 0:
                raise ValueError(f"{here} ({gid!r}): points must be a number >= 0, got {points!r}")
            if not _meta(cell).get("locked"):
                raise ValueError(f"{here} ({gid!r}): a test cell must be locked")
        try:
            _, solutions = _replace_regions(cell.source, BEGIN_SOLUTION, END_SOLUTION, [])
            _, hidden = _replace_regions(cell.source, BEGIN_HIDDEN, END_HIDDEN, [])
        except ValueError as error:
            raise ValueError(f"{here} ({gid!r}): {error}") from None
        if solutions and role != "solution":
            raise ValueError(f"{here}: '### {BEGIN_SOLUTION}' outside a solution cell")
        if hidden and role != "tests":
            raise ValueError(f"{here}: '### {BEGIN_HIDDEN}' outside a test cell")


def student_version(nb, where="notebook"):
    """The student version of an instructor notebook (a new notebook; ``nb`` is unchanged).

    Solutions become nbgrader's stub (a whole solution cell without markers does
    too), hidden tests are removed, outputs and execution counts are cleared, and
    test and read-only cells are marked not deletable and not editable (nbgrader's
    LockCells; JupyterLab honours both). ``metadata.course_lib.fingerprint`` records
    what was written (see :func:`is_pristine`).
    """
    validate_source(nb, where)
    out = copy.deepcopy(nb)
    for cell in out.cells:
        role = cell_role(cell)
        if role == "solution":
            stub = (CODE_STUB if cell.cell_type == "code" else TEXT_STUB).split("\n")
            cell.source, regions = _replace_regions(cell.source, BEGIN_SOLUTION, END_SOLUTION, stub)
            if not regions:
                cell.source = "\n".join(stub)
            cell.metadata["deletable"] = False
        elif role == "tests":
            cell.source, _ = _replace_regions(cell.source, BEGIN_HIDDEN, END_HIDDEN, [])
            cell.metadata["deletable"] = False
            cell.metadata["editable"] = False
        elif role == "readonly":
            cell.metadata["deletable"] = False
            cell.metadata["editable"] = False
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    out.metadata.pop("celltoolbar", None)
    out.metadata["course_lib"] = {"generated_by": GENERATOR, "fingerprint": fingerprint(out)}
    return out


def fingerprint(nb) -> str:
    """SHA-256 of everything a person can change: the whole notebook (cells with their ids,
    sources, outputs, execution counts, metadata and attachments; the notebook's metadata
    and format version) except ``metadata.course_lib``, where the fingerprint is kept."""
    metadata = {k: v for k, v in nb.get("metadata", {}).items() if k != "course_lib"}
    content = {"nbformat": nb.get("nbformat"), "nbformat_minor": nb.get("nbformat_minor"),
               "metadata": metadata, "cells": nb.get("cells", [])}
    return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=True).encode()).hexdigest()


def is_pristine(nb) -> bool:
    """True when ``nb`` is a student version exactly as :func:`student_version` wrote it
    (nobody has typed in it or run it since)."""
    recorded = nb.metadata.get("course_lib", {}).get("fingerprint")
    return recorded is not None and recorded == fingerprint(nb)


def find_assignments(course_dir) -> dict:
    """``{name: source notebook path}`` for every ``<course_dir>/source/<name>/<name>.ipynb``."""
    source_dir = Path(course_dir) / "source"
    if not source_dir.is_dir():
        raise ValueError(
            f"course_dir must contain a source/ folder with source/<name>/<name>.ipynb, "
            f"but {source_dir} does not exist (run from the repository root or pass --course-dir)"
        )
    found = {}
    for folder in sorted(p for p in source_dir.iterdir() if p.is_dir()):
        notebook = folder / f"{folder.name}.ipynb"
        if notebook.is_file():
            found[folder.name] = notebook
    return found


def _pristine_text(text):
    try:
        return is_pristine(nbformat.reads(text, as_version=4))
    except Exception:  # not a readable notebook: certainly not what we wrote
        return False


def _select(course_dir, names):
    available = find_assignments(course_dir)
    if not names:
        return available
    unknown = [n for n in names if n not in available]
    if unknown:
        raise ValueError(f"assignment names must be among {sorted(available)}, got unknown {unknown}")
    return {n: available[n] for n in names}


@dataclass(frozen=True)
class ReleaseResult:
    """What :func:`release` did (or, with check=True, would do) for one assignment.

    ``action``: 'unchanged', 'created', 'updated' (a pristine file rewritten),
    'overwritten' (an edited file replaced because force=True), 'refused' (an
    edited file left alone), 'error' (nothing written; ``detail`` says why), or,
    with check=True, 'missing' / 'stale'.
    """

    name: str
    path: Path
    action: str
    detail: str = ""

    def __str__(self):
        return f"{self.action:>11}  {self.path}" + (f"  ({self.detail})" if self.detail else "")


def release(course_dir="assignments", names=None, *, force=False, check=False):
    """Write the student version of each assignment to ``<course_dir>/release/<name>/<name>.ipynb``.

    Inputs:
      course_dir: the folder holding source/ (and release/).
      names:      assignment names to release (default: all under source/).
      force:      overwrite a student version even if someone edited it.
      check:      write nothing; report 'missing' or 'stale' for files that are not
                  exactly what would be written (what the repository's test uses).
    Returns: a list of :class:`ReleaseResult`, one per assignment.
    """
    course_dir = Path(course_dir)
    results = []
    for name, source_path in _select(course_dir, names).items():
        target = course_dir / "release" / name / f"{name}.ipynb"
        try:
            action, detail = _release_one(source_path, target, force=force, check=check)
        except (OSError, ValueError) as error:  # this assignment only: the others still go
            action, detail = "error", f"{type(error).__name__}: {error}"
        results.append(ReleaseResult(name, target, action, detail))
    return results


def _read_target(target):
    """(text or None, detail): the student version now at ``target``; text None if there is none.
    ValueError if something other than a regular file is there."""
    if not target.exists() and not target.is_symlink():
        return None, ""
    if target.is_symlink():
        raise ValueError(f"{target} is a symbolic link; release writes regular files only: remove the link")
    if target.is_dir():
        raise ValueError(f"{target} is a directory, not a notebook: move it away, then release again")
    if not target.is_file():
        raise ValueError(f"{target} is a special file (FIFO, socket or device), not a notebook: remove it")
    data = target.read_bytes()
    try:
        return data.decode("utf-8"), ""
    except UnicodeDecodeError as error:
        return False, f"{target} is not UTF-8 text ({error.reason} at byte {error.start}), so not a file release wrote"


def _release_one(source_path, target, *, force, check):
    try:
        source_text = Path(source_path).read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(f"the source {source_path} is not UTF-8 text ({error.reason} at byte {error.start})") from None
    try:
        source = nbformat.reads(source_text, as_version=4)
    except Exception as error:
        raise ValueError(f"the source {source_path} is not a readable notebook: {type(error).__name__}: {error}") from None
    text = nbformat.writes(student_version(source, str(source_path)))
    old, detail = _read_target(target)
    if old == text:
        action = "unchanged"
    elif check:
        action = "missing" if old is None else "stale"
    elif old is None:
        action = "created"
    elif old is not False and _pristine_text(old):
        action = "updated"
    elif force:
        action = "overwritten"
    else:
        action = "refused"
    if action in ("created", "updated", "overwritten"):
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        try:
            temporary.write_text(text, encoding="utf-8")
            os.replace(temporary, target)
        finally:
            if temporary.exists():
                temporary.unlink()
    return action, detail if action in ("refused", "stale", "overwritten") else ""
