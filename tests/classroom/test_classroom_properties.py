"""Property-based tests (hypothesis) of release and grade inputs; no kernel runs here.

Each property holds for every input hypothesis draws: an edit of any kind to a student
version stops ``release`` from overwriting it; faults at the target path are reported for
that assignment only, naming the path, while the others are released; the notebook the
grader runs always holds each instructor cell exactly once, whatever the submission did;
bad arguments give ValueError naming the argument; the guard's answers verify only when
they carry the right signature.
"""
import copy
import os
import hashlib
import hmac
import json
import string
import sys
from pathlib import Path

import nbformat
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


pytest.importorskip("nbclient", reason="the grader needs nbclient: the grade extra, pip install -e '.[grade]'")

sys.path.insert(0, str(Path(__file__).parent))
from redteam_course import NAME, source_notebook  # noqa: E402

from course_lib.classroom.assignments import cell_role, fingerprint, grade_id, is_pristine, release, student_version  # noqa: E402
from course_lib.classroom.grading import (  # noqa: E402
    _verify,
    bound_names,
    collect_submissions,
    grade_assignment,
    restore_instructor_cells,
    submission_edits,
)
from course_lib.classroom.sandbox import Limits, SandboxPolicy  # noqa: E402

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
TEXT = st.text(string.ascii_letters + string.digits + " _-.\n", min_size=1, max_size=20)


def _edit(nb, kind, index, text):
    """One edit a person can make in JupyterLab or an editor."""
    cell = nb.cells[index % len(nb.cells)]
    if kind == "tag":
        cell.metadata.setdefault("tags", []).append(text)
    elif kind == "cell metadata":
        cell.metadata["collapsed"] = not cell.metadata.get("collapsed", False)
    elif kind == "notebook metadata":
        nb.metadata[f"x_{text.strip() or 'key'}"] = text
    elif kind == "attachment":
        md = nbformat.v4.new_markdown_cell("![a](attachment:a.png)")
        md.attachments = {"a.png": {"image/png": text}}
        nb.cells.insert(index % (len(nb.cells) + 1), md)
    elif kind == "source":
        cell.source += text
    elif kind == "outputs" and cell.cell_type == "code":
        cell.outputs = [nbformat.v4.new_output("stream", text=text)]
    elif kind == "outputs":
        cell.source = text + cell.source
    elif kind == "delete":
        del nb.cells[index % len(nb.cells)]
    elif kind == "language":
        nb.metadata.setdefault("language_info", {})["name"] = text
    return nb


EDITS = st.sampled_from(["tag", "cell metadata", "notebook metadata", "attachment", "source", "outputs", "delete",
                         "language"])


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("props")
    for name in (NAME, "zz_second"):
        path = root / "source" / name / f"{name}.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(source_notebook(), path)
    return root


@SETTINGS
@given(kinds=st.lists(EDITS, min_size=1, max_size=3), index=st.integers(0, 50), text=TEXT)
def test_any_edit_makes_the_student_version_not_pristine_and_release_refuses(course, kinds, index, text):
    release(course, force=True)
    target = course / "release" / NAME / f"{NAME}.ipynb"
    nb = nbformat.read(target, as_version=4)
    edited = copy.deepcopy(nb)
    for kind in kinds:
        _edit(edited, kind, index, text)
    if nbformat.writes(edited) == nbformat.writes(nb):
        return  # an edit that changed nothing (e.g. an empty source appended)
    assert fingerprint(edited) != fingerprint(nb) and not is_pristine(edited)
    target.write_text(nbformat.writes(edited), encoding="utf-8")
    before = target.read_bytes()
    results = {r.name: r.action for r in release(course)}
    assert results[NAME] == "refused" and target.read_bytes() == before
    assert results["zz_second"] == "unchanged"


def test_fingerprint_ignores_only_its_own_record():
    nb = student_version(source_notebook())
    other = copy.deepcopy(nb)
    other.metadata["course_lib"] = {"anything": 1}
    assert fingerprint(other) == fingerprint(nb)


@SETTINGS
@given(data=st.binary(min_size=1, max_size=64))
def test_non_utf8_target_is_refused_by_name_and_the_others_still_go(course, data):
    try:
        data.decode("utf-8")
        return
    except UnicodeDecodeError:
        pass
    release(course, force=True)
    target = course / "release" / NAME / f"{NAME}.ipynb"
    target.write_bytes(data)
    (course / "release" / "zz_second" / "zz_second.ipynb").unlink()
    results = {r.name: r for r in release(course)}
    assert results[NAME].action == "refused" and str(target) in results[NAME].detail and "UTF-8" in results[NAME].detail
    assert target.read_bytes() == data
    assert results["zz_second"].action == "created"


@pytest.mark.parametrize("make", ["directory", "symlink", "fifo"])
def test_a_folder_link_or_fifo_at_the_target_is_an_error_naming_it(course, make, tmp_path):
    import os

    release(course, force=True)
    target = course / "release" / NAME / f"{NAME}.ipynb"
    target.unlink()
    if make == "directory":
        target.mkdir()
    elif make == "symlink":
        target.symlink_to(tmp_path / "elsewhere.ipynb")
    else:
        os.mkfifo(target)
    (course / "release" / "zz_second" / "zz_second.ipynb").unlink()
    try:
        for force in (False, True):
            results = {r.name: r for r in release(course, force=force)}
            assert results[NAME].action == "error" and str(target) in results[NAME].detail
            assert results["zz_second"].action in ("created", "unchanged")
        assert not (tmp_path / "elsewhere.ipynb").exists()
    finally:
        if target.is_dir() and not target.is_symlink():
            target.rmdir()
        else:
            target.unlink()


