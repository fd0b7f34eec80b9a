"""The graded assignments: sources, student versions, release, grading, and nbgrader itself.

Each assignment asks four kinds of question, named by the grade_id of its test cells
(the convention the README's "For instructors" documents): ``test_predict_*`` (a number
committed before the experiment, graded against the theory), ``test_derive_*`` (a formula,
checked on hidden inputs), ``test_design_*`` (a choice graded by what it achieves) and
``test_debug_*`` (a planted bug to fix); ``test_check_*`` cells check anything else.

The notebooks run in real kernels only in two session fixtures (each assignment's
solution and blank student version once, plus one tampered submission), so the
whole file costs about ten kernel starts.
"""
import csv
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from course_lib.classroom.assignments import (
    CODE_STUB,
    TEXT_STUB,
    cell_role,
    find_assignments,
    grade_id,
    is_pristine,
    release,
    student_version,
    validate_source,
)
from course_lib.classroom.grading import collect_submissions, grade_assignment, main, restore_instructor_cells, write_scores

# No BLAS numerics decide these tests' outcome (`make test-kernels` skips them, see the Makefile),
# except test_solution_scores_full_marks_and_stub_scores_zero: the instructors' solutions train
# small networks in the design questions, whose hidden tests hold statistics measured on the
# Haswell, SkylakeX and Sandybridge kernels; the kernel matrix runs that one on every kernel.
blas_independent = pytest.mark.blas_independent

ROOT = Path(__file__).resolve().parents[1]
COURSE = ROOT / "assignments"
NAMES = ["a1_initializers", "a2_backprop", "a3_gradcheck", "a4_init_experiment", "a5_decay_and_plateau"]


def source_of(name):
    return nbformat.read(COURSE / "source" / name / f"{name}.ipynb", as_version=4)


def released_of(name):
    return nbformat.read(COURSE / "release" / name / f"{name}.ipynb", as_version=4)


def points_of(nb):
    return {grade_id(c): float(c.metadata["nbgrader"]["points"]) for c in nb.cells if cell_role(c) == "tests"}


# ------------------------------------------------------------------ a tiny notebook
def nbg(cell, gid, **flags):
    meta = {"grade": False, "locked": False, "schema_version": 3, "solution": False, "task": False}
    meta.update(grade_id=gid, **flags)
    cell.metadata["nbgrader"] = meta
    return cell


def tiny_source():
    code, md = nbformat.v4.new_code_cell, nbformat.v4.new_markdown_cell
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "language": "python",
                                                            "display_name": "Python 3"}})
    nb.cells = [
        md("# Tiny"),
        nbg(code("import math"), "setup", locked=True),
        nbg(code("def f(x):\n    '''Twice x.'''\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION"),
            "f", solution=True),
        nbg(code("assert f(1) == 2\n### BEGIN HIDDEN TESTS\nassert f(3) == 6\n### END HIDDEN TESTS\nprint('ok')"),
            "test_f", grade=True, locked=True, points=2),
        nbg(code("answer = 42"), "whole", solution=True),
        nbg(md("Why?\n\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION"), "why", solution=True),
        nbg(code("assert answer == 42"), "test_answer", grade=True, locked=True, points=1),
    ]
    nb.cells[2].outputs = [nbformat.v4.new_output("stream", text="left over\n")]
    nb.cells[2].execution_count = 3
    return nb


@blas_independent
def test_student_version_replaces_solutions_removes_hidden_tests_clears_outputs():
    src = tiny_source()
    before = nbformat.writes(src)
    student = student_version(src)
    assert nbformat.writes(src) == before, "student_version must not change its input"
    s = [c.source for c in student.cells]
    assert s[2] == "def f(x):\n    '''Twice x.'''\n    # YOUR CODE HERE\n    raise NotImplementedError()"
    assert s[3] == "assert f(1) == 2\nprint('ok')"
    assert s[4] == CODE_STUB  # a solution cell without markers is replaced whole
    assert s[5] == "Why?\n\n" + TEXT_STUB
    assert s[1] == "import math" and s[6] == "assert answer == 42"
    assert student.cells[2].outputs == [] and student.cells[2].execution_count is None
    # nbgrader's LockCells: tests and read-only cells neither editable nor deletable, solutions not deletable
    locks = [(c.metadata.get("editable", True), c.metadata.get("deletable", True)) for c in student.cells]
    assert locks == [(True, True), (False, False), (True, False), (False, False), (True, False), (True, False),
                     (False, False)]
    assert is_pristine(student)
    student.cells[2].source = "def f(x):\n    return x + x"
    assert not is_pristine(student)


