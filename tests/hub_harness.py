"""A real JupyterHub on 127.0.0.1 for tests/test_hub.py and benchmarks/bench_hub.py.

Three pieces:

* :class:`Classroom`: everything a class needs on one machine, laid out in a temporary
  folder the way README's "Running a class" lays it out under /srv/why-init: the roster,
  the shared MNIST cache (read-only), nbgrader's exchange, the course as a git repository
  (a bare copy of this checkout's HEAD, served to nbgitpuller as ``file://``), and real Unix
  accounts made with ``hub/class_users.py`` (removed again by :meth:`Classroom.close`).
  Students read nothing in this checkout (it may sit in a private folder such as CI's
  /root): the class folder is in a temporary folder everyone can enter, with a copy of
  ``hub/`` in it, and the class's Python is where :func:`class_environment` says.
* :class:`Hub`: ``jupyterhub`` started from the repository's own ``hub/jupyterhub_config.py``
  (that copy's, loaded unchanged, through a two-line wrapper that only moves it to free ports on
  127.0.0.1), with ``configurable-http-proxy`` from ``build/npm`` (``make hub-proxy``).
* :class:`Person`: what one student or instructor does, over HTTP only, as a browser
  would: log in on the hub's login form, follow the course's nbgitpuller link (which
  starts their server and clones or updates the course in their home), then use their
  server's REST API (contents, sessions, nbgrader's Assignments tab) and run code in
  kernels over the kernel websocket.

Everything has a timeout. :meth:`Classroom.close` stops the hub, ends every process still
running as a class account (by pid), deletes the accounts with their homes and removes
the temporary folder, also after a failure; the hub's log (with the servers') is kept in
``build/hub/jupyterhub.log``.
"""
from __future__ import annotations

import hashlib
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HUB_DIR = ROOT / "hub"
CHP = ROOT / "build" / "npm" / "node_modules" / ".bin" / "configurable-http-proxy"


def _reachable_by_others(path):
    """None if every user can reach ``path`` (o+x on each ancestor, o+r on it), else why not."""
    path = Path(path).resolve()
    for folder in [*reversed(path.parents), path]:
        mode = folder.stat().st_mode
        if not mode & 0o001:
            return f"{folder} is mode {oct(mode & 0o777)}: other users cannot enter it"
    if not path.stat().st_mode & 0o004:
        return f"{path} is not readable by other users"
    return None


def class_environment():
    """Where ``make hub-env`` builds the class's Python environment (it asks this function).

    The hub and every student's server run from it, the servers as the students, so every
    folder above it must let other users in, and a venv cannot be moved once made. In this
    checkout (``build/hub-venv``) when other users can reach the checkout; when they cannot
    (a clone under /root, as CI's may be) and we are root (only root runs the hub test),
    ``/var/cache/why-init-hub/venv-<hash of the checkout's path>``: root-owned folders that
    only root can write to, one environment per checkout, kept like ``build/`` and refreshed
    when pyproject.toml changes. It holds the course's dependencies, not the course: each
    student's server imports ``course_lib`` from their own clone (``PYTHONPATH``)."""
    if _reachable_by_others(ROOT) is None or os.geteuid() != 0:
        return ROOT / "build" / "hub-venv"
    return Path("/var/cache/why-init-hub") / f"venv-{hashlib.sha256(str(ROOT).encode()).hexdigest()[:12]}"


#: The class's Python environment (``make hub-env``): the hub and every student's server run from it.
CLASS_PYTHON = class_environment() / "bin" / "python"
#: Where the last hub's log is kept (the class folder itself is removed).
LOGS = ROOT / "build" / "hub"
COURSE_ID = "why-init"
COURSE_FOLDER = "why-initialization-matters"
FIRST_NOTEBOOK = f"{COURSE_FOLDER}/notebooks/00_start_here.ipynb"

sys.path.insert(0, str(HUB_DIR))
import class_users  # noqa: E402  (hub/class_users.py: the instructor's own tool)


