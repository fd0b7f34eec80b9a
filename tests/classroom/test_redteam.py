"""Red team: submissions that cheat, graded through the command line, all in one run (--jobs 2).

Every cheating submission starts from the student version (the stubs, or answers that
are wrong) and adds a cheat that, without the grader's defences, would earn points
(a comment on each says how). Each must score 0 on the tests it targets, appear in the
``tampering`` column with the specific thing it did, and leave every file outside its
folder as it was. An honest submission graded in the same run keeps full marks and no
flag; the other honest/blank/solution checks, and nbgrader's agreement on the student
versions, are in tests/test_assignments.py.

The isolation cheats need bubblewrap (.ci/run installs it); without it they skip and say so.
"""
import csv
import hashlib
import shutil
import sys
import textwrap
import uuid
from pathlib import Path

import nbformat
import pytest


pytest.importorskip("nbclient", reason="the grader needs nbclient: the grade extra, pip install -e '.[grade]'")

sys.path.insert(0, str(Path(__file__).parent))
from redteam_course import NAME, POINTS, write_course  # noqa: E402

from course_lib.classroom.assignments import grade_id, student_version  # noqa: E402
from course_lib.classroom.grading import main  # noqa: E402
from course_lib.classroom.sandbox import SandboxPolicy, choose_mode, readonly_paths  # noqa: E402

HAS_BWRAP = shutil.which("bwrap") is not None
TESTS = list(POINTS)


def _cells(nb):
    return {grade_id(c): c for c in nb.cells if grade_id(c)}


def _with(nb, after_gid, *sources):
    """Insert the student's own code cells after the cell ``after_gid``."""
    at = 1 + next(i for i, c in enumerate(nb.cells) if grade_id(c) == after_gid)
    for offset, source in enumerate(sources):
        nb.cells.insert(at + offset, nbformat.v4.new_code_cell(textwrap.dedent(source).strip()))
    return nb


def _answers(nb, double=None, roots=None):
    cells = _cells(nb)
    if double is not None:
        cells["double"].source = textwrap.dedent(double).strip()
    if roots is not None:
        cells["roots"].source = textwrap.dedent(roots).strip()
    return nb


WRONG_DOUBLE = "def double(x):\n    return x"
WRONG_ROOTS = "def roots(n):\n    return np.zeros(3)"
RIGHT_DOUBLE = "def double(x):\n    return 2 * x"
RIGHT_ROOTS = "def roots(n):\n    return np.cos(2 * math.pi * np.arange(n) / n)"