@blas_independent
@pytest.mark.parametrize("edit, message", [
    (lambda nb: nbg(nb.cells[4], "f", solution=True), "used twice"),
    (lambda nb: setattr(nb.cells[2], "source", "### BEGIN SOLUTION\nx = 1"), "without a matching"),
    (lambda nb: setattr(nb.cells[1], "source", "### BEGIN SOLUTION\nx = 1\n### END SOLUTION"), "outside a solution"),
    (lambda nb: setattr(nb.cells[4], "source", "### BEGIN HIDDEN TESTS\n### END HIDDEN TESTS"), "outside a test"),
    (lambda nb: nb.cells[3].metadata["nbgrader"].pop("points"), "points must be a number"),
    (lambda nb: nb.cells[3].metadata["nbgrader"].update(locked=False), "must be locked"),
    (lambda nb: nb.cells[5].metadata["nbgrader"].update(grade=True, points=1), "formgrader"),
    (lambda nb: nb.cells[1].metadata["nbgrader"].update(grade_id="has space"), "grade_id must be"),
])
def test_validate_source_names_the_problem(edit, message):
    nb = tiny_source()
    edit(nb)
    with pytest.raises(ValueError, match=message):
        validate_source(nb)


@blas_independent
def test_restore_instructor_cells_by_grade_id():
    src = tiny_source()
    sub = student_version(src)
    sub.cells[2].source = "def f(x):\n    return x + x"                   # the answer: kept
    sub.cells[3].source = "pass"                                          # tampered test: restored, hidden tests back
    sub.cells[3].metadata["nbgrader"]["points"] = 100                     # tampered points: ignored
    del sub.cells[6]                                                      # deleted test: put back
    extra = nbformat.v4.new_code_cell("answer = 41  # my own cell")
    sub.cells.insert(3, extra)                                            # a student's own cell: kept in place
    copy_of_test = nbformat.v4.new_code_cell("pass")
    copy_of_test.metadata = {"nbgrader": dict(sub.cells[4].metadata["nbgrader"])}
    sub.cells.append(copy_of_test)                                        # a pasted copy posing as test_f
    sub.cells[5] = nbformat.v4.new_markdown_cell("I turned the answer cell into markdown",
                                                 metadata=sub.cells[5].metadata)
    merged = restore_instructor_cells(src, sub)
    got = [(grade_id(c) if "nbgrader" in c.metadata else None, c.source) for c in merged.cells]
    assert got == [
        (None, "# Tiny"),
        ("setup", "import math"),
        ("f", "def f(x):\n    return x + x"),
        (None, "answer = 41  # my own cell"),
        ("test_f", src.cells[3].source),
        ("whole", CODE_STUB),                           # a code answer turned into markdown counts as the stub
        ("why", "Why?\n\n" + TEXT_STUB),
        ("test_answer", "assert answer == 42"),
        (None, "pass"),
    ]
    assert merged.cells[4].metadata["nbgrader"]["points"] == 2


@blas_independent
def test_collect_submissions_layouts(tmp_path):
    for student in ("alice", "bob"):
        path = tmp_path / "submitted" / student / "a1_initializers" / "a1_initializers.ipynb"
        path.parent.mkdir(parents=True)
        path.write_text("{}")
    (tmp_path / "carol.ipynb").write_text("{}")
    found = collect_submissions("a1_initializers", [tmp_path / "submitted", tmp_path / "carol.ipynb"])
    assert sorted(found) == ["alice", "bob", "carol"]
    with pytest.raises(ValueError, match="two submissions for student 'alice'"):
        other = tmp_path / "elsewhere" / "alice.ipynb"
        other.parent.mkdir()
        other.write_text("{}")
        collect_submissions("a1_initializers", [tmp_path / "submitted", other])
    with pytest.raises(ValueError, match="nbgrader's layout"):
        collect_submissions("a2_backprop", [tmp_path / "submitted"])


