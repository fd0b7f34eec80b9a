"""Grade submitted assignment notebooks automatically, without nbgrader; release student versions.

Command line, from the repository root (``--help`` on each for every option)::

    python -m course_lib.classroom release [NAME ...] [--force] [--check]
    python -m course_lib.classroom grade NAME SUBMISSION ... --output grades.csv [--graded-dir DIR]
        [--feedback-dir DIR] [--jobs N] [--timeout 60] [--sandbox auto|bwrap|none] [--kernel-uid UID]
        [--memory MiB] [--cpu-time S] [--processes N] [--file-size MiB] [--expose DIR]

``release`` writes the student versions (see :mod:`.assignments`). ``grade`` grades
submissions of assignment NAME against the instructor's source
``assignments/source/NAME/NAME.ipynb``. A SUBMISSION is a notebook file (the
student is its file name, e.g. ``alice.ipynb``, or, for ``.../alice/NAME/NAME.ipynb``,
the folder above ``NAME``: nbgrader's layout) or a folder laid out like nbgrader's
``submitted/``: ``DIR/<student>/NAME/NAME.ipynb``.

How one submission is graded
----------------------------
1. *Restore the instructor's cells.* Cells are matched by ``grade_id``
   (``metadata.nbgrader``). Test and read-only cells are replaced by the
   instructor's source (with its hidden tests), whatever the student did to them
   (what they did is reported: :func:`submission_edits`); a deleted one is put back
   after the cell that precedes it in the source; solution cells keep the student's
   code (a deleted one becomes the stub). Cells the student added stay where they
   are, without nbgrader metadata (a copied cell cannot pose as a test).
2. *Run it* in a fresh kernel in its own sandbox (:mod:`.sandbox`: a private view
   of the files holding only the submission's folder, an unprivileged uid, resource
   limits), each cell limited to ``timeout`` seconds; errors do not stop the run. A
   cell that times out, or a kernel that dies, ends the run: the cells after it
   count as not run. Before the first cell the grader puts its guard into the
   kernel (:mod:`.kernel_guard`); around each instructor cell it asks the guard to
   restore what student cells subverted, and to report whether the cell ran to its
   last line and whether anything changed while it ran (signed answers).
3. *Score it.* A test cell earns its ``points`` (from the instructor's source,
   never from the submission) when it ran without an error and the guard vouched
   for it, else 0. Every sign of tampering goes to ``Grade.tampering``.

``--jobs N`` grades N submissions at once, each in a worker process with its own
kernel and sandbox (and, when the grader is root, its own uid: :func:`~.sandbox.lease_uid`).

Nothing is ever written next to a submission or over an existing file (unless
``--force``): the score table goes to ``--output``; with ``--graded-dir``, the
executed notebooks (with the tracebacks, and the hidden tests) go to
``DIR/<student>/NAME/NAME.ipynb``; with ``--feedback-dir``, each student's HTML
feedback (:mod:`.feedback`: no test source) to ``DIR/<student>/NAME/NAME.html``.

The score table (CSV) has one row per student: ``student, assignment, score,
max_score``, one column per test cell (its ``grade_id``; points earned),
``problems`` (which test failed, with the exception's name), ``tampering`` and
``sandbox`` (see :func:`write_scores`).
"""
from __future__ import annotations

import argparse
import ast
import contextlib
import copy
import csv
import hashlib
import hmac
import json
import queue
import re
import secrets
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbclient.util import ensure_async, run_sync

from .assignments import cell_role, find_assignments, grade_id, release, student_version
from .sandbox import (DEFAULT_KERNEL_UID, Limits, Sandbox, SandboxPolicy, choose_mode, imported_packages, lease_uid,
                      readonly_paths)

__all__ = [
    "DEFAULT_TIMEOUT",
    "CellScore",
    "Grade",
    "restore_instructor_cells",
    "Run",
    "bound_names",
    "run_notebook",
    "grade_notebook",
    "collect_submissions",
    "grade_assignment",
    "submission_edits",
    "write_scores",
    "TRAILING_COLUMNS",
    "main",
]