def _submissions(source_nb, paths):
    """{student: notebook}: the cheats (see each comment), and one honest submission."""
    blank = lambda: student_version(source_nb)  # noqa: E731
    subs = {}
    # IPython hooks: each one alone turns tests into no-ops or swallows their errors.
    subs["hooks"] = _answers(_with(blank(), "double", """
        import ast, sys
        ip = get_ipython()
        ip.input_transformers_cleanup.append(lambda lines: ['pass\\n'])          # every later cell: pass

        class NoAsserts(ast.NodeTransformer):
            def visit_Assert(self, node):
                return ast.Pass()
        ip.ast_transformers.append(NoAsserts())                                  # asserts vanish

        def jump(frame, event, arg):                                             # skip every assert line
            def line(frame, event, arg):
                if event == "line" and frame.f_code.co_filename.startswith(("/tmp/ipykernel", "<ipython")):
                    try:
                        frame.f_lineno = frame.f_lineno + 1
                    except ValueError:
                        pass
                return line
            return line
        sys.settrace(jump)

        from IPython.core.interactiveshell import InteractiveShell
        async def run_code(self, code_obj, result=None, *, async_=False):       # errors swallowed
            try:
                exec(code_obj, self.user_global_ns, self.user_ns)
            except BaseException:
                pass
            return False
        InteractiveShell.run_code = run_code
        ip.set_custom_exc((Exception,), lambda *a, **k: None)
        sys.excepthook = lambda *a: None
        ip.events.register("pre_run_cell", lambda *a: None)
        """), roots="def roots(n):\n    raise SystemExit(0)  # sys.exit inside a test")
    # Helpers, library functions and builtins the tests rely on, patched so that wrong answers pass.
    subs["library"] = _answers(_with(blank(), "roots", """
        import builtins
        def check_close(actual, expected):          # the read-only helper, redefined
            pass
        np.allclose = lambda *a, **k: True           # numpy, replaced
        target = getattr(np.isclose, "_implementation", np.isclose)    # the Python code behind numpy's dispatcher
        target.__code__ = (lambda a, b, rtol=1e-05, atol=1e-08, equal_nan=False: True).__code__
        len = lambda x: 4                            # a builtin, shadowed
        builtins.abs = lambda x: 0                   # a builtin, replaced
        math.pi = 3.0
        """), double=WRONG_DOUBLE, roots=WRONG_ROOTS)
    # Patches made while a test runs (a thread, or the student's function called by the test).
    subs["during"] = _answers(_with(blank(), "double", """
        import threading, time
        def keep_patching():
            while True:
                globals()["check_close"] = lambda actual, expected: None
                time.sleep(0.0005)
        threading.Thread(target=keep_patching, daemon=True).start()
        """), double=WRONG_DOUBLE, roots="def roots(n):\n    np.allclose = lambda *a, **k: True\n    return np.zeros(4)")
    # The guard itself, found and replaced by a forger (right answers: only forging loses them).
    subs["forger"] = _answers(_with(blank(), "double", """
        class Forged:
            def before(self, nonce):
                return f"before:{nonce}:{'0' * 64}:" + '{"restored": []}'
            def after(self, nonce, names):
                return f"after:{nonce}:{'0' * 64}:" + '{"changed": [], "marked": true}'
            def mark(self, nonce):
                pass
        for key in [k for k in globals() if k.startswith("_grader_")]:
            globals()[key] = Forged()
        """), double=RIGHT_DOUBLE, roots=RIGHT_ROOTS)
    # Test cells and their metadata edited, outputs forged, a test deleted, a test copied.
    edited = blank()
    cells = _cells(edited)
    cells["test_double"].source = "pass"
    cells["test_double"].metadata["nbgrader"]["points"] = 100
    cells["test_roots"].metadata["nbgrader"]["grade"] = False
    cells["test_roots"].outputs = [nbformat.v4.new_output("stream", text="All tests passed\n")]
    cells["test_roots"].execution_count = 3
    copy = nbformat.v4.new_code_cell("pass", metadata={"nbgrader": dict(cells["test_double"].metadata["nbgrader"])})
    edited.cells.remove(cells["test_hidden"])
    edited.cells.append(copy)
    subs["editor"] = edited
    # Sandbox escapes: every one would read or change a file outside the submission's folder.
    subs["escaper"] = _with(blank(), "double", f"""
        import json
        nb = json.load(open({str(paths["source"])!r}))                   # the source, with the hidden tests
        exec("\\n".join(c["source"] if isinstance(c["source"], str) else "".join(c["source"])
                       for c in nb["cells"] if "BEGIN SOLUTION" in str(c["source"])))
        """, """
        import os
        print(os.readlink(f"/proc/{os.getppid()}/cwd"))                    # the grader's folder
        """, f"""
        open({str(paths["source"])!r}, "w").write("{{}}")                   # rewrite the source
        """, f"""
        open({str(paths["honest"])!r}, "w").write("{{}}")                   # another student's submission
        """, f"""
        open({str(paths["outside"])!r}, "w").write("escaped")              # a file beside the course
        """, f"""
        open({str(paths["marker"])!r}, "w").write("escaped")               # the machine's /tmp
        """)
    subs["exiter"] = _answers(blank(), double="import os\ndef double(x):\n    os._exit(0)")
    subs["forkbomb"] = _with(blank(), "double", """
        import os, time
        while True:
            if os.fork() == 0:
                time.sleep(60)
                os._exit(0)
        """)
    subs["memoryhog"] = _with(blank(), "double", """
        hog = []
        while True:
            hog.append(bytes(2**27) + b"x")
        """)
    subs["honest"] = _answers(blank(), double=RIGHT_DOUBLE, roots=RIGHT_ROOTS)
    return subs