class HubError(RuntimeError):
    """The hub, a server or a kernel did not do what the harness waited for."""


# ------------------------------------------------------------------ prerequisites
def missing_requirements():
    """Why the hub test cannot run here (a sentence), or None if it can."""
    if sys.platform != "linux":
        return "the hub test needs Linux (real Unix users, /proc)"
    if os.geteuid() != 0:
        return "the hub test creates Unix users and runs JupyterHub's local spawner: run it as root (CI does)"
    for tool in ("useradd", "userdel", "chpasswd", "runuser", "git"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    if not (CHP.is_file() and os.access(CHP, os.X_OK)):
        why = "npm is not installed" if shutil.which("npm") is None else "run `make hub-proxy`"
        return f"configurable-http-proxy is missing from build/npm ({why}; make test does it)"
    for module in ("requests", "websocket", "nbformat"):     # what the harness itself uses, over HTTP
        try:
            __import__(module)
        except ImportError:
            return f"Python package {module} is missing (pip install -e '.[dev]')"
    if not CLASS_PYTHON.exists():
        return f"the class's Python environment {CLASS_PYTHON.parent.parent} is missing (make hub-env; make test does it)"
    probe = subprocess.run([str(CLASS_PYTHON), "-c", "import sys, jupyterhub, nbgitpuller, nbgrader, jupyterlab; "
                            "print(sys.base_prefix); print(sys.prefix)"], capture_output=True, text=True)
    if probe.returncode != 0:
        return f"{CLASS_PYTHON} cannot import the hub's packages (make hub-env): {probe.stderr.strip()[-300:]}"
    for path in [CLASS_PYTHON.parent, os.path.realpath(CLASS_PYTHON), *probe.stdout.split()]:
        why = _reachable_by_others(path)
        if why:
            return (f"students run the class's Python, but {why}; make it from a system Python "
                    "(make hub-env HUB_PYTHON=/usr/bin/python3), not one under /root such as pyenv's")
    return None


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def processes_of(uids):
    """[(pid, start time)] of the processes running with one of ``uids`` (from /proc)."""
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
            stat = (status.parent / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        uid = re.search(r"^Uid:\s+(\d+)", text, re.M)
        if uid and int(uid.group(1)) in uids:
            found.append((int(status.parent.name), int(stat[19])))
    return found


def signal_processes(processes, signum):
    """Send ``signum`` to each (pid, start time) that is still that same process."""
    for pid, started in processes:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            if int(stat[19]) == started:
                os.kill(pid, signum)
        except (OSError, IndexError):
            pass


def descendants(pid):
    """[(pid, start time)] of all descendants of ``pid``."""
    children = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append((int(stat.parent.name), int(fields[19])))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child[0])
    return found


# ------------------------------------------------------------------ the class
class Classroom:
    """A class's folder (as /srv/why-init), its git repository and its Unix accounts."""

    def __init__(self, students, instructor, *, mnist_cache):
        self.suffix = uuid.uuid4().hex[:4]
        self.students = [f"{name}-{self.suffix}" for name in students]
        self.instructor = f"{instructor}-{self.suffix}"
        self.people = {**{s: "student" for s in self.students}, self.instructor: "instructor"}
        self.mnist_cache = Path(mnist_cache)
        # Students enter it: in a temporary folder every user can reach, wherever this checkout is.
        shared = tempfile.gettempdir() if _reachable_by_others(tempfile.gettempdir()) is None else "/var/tmp"
        self.tmp = Path(tempfile.mkdtemp(prefix="why-init-hub-", dir=shared))
        self.class_dir = self.tmp / "class"
        #: The course's hub/ folder where README puts it (/srv/why-init/course/hub): the hub loads
        #: its configuration from there and each server reads its role's Jupyter configuration.
        self.hub_dir = self.class_dir / "course" / "hub"
        self.repo = self.tmp / "course.git"
        self.passwords = {}
        self.hub = None

    @property
    def exchange(self):
        return self.class_dir / "exchange"

    @property
    def data_dir(self):
        return self.class_dir / "data"

    def home(self, name):
        return Path(pwd.getpwnam(name).pw_dir)

    def open(self):
        os.chmod(self.tmp, 0o755)                       # students read the repository and the data
        self.class_dir.mkdir()
        os.chmod(self.class_dir, 0o755)
        # The hub's folder of this checkout (as it is, committed or not), readable by everyone:
        # students cannot enter the checkout itself if it sits in a private folder such as /root.
        shutil.copytree(HUB_DIR, self.hub_dir, ignore=shutil.ignore_patterns("__pycache__"))
        subprocess.run(["chmod", "-R", "a+rX", str(self.class_dir / "course")], check=True)
        (self.class_dir / "roster.txt").write_text(
            "# made by tests/hub_harness.py\n" + "".join(f"{n} {r}\n" for n, r in self.people.items()))
        # The shared MNIST cache: owned by root, read-only for everyone.
        self.data_dir.mkdir()
        target = self.data_dir / self.mnist_cache.name
        shutil.copy(self.mnist_cache, target)            # a copy: the original's mode stays as it is
        os.chmod(target, 0o444)
        os.chmod(self.data_dir, 0o555)
        # The course: this checkout's HEAD as branch main of a bare repository.
        subprocess.run(["git", "init", "--quiet", "--bare", str(self.repo)], check=True)
        subprocess.run(["git", "--git-dir", str(self.repo), "fetch", "--quiet", "--depth", "1", f"file://{ROOT}",
                        "+HEAD:refs/heads/main"], check=True)
        subprocess.run(["git", "--git-dir", str(self.repo), "symbolic-ref", "HEAD", "refs/heads/main"], check=True)
        subprocess.run(["chmod", "-R", "a+rX", str(self.repo)], check=True)
        (self.tmp / "gitconfig").write_text(f"[safe]\n\tdirectory = {self.repo}\n")
        # The accounts (random passwords, for the hub's PAM login) and nbgrader's exchange.
        password_file = self.tmp / "passwords.txt"
        created = class_users.add_users(self.people, passwords=password_file, log=lambda *_: None)
        if set(created) != set(self.people):
            raise HubError(f"accounts already existed: {sorted(set(self.people) - set(created))}")
        self.passwords = dict(created)
        class_users.prepare_exchange(self.exchange, COURSE_ID, self.instructor, log=lambda *_: None)
        return self

    def start_hub(self, **kwargs):
        self.hub = Hub(self, **kwargs).start()
        return self.hub

    def person(self, name):
        return Person(self.hub, name, self.passwords[name])

    def close(self):
        """Stop the hub, end the accounts' processes, delete the accounts and the folder.

        The servers get SIGTERM together with the hub (each shuts its kernels down), rather
        than one after the other from the hub's own cleanup, which waits for each in turn."""
        uids = set()
        for name in self.people:
            try:
                uids.add(pwd.getpwnam(name).pw_uid)
            except KeyError:
                pass
        try:
            signal_processes(processes_of(uids), signal.SIGTERM)
            if self.hub is not None:
                self.hub.stop()
        finally:
            for signum in (signal.SIGTERM, signal.SIGKILL):
                left = processes_of(uids)
                if not left:
                    break
                signal_processes(left, signum)
                deadline = time.monotonic() + 5
                while processes_of(uids) and time.monotonic() < deadline:
                    time.sleep(0.1)
            class_users.remove_users([n for n in self.people if _exists(n)], log=lambda *_: None)
            if self.hub is not None and self.hub.log_path.exists():   # kept for whoever reads a failure
                LOGS.mkdir(parents=True, exist_ok=True)
                shutil.copy(self.hub.log_path, LOGS / "jupyterhub.log")
            shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        try:
            return self.open()
        except BaseException:
            self.close()
            raise

    def __exit__(self, *exc):
        self.close()


def _exists(name):
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


class Hub:
    """``jupyterhub -f hub/jupyterhub_config.py`` on free ports of 127.0.0.1."""

    def __init__(self, classroom, *, startup_timeout=60.0):
        self.classroom = classroom
        self.startup_timeout = startup_timeout
        self.port, self.hub_port, self.proxy_api_port = free_port(), free_port(), free_port()
        self.token = uuid.uuid4().hex
        self.dir = classroom.tmp / "hub"
        self.log_path = self.dir / "jupyterhub.log"
        self.process = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        self.dir.mkdir(mode=0o700)
        config = self.dir / "jupyterhub_config.py"
        config.write_text(
            "# The class's own configuration, moved to free ports on 127.0.0.1 for the test.\n"
            f"load_subconfig({str(self.classroom.hub_dir / 'jupyterhub_config.py')!r})\n"
            f"c.JupyterHub.bind_url = {self.url!r}\n"
            f"c.JupyterHub.hub_bind_url = 'http://127.0.0.1:{self.hub_port}'\n"
            f"c.ConfigurableHTTPProxy.api_url = 'http://127.0.0.1:{self.proxy_api_port}'\n"
            f"c.ConfigurableHTTPProxy.command = [{str(CHP)!r}]\n"
            "# The course repository is a local folder owned by root: git refuses other users' repositories\n"
            "# unless its protected (global) configuration says they are safe; a course on GitHub needs none.\n"
            f"c.Spawner.environment.update(GIT_CONFIG_GLOBAL={str(self.classroom.tmp / 'gitconfig')!r})\n"
            "# A token for the test's own look at the hub (server status), nothing more.\n"
            f"c.JupyterHub.services = [{{'name': 'hub-test', 'api_token': {self.token!r}}}]\n"
            "c.JupyterHub.load_roles = [{'name': 'hub-test', 'services': ['hub-test'],\n"
            "                            'scopes': ['read:users', 'read:servers', 'admin:servers']}]\n"
        )
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "COURSE_DATA_DIR")}
        env.update(
            WHY_INIT_CLASS_DIR=str(self.classroom.class_dir),
            WHY_INIT_COURSE_REPO=f"file://{self.classroom.repo}",
            WHY_INIT_COURSE_BRANCH="main",
            PYTHONUNBUFFERED="1",
        )
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [str(CLASS_PYTHON), "-m", "jupyterhub", "-f", str(config)], cwd=self.dir, env=env,
            stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + self.startup_timeout
        import requests

        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise HubError(f"jupyterhub exited with code {self.process.returncode}:\n{self.log_tail()}")
            try:
                if requests.get(f"{self.url}/hub/api/", timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise HubError(f"jupyterhub did not answer within {self.startup_timeout:.0f} s:\n{self.log_tail()}")

    def api(self, path, method="GET", **kwargs):
        import requests

        r = requests.request(method, f"{self.url}/hub/api/{path}", timeout=30,
                             headers={"Authorization": f"token {self.token}"}, **kwargs)
        r.raise_for_status()
        return r.json() if r.content else None

    def server_ready(self, name):
        user = self.api(f"users/{name}")
        server = user.get("servers", {}).get("")
        return bool(server and server.get("ready"))

    def log_tail(self, n=60):
        try:
            self._log.flush()
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except (OSError, AttributeError):
            return "(no log)"

    def stop(self):
        """SIGTERM: the hub stops every server and its proxy; then SIGKILL what is left."""
        if self.process is None:
            return
        children = descendants(self.process.pid)
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        signal_processes(children, signal.SIGKILL)
        self._log.close()
        self.process = None


class Person:
    """A student or instructor using the hub over HTTP, as a browser would."""

    def __init__(self, hub, name, password, *, timeout=120.0):
        import requests

        self.hub, self.name, self.password, self.timeout = hub, name, password, timeout
        self.http = requests.Session()
        self.server = f"{hub.url}/user/{name}"

    # ---- logging in and the course link
    def course_link(self):
        """The link an instructor hands out: the hub's default URL for every server
        (nbgitpuller's /git-pull with the course repository), through /hub/user-redirect/."""
        query = {"repo": f"file://{self.hub.classroom.repo}", "branch": "main", "targetpath": COURSE_FOLDER,
                 "urlpath": f"lab/tree/{FIRST_NOTEBOOK}"}
        return "/hub/user-redirect/git-pull?" + urllib.parse.urlencode(query)

    def log_in(self, next_url):
        """Fill in the hub's login form; return the response at the end of the redirects."""
        r = self.http.get(f"{self.hub.url}/hub/login", params={"next": next_url}, timeout=30)
        r.raise_for_status()
        xsrf = self.http.cookies.get("_xsrf", path="/hub/")
        r = self.http.post(f"{self.hub.url}/hub/login", params={"next": next_url}, timeout=self.timeout,
                           data={"username": self.name, "password": self.password, "_xsrf": xsrf})
        if "/hub/login" in r.url and r.status_code != 200 or "Invalid username or password" in r.text:
            raise HubError(f"{self.name} could not log in: {r.status_code} {r.url}")
        return r

    def open_course_link(self):
        """Log in with the course link (the server starts, implicit spawn), wait until it
        runs, let nbgitpuller clone or update the course, then open notebook 00 in
        JupyterLab. Returns nbgitpuller's messages."""
        link = self.course_link()
        r = self.log_in(link)
        deadline = time.monotonic() + self.timeout
        while not self.hub.server_ready(self.name):
            if time.monotonic() > deadline:
                raise HubError(f"{self.name}'s server did not start:\n{self.hub.log_tail()}")
            if r.status_code == 424:                     # "not running": what the Launch button does
                r = self.http.get(f"{self.hub.url}/hub/spawn/{self.name}", timeout=self.timeout)
            time.sleep(0.2)
        r = self.http.get(f"{self.hub.url}{link}", timeout=self.timeout)
        if r.status_code != 200 or "/git-pull" not in r.url:
            raise HubError(f"{self.name}: the course link ended at {r.status_code} {r.url}")
        # What nbgitpuller's page does in the browser: follow the pull's event stream, then go to urlpath.
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(r.url).query))
        messages = self._pull_events({k: query[k] for k in ("repo", "branch", "targetpath")})
        r = self.http.get(f"{self.server}/{query['urlpath']}", timeout=self.timeout)
        if r.status_code != 200:
            raise HubError(f"{self.name}: JupyterLab at {query['urlpath']} answered {r.status_code}")
        return messages

    def _pull_events(self, params):
        messages = []
        with self.http.get(f"{self.server}/git-pull/api", params=params, stream=True, timeout=self.timeout) as r:
            r.raise_for_status()
            for line in r.iter_lines(decode_unicode=True):
                if not line or not line.startswith("data:"):
                    continue
                event = json.loads(line[5:])
                messages.append(event)
                if event.get("phase") == "error":
                    raise HubError(f"{self.name}: nbgitpuller failed: {event.get('message')}\n{event.get('output')}")
                if event.get("phase") == "finished":
                    return messages
        raise HubError(f"{self.name}: nbgitpuller's stream ended without 'finished': {messages}")

    # ---- the server's REST API (cookie login, with the _xsrf header a browser sends)
    def _headers(self):
        xsrf = self.http.cookies.get("_xsrf", path=f"/user/{self.name}/") or self.http.cookies.get("_xsrf")
        return {"X-XSRFToken": xsrf} if xsrf else {}

    def request(self, method, path, **kwargs):
        r = self.http.request(method, f"{self.server}/{path.lstrip('/')}", headers=self._headers(),
                              timeout=kwargs.pop("timeout", self.timeout), **kwargs)
        return r

    def rest(self, method, path, **kwargs):
        r = self.request(method, path, **kwargs)
        if r.status_code >= 400:
            raise HubError(f"{self.name}: {method} {path} -> {r.status_code}: {r.text[:500]}")
        return r.json() if r.content else None

    def read_notebook(self, path):
        return self.rest("GET", f"api/contents/{urllib.parse.quote(path)}", params={"content": "1"})["content"]

    def write_notebook(self, path, nb):
        self.rest("PUT", f"api/contents/{urllib.parse.quote(path)}",
                  json={"type": "notebook", "format": "json", "content": nb})

    def kernel(self, notebook_path):
        """A kernel for ``notebook_path`` (a session, as JupyterLab opens it: working directory
        the notebook's folder), as a :class:`Kernel`."""
        session = self.rest("POST", "api/sessions", json={"path": notebook_path, "name": Path(notebook_path).name,
                                                           "type": "notebook", "kernel": {"name": "python3"}})
        return Kernel(self, session)

    def assignments(self, action=None, assignment=None):
        """nbgrader's Assignments tab: list (no action), or fetch / submit / fetch_feedback."""
        if action is None:
            return self.rest("GET", "assignments", params={"course_id": COURSE_ID})
        result = self.rest("POST", f"assignments/{action}", data={"course_id": COURSE_ID, "assignment_id": assignment})
        if isinstance(result, dict) and result.get("success") is False:
            raise HubError(f"{self.name}: nbgrader {action} failed:\n{result.get('value')}")
        return result