#: Seconds each cell may run before the grader gives up on the notebook.
DEFAULT_TIMEOUT = 60


@dataclass(frozen=True)
class CellScore:
    """One test cell's outcome: ``status`` is 'passed', the exception's name, 'timeout', 'kernel died',
    'not run', or 'tampered' (it ran without an error but the guard could not vouch for it);
    ``message`` the exception's message, or why the guard could not vouch."""

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
    tampering: list = field(default_factory=list)
    sandbox: str = ""

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


def submission_edits(source, submission):
    """What the student did to the instructor's cells (each one is restored anyway): a sentence per
    test or read-only cell edited (its source is neither the student version's nor the instructor's),
    deleted or copied, and per cell whose nbgrader metadata changed."""
    released = {grade_id(c): c for c in student_version(source).cells if cell_role(c) != "plain"}
    instructor = {grade_id(c): c for c in source.cells if cell_role(c) != "plain"}
    seen, edits = {}, []
    for cell in submission.cells:
        meta = cell.get("metadata", {}).get("nbgrader")
        if meta is None:
            continue
        gid = meta.get("grade_id") if isinstance(meta, dict) else None
        if gid not in released:
            edits.append(f"a cell with grade_id {gid!r}, not in the assignment (ignored)")
            continue
        seen[gid] = seen.get(gid, 0) + 1
        original = released[gid]
        if seen[gid] > 1:
            edits.append(f"{gid}: copied (the copy is ignored)")
            continue
        if meta != original.metadata.get("nbgrader"):
            edits.append(f"{gid}: its nbgrader metadata was edited (restored)")
        as_written = {(original.cell_type, original.source), (original.cell_type, instructor[gid].source)}
        if cell_role(original) != "solution" and (cell.cell_type, cell.source) not in as_written:
            edits.append(f"{gid}: the submission edited this {cell_role(original)} cell (restored)")
    for gid, original in released.items():
        if gid not in seen and cell_role(original) != "solution":
            edits.append(f"{gid}: deleted from the submission (restored)")
    return edits


