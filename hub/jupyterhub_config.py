"""JupyterHub for a class of "Why Initialization Matters" on one machine.

    sudo /srv/why-init/venv/bin/jupyterhub -f /srv/why-init/course/hub/jupyterhub_config.py

(the steps before that are in README.md, "Running a class"). What it sets up:

* **Who logs in.** Real Unix users, with the hub's default authenticator (PAM: the
  account's password). Only the people in the roster (``$WHY_INIT_CLASS_DIR/roster.txt``,
  see ``roster.py``) get in; its instructors are the hub's admins and form the group
  ``instructors``. To use your school's login instead, replace ``authenticator_class``
  below (for instance ``oauthenticator.GitHubOAuthenticator``, ``ltiauthenticator``,
  ``nativeauthenticator``) and keep the roster: the names it lets in must still be Unix
  accounts (``class_users.py add`` makes them).
* **Each student's server** is a local process running as that student
  (``LocalProcessSpawner``), in their home, from the hub's own Python environment. It
  opens on the nbgitpuller link below, so logging in pulls (first time: clones) the
  course into ``~/why-initialization-matters`` and opens notebook 00. nbgitpuller merges
  the instructor's updates without overwriting what a student changed.
* **The course library** is imported from the student's own copy (``PYTHONPATH``), so the
  notebooks and ``course_lib`` always come from the same commit.
* **MNIST** is read from one shared cache, ``$WHY_INIT_CLASS_DIR/data`` (``COURSE_DATA_DIR``),
  prepared once by the instructor and read-only for students: thirty students do not
  download and verify it thirty times, and nobody can change it.
* **nbgrader's exchange** is ``$WHY_INIT_CLASS_DIR/exchange``; the Jupyter configuration of
  students and of instructors is in ``jupyter/student`` and ``jupyter/instructor`` beside
  this file (``JUPYTER_CONFIG_PATH``): students get the Assignments tab (fetch, submit,
  fetch feedback), instructors get nbgrader's instructor tools too.
* **Memory.** Each server runs with one BLAS thread, ends its kernels after 30 idle minutes
  and itself after an idle hour. A local spawner sets no memory limit: size the machine
  with README's numbers ("What a hub costs": plan 1 GiB per working student).

Environment variables of the ``jupyterhub`` process (defaults in brackets):

* ``WHY_INIT_CLASS_DIR`` [``/srv/why-init``]: ``roster.txt``, ``data/`` (the MNIST cache),
  ``exchange/`` (nbgrader), ``state/`` (the hub's database and cookie secret).
* ``WHY_INIT_COURSE_REPO`` [``https://github.com/OWNER/why-initialization-matters``] and
  ``WHY_INIT_COURSE_BRANCH`` [``main``]: the git repository students pull.
* ``WHY_INIT_BIND_URL`` [``http://:8000``]: where the hub listens. Put TLS in front of it
  (a reverse proxy such as nginx or Caddy), or set ``c.JupyterHub.ssl_cert`` / ``ssl_key``.
"""
import os
import sys
import urllib.parse
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from roster import instructors, read_roster  # noqa: E402

c = get_config()  # noqa: F821  (provided by JupyterHub when it loads this file)

CLASS_DIR = Path(os.environ.get("WHY_INIT_CLASS_DIR", "/srv/why-init"))
COURSE_REPO = os.environ.get("WHY_INIT_COURSE_REPO", "https://github.com/OWNER/why-initialization-matters")
COURSE_BRANCH = os.environ.get("WHY_INIT_COURSE_BRANCH", "main")
COURSE_FOLDER = "why-initialization-matters"  # in each student's home
FIRST_NOTEBOOK = "notebooks/00_start_here.ipynb"

ROSTER = read_roster(CLASS_DIR / "roster.txt")
INSTRUCTORS = instructors(ROSTER)
ENV_BIN = Path(sys.executable).parent  # the environment the hub runs from serves the students too
STATE = CLASS_DIR / "state"
STATE.mkdir(mode=0o700, parents=True, exist_ok=True)

# ---------------------------------------------------------------- the hub and its proxy
c.JupyterHub.bind_url = os.environ.get("WHY_INIT_BIND_URL", "http://:8000")
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(STATE / "jupyterhub.pid")
c.ConfigurableHTTPProxy.pid_file = str(STATE / "jupyterhub-proxy.pid")
# The proxy from the repository's `make hub-proxy` (npm, into build/npm), else from PATH.
_local_proxy = HERE.parent / "build" / "npm" / "node_modules" / ".bin" / "configurable-http-proxy"
c.ConfigurableHTTPProxy.command = [str(_local_proxy) if _local_proxy.exists() else "configurable-http-proxy"]

# ---------------------------------------------------------------- who logs in
c.JupyterHub.authenticator_class = "pam"  # replace with your school's (see the docstring)
c.Authenticator.allowed_users = set(ROSTER)
c.Authenticator.admin_users = set(INSTRUCTORS)
c.JupyterHub.load_groups = {
    "instructors": {"users": sorted(INSTRUCTORS)},
    "students": {"users": sorted(set(ROSTER) - INSTRUCTORS)},
}

# ---------------------------------------------------------------- each student's server
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [str(ENV_BIN / "jupyterhub-singleuser")]
c.Spawner.notebook_dir = "~"
c.Spawner.default_url = "/git-pull?" + urllib.parse.urlencode({
    "repo": COURSE_REPO,
    "branch": COURSE_BRANCH,
    "targetpath": COURSE_FOLDER,
    "urlpath": f"lab/tree/{COURSE_FOLDER}/{FIRST_NOTEBOOK}",
})
c.Spawner.args = [
    "--MappingKernelManager.cull_idle_timeout=1800",   # an idle kernel gives its memory back
    "--MappingKernelManager.cull_interval=300",
    "--ServerApp.shutdown_no_activity_timeout=3600",   # and an idle server ends
]


def _home(spawner):
    import pwd

    return pwd.getpwnam(spawner.user.name).pw_dir


def _role(spawner):
    return "instructor" if spawner.user.name in INSTRUCTORS else "student"


c.Spawner.environment = {
    "PATH": f"{ENV_BIN}:/usr/local/bin:/usr/bin:/bin",
    "PYTHONPATH": lambda spawner: os.path.join(_home(spawner), COURSE_FOLDER),
    "COURSE_DATA_DIR": str(CLASS_DIR / "data"),
    "WHY_INIT_EXCHANGE": str(CLASS_DIR / "exchange"),
    "JUPYTER_CONFIG_PATH": lambda spawner: str(HERE / "jupyter" / _role(spawner)),
    # Thirty students share the cores: one BLAS thread each (course_lib trains single-threaded anyway).
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
}
# A student who follows the course link while their server is stopped gets it started
# (instead of a page with a "Launch server" button).
c.JupyterHub.implicit_spawn_seconds = 1
c.Spawner.start_timeout = 120  # a busy machine during a class start
c.Spawner.http_timeout = 60