# ------------------------------------------------------------------ the five assignments
@blas_independent
def test_five_assignments_with_tests_and_solutions():
    assert sorted(find_assignments(COURSE)) == NAMES
    for name in NAMES:
        nb = source_of(name)
        validate_source(nb, name)
        roles = [cell_role(c) for c in nb.cells if c.cell_type == "code"]
        assert "plain" not in roles, f"{name}: every code cell is a solution, test or read-only cell"
        assert roles.count("solution") >= 1 and roles.count("tests") >= 4, name
        assert all(p > 0 for p in points_of(nb).values()), name
        assert any("### BEGIN HIDDEN TESTS" in c.source for c in nb.cells), f"{name} has hidden tests"
        assert all(not c.get("outputs") and c.get("execution_count") is None
                   for c in nb.cells if c.cell_type == "code"), f"{name}: sources are committed without outputs"


KINDS = ("predict", "derive", "design", "debug")
#: Answers a student must find, which the student version must not print next to the stubs.
ANSWERS = {
    "a1_initializers": ["1 + slope", "1 + a^2", "1 + a²", "sqrt(3", "2 ** -5", "1/32"],
    "a2_backprop": ["dout + dz", "dz @ W", "(1 - h ** 2)", "1 - h**2"],
    "a3_gradcheck": ["12 * h", "12h", "8 * values", "x[i] = old\n"],
    "a4_init_experiment": ["erfc", "log(2)", "ln 2", "hermegauss(201)", "a < 0.02"],
    "a5_decay_and_plateau": ["math.log(factor)", "log1p", "0.8796", "erf(", "flower_std = 0.5"],
}


@blas_independent
@pytest.mark.parametrize("name", NAMES)
def test_each_assignment_asks_the_four_kinds_of_question(name):
    """Every test cell is named test_<kind>_...; each kind is there, with hidden tests, and the
    answers are not printed in the student version."""
    tests = [c for c in source_of(name).cells if cell_role(c) == "tests"]
    kinds = [re.match(r"test_(predict|derive|design|debug|check)_\w+$", grade_id(c)) for c in tests]
    assert all(kinds), f"{name}: test grade_ids must be test_<kind>_..., got {[grade_id(c) for c in tests]}"
    for kind in KINDS:
        hidden = [c for c in tests if grade_id(c).startswith(f"test_{kind}_") and "BEGIN HIDDEN TESTS" in c.source]
        assert hidden, f"{name} needs a {kind} question with hidden tests"
    assert 8 <= sum(points_of(source_of(name)).values()) <= 12, name
    released = "\n".join(c.source for c in released_of(name).cells)
    printed = [answer for answer in ANSWERS[name] if answer in released]
    assert not printed, f"{name}: the student version prints answers {printed}"


@blas_independent
def test_assignments_draw_random_numbers_only_from_generators():
    global_random = re.compile(r"np\.random\.(?!default_rng\b|Generator\b)\w+")
    for name in NAMES:
        for cell in source_of(name).cells:
            assert not global_random.search(cell.source), f"{name}: {global_random.search(cell.source).group()}"


@blas_independent
def test_committed_student_versions_are_up_to_date():
    results = release(COURSE, check=True)
    stale = [str(r) for r in results if r.action != "unchanged"]
    assert not stale, "run `python -m course_lib.classroom release`:\n" + "\n".join(stale)
    for name in NAMES:
        text = "\n".join(c.source for c in released_of(name).cells)
        assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text, name
        assert text.count("raise NotImplementedError()") >= 2, name


@blas_independent
def test_release_never_overwrites_an_edited_student_version(tmp_path):
    course = tmp_path / "course"
    shutil.copytree(COURSE / "source" / "a3_gradcheck", course / "source" / "a3_gradcheck")
    target = course / "release" / "a3_gradcheck" / "a3_gradcheck.ipynb"
    assert [r.action for r in release(course)] == ["created"]
    assert [r.action for r in release(course)] == ["unchanged"]

    # The instructor edits the source: a pristine student version is simply updated.
    src_path = course / "source" / "a3_gradcheck" / "a3_gradcheck.ipynb"
    src = nbformat.read(src_path, as_version=4)
    src.cells[0].source += "\n\nErrata: none."
    nbformat.write(src, src_path)
    assert [r.action for r in release(course, check=True)] == ["stale"]
    assert [r.action for r in release(course)] == ["updated"]

    # A student works in the student version: release refuses, and leaves the file alone.
    student = nbformat.read(target, as_version=4)
    (answer,) = [c for c in student.cells if grade_id(c) == "derive_five_point"]
    answer.source = answer.source.replace("raise NotImplementedError()", "return 0.0")
    nbformat.write(student, target)
    edited = target.read_bytes()
    src.cells[0].source += " Really."
    nbformat.write(src, src_path)
    assert [r.action for r in release(course)] == ["refused"]
    assert target.read_bytes() == edited
    assert main(["release", "--course-dir", str(course)]) == 1
    assert target.read_bytes() == edited
    assert main(["release", "--course-dir", str(course), "--force"]) == 0
    assert target.read_bytes() != edited and is_pristine(nbformat.read(target, as_version=4))
    with pytest.raises(ValueError, match="must be among"):
        release(course, ["a9_nothing"])