def bound_names(code):
    """Names a cell binds at its top level (assignments, imports, def, class, for, with), by ast; [] if it does not parse."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    names = []

    def add(target):
        for node in ast.walk(target):
            if isinstance(node, ast.Name):
                names.append(node.id)

    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names += [(a.asname or a.name).split(".")[0] for a in node.names if a.name != "*"]
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                add(target)
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            add(node.target)
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            add(node.target)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                if item.optional_vars is not None:
                    add(item.optional_vars)
    return sorted(set(names))


@dataclass
class Run:
    """What happened when a notebook ran (see :func:`run_notebook`).

    ``status``: {cell index: 'ok', the exception's name, 'timeout' or 'kernel died'}
    (cells missing did not run); ``note``: why the run stopped early, if it did;
    ``checks``: {instructor cell index: its guard report, see :func:`run_notebook`};
    ``tampering``: signs of tampering, one sentence each.
    """

    status: dict = field(default_factory=dict)
    note: str = ""
    checks: dict = field(default_factory=dict)
    tampering: list = field(default_factory=list)


_GUARD_SOURCE = Path(__file__).with_name("kernel_guard.py")


def _verify(answer, kind, nonce, secret):
    """The guard's answer as a dict, or None if it is missing, malformed or not signed with ``secret``."""
    if not answer or answer.get("status") != "ok":
        return None
    try:
        text = ast.literal_eval(answer["data"]["text/plain"])
        got_kind, got_nonce, tag, content = text.split(":", 3)
    except (KeyError, ValueError, SyntaxError, TypeError, AttributeError):
        return None
    expected = hmac.new(secret.encode(), f"{kind}:{nonce}:{content}".encode(), hashlib.sha256).hexdigest()
    if got_kind != kind or got_nonce != nonce or not hmac.compare_digest(tag, expected):
        return None
    try:
        return json.loads(content)
    except ValueError:
        return None


async def _silent(client, expression, timeout):
    """Evaluate one expression in the kernel (a silent request, no transformers); its user_expressions entry.

    Raises CellTimeoutError after ``timeout`` seconds, DeadKernelError if the kernel dies."""
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    msg_id = await ensure_async(client.kc.execute("", silent=True, store_history=False,
                                                  user_expressions={"g": expression}))
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise CellTimeoutError(f"the grader's check did not answer within {timeout:g} s")
        try:
            msg = await ensure_async(client.kc.get_shell_msg(timeout=min(1.0, remaining)))
        except queue.Empty:
            if not await ensure_async(client.km.is_alive()):
                raise DeadKernelError("Kernel died") from None
            continue
        if msg["parent_header"].get("msg_id") == msg_id:
            return msg["content"].get("user_expressions", {}).get("g")


async def _run_async(nb, protected, *, timeout, kernel_name, sandbox, modules):
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    run = Run()
    secret, name = secrets.token_hex(32), "_grader_" + secrets.token_hex(8)

    def on_executed(cell, cell_index, execute_reply, **_):
        content = execute_reply.get("content", {}) if execute_reply else {}
        run.status[cell_index] = "ok" if content.get("status") == "ok" else content.get("ename") or "error"

    km = sandbox.kernel_manager(kernel_name)
    client = NotebookClient(nb, km=km, timeout=timeout, allow_errors=True, kernel_name=kernel_name,
                            resources={"metadata": {"path": str(sandbox.workdir)}}, on_cell_executed=on_executed)
    index = None
    try:
        async with client.async_setup_kernel(**sandbox.start_arguments()):
            reply = await client.async_wait_for_reply(await ensure_async(client.kc.kernel_info()))
            if reply and "language_info" in reply["content"]:
                nb.metadata["language_info"] = reply["content"]["language_info"]
            install = (f"(lambda ns: (exec(compile({_GUARD_SOURCE.read_text(encoding='utf-8')!r}, "
                       f"'<grader>', 'exec'), ns), ns['install'](get_ipython(), {secret!r}, {name!r}, {list(modules)!r}))[1])"
                       "({'__name__': '_grader'})")
            answer = await _silent(client, install, max(timeout, 120))
            if not answer or answer.get("status") != "ok":
                raise RuntimeError(f"the grader could not set up its checks in the kernel: {answer}")
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code" or not cell.source.strip():
                    continue
                role = protected.get(index)
                if role is None:
                    await client.async_execute_cell(cell, index, execution_count=client.code_cells_executed + 1)
                    continue
                nonce = secrets.token_hex(16)
                check = run.checks[index] = {"before": None, "after": None}
                check["before"] = _verify(await _silent(client, f"{name}.before({nonce!r})", timeout),
                                          "before", nonce, secret)
                original = cell.source
                cell.source = f"{original}\n{name}.mark({nonce!r})"
                try:
                    await client.async_execute_cell(cell, index, execution_count=client.code_cells_executed + 1)
                finally:
                    cell.source = original
                names = role["names"]
                check["after"] = _verify(await _silent(client, f"{name}.after({nonce!r}, {names!r})", timeout),
                                         "after", nonce, secret)
    except CellTimeoutError:
        run.status[index] = "timeout"
        run.note = f"cell {index} ran longer than {timeout:g} s; the cells after it did not run"
    except DeadKernelError:
        run.status[index] = "kernel died"
        run.note = (f"the kernel died in cell {index} (it exited, was killed, or reached a resource limit); "
                    "the cells after it did not run")
    return run


def run_notebook(nb, *, timeout=DEFAULT_TIMEOUT, kernel_name=None, sandbox=None, protected=None, modules=()):
    """Execute ``nb`` in place in a fresh kernel inside ``sandbox`` (a :class:`~.sandbox.Sandbox`).

    Every cell runs even if earlier ones fail; a cell running longer than ``timeout``
    seconds, or a dead kernel, stops the run. ``protected``: {cell index: {"names":
    [...]}} for the instructor's cells: each is preceded by the guard's restore and
    followed by its report (:mod:`~.kernel_guard`); ``names`` are the names the cell
    binds that later tests rely on. ``modules``: imported in the kernel before any
    student cell, and protected.
    Returns: a :class:`Run`; ``run.checks[i]`` = {"before": {"restored": [...]} or None,
    "after": {"marked": bool, "changed": [...]} or None} (None: no signed answer).
    """
    from .sandbox import Limits, Sandbox

    if not (isinstance(timeout, (int, float)) and not isinstance(timeout, bool) and timeout > 0):
        raise ValueError(f"timeout must be a number of seconds > 0, got {timeout!r}")
    kernel_name = kernel_name or nb.metadata.get("kernelspec", {}).get("name", "python3")
    own = sandbox is None
    if own:
        from .sandbox import readonly_paths

        sandbox = Sandbox(mode="none", limits=Limits(), readonly=readonly_paths(modules))
    try:
        return run_sync(_run_async)(nb, protected or {}, timeout=timeout, kernel_name=kernel_name, sandbox=sandbox,
                                    modules=modules)
    finally:
        if own:
            sandbox.cleanup()


_OS_ERRORS = {"FileNotFoundError", "PermissionError", "OSError", "IsADirectoryError", "NotADirectoryError",
              "FileExistsError"}


def _escape_attempts(cell, allowed):
    """Paths outside the kernel's folders named by an OSError in a student's cell (a sign of snooping)."""
    found = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error" and output.get("ename") in _OS_ERRORS:
            for path in re.findall(r"'(/[^']*)'", str(output.get("evalue", ""))):
                if not any(path == a or path.startswith(a.rstrip("/") + "/") for a in allowed):
                    found.append(f"{output['ename']} on {path}")
    return found


def _error_message(cell):
    message = ""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            message = " ".join(str(output.get("evalue", "")).split())[:160]
    return message


def grade_notebook(source, submission, *, student="", assignment="", timeout=DEFAULT_TIMEOUT, kernel_name=None,
                   sandbox=None):
    """Grade one submission against the instructor's source (nbformat nodes, unchanged).

    A test cell earns its points when it ran without an error, the guard vouched for
    it before and after (signed answers), it reached its last line, and nothing the
    guard watches changed while it ran. Every other sign of tampering is listed in
    ``Grade.tampering``. Without ``sandbox`` (a :class:`~.sandbox.Sandbox`), the kernel runs
    unsandboxed, as the grader's user, in a temporary folder: :func:`grade_assignment`
    always makes one. Returns: (Grade, executed notebook).
    """
    nb = restore_instructor_cells(source, submission)
    protected, modules = {}, imported_packages(c.source for c in source.cells if cell_role(c) != "solution"
                                               and c.cell_type == "code")
    for index, cell in enumerate(nb.cells):
        if "nbgrader" in cell.metadata and cell_role(cell) in ("tests", "readonly") and cell.cell_type == "code":
            protected[index] = {"names": bound_names(cell.source) if cell_role(cell) == "readonly" else []}
    run = run_notebook(nb, timeout=timeout, kernel_name=kernel_name, sandbox=sandbox, protected=protected,
                       modules=modules)
    grade = Grade(student=student, assignment=assignment, note=run.note,
                  sandbox=getattr(sandbox, "description", "none"))
    tampering = grade.tampering
    tampering += submission_edits(source, submission)
    # In the sandbox an absolute path that fails is not the kernel's (its /tmp is private and empty).
    allowed = [str(sandbox.workdir)] if sandbox is not None else []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        state = run.status.get(index, "not run")
        is_instructor = index in protected
        label = grade_id(cell) if is_instructor else f"cell {index}"
        if state in ("timeout", "kernel died", "MemoryError", "BlockingIOError", "SystemExit", "KeyboardInterrupt"):
            tampering.append(f"{label}: {state}")
        if not is_instructor:
            tampering += [f"{label}: {attempt}" for attempt in _escape_attempts(cell, allowed)]
            continue
        check = run.checks.get(index, {})
        before, after = check.get("before"), check.get("after")
        problem = ""
        if state == "not run" or index not in run.checks:
            pass
        elif before is None:
            problem = "the grader's check before it did not answer (the kernel was subverted)"
        elif after is None:
            problem = "the grader's check after it did not answer (the kernel was subverted)"
        elif state == "ok" and not after["marked"]:
            problem = "it did not reach its last line (rewritten, truncated or skipped)"
        elif after["changed"]:
            problem = "changed while it ran: " + ", ".join(after["changed"][:8])
        if before and before["restored"]:
            tampering.append(f"{label}: restored before it: " + ", ".join(before["restored"][:8])
                             + (f" and {len(before['restored']) - 8} more" if len(before["restored"]) > 8 else ""))
        if problem:
            tampering.append(f"{label}: {problem}")
        if cell_role(cell) != "tests":
            continue
        max_points = float(cell.metadata["nbgrader"]["points"])
        passed = state == "ok" and not problem
        status = "passed" if passed else ("tampered" if state == "ok" else state)
        grade.tests.append(CellScore(grade_id(cell), max_points if passed else 0.0, max_points, status,
                                     _error_message(cell) if state != "ok" else problem))
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


def _check_positive(name, value, integer=False):
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or not value > 0:
        raise ValueError(f"{name} must be {'an integer' if integer else 'a number'} > 0, got {value!r}")


def _unreadable(source, student, name, note, sandbox):
    grade = Grade(student, name, note=note, sandbox=sandbox)
    grade.tests = [CellScore(grade_id(c), 0.0, float(c.metadata["nbgrader"]["points"]), "not run")
                   for c in source.cells if cell_role(c) == "tests"]
    return grade


def _grade_job(job):
    """Grade one submission in a sandbox of its own (run in a worker process with --jobs > 1).
    Returns (Grade, executed notebook as text or None)."""
    source = nbformat.reads(job["source"], as_version=4)
    student, name, path = job["student"], job["name"], Path(job["path"])
    try:
        text = path.read_text(encoding="utf-8")
        submission = nbformat.reads(text, as_version=4)
    except Exception as error:  # not a notebook: every test 'not run', with the reason
        return _unreadable(source, student, name, f"could not read {path}: {type(error).__name__}",
                           job["description"]), None
    with contextlib.ExitStack() as stack:
        uid = None if job["uid"] is None else stack.enter_context(lease_uid(job["uid"]))
        return _grade_in_sandbox(job, source, submission, uid)


def _grade_in_sandbox(job, source, submission, uid):
    student, name = job["student"], job["name"]
    with Sandbox(mode=job["mode"], limits=job["limits"], readonly=job["readonly"], uid=uid,
                 notebook_name=f"{name}.ipynb", text=nbformat.writes(submission)) as box:
        box.description = job["description"] + (f", uid {uid}" if uid is not None else "")
        try:
            grade, executed = grade_notebook(source, submission, student=student, assignment=name,
                                             timeout=job["timeout"], kernel_name=job["kernel_name"], sandbox=box)
        except Exception as error:  # the kernel did not start, or died while the grader set up its checks
            tail = box.log_tail()
            grade = _unreadable(source, student, name, f"grading failed: {type(error).__name__}: {error}"
                                + (f" (kernel: {tail})" if tail else ""), box.description)
            grade.tampering.append(f"the kernel failed before the tests: {type(error).__name__}")
            return grade, None
    return grade, nbformat.writes(executed)


def grade_assignment(name, submissions, *, course_dir="assignments", graded_dir=None, feedback_dir=None,
                     timeout=DEFAULT_TIMEOUT, force=False, kernel_name=None, log=None, jobs=1, policy=None):
    """Grade every submission of assignment ``name``; return the list of :class:`Grade` (by student).

    ``submissions`` is a list of notebook files or nbgrader ``submitted/`` folders, or
    a dict ``{student: path}``. Each submission runs in its own sandbox (``policy``, a
    :class:`~.sandbox.SandboxPolicy`; default: bubblewrap if it works here, else a loud
    warning), ``jobs`` at a time, each in a worker process with its own kernel. With
    ``graded_dir``, each executed notebook is written to
    ``graded_dir/<student>/<name>/<name>.ipynb``; with ``feedback_dir``, the student's
    feedback to ``feedback_dir/<student>/<name>/<name>.html`` (never over a file,
    unless force, and never over a submission). ``log`` (e.g. print) gets one line per
    graded submission as they finish, and the sandbox warning if there is one.
    """
    from concurrent.futures import ProcessPoolExecutor, as_completed
    import multiprocessing

    from .feedback import write_feedback

    _check_positive("timeout", timeout)
    _check_positive("jobs", jobs, integer=True)
    policy = policy or SandboxPolicy()
    sources = find_assignments(course_dir)
    if name not in sources:
        raise ValueError(f"name must be an assignment under {Path(course_dir) / 'source'}: {sorted(sources)}, got {name!r}")
    source = nbformat.read(sources[name], as_version=4)
    student_version(source, str(sources[name]))  # validates the source
    found = submissions if isinstance(submissions, dict) else collect_submissions(name, submissions)
    inputs = {Path(p).resolve() for p in found.values()}
    targets = {}
    for kind, folder, suffix in (("graded", graded_dir, "ipynb"), ("feedback", feedback_dir, "html")):
        if folder is None:
            continue
        for student in found:
            target = Path(folder) / student / name / f"{name}.{suffix}"
            if target.resolve() in inputs:
                raise ValueError(f"{kind}_dir would overwrite the submission {target}")
            _refuse_existing(target, force)
            targets[kind, student] = target
    modules = imported_packages(c.source for c in source.cells if c.cell_type == "code" and cell_role(c) != "solution")
    secrets_ = [Path(course_dir), *(Path(p).parent for p in found.values()),
                *(Path(d) for d in (graded_dir, feedback_dir) if d is not None)]
    readonly = readonly_paths(modules, policy.expose, secrets_)
    mode, uid, warning = choose_mode(policy, readonly)
    description = "bwrap" if mode == "bwrap" else "NONE"
    if warning:
        print(f"WARNING: {warning}. See README, 'What the grader guarantees'.", file=sys.stderr)
    jobs_list = [dict(student=student, path=str(path), source=nbformat.writes(source), name=name, timeout=timeout,
                      kernel_name=kernel_name, mode=mode, uid=uid, limits=policy.limits, readonly=readonly,
                      description=description)
                 for student, path in sorted(found.items())]
    grades, total = [], len(jobs_list)

    def finish(grade, executed):
        if executed is not None and ("graded", grade.student) in targets:
            target = targets["graded", grade.student]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(executed, encoding="utf-8")
        if ("feedback", grade.student) in targets:
            write_feedback(grade, targets["feedback", grade.student])
        grades.append(grade)
        if log:
            flags = f"  [tampering: {len(grade.tampering)}]" if grade.tampering else ""
            log(f"[{len(grades)}/{total}] {grade.student}: {grade.score:g} / {grade.max_score:g}"
                + (f"  ({grade.problems})" if grade.problems else "") + flags)

    if jobs == 1 or total <= 1:
        for job in jobs_list:
            finish(*_grade_job(job))
    else:
        with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
            for future in as_completed([pool.submit(_grade_job, job) for job in jobs_list]):
                finish(*future.result())
    return sorted(grades, key=lambda g: g.student)


#: The score table's columns after the tests'. ``tampering`` and ``sandbox`` were added after
#: ``problems`` (readers that look columns up by name, e.g. csv.DictReader, are unaffected).
TRAILING_COLUMNS = ("problems", "tampering", "sandbox")


def write_scores(grades, path, *, force=False):
    """Write the score table (CSV, one row per student) to a new file ``path``.

    Columns: ``student, assignment, score, max_score``, one per test (its grade_id:
    points earned), ``problems`` (each failed test with its exception or message),
    ``tampering`` (every sign of tampering, '; '-separated: empty for an honest run)
    and ``sandbox`` (how the kernel was isolated: 'bwrap, uid N', or 'NONE')."""
    path = Path(path)
    _refuse_existing(path, force)
    ids = []
    for grade in grades:
        ids += [t.grade_id for t in grade.tests if t.grade_id not in ids]
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["student", "assignment", "score", "max_score", *ids, *TRAILING_COLUMNS])
        for g in grades:
            points = {t.grade_id: t.points for t in g.tests}
            writer.writerow([g.student, g.assignment, f"{g.score:g}", f"{g.max_score:g}",
                             *(f"{points[i]:g}" if i in points else "" for i in ids), g.problems,
                             "; ".join(g.tampering), g.sandbox])


