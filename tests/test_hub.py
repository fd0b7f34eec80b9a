"""A class on a real JupyterHub, end to end: distribute, work, submit, grade, feed back.

One scenario, as README's "Running a class" runs it, on 127.0.0.1 only (tests/hub_harness.py):

1. Real Unix accounts (three students, one instructor; ``hub/class_users.py``, homes 0700),
   a class folder with the roster, nbgrader's exchange and the shared MNIST cache (owned
   by root, read-only), the course as a git repository (this checkout's HEAD), and
   ``jupyterhub`` started from ``hub/jupyterhub_config.py`` with configurable-http-proxy.
   Students read nothing in this checkout, so it runs wherever the checkout is (CI's may
   be under /root, which other users cannot enter): see ``hub_harness.class_environment``.
2. Everyone logs in on the hub's form with the course's nbgitpuller link: their server
   starts, the course is cloned into their home and JupyterLab opens notebook 00. Each
   student runs notebook 00 in a kernel of their own server; it finds the shared cache.
3. The instructor releases ``a1_initializers`` with nbgrader (in a kernel of their server,
   as in a terminal); each student fetches it from the Assignments tab's API, answers it
   (one the full solution, one half, one nothing) and submits it.
4. The instructor collects, autogrades, generates and releases feedback; each student
   fetches theirs. nbgrader's scores equal the course's own grader's on the same
   collected files, cell by cell, and the known totals 8, 3 and 0 of 8.
5. Students cannot read each other's homes, submissions or feedback, nor the instructor's
   home (the solutions), nor change the shared cache: checked as the students, in their kernels.

Skips, saying why, without root, npm's configurable-http-proxy, the class environment
(``make hub-env``) or a prepared MNIST. Everything is removed at the end: the hub, every
process of the class's accounts, the accounts with their homes, the temporary folder.
"""
from __future__ import annotations

import concurrent.futures
import copy
import csv
import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import hub_harness  # noqa: E402
from hub_harness import CLASS_PYTHON, COURSE_FOLDER, FIRST_NOTEBOOK, ROOT, Classroom, processes_of  # noqa: E402

#: The students' kernels and the graders run with the hub's environment, not the caller's
#: OPENBLAS_CORETYPE (the spawner passes only its own variables), and what is asserted is
#: who can read what and that two graders agree: `make test-kernels` skips it.
pytestmark = pytest.mark.blas_independent

ASSIGNMENT = "a1_initializers"
SOURCE = ROOT / "assignments" / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
#: Which solution cells each student answers (by grade_id), and the score that must follow:
#: the full solution earns all 10 points; the derivation (leaky-ReLU std and uniform bound,
#: 2 + 1) and the fixed Xavier (2) alone earn 5, not the prediction (2) nor the design (1 + 2);
#: the untouched student version earns nothing.
ANSWERS = {"alice": ("predict_rms", "derive_leaky", "design_init", "debug_fixed"),
           "bob": ("derive_leaky", "debug_fixed"), "carol": ()}
EXPECTED_SCORE = {"alice": 10.0, "bob": 5.0, "carol": 0.0}
MAX_SCORE = 10.0


def _mnist_cache():
    from course_lib.data import mnist as data

    return data.resolve_data_dir() / data.CACHE_FILE


def _why_skip():
    """Why the scenario cannot run here, or None (asked when the fixture starts, not at collection)."""
    why = hub_harness.missing_requirements()
    if why is None and not _mnist_cache().exists():
        why = "MNIST is not prepared (python -m course_lib.data; make test does it)"
    return why


