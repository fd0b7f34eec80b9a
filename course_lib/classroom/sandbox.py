"""Where a student's kernel runs: its own folder, a private view of the file system, limits.

One :class:`Sandbox` per submission:

* a fresh temporary folder ``.../grading-XXXX/work`` holding that submission alone
  (the student's own notebook, as handed in: nothing of the instructor's);
* ``.../grading-XXXX/channel``: the kernel's connection file and its ZeroMQ sockets
  (``ipc`` transport: Unix sockets in that folder, so the kernel needs no network);
* the kernel command wrapped as ``bwrap [view] -- python -I -S launch.py [limits]
  -- python -m ipykernel_launcher -f channel/kernel.json``.

The view (`bubblewrap <https://github.com/containers/bubblewrap>`_, what Flatpak
uses; Debian package ``bubblewrap``) is a private mount namespace that holds only

* read-only: ``/usr`` and its ``/bin``, ``/lib`` links, a few files of ``/etc``
  (``ld.so.cache``, ``localtime``, ``passwd``, ``group``, ``nsswitch.conf``), the
  Python installation and its environment (``sys.base_prefix``, ``sys.prefix``), and
  the packages the instructor's notebook imports that live elsewhere (an editable
  install such as ``course_lib/``: the package folder, never the folder above it);
* read-write: the submission's ``work`` and ``channel`` folders, and an empty ``/tmp``;
* its own ``/proc`` (a new PID namespace: the grader, the other kernels and their
  command lines are not there), a minimal ``/dev``, no network, its own IPC and
  host name, a new session (no terminal to inject keystrokes into).

So the course folder, the sources with their hidden tests, the other submissions
and the grader's outputs do not exist for the kernel. The test code reaches the
kernel over the kernel channel only (see :mod:`course_lib.classroom.kernel_guard`).

Who the kernel runs as. When the grader runs as root, bubblewrap runs as root (no
user namespace) and the launcher drops to an unprivileged uid that belongs to no
account, leased for the time of one submission (:func:`lease_uid`: the first free uid
from :data:`DEFAULT_KERNEL_UID` up, or from ``--kernel-uid``), so that no two kernels
on the machine share one: Linux counts the process limit per uid. Nothing has to be
created: the uid owns only the submission's two folders.
When the grader is not root, bubblewrap makes a user namespace and the kernel runs
as the grader's own uid (mapped); it still sees only the view above.

Limits (:class:`Limits`, set by :mod:`course_lib.classroom.launch`): address space,
CPU seconds, processes and threads, file size; the per-cell timeout is the grader's.

When bubblewrap is missing or does not work here, :func:`choose_mode` falls back to
running the kernel unsandboxed (as the unprivileged uid when root, if it can reach
the Python installation) and says so loudly: the kernel can then read every file
that is readable by its user (the course folder is world-readable) and the score
table's ``sandbox`` column says ``none``.
"""
from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager

__all__ = ["DEFAULT_KERNEL_UID", "Limits", "SandboxPolicy", "Sandbox", "SandboxKernelManager", "choose_mode",
           "imported_packages", "lease_uid", "readonly_paths"]

#: The first kernel uid when the grader runs as root (one per parallel job): far above
#: Debian's ranges for accounts (1000-59999) and system users, so it belongs to nobody.
DEFAULT_KERNEL_UID = 1_990_000

LAUNCHER = Path(__file__).with_name("launch.py")
_ETC_FILES = ("ld.so.cache", "localtime", "passwd", "group", "nsswitch.conf")
#: Environment variables a kernel inherits (nothing else: no tokens, no paths of the grader's).
_PASS_ENV = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "PYTHONPATH", "OPENBLAS_CORETYPE")