# ------------------------------------------------------------------ running them
@pytest.fixture(scope="session")
def graded_csv(tmp_path_factory):
    """Each assignment graded through the command line: 'solver' hands in the instructor's
    solution, 'blank' the student version untouched (nbgrader's submitted/ layout)."""
    tables = {}
    for name in NAMES:
        work = tmp_path_factory.mktemp(name)
        for student, notebook in (("solver", COURSE / "source"), ("blank", COURSE / "release")):
            target = work / "submitted" / student / name / f"{name}.ipynb"
            target.parent.mkdir(parents=True)
            shutil.copy(notebook / name / f"{name}.ipynb", target)
        output = work / "grades.csv"
        code = main(["grade", name, str(work / "submitted"), "--output", str(output),
                     "--graded-dir", str(work / "autograded"), "--course-dir", str(COURSE)])
        assert code == 0
        with open(output, newline="") as f:
            tables[name] = {row["student"]: row for row in csv.DictReader(f)}
        tables[name]["_work"] = work
    return tables


@pytest.mark.parametrize("name", NAMES)
def test_solution_scores_full_marks_and_stub_scores_zero(graded_csv, name):
    table, points = graded_csv[name], points_of(source_of(name))
    total = sum(points.values())
    solver, blank = table["solver"], table["blank"]
    assert float(solver["max_score"]) == float(blank["max_score"]) == total
    assert float(solver["score"]) == total, f"the instructor's solution lost points: {solver['problems']}"
    assert all(float(solver[gid]) == p for gid, p in points.items())
    assert float(blank["score"]) == 0, f"the untouched student version scored: {blank}"
    assert all(float(blank[gid]) == 0 for gid in points)
    assert "NotImplementedError" in blank["problems"]
    # Honest submissions raise no flag: the grader's guard finds nothing to restore in them.
    assert solver["tampering"] == "" and blank["tampering"] == "", (solver["tampering"], blank["tampering"])


@blas_independent
def test_graded_notebooks_are_written_apart_and_hold_the_hidden_tests(graded_csv):
    work = graded_csv["a2_backprop"]["_work"]
    executed = nbformat.read(work / "autograded" / "blank" / "a2_backprop" / "a2_backprop.ipynb", as_version=4)
    text = "\n".join(c.source for c in executed.cells)
    assert "BEGIN HIDDEN TESTS" in text
    errors = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    # The stubs raise NotImplementedError; cells that use an answer the stub never set raise NameError.
    assert errors and {o.ename for o in errors} <= {"NotImplementedError", "NameError"}
    assert any(o.ename == "NotImplementedError" for o in errors)
    submitted = work / "submitted" / "blank" / "a2_backprop" / "a2_backprop.ipynb"
    assert submitted.read_bytes() == (COURSE / "release" / "a2_backprop" / "a2_backprop.ipynb").read_bytes()
    # A second run refuses to overwrite the score table or the graded notebooks.
    assert main(["grade", "a2_backprop", str(work / "submitted"), "--output", str(work / "grades.csv"),
                 "--course-dir", str(COURSE)]) == 2
    with pytest.raises(FileExistsError):
        grade_assignment("a2_backprop", [str(work / "submitted")], course_dir=COURSE,
                         graded_dir=work / "autograded")
    with pytest.raises(ValueError, match="timeout must be"):
        grade_assignment("a2_backprop", [str(work / "submitted")], course_dir=COURSE, timeout=0)