# ------------------------------------------------------------------ the course's own grader
def course_grader_scores(classroom, name, submitted_dir, course_dir):
    """Scores the course's own grader (``python -m course_lib.classroom grade``) gives the
    collected submissions: ``{student: {grade_id or 'score': points}}``. It runs the students'
    code, so it runs as the instructor, with the instructor's copy of the course, never as root."""
    clone = classroom.home(classroom.instructor) / COURSE_FOLDER
    module = "course_lib.classroom"
    output = classroom.home(classroom.instructor) / "course-grader.csv"
    env = {"HOME": str(classroom.home(classroom.instructor)), "PATH": f"{CLASS_PYTHON.parent}:/usr/bin:/bin",
           "PYTHONPATH": str(clone), "OPENBLAS_NUM_THREADS": "1"}
    run = subprocess.run(
        ["runuser", "-u", classroom.instructor, "--", "env", "-i", *(f"{k}={v}" for k, v in env.items()),
         str(CLASS_PYTHON), "-m", module, "grade", name, str(submitted_dir), "--output", str(output),
         "--course-dir", str(course_dir)],
        cwd="/", capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, f"{module} grade failed:\n{run.stdout}\n{run.stderr}"
    with open(output, newline="") as f:
        rows = list(csv.DictReader(f))
    ignore = {"student", "assignment", "max_score", "problems", "tampering", "sandbox"}  # text columns
    return {row["student"]: {k: float(v) for k, v in row.items() if k not in ignore and v != ""} for row in rows}


# ------------------------------------------------------------------ what people do
def run_notebook(person, path):
    """Every code cell of the notebook at ``path`` (in ``person``'s home) in a new kernel of
    their server, top to bottom; returns the kernel (still running) and the errors."""
    nb = person.read_notebook(path)
    kernel = person.kernel(path)
    errors = []
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            _, cell_errors, status = kernel.execute(source, timeout=180)
            errors += cell_errors
            if status != "ok":
                break
    return kernel, errors


def answered(released, source, solved):
    """The student version with the solution cells named in ``solved`` answered as in the source."""
    by_id = {c.metadata["nbgrader"]["grade_id"]: c for c in source.cells if "nbgrader" in c.metadata}
    nb = copy.deepcopy(released)
    for cell in nb["cells"]:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid in solved:
            cell["source"] = by_id[gid].source
    return nb


#: Run after notebook 00, in its kernel: where its library and its MNIST (``data``) came from.
CHECK_SHARED_CACHE = """
import json, os
import course_lib
cache = data.path
try:
    open(cache, "ab").close()
    append = "allowed"
except PermissionError:
    append = "denied"
print(json.dumps({"course_lib": course_lib.__file__, "cache": str(cache), "dir_writable": os.access(cache.parent, os.W_OK),
                  "append": append, "cwd": os.getcwd()}))
"""

PROBE_OTHERS = """
import json, os
def attempt(action, path):
    try:
        action(path)
        return "allowed"
    except PermissionError:
        return "denied"
    except FileNotFoundError:
        return "missing"
read = lambda p: open(p, "rb").read(1)
paths = json.loads({paths!r})
print(json.dumps({{what: attempt(os.listdir if what.startswith("list") else read, p) for what, p in paths.items()}}))
"""


@pytest.fixture(scope="module")
def classroom():
    why = _why_skip()
    if why:
        pytest.skip(f"hub test: {why}")
    room = Classroom(["alice", "bob", "carol"], "teach", mnist_cache=_mnist_cache())
    with room:
        start = time.monotonic()
        room.start_hub()
        print(f"\nhub started in {time.monotonic() - start:.1f} s")
        yield room
        uids = {room.home(n).stat().st_uid for n in room.people}
        port = room.hub.port
        start = time.monotonic()
    print(f"hub stopped, accounts and files removed in {time.monotonic() - start:.1f} s")
    # After close: no process of the class accounts is left, the hub's port is free, the folder is gone.
    assert processes_of(uids) == []
    assert not room.tmp.exists()
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0, "something still listens on the hub's port"


def test_a_class_on_jupyterhub(classroom):
    room = classroom
    names = dict(zip(ANSWERS, room.students))                 # alice -> alice-1a2b, ...
    people = {n: room.person(n) for n in room.people}
    teacher = people[room.instructor]
    timings, arrivals = {}, {}

    # 2. Everyone follows the course link; students run notebook 00 in their own server.
    # 3. Meanwhile the instructor releases the assignment: nbgrader's own API (what its
    # formgrader calls), in a kernel of their server, with their nbgrader_config.py
    # (JUPYTER_CONFIG_PATH), from the assignment's source in their copy of the course.
    def release(result):
        shell = teacher.kernel("instructor.ipynb")          # a kernel in their home, like a terminal
        shell.execute(
            "import json, os, shutil\n"
            "from nbgrader.apps import NbGrader, NbGraderAPI\n"
            "app = NbGrader()\n"
            "app.load_config_file()\n"
            "api = NbGraderAPI(config=app.config)\n"
            "def step(result):\n"
            "    return [result['success'], result.get('error') or '', result.get('log', '')[-3000:]]\n")
        result["released"] = shell.value(
            f"shutil.copytree(os.path.expanduser('~/{COURSE_FOLDER}/assignments/source/{ASSIGNMENT}'),\n"
            f"                os.path.join(api.coursedir.root, 'source', '{ASSIGNMENT}'))\n"
            f"print(json.dumps([api.coursedir.root, step(api.generate_assignment('{ASSIGNMENT}')),\n"
            f"                  step(api.release_assignment('{ASSIGNMENT}'))]))", timeout=300)
        result["shell"] = shell

    def arrive(name):
        start = time.monotonic()
        messages = people[name].open_course_link()
        opened = time.monotonic()
        result = {"pull": messages, "opened": opened - start}
        if name == room.instructor:
            release(result)
        else:
            kernel, errors = run_notebook(people[name], FIRST_NOTEBOOK)
            result.update(errors=errors, ran=time.monotonic() - start, cache=kernel.value(CHECK_SHARED_CACHE))
            kernel.close()
        return result

    stage = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(len(people)) as pool:
        arrived = dict(zip(people, pool.map(arrive, people)))
    timings["log in, pull, run notebook 00; release"] = time.monotonic() - stage
    shell, released = arrived[room.instructor]["shell"], arrived[room.instructor]["released"]
    course_dir = room.home(room.instructor) / "why-init-course"
    assert released[0] == str(course_dir), released
    assert all(ok for ok, *_ in released[1:]), released
    source = nbformat.read(SOURCE, as_version=4)
    for name, result in arrived.items():
        home = room.home(name)
        pulled = "".join(m.get("output", "") for m in result["pull"])
        assert "git clone" in pulled and result["pull"][-1] == {"phase": "finished"}, result["pull"]
        assert (home / COURSE_FOLDER / ".git").is_dir() and (home / FIRST_NOTEBOOK).is_file()
        assert (home / FIRST_NOTEBOOK).stat().st_uid == home.stat().st_uid, "the clone belongs to its owner"
        assert oct(home.stat().st_mode & 0o777) == "0o700"
        arrivals[name] = (round(result["opened"], 1), round(result.get("ran", 0), 1))
    for student in room.students:
        result = arrived[student]
        assert result["errors"] == [], f"notebook 00 failed for {student}: {result['errors']}"
        cache = result["cache"]
        assert cache["course_lib"] == str(room.home(student) / COURSE_FOLDER / "course_lib" / "__init__.py")
        assert cache["cwd"] == str(room.home(student) / COURSE_FOLDER / "notebooks")
        assert cache["cache"] == str(room.data_dir / "mnist.npz")      # the shared cache, not a copy of their own
        assert (cache["dir_writable"], cache["append"]) == (False, "denied"), "students must not change the cache"
    assert not any((room.home(s) / ".cache" / "why-initialization-matters").exists() for s in room.students)

    def work(alias):
        student = people[names[alias]]
        listed = student.assignments()
        assert [(a["assignment_id"], a["status"]) for a in listed["value"]] == [(ASSIGNMENT, "released")]
        student.assignments("fetch", ASSIGNMENT)
        path = f"{ASSIGNMENT}/{ASSIGNMENT}.ipynb"
        fetched = student.read_notebook(path)
        student.write_notebook(path, answered(fetched, source, ANSWERS[alias]))
        student.assignments("submit", ASSIGNMENT)
        return [(a["assignment_id"], a["status"]) for a in student.assignments()["value"]]

    stage = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        statuses = dict(zip(ANSWERS, pool.map(work, ANSWERS)))
    assert all((ASSIGNMENT, "submitted") in s for s in statuses.values()), statuses
    timings["fetch, answer, submit"] = time.monotonic() - stage

    # 4. Collect; then, while the course's own grader grades the collected files, autograde
    # and generate and release the feedback.
    stage = time.monotonic()
    collected = shell.value(f"print(json.dumps(step(api.collect('{ASSIGNMENT}'))))")
    assert collected[0], collected
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        ours_later = pool.submit(course_grader_scores, room, ASSIGNMENT, course_dir / "submitted", course_dir)
        graded = shell.value(
            f"steps = [step(api.autograde('{ASSIGNMENT}', s)) for s in sorted(api.get_submitted_students('{ASSIGNMENT}'))]\n"
            f"steps += [step(api.generate_feedback('{ASSIGNMENT}')), step(api.release_feedback('{ASSIGNMENT}'))]\n"
            "print(json.dumps(steps))", timeout=600)
        assert len(graded) == 5 and all(ok for ok, *_ in graded), graded
        gradebook = shell.value(
            "scores = {}\n"
            "with api.gradebook as gb:\n"
            "    for s in gb.students:\n"
            f"        sub = gb.find_submission('{ASSIGNMENT}', s.id)\n"
            "        cells = {g.name: g.score for nb in sub.notebooks for g in nb.grades if g.max_score}\n"
            "        scores[s.id] = dict(cells, score=sub.score, max_score=sub.max_score)\n"
            "print(json.dumps(scores))")
        shell.close()
        ours = ours_later.result()
    timings["collect, autograde, feedback; course grader"] = time.monotonic() - stage
    assert sorted(gradebook) == sorted(ours) == sorted(room.students)
    for alias, student in names.items():
        theirs = dict(gradebook[student])
        assert theirs.pop("max_score") == MAX_SCORE
        assert theirs == ours[student], f"{student}: nbgrader {theirs} vs the course grader {ours[student]}"
        assert ours[student]["score"] == EXPECTED_SCORE[alias], (alias, ours[student])

    def feedback(alias):
        student = people[names[alias]]
        student.assignments("fetch_feedback", ASSIGNMENT)
        folder = student.rest("GET", f"api/contents/{ASSIGNMENT}/feedback")["content"]
        (stamp,) = [item["path"] for item in folder]
        html = student.rest("GET", f"api/contents/{stamp}/{ASSIGNMENT}.html", params={"content": "1"})["content"]
        return html

    stage = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        html = dict(zip(ANSWERS, pool.map(feedback, ANSWERS)))
    timings["fetch feedback"] = time.monotonic() - stage
    for alias, text in html.items():
        score = re.search(rf"{ASSIGNMENT} \(Score: ([\d.]+) / ([\d.]+)\)", text)
        assert score and (float(score[1]), float(score[2])) == (EXPECTED_SCORE[alias], MAX_SCORE), alias

    # 5. Students are kept apart: checked as each of them.
    stage = time.monotonic()
    inbound = room.exchange / "why-init" / "inbound"
    submission = next(inbound.glob(f"{names['alice']}+{ASSIGNMENT}+*"))
    for alias in ("bob", "carol"):
        other = room.home(names["alice"])
        paths = {
            "list alice's home": str(other),
            "read alice's notebook 00": str(other / FIRST_NOTEBOOK),
            "read alice's answers": str(other / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"),
            "list alice's submission cache": str(other / ".local" / "share" / "jupyter" / "nbgrader_cache"),
            "list the inbound submissions": str(inbound),
            "list the released feedback": str(room.exchange / "why-init" / "feedback"),
            "list the instructor's home": str(room.home(room.instructor)),
            "read the instructor's solutions": str(course_dir / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"),
        }
        kernel = people[names[alias]].kernel(FIRST_NOTEBOOK)
        seen = kernel.value(PROBE_OTHERS.format(paths=json.dumps(paths)))
        kernel.close()
        assert seen == {what: "denied" for what in paths}, f"{alias} could reach: {seen}"
    assert submission.is_dir()                                   # it was there to be found, and is not listable
    assert oct(inbound.stat().st_mode & 0o7777) == "0o2733"
    r = people[names["bob"]].request("GET", "formgrader")
    assert r.status_code == 404, "students get no formgrader"
    timings["isolation"] = time.monotonic() - stage
    print("\nseconds from login to notebook 00 open, and to notebook 00 run:", arrivals)
    print("seconds per stage:", {k: round(v, 1) for k, v in timings.items()})


def test_roster_names_roles_and_refuses_bad_lines():
    from hub_harness import HUB_DIR

    sys.path.insert(0, str(HUB_DIR))
    from roster import instructors, parse_roster, students

    people = parse_roster("# class\nteach instructor\nalice\nbob   student  # late\n\n")
    assert people == {"teach": "instructor", "alice": "student", "bob": "student"}
    assert instructors(people) == {"teach"} and students(people) == {"alice", "bob"}
    for text, message in [("Alice\nt instructor", "user name 'Alice'"), ("a tutor\nt instructor", "role must be"),
                          ("a\na\nt instructor", "listed twice"), ("alice\nbob", "no instructor"),
                          ("a b c\nt instructor", "expected 'name"), ("x" * 33 + "\nt instructor", "at most 32")]:
        with pytest.raises(ValueError, match=message):
            parse_roster(text)


def test_without_the_proxy_the_hub_test_skips_with_the_reason(monkeypatch, tmp_path):
    """Where configurable-http-proxy is missing the reason says how to get it (as root only:
    without root the reason is that, first)."""
    monkeypatch.setattr(hub_harness, "CHP", tmp_path / "no-proxy")
    reason = hub_harness.missing_requirements()
    assert reason is not None
    if os.geteuid() == 0:
        assert "configurable-http-proxy" in reason and "make" in reason
    else:
        assert "root" in reason


def test_kubernetes_config_wires_the_course_cache_and_link_together():
    """hub/k8s/config.yaml (not deployable here; validated against the chart's schema by hand,
    see README) agrees with the repository and with hub/k8s/mnist-cache.yaml: the pulled folder
    is on PYTHONPATH and holds the notebook the default URL opens, COURSE_DATA_DIR is where the
    cache volume is mounted, read-only, and that volume is the claim the cache job fills."""
    import yaml

    config = yaml.safe_load((ROOT / "hub" / "k8s" / "config.yaml").read_text())
    cache_docs = list(yaml.safe_load_all((ROOT / "hub" / "k8s" / "mnist-cache.yaml").read_text()))
    single = config["singleuser"]
    home = single["storage"].get("homeMountPath", "/home/jovyan")
    folder = f"{home}/{COURSE_FOLDER}"
    pull = single["lifecycleHooks"]["postStart"]["exec"]["command"][-1].split()
    assert pull[0] == "gitpuller" and pull[2] == "main" and pull[3] == folder
    assert single["extraEnv"]["PYTHONPATH"] == folder
    assert single["defaultUrl"] == f"/lab/tree/{FIRST_NOTEBOOK}" and (ROOT / FIRST_NOTEBOOK.split("/", 1)[1]).is_file()
    (mount,) = single["storage"]["extraVolumeMounts"]
    (volume,) = single["storage"]["extraVolumes"]
    assert mount["readOnly"] is True and volume["persistentVolumeClaim"]["readOnly"] is True
    assert single["extraEnv"]["COURSE_DATA_DIR"] == mount["mountPath"] and mount["name"] == volume["name"]
    claim = next(d for d in cache_docs if d["kind"] == "PersistentVolumeClaim")
    job = next(d for d in cache_docs if d["kind"] == "Job")
    assert volume["persistentVolumeClaim"]["claimName"] == claim["metadata"]["name"]
    assert "ReadWriteMany" in claim["spec"]["accessModes"]
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert container["command"][:3] == ["python", "-m", "course_lib.data"]
    assert container["command"][container["command"].index("--data-dir") + 1] == container["volumeMounts"][0]["mountPath"]
    # The students' nbgrader panels hidden on Kubernetes are the ones hidden on one machine.
    page = json.loads((ROOT / "hub" / "jupyter" / "student" / "labconfig" / "page_config.json").read_text())
    assert single["extraFiles"]["student-lab-page-config"]["data"] == page


def test_class_environment_leaves_a_private_checkout(monkeypatch, tmp_path):
    """A checkout other users cannot enter (as CI's under /root) gets its class environment in
    a root-owned folder outside it, one per checkout; a reachable one keeps build/hub-venv."""
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    private.chmod(0o700)
    monkeypatch.setattr(hub_harness, "ROOT", private / "checkout")
    place = hub_harness.class_environment()
    if os.geteuid() == 0:
        assert place.parent == Path("/var/cache/why-init-hub") and private not in place.parents
        monkeypatch.setattr(hub_harness, "ROOT", private / "another-checkout")
        assert hub_harness.class_environment().parent == place.parent and hub_harness.class_environment() != place
    else:                                   # only root runs the hub test: it stays in the checkout
        assert place == private / "checkout" / "build" / "hub-venv"
    monkeypatch.setattr(hub_harness, "ROOT", Path("/usr/share"))      # every user can enter it
    assert hub_harness.class_environment() == Path("/usr/share/build/hub-venv")