@dataclass(frozen=True)
class Limits:
    """Resource limits of one kernel (see :mod:`course_lib.classroom.launch`).

    The defaults leave room: the four assignments' solutions, graded here, peaked at
    0.79-0.80 GB of address space (VmPeak), 72-87 MB resident and 11 threads per kernel
    (numpy with one BLAS thread, ipykernel's own threads)."""

    memory: int = 4 * 2**30       # bytes of address space (RLIMIT_AS)
    cpu: int = 900                # CPU seconds for the whole kernel (RLIMIT_CPU)
    processes: int = 256          # processes + threads of the kernel's uid (RLIMIT_NPROC)
    file_size: int = 256 * 2**20  # bytes, the largest file it may write (RLIMIT_FSIZE)

    def __post_init__(self):
        for name in ("memory", "cpu", "processes", "file_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"limit {name} must be a positive integer, got {value!r}")

    def arguments(self):
        return ["--memory", str(self.memory), "--cpu", str(self.cpu), "--processes", str(self.processes),
                "--file-size", str(self.file_size)]


@dataclass(frozen=True)
class SandboxPolicy:
    """How kernels are isolated.

    ``mode``: 'bwrap' (bubblewrap, required: an error if it does not work), 'auto'
    (bubblewrap if it works, else unsandboxed with a loud warning), or 'none'
    (unsandboxed, still with the limits and, as root, the unprivileged uid).
    ``kernel_uid``: the first uid used when the grader is root. ``expose``: more
    folders the kernel may read (read-only), e.g. a data set the tests load.
    """

    mode: str = "auto"
    kernel_uid: int = DEFAULT_KERNEL_UID
    limits: Limits = field(default_factory=Limits)
    expose: tuple = ()

    def __post_init__(self):
        if self.mode not in ("auto", "bwrap", "none"):
            raise ValueError(f"sandbox mode must be 'auto', 'bwrap' or 'none', got {self.mode!r}")
        if isinstance(self.kernel_uid, bool) or not isinstance(self.kernel_uid, int) or not 0 < self.kernel_uid < 2**31:
            raise ValueError(f"kernel_uid must be an integer uid > 0, got {self.kernel_uid!r}")


def imported_packages(sources):
    """Top-level module names imported by ``import``/``from`` statements in code sources (ast; no import runs)."""
    import ast

    names = set()
    for code in sources:
        try:
            tree = ast.parse(code)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module.split(".")[0])
    return sorted(names)


def _within(path, roots):
    return any(path == root or root in path.parents for root in roots)


def readonly_paths(packages=(), expose=(), forbidden=()):
    """The folders and files the kernel may read: the Python installation, and each package
    in ``packages`` that lives outside it (its own folder only), plus ``expose``.
    ValueError if one of them would reveal a ``forbidden`` folder (the course, the submissions)."""
    prefixes = []
    for p in {sys.base_prefix, sys.prefix, sys.exec_prefix, os.path.dirname(os.path.realpath(sys.executable))}:
        prefixes.append(Path(p).resolve())
    paths = set(prefixes)
    for name in packages:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            continue
        if spec is None or spec.origin in (None, "built-in", "frozen"):
            continue
        location = Path(next(iter(spec.submodule_search_locations or []), spec.origin)).resolve()
        if not _within(location, prefixes):
            paths.add(location)
    paths.update(Path(p).resolve() for p in expose)
    forbidden = [Path(f).resolve() for f in forbidden]
    for path in paths:
        for secret in forbidden:
            if path == secret or path in secret.parents:
                raise ValueError(f"the kernel would see {secret} through {path}: "
                                 f"grade with a course folder that is not inside {path}")
    return sorted(p for p in paths if not any(other in p.parents for other in paths))  # outermost only


def _bwrap_view(readonly, writable, workdir):
    """bubblewrap's arguments for the view described in the module docstring."""
    args = ["--die-with-parent", "--new-session", "--unshare-pid", "--unshare-net", "--unshare-ipc",
            "--unshare-uts", "--unshare-cgroup-try", "--hostname", "grading",
            "--ro-bind", "/usr", "/usr", "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    for top in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = Path("/") / top
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    for name in _ETC_FILES:
        if (Path("/etc") / name).exists():
            args += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
    # Parents of the bound paths: bubblewrap would make them 0700 (root's), untraversable by the kernel's uid.
    parents = sorted({str(p) for path in [*readonly, *writable] for p in Path(path).parents
                      if str(p) not in ("/", "/tmp", "/usr") and not str(p).startswith("/usr/")})
    for parent in parents:
        args += ["--perms", "0755", "--dir", parent]
    for path in readonly:
        args += ["--ro-bind", str(path), str(path)]
    for path in writable:
        args += ["--bind", str(path), str(path)]
    return args + ["--chdir", str(workdir)]


def _wrap(mode, readonly, writable, workdir, limits, uid):
    """The command prefix that runs a kernel command in ``mode`` ('bwrap' or 'none')."""
    python = os.path.realpath(sys.executable)
    launcher = [python, "-I", "-S", str(LAUNCHER), *limits.arguments()]
    if uid is not None:
        launcher += ["--uid", str(uid), "--gid", str(uid)]
    launcher.append("--")
    if mode == "none":
        return launcher
    bwrap = [shutil.which("bwrap") or "bwrap", *_bwrap_view([*readonly, LAUNCHER], writable, workdir)]
    if os.geteuid() == 0:
        bwrap += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]  # for the launcher's setuid only
    else:
        bwrap += ["--unshare-user"]
    return [*bwrap, "--", *launcher]