@blas_independent
def test_tampered_submission_is_graded_with_the_instructors_tests(tmp_path):
    """A student who predicted, derived and debugged but did not design; who took the leaky-ReLU
    std from course_lib (calculate_gain) instead of deriving it; who edited a test to pass,
    broke another, deleted a third, raised its points, and left a cell that never ends."""
    sub = source_of("a1_initializers")
    stub = {grade_id(c): c.source for c in released_of("a1_initializers").cells}
    cells = {grade_id(c): c for c in sub.cells}
    cells["design_init"].source = stub["design_init"]
    cells["derive_leaky"].source = cells["derive_leaky"].source.replace(
        "return math.sqrt(2.0 / ((1.0 + slope ** 2) * fan_in))",
        "from course_lib.nn.initializers import calculate_gain\n"
        "    return calculate_gain('leaky_relu', slope) / math.sqrt(fan_in)")
    assert "calculate_gain" in cells["derive_leaky"].source
    cells["test_design_shape"].source = "pass"
    cells["test_design_deep"].source = "print('looks fine to me')"
    cells["test_predict_rms"].source = "assert False, 'I broke this test'"
    cells["test_predict_rms"].metadata["nbgrader"]["points"] = 100
    sub.cells.remove(cells["test_debug_xavier"])
    sub.cells.append(nbformat.v4.new_code_cell("import time\ntime.sleep(120)"))
    path = tmp_path / "mallory.ipynb"
    nbformat.write(sub, path)
    before = path.read_bytes()

    (grade,) = grade_assignment("a1_initializers", [str(path)], course_dir=COURSE, timeout=5)
    assert path.read_bytes() == before, "grading must never modify a submission"
    scores = {t.grade_id: t.points for t in grade.tests}
    assert scores == {"test_predict_rms": 2, "test_derive_leaky": 0, "test_derive_uniform": 1,
                      "test_design_shape": 0, "test_design_deep": 0, "test_debug_xavier": 2}
    assert (grade.student, grade.score, grade.max_score) == ("mallory", 5, 10)
    status = {t.grade_id: t.status for t in grade.tests}
    assert status["test_derive_leaky"] == "AssertionError", "a course_lib function must not pass as the student's"
    assert "course_lib" in next(t.message for t in grade.tests if t.grade_id == "test_derive_leaky")
    assert status["test_design_shape"] == status["test_design_deep"] == "NotImplementedError"
    assert "longer than 5 s" in grade.note
    flags = "; ".join(grade.tampering)
    for sign in ("test_design_shape: the submission edited this tests cell", "test_predict_rms: its nbgrader metadata",
                 "test_debug_xavier: deleted", "timeout"):
        assert sign in flags, (sign, flags)

    out = tmp_path / "grades.csv"
    write_scores([grade], out)
    with open(out, newline="") as f:
        (row,) = list(csv.DictReader(f))
    assert row["score"] == "5" and row["test_predict_rms"] == "2" and "longer than 5 s" in row["problems"]
    with pytest.raises(FileExistsError):
        write_scores([grade], out)


# ------------------------------------------------------------------ nbgrader itself
@blas_independent
def test_nbgrader_generate_assignment_agrees_with_our_student_versions(tmp_path):
    """`nbgrader generate_assignment` on the sources, in a temporary course directory with its own
    nbgrader_config.py, writes the same cells as our release (nbgrader adds a checksum and the
    cell type to metadata.nbgrader; we add a fingerprint to the notebook metadata)."""
    if importlib.util.find_spec("nbgrader") is None:
        pytest.fail("nbgrader is missing; it is in the test extra: pip install -e '.[test]'")
    shutil.copytree(COURSE / "source", tmp_path / "source")
    (tmp_path / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"c.CourseDirectory.root = {str(tmp_path)!r}\n"
        "c.CourseDirectory.course_id = 'why-init'\n"
    )
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    run = subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", "*", "--no-db"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    for name in NAMES:
        theirs = nbformat.read(tmp_path / "release" / name / f"{name}.ipynb", as_version=4)
        ours = released_of(name)
        assert len(theirs.cells) == len(ours.cells), name
        for t, o in zip(theirs.cells, ours.cells):
            assert (t.cell_type, t.get("id"), t.source) == (o.cell_type, o.get("id"), o.source), (name, t.get("id"))
            if t.cell_type == "code":
                assert t.outputs == o.outputs == [] and t.execution_count is None
            t_meta = {k: v for k, v in t.metadata.items() if k != "nbgrader"}
            o_meta = {k: v for k, v in o.metadata.items() if k != "nbgrader"}
            assert t_meta == o_meta, (name, t.get("id"))
            t_nbg = {k: v for k, v in t.metadata.get("nbgrader", {}).items() if k not in ("checksum", "cell_type")}
            assert t_nbg == o.metadata.get("nbgrader", {}), (name, t.get("id"))