def _mutations():
    return st.lists(st.tuples(st.sampled_from(["delete", "duplicate", "move", "edit", "retag", "type"]),
                              st.integers(0, 30), TEXT), max_size=6)


@SETTINGS
@given(mutations=_mutations())
def test_the_graded_notebook_holds_each_instructor_cell_once_whatever_the_submission(mutations):
    source = source_notebook()
    sub = student_version(source)
    for kind, index, text in mutations:
        if not sub.cells:
            break
        i = index % len(sub.cells)
        if kind == "delete":
            del sub.cells[i]
        elif kind == "duplicate":
            sub.cells.insert(i, copy.deepcopy(sub.cells[i]))
        elif kind == "move":
            sub.cells.append(sub.cells.pop(i))
        elif kind == "edit":
            sub.cells[i].source = text
        elif kind == "retag" and "nbgrader" in sub.cells[i].metadata:
            sub.cells[i].metadata["nbgrader"]["points"] = 99
        elif kind == "type":
            sub.cells[i] = nbformat.v4.new_markdown_cell(text, metadata=sub.cells[i].metadata)
    merged = restore_instructor_cells(source, sub)
    ids = [grade_id(c) for c in merged.cells if "nbgrader" in c.metadata]
    expected = [grade_id(c) for c in source.cells if cell_role(c) != "plain"]
    assert sorted(ids) == sorted(expected)
    originals = {grade_id(c): c for c in source.cells}
    for cell in merged.cells:
        if "nbgrader" in cell.metadata and cell_role(cell) != "solution":
            assert cell.source == originals[grade_id(cell)].source
            assert cell.metadata["nbgrader"] == originals[grade_id(cell)].metadata["nbgrader"]
    edits = submission_edits(source, sub)
    assert isinstance(edits, list) and all(isinstance(e, str) for e in edits)


@SETTINGS
@given(code=st.text(max_size=200))
def test_bound_names_never_raises(code):
    names = bound_names(code)
    assert all(isinstance(n, str) and n.isidentifier() for n in names)


@SETTINGS
@given(content=st.text(max_size=40), tag=st.text(string.hexdigits, min_size=64, max_size=64))
def test_guard_answers_verify_only_with_the_right_signature(content, tag):
    secret, nonce = "s" * 64, "n" * 32
    body = json.dumps({"x": content})
    right = hmac.new(secret.encode(), f"after:{nonce}:{body}".encode(), hashlib.sha256).hexdigest()

    def answer(t):
        return {"status": "ok", "data": {"text/plain": repr(f"after:{nonce}:{t}:{body}")}}

    assert _verify(answer(right), "after", nonce, secret) == {"x": content}
    if tag != right:
        assert _verify(answer(tag), "after", nonce, secret) is None
    assert _verify(answer(right), "before", nonce, secret) is None
    assert _verify(answer(right), "after", "m" * 32, secret) is None


@pytest.mark.parametrize("kwargs, message", [
    ({"timeout": 0}, "timeout must be"), ({"timeout": float("nan")}, "timeout must be"),
    ({"timeout": "5"}, "timeout must be"), ({"jobs": 0}, "jobs must be"), ({"jobs": 1.5}, "jobs must be"),
    ({"jobs": True}, "jobs must be"),
])
def test_grade_assignment_rejects_bad_arguments_by_name(kwargs, message, tmp_path):
    with pytest.raises(ValueError, match=message):
        grade_assignment(NAME, [str(tmp_path)], course_dir=tmp_path, **kwargs)


@SETTINGS
@given(value=st.one_of(st.integers(max_value=0), st.floats(), st.text(max_size=3), st.none(), st.booleans()))
def test_limits_and_policy_reject_bad_values_by_name(value):
    for name in ("memory", "cpu", "processes", "file_size"):
        with pytest.raises(ValueError, match=f"limit {name} must be"):
            Limits(**{name: value})
    if not (isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**31):
        with pytest.raises(ValueError, match="kernel_uid must be"):
            SandboxPolicy(kernel_uid=value)
    with pytest.raises(ValueError, match="sandbox mode must be"):
        SandboxPolicy(mode=str(value) + "?")


@SETTINGS
@given(name=TEXT)
def test_collect_submissions_names_what_it_cannot_use(name, tmp_path):
    missing = tmp_path / f"missing-{abs(hash(name))}"
    with pytest.raises(ValueError, match="must be a .ipynb file or a folder"):
        collect_submissions(NAME, [missing])
    empty = tmp_path / "empty"
    empty.mkdir(exist_ok=True)
    with pytest.raises(ValueError, match="nbgrader's layout"):
        collect_submissions(NAME, [empty])


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="kernel uids are leased only by a root grader")
def test_two_leases_never_share_a_uid_and_leftovers_are_killed():
    import subprocess
    import time

    from course_lib.classroom.sandbox import lease_uid

    with lease_uid(2_100_000) as first, lease_uid(2_100_000) as second:
        assert first != second and {first, second} <= set(range(2_100_000, 2_100_000 + 4096))
        leftover = subprocess.Popen(["sleep", "60"], user=first, group=first)
        time.sleep(0.2)
    assert leftover.wait(timeout=15) != 0, "the lease's end kills what still runs as its uid"