def kernel_env(workdir):
    """The kernel's environment: a short allow-list (see _PASS_ENV), a private HOME, one BLAS thread."""
    env = {k: os.environ[k] for k in _PASS_ENV if k in os.environ}
    env.setdefault("PATH", "/usr/bin:/bin")
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env["PATH"]
    home = str(workdir)
    env.update(HOME=home, USER="student", LOGNAME="student", MPLCONFIGDIR=os.path.join(home, ".config", "matplotlib"),
               IPYTHONDIR=os.path.join(home, ".ipython"), JUPYTER_RUNTIME_DIR=os.path.join(home, ".jupyter"),
               OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1")
    return env


class SandboxKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel command runs inside ``self.sandbox`` (set before start)."""

    sandbox = None

    def format_kernel_cmd(self, extra_arguments=None):
        return self.sandbox.prefix() + super().format_kernel_cmd(extra_arguments)

    def write_connection_file(self, **kwargs):
        super().write_connection_file(**kwargs)
        self.sandbox.give(Path(self.connection_file))


class Sandbox:
    """One submission's private folders and kernel wrapper; a context manager that removes them.

    ``notebook_name`` and ``text``: the submission, written as ``work/<notebook_name>``.
    ``mode``: 'bwrap' or 'none' (from :func:`choose_mode`). ``uid``: the kernel's uid, or None.
    """

    def __init__(self, *, mode, limits, readonly, uid=None, notebook_name=None, text=None):
        self.mode, self.limits, self.readonly, self.uid = mode, limits, list(readonly), uid
        self._logs = []
        self.root = Path(tempfile.mkdtemp(prefix="grading-"))
        os.chmod(self.root, 0o711)  # the kernel's uid may pass through, not list
        self.workdir, self.channel = self.root / "work", self.root / "channel"
        for folder in (self.workdir, self.channel):
            folder.mkdir(mode=0o700)
            self.give(folder)
        if notebook_name is not None:
            path = self.workdir / notebook_name
            path.write_text(text, encoding="utf-8")
            self.give(path)

    def give(self, path):
        """Make ``path`` the kernel's (chown to its uid when the grader is root)."""
        if self.uid is not None:
            os.chown(path, self.uid, self.uid)

    def prefix(self):
        return _wrap(self.mode, self.readonly, [self.workdir, self.channel], self.workdir, self.limits, self.uid)

    def kernel_manager(self, kernel_name):
        km = SandboxKernelManager(kernel_name=kernel_name, transport="ipc", ip=str(self.channel / "kernel"))
        km.connection_file = str(self.channel / "kernel.json")
        km.sandbox = self
        return km

    def start_arguments(self):
        """Keyword arguments for the kernel's start: cwd, env, and its output to ``kernel.log``
        (outside the kernel's view), read by :meth:`log_tail` when a kernel dies."""
        log = open(self.root / "kernel.log", "wb")
        self._logs.append(log)
        return {"cwd": str(self.workdir), "env": kernel_env(self.workdir), "stdout": subprocess.DEVNULL,
                "stderr": log}

    def log_tail(self, lines=3):
        """The last lines the kernel wrote to its stderr, as one line."""
        try:
            text = (self.root / "kernel.log").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return " | ".join(line.strip() for line in text.strip().splitlines()[-lines:])

    def cleanup(self):
        for log in self._logs:
            log.close()
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.cleanup()


@contextlib.contextmanager
def lease_uid(base, span=4096):
    """The first uid in ``base .. base + span - 1`` that no other kernel on this machine holds.

    Every grader process (this run's workers, another instructor's run, a test suite)
    takes a uid through an exclusive ``flock`` on ``/run/course-grader/uid-N.lock``
    (root's own folder), so no two kernels ever share a uid: the process limit counts
    per uid, and the leftovers of one kernel (a fork bomb's children) are killed by uid.
    Anything still running as the uid when it is taken or given back is such a
    leftover, and is killed."""
    import fcntl

    root_owned = os.geteuid() == 0 and Path("/run").is_dir()
    folder = Path("/run/course-grader") if root_owned else Path(tempfile.gettempdir()) / f"course-grader-{os.geteuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    for uid in range(base, base + span):
        handle = open(folder / f"uid-{uid}.lock", "w")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            continue
        try:
            end_processes(uid)
            yield uid
        finally:
            end_processes(uid)
            handle.close()
        return
    raise RuntimeError(f"no free kernel uid in {base}..{base + span - 1}")


def end_processes(uid, wait=10.0):
    """Kill whatever runs as ``uid`` (a dedicated kernel uid, never a person's) and wait until it is gone."""
    import signal
    import time

    deadline = time.monotonic() + wait
    while True:
        pids = _pids_of(uid)
        if not pids or time.monotonic() > deadline:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.05)