class Kernel:
    """Run code in a server's kernel over its websocket (Jupyter messaging protocol 5.3, JSON)."""

    def __init__(self, person, session):
        import websocket

        self.person, self.session = person, session
        self.id = session["kernel"]["id"]
        url = person.server.replace("http://", "ws://") + f"/api/kernels/{self.id}/channels"
        cookies = "; ".join(f"{c.name}={c.value}" for c in person.http.cookies)
        self.ws = websocket.create_connection(url, header=[f"Cookie: {cookies}", *(
            f"{k}: {v}" for k, v in person._headers().items())], timeout=person.timeout)
        self.client_session = uuid.uuid4().hex
        self.lock = threading.Lock()

    def execute(self, code, *, timeout=120.0):
        """Run ``code``; return (stdout text, [error outputs], execution status)."""
        msg_id = uuid.uuid4().hex
        message = {
            "header": {"msg_id": msg_id, "msg_type": "execute_request", "session": self.client_session,
                       "username": self.person.name, "version": "5.3"},
            "parent_header": {}, "metadata": {}, "channel": "shell",
            "content": {"code": code, "silent": False, "store_history": True, "user_expressions": {},
                        "allow_stdin": False, "stop_on_error": True},
        }
        with self.lock:
            self.ws.send(json.dumps(message))
            out, errors, status, idle, replied = [], [], None, False, False
            deadline = time.monotonic() + timeout
            while not (idle and replied):
                if time.monotonic() > deadline:
                    raise HubError(f"{self.person.name}: code did not finish within {timeout:.0f} s: {code[:200]!r}")
                self.ws.settimeout(max(0.1, deadline - time.monotonic()))
                reply = json.loads(self.ws.recv())
                if reply.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                kind = reply["header"]["msg_type"]
                if kind == "stream" and reply["content"]["name"] == "stdout":
                    out.append(reply["content"]["text"])
                elif kind == "error":
                    errors.append(f"{reply['content']['ename']}: {reply['content']['evalue']}")
                elif kind == "execute_reply":
                    status, replied = reply["content"]["status"], True
                elif kind == "status" and reply["content"]["execution_state"] == "idle":
                    idle = True
        return "".join(out), errors, status

    def value(self, code, *, timeout=120.0):
        """Run ``code``, whose last line prints one JSON document; return it parsed."""
        out, errors, _ = self.execute(code, timeout=timeout)
        if errors:
            raise HubError(f"{self.person.name}: {errors}")
        return json.loads(out.strip().splitlines()[-1])

    def close(self):
        try:
            self.ws.close()
        finally:
            self.person.rest("DELETE", f"api/sessions/{self.session['id']}")


if __name__ == "__main__":          # `make hub-env` asks where the class's environment goes
    if sys.argv[1:] != ["class-environment"]:
        sys.exit("usage: python tests/hub_harness.py class-environment")
    print(class_environment())