def _digest(root, skip=()):
    found = {}
    for path in sorted(Path(root).rglob("*")):
        if path.is_file() and not any(s in path.parents for s in skip):
            found[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


@pytest.fixture(scope="module")
def redteam(tmp_path_factory):
    if not HAS_BWRAP:
        pytest.skip("bubblewrap (bwrap) is not installed: .ci/run installs it (apt-get install bubblewrap)")
    try:  # installed but unusable here (a container without namespaces): say so instead of failing
        choose_mode(SandboxPolicy(mode="bwrap"), readonly_paths(["numpy"]))
    except ValueError as error:
        pytest.skip(str(error))
    root = tmp_path_factory.mktemp("redteam")
    course = root / "course"
    source_path = write_course(course)
    submitted = root / "submitted"
    paths = {"source": source_path, "honest": submitted / "honest" / NAME / f"{NAME}.ipynb",
             "outside": root / "outside.txt", "marker": Path("/tmp") / f"redteam-{uuid.uuid4().hex}.txt"}
    for student, nb in _submissions(nbformat.read(source_path, as_version=4), paths).items():
        path = submitted / student / NAME / f"{NAME}.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(nb, path)
    before = _digest(root)
    output = root / "out" / "grades.csv"
    code = main(["grade", NAME, str(submitted), "--course-dir", str(course), "--output", str(output),
                 "--graded-dir", str(root / "out" / "graded"), "--feedback-dir", str(root / "out" / "feedback"),
                 "--jobs", "2", "--timeout", "20", "--memory", "2048", "--sandbox", "bwrap"])
    assert code == 0
    with open(output, newline="") as f:
        rows = {row["student"]: row for row in csv.DictReader(f)}
    after = _digest(root, skip=[root / "out"])
    yield {"rows": rows, "before": before, "after": after, "paths": paths, "root": root}
    paths["marker"].unlink(missing_ok=True)


CHEATERS = ["hooks", "library", "during", "forger", "editor", "escaper", "exiter", "forkbomb", "memoryhog"]


def test_nothing_outside_the_submissions_folders_changed(redteam):
    assert redteam["after"] == redteam["before"], "a submission changed a file outside its folder"
    assert not redteam["paths"]["outside"].exists()
    assert not redteam["paths"]["marker"].exists(), "a kernel wrote into the machine's /tmp"


def test_honest_submission_keeps_full_marks_without_flags(redteam):
    row = redteam["rows"]["honest"]
    assert float(row["score"]) == sum(POINTS.values()), row["problems"]
    assert row["tampering"] == "", row["tampering"]
    assert row["sandbox"].startswith("bwrap")


@pytest.mark.parametrize("student", CHEATERS)
def test_every_cheat_scores_zero_and_is_flagged(redteam, student):
    row = redteam["rows"][student]
    assert all(float(row[t]) == 0 for t in TESTS), {t: row[t] for t in TESTS}
    assert float(row["score"]) == 0 and float(row["max_score"]) == sum(POINTS.values())
    assert row["tampering"], f"{student} was not flagged"


@pytest.mark.parametrize("student, signs", [
    ("hooks", ["input_transformer_manager.cleanup_transforms", "shell.ast_transformers", "sys.settrace",
               "InteractiveShell.run_code", "custom_exceptions", "sys.excepthook", "shell.events[pre_run_cell]",
               "test_roots: SystemExit"]),
    ("library", ["check_close (the instructor's)", "numpy.allclose", "isclose (its code)",
                 "len (shadows the builtin)", "builtins.abs", "math.pi"]),
    ("during", ["test_double: changed while it ran: check_close", "numpy.allclose"]),
    ("forger", ["test_double: the grader's check before it did not answer"]),
    ("editor", ["test_double: the submission edited this tests cell", "test_double: its nbgrader metadata was edited",
                "test_roots: its nbgrader metadata was edited", "test_hidden: deleted", "test_double: copied"]),
    ("escaper", ["FileNotFoundError on " + "{source}", "PermissionError on /proc/1/cwd", "{honest}", "{outside}"]),
    ("exiter", ["test_double: kernel died"]),
    ("forkbomb", ["BlockingIOError"]),
    ("memoryhog", ["MemoryError"]),
])
def test_the_flag_names_the_cheat(redteam, student, signs):
    flags = redteam["rows"][student]["tampering"]
    for sign in signs:
        sign = sign.format(**{k: str(v) for k, v in redteam["paths"].items()})
        assert sign in flags, f"{student}: {sign!r} not in {flags!r}"


def test_feedback_has_points_and_messages_but_no_hidden_tests(redteam):
    feedback = redteam["root"] / "out" / "feedback"
    honest = (feedback / "honest" / NAME / f"{NAME}.html").read_text()
    assert "4 / 4" in honest and "test_hidden" in honest
    library = (feedback / "library" / NAME / f"{NAME}.html").read_text()
    assert "0 / 2" in library and "is not close to" in library  # the helper's assertion message
    for path in feedback.rglob("*.html"):
        text = path.read_text()
        assert "BEGIN HIDDEN" not in text and "check_close(double(5.0)" not in text