def _pids_of(uid):
    """Live processes (not zombies: they hold nothing but a pid) whose real uid is ``uid``, from /proc."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as f:
                fields = dict(line.split(":", 1) for line in f if ":" in line)
        except OSError:
            continue
        if int(fields.get("Uid", "-1 0").split()[0]) == uid and not fields.get("State", "").strip().startswith("Z"):
            pids.append(int(entry))
    return pids


def _probe(mode, limits, readonly, uid):
    """Run a one-line Python in the sandbox ``mode``; return '' if it worked, else why not."""
    if mode == "bwrap" and shutil.which("bwrap") is None:
        return "bubblewrap (bwrap) is not installed (Debian: apt-get install bubblewrap)"
    with contextlib.ExitStack() as stack:
        if uid is not None:
            uid = stack.enter_context(lease_uid(uid))
        return _probe_as(mode, limits, readonly, uid)


def _probe_as(mode, limits, readonly, uid):
    with Sandbox(mode=mode, limits=limits, readonly=readonly, uid=uid) as box:
        check = "import os, sys; print(os.getuid(), len(sys.path))"
        try:
            run = subprocess.run([*box.prefix(), sys.executable, "-c", check], cwd=box.workdir,
                                 env=kernel_env(box.workdir), capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as error:
            return f"{type(error).__name__}: {error}"
        if run.returncode != 0:
            return (run.stderr.strip().splitlines() or [f"exit status {run.returncode}"])[-1]
        if uid is not None and run.stdout.split()[0] != str(uid):
            return f"the kernel ran as uid {run.stdout.split()[0]}, not {uid}"
    return ""


def choose_mode(policy, readonly):
    """('bwrap' or 'none', uid or None, warning): the strongest isolation that works here.

    The warning is '' when kernels run as the policy asks, else a sentence for the
    instructor saying what is not guaranteed. ValueError when mode='bwrap' cannot work.
    """
    uid = policy.kernel_uid if os.geteuid() == 0 else None
    if policy.mode in ("auto", "bwrap"):
        why = _probe("bwrap", policy.limits, readonly, uid)
        if not why:
            return "bwrap", uid, ""
        if policy.mode == "bwrap":
            raise ValueError(f"sandbox mode 'bwrap' does not work here: {why}")
        warning = (f"bubblewrap does not work here ({why}): kernels run WITHOUT a private view of the files, "
                   "so a submission can read whatever its user can read (the course folder, the hidden tests, "
                   "other submissions) and, unless it runs as another user, write there")
    else:
        warning = ("sandbox mode 'none': kernels run WITHOUT a private view of the files, so a submission can "
                   "read whatever its user can read (the course folder, the hidden tests, other submissions)")
    if uid is not None:
        why = _probe("none", policy.limits, readonly, uid)
        if not why:
            return "none", uid, warning + f"; they run as uid {uid} and up"
        warning += f"; not even as an unprivileged uid ({why}): as the grader's own user"
    return "none", None, warning