def _megabytes(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of MiB >= 1, got {text}")
    return value * 2**20


def _positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {text}")
    return value


def main(argv=None):
    defaults = Limits()
    parser = argparse.ArgumentParser(prog="python -m course_lib.classroom", description=__doc__.split("\n")[0])
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
    grd.add_argument("--feedback-dir", help="write each student's HTML feedback here, as <student>/<name>/<name>.html")
    grd.add_argument("--jobs", type=_positive_int, default=1, help="submissions graded at once, one kernel each (default 1)")
    grd.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                     help=f"seconds each cell may run (default {DEFAULT_TIMEOUT})")
    grd.add_argument("--sandbox", choices=("auto", "bwrap", "none"), default="auto",
                     help="bwrap: require bubblewrap; auto (default): bubblewrap if it works, else warn loudly; "
                          "none: no private view of the files")
    grd.add_argument("--kernel-uid", type=_positive_int, default=DEFAULT_KERNEL_UID,
                     help=f"when run as root, each kernel runs as the first free uid from this one up (default {DEFAULT_KERNEL_UID})")
    grd.add_argument("--memory", type=_megabytes, default=defaults.memory,
                     help=f"MiB of address space per kernel (default {defaults.memory // 2**20})")
    grd.add_argument("--cpu-time", type=_positive_int, default=defaults.cpu,
                     help=f"CPU seconds per kernel (default {defaults.cpu})")
    grd.add_argument("--processes", type=_positive_int, default=defaults.processes,
                     help=f"processes and threads per kernel (default {defaults.processes})")
    grd.add_argument("--file-size", type=_megabytes, default=defaults.file_size,
                     help=f"MiB, the largest file a kernel may write (default {defaults.file_size // 2**20})")
    grd.add_argument("--expose", action="append", default=[],
                     help="a folder the kernels may read (read-only), e.g. a data set; repeatable")
    grd.add_argument("--course-dir", default="assignments", help="folder holding source/ (default: assignments)")
    grd.add_argument("--force", action="store_true", help="overwrite existing output files")
    args = parser.parse_args(argv)
    try:
        if args.command == "release":
            results = release(args.course_dir, args.names, force=args.force, check=args.check)
            for result in results:
                print(result)
            bad = [r for r in results if r.action in ("refused", "missing", "stale", "error")]
            if any(r.action == "refused" for r in bad):
                print("refused: those student versions were edited since they were written; "
                      "pass --force to overwrite them", file=sys.stderr)
            for r in bad:
                if r.action == "error":
                    print(f"error: {r.name}: {r.detail}", file=sys.stderr)
            return 1 if bad else 0
        _refuse_existing(Path(args.output), args.force)  # before the slow part
        policy = SandboxPolicy(mode=args.sandbox, kernel_uid=args.kernel_uid, expose=tuple(args.expose),
                               limits=Limits(memory=args.memory, cpu=args.cpu_time, processes=args.processes,
                                             file_size=args.file_size))
        started = time.monotonic()
        grades = grade_assignment(args.name, args.submissions, course_dir=args.course_dir, graded_dir=args.graded_dir,
                                  feedback_dir=args.feedback_dir, timeout=args.timeout, force=args.force,
                                  log=lambda line: print(line, flush=True), jobs=args.jobs, policy=policy)
        write_scores(grades, args.output, force=args.force)
        flagged = sum(1 for g in grades if g.tampering)
        print(f"wrote {args.output} ({len(grades)} submission{'s' if len(grades) != 1 else ''} in "
              f"{time.monotonic() - started:.0f} s; {flagged} with signs of tampering)")
        return 0
    except (ValueError, FileExistsError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
