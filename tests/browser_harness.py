"""A real JupyterLab and a headless Chromium for the browser tests (tests/test_browser.py).

Three pieces, each usable on its own:

* :class:`JupyterLab`: a JupyterLab server on 127.0.0.1 with a random token, serving a
  temporary folder, with its config, data, runtime, settings and workspaces in temporary
  folders too, autosave off and news/update checks off. Tests copy the notebooks they open
  into that folder, so the repository's notebooks can never be rewritten by the browser.
* :func:`launch_chromium`: Debian's ``/usr/bin/chromium`` driven by Python playwright
  (never ``playwright install``: no browser download), headless, sandbox and GPU off,
  no background networking, a fresh profile.
* :class:`NotebookPage`: what a student does in JupyterLab: open a notebook, Run All, wait
  for every cell, read the outputs, move a slider (keyboard on the noUiSlider handle, or
  typing into the readout), press a button, and take pictures of an image output.

Everything has a timeout; the server and its kernels are stopped on exit (SIGTERM, then
SIGKILL), also when a test fails. The server's log is kept in its temporary folder and shown when it fails to
start.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

#: Where Debian puts its Chromium (package ``chromium``); $CHROMIUM overrides.
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")

#: Flags for a quiet, lean, reproducible headless Chromium.
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
)

#: JupyterLab user settings for the tests, by plugin id.
LAB_SETTINGS = {
    # Never write the (copied) notebook back to disk on its own.
    "@jupyterlab/docmanager-extension:plugin": {"autosave": False},
    # Render every cell in the DOM (the default windowing attaches cells lazily).
    "@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"},
    # No news or update checks (no network, no pop-up over the notebook).
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
}

#: Front-end extensions of instructor tools (nbgrader, in the test extra): a student's
#: JupyterLab (`make lab`; Binder's postBuild disables it too) does not show them.
DISABLED_LAB_EXTENSIONS = ("@jupyter/nbgrader",)

#: Server extensions the tests do not need: fewer imports, faster start.
DISABLED_SERVER_EXTENSIONS = (
    "jupyter_lsp",
    "jupyter_server_terminals",
    "notebook",
    "nbgrader.server_extensions.formgrader",
    "nbgrader.server_extensions.validate_assignment",
    "nbgrader.server_extensions.assignment_list",
    "nbgrader.server_extensions.course_list",
)


class HarnessError(RuntimeError):
    """The server, the browser or the page did not do what the harness waited for."""


def find_chromium():
    """Path of a Chromium executable ($CHROMIUM, then Debian's), or None."""
    candidates = [os.environ.get("CHROMIUM")] + list(CHROMIUM_CANDIDATES) + [shutil.which("chromium")]
    for path in candidates:
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


def missing_requirements():
    """Why the browser tests cannot run here (a sentence), or None if they can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Python playwright is not installed (pip install -e '.[test]')"
    if find_chromium() is None:
        return ("Chromium not found at /usr/bin/chromium (apt-get install chromium; .ci/run does this in CI; "
                "or set $CHROMIUM)")
    return None


def _start_time(pid):
    """(ppid, start time in clock ticks) of a process from /proc, or None if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[1]), int(fields[19])


def _descendants(pid):
    """[(pid, start time)] of all descendants of ``pid`` (Linux /proc; empty elsewhere)."""
    children = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        info = _start_time(stat.parent.name)
        if info is not None:
            children.setdefault(info[0], []).append((int(stat.parent.name), info[1]))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child[0])
    return found


def _die_with_parent():
    """In the child, before exec: get SIGTERM if the test process dies (even by SIGKILL),
    so that no server outlives a killed test run (Linux prctl PR_SET_PDEATHSIG)."""
    try:
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def _signal_same(processes, signum):
    """Send ``signum`` to each (pid, start time) that is still that same process (a pid
    can be reused by an unrelated process once the first one has exited)."""
    for pid, started in processes:
        info = _start_time(pid)
        if info is not None and info[1] == started:
            try:
                os.kill(pid, signum)
            except ProcessLookupError:
                pass


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class JupyterLab:
    """A JupyterLab server for one test module; use as a context manager.

    ``root`` is the folder it serves (put the notebooks to open there); everything
    JupyterLab writes (settings, workspaces, runtime files, checkpoints) goes under
    ``home``. Both should be temporary folders.
    """

    def __init__(self, root, home, *, startup_timeout=60.0):
        self.root = Path(root)
        self.home = Path(home)
        self.startup_timeout = startup_timeout
        self.token = secrets.token_hex(16)
        self.port = None
        self.process = None
        self.log_path = self.home / "jupyterlab.log"

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.port}"

    def url(self, path="lab"):
        return f"{self.base_url}/{path.lstrip('/')}?token={self.token}"

    def _write_config(self):
        dirs = {name: self.home / name for name in ("config", "data", "runtime", "settings", "workspaces", "ipython")}
        for d in dirs.values():
            d.mkdir(parents=True, exist_ok=True)
        for plugin, values in LAB_SETTINGS.items():
            package, name = plugin.split(":")
            path = dirs["settings"] / package / f"{name}.jupyterlab-settings"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        server_config = {"ServerApp": {"jpserver_extensions": {name: False for name in DISABLED_SERVER_EXTENSIONS}}}
        (dirs["config"] / "jupyter_server_config.json").write_text(json.dumps(server_config))
        (dirs["config"] / "labconfig").mkdir(exist_ok=True)
        page_config = {"disabledExtensions": {name: True for name in DISABLED_LAB_EXTENSIONS}}
        (dirs["config"] / "labconfig" / "page_config.json").write_text(json.dumps(page_config))
        return dirs

    def start(self):
        """Launch the server and wait until it answers."""
        return self.launch().wait_until_ready()

    def launch(self):
        """Launch the server without waiting (start a browser meanwhile, then :meth:`wait_until_ready`)."""
        dirs = self._write_config()
        self.port = _free_port()
        env = dict(os.environ)
        env.update(
            JUPYTER_CONFIG_DIR=str(dirs["config"]),
            JUPYTER_DATA_DIR=str(dirs["data"]),
            JUPYTER_RUNTIME_DIR=str(dirs["runtime"]),
            JUPYTERLAB_SETTINGS_DIR=str(dirs["settings"]),
            JUPYTERLAB_WORKSPACES_DIR=str(dirs["workspaces"]),
            IPYTHONDIR=str(dirs["ipython"]),
            JUPYTER_PLATFORM_DIRS="1",
            PYTHONUNBUFFERED="1",
        )
        cmd = [
            sys.executable, "-m", "jupyterlab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}",
            f"--LabApp.user_settings_dir={dirs['settings']}",
            f"--LabApp.workspaces_dir={dirs['workspaces']}",
            "--LabApp.news_url=",
            "--LabApp.extension_manager=readonly",      # never asks PyPI about extensions
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")                  # CI runs as root
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen(cmd, cwd=self.root, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, start_new_session=True,
                                        preexec_fn=_die_with_parent if sys.platform == "linux" else None)
        self._launched = time.monotonic()
        return self

    def wait_until_ready(self):
        """Poll /api/status until the server answers (or fail with its log)."""
        deadline = self._launched + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise HarnessError(f"JupyterLab exited with code {self.process.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/api/status?token={self.token}", timeout=2) as r:
                    if r.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            time.sleep(0.2)
        self.stop()
        raise HarnessError(f"JupyterLab did not answer within {self.startup_timeout:.0f} s:\n{self.log_tail()}")

    def api(self, path):
        """GET a JSON endpoint of the server's REST API (e.g. 'api/sessions')."""
        with urllib.request.urlopen(f"{self.base_url}/{path}?token={self.token}", timeout=10) as r:
            return json.load(r)

    def setting(self, plugin, key):
        """The value JupyterLab uses for a user setting (e.g. autosave of the docmanager)."""
        return self.api(f"lab/api/settings/{plugin}")["settings"].get(key)

    def start_kernel(self, notebook, kernel="python3"):
        """Start ``notebook``'s kernel now, through the REST API (POST /api/sessions).

        JupyterLab connects to this session when the notebook is opened, so the kernel
        starts while the browser is still loading the application instead of after it."""
        body = json.dumps({"path": notebook, "name": notebook, "type": "notebook", "kernel": {"name": kernel}})
        request = urllib.request.Request(f"{self.base_url}/api/sessions", data=body.encode(), method="POST",
                                         headers={"Authorization": f"token {self.token}",
                                                  "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as r:
            return json.load(r)

    def kernel_state(self, notebook):
        """Execution state of the kernel of ``notebook`` (a path under root): 'idle',
        'busy', 'starting', ..., or 'none' while it has no session."""
        for session in self.api("api/sessions"):
            if session.get("path") == notebook and session.get("kernel"):
                return session["kernel"].get("execution_state", "unknown")
        return "none"

    def log_tail(self, n=40):
        try:
            self._log.flush()
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except (OSError, AttributeError):
            return "(no log)"

    def stop(self):
        """Stop the server and everything it started: SIGTERM (the server shuts its kernels
        down), then SIGKILL for whatever is left. Kernels run in sessions of their own, so
        they are found as the server's descendants, not by its process group."""
        if self.process is None:
            return
        children = _descendants(self.process.pid)
        if self.process.poll() is None:
            try:
                # Kernels and server at once: a graceful kernel shutdown one by one is slower.
                _signal_same(children, signal.SIGTERM)
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
            except ProcessLookupError:
                pass
        _signal_same(children, signal.SIGKILL)
        self._log.close()
        self.process = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def launch_chromium(playwright, executable_path=None, *, timeout=30.0):
    """A headless Chromium (Debian's, through playwright) with a fresh temporary profile."""
    path = executable_path or find_chromium()
    if path is None:
        raise HarnessError("no Chromium executable")
    # launch() gives each browser a new temporary profile (--user-data-dir) and removes it on close.
    return playwright.chromium.launch(executable_path=path, headless=True, args=list(CHROMIUM_ARGS),
                                      chromium_sandbox=False, timeout=timeout * 1000)


# ---------------------------------------------------------------------------------- page
_PROMPT_DONE = re.compile(r"^\[\d+\]:$")


class NotebookPage:
    """A notebook opened in JupyterLab in a browser page, driven as a student would."""

    def __init__(self, page, lab, name, *, timeout=30.0):
        self.page = page
        self.lab = lab
        self.name = name
        self.timeout = timeout
        page.set_default_timeout(timeout * 1000)

    @property
    def panel(self):
        """The notebook's panel (the visible one)."""
        return self.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)").first

    def open(self):
        """Open the notebook and wait until its kernel is idle.

        The first notebook of a page loads JupyterLab at /lab/tree/<name>; later ones are
        opened from the file browser (double click), as a student would, without reloading
        the application."""
        if "/lab" not in self.page.url:
            self.page.goto(self.lab.url(f"lab/tree/{self.name}"), wait_until="domcontentloaded")
        else:
            item = self.page.locator(".jp-DirListing-item", has=self.page.locator(
                ".jp-DirListing-itemText", has_text=re.compile(rf"^{re.escape(self.name)}$")))
            item.dblclick()
        self.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell").first.wait_for(state="attached")
        self.page.locator(".lm-TabBar-tab.lm-mod-current", has_text=self.name).first.wait_for()
        self.wait_for_kernel_idle()
        return self

    def kernel_status(self):
        """'idle', 'busy', 'starting', ... from the server (this notebook's kernel)."""
        return self.lab.kernel_state(self.name)

    def wait_for_kernel_idle(self, timeout=None):
        deadline = time.monotonic() + (timeout or self.timeout)
        while time.monotonic() < deadline:
            if self.kernel_status() == "idle":
                return
            time.sleep(0.2)
        raise HarnessError(f"kernel not idle after {timeout or self.timeout:.0f} s: {self.kernel_status()}")

    def run_all(self, timeout=None):
        """Run > Run All Cells from the menu bar, then wait until every code cell has run."""
        self.panel.locator(".jp-Notebook").click(position={"x": 5, "y": 5})
        self.page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
        self.page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
        return self.wait_until_all_ran(timeout)

    def cell(self, index):
        """The notebook's cell number ``index`` (0-based, markdown cells included)."""
        return self.panel.locator(".jp-Notebook .jp-Cell").nth(index)

    def run_cells(self, indices, timeout=None):
        """Run these code cells, in this order, as a student would: click the cell's
        prompt (selects it without editing), press Ctrl+Enter; then wait until each has an
        execution count and the kernel is idle. Returns their prompts."""
        for index in indices:
            cell = self.cell(index)
            cell.scroll_into_view_if_needed()
            cell.locator(".jp-InputPrompt").first.click()
            self.page.keyboard.press("Control+Enter")
        cells = [self.cell(i).locator(".jp-InputPrompt").first for i in indices]

        def done():
            prompts = [c.inner_text().strip() for c in cells]
            if self.kernel_status() == "idle" and "[*]:" not in prompts:
                errors = self.error_outputs()
                if errors:
                    raise HarnessError(f"a cell failed (prompts {prompts}):\n{errors[0][-2000:]}")
            return all(_PROMPT_DONE.match(p) for p in prompts) and self.kernel_status() == "idle" and prompts

        return self.wait_for(done, timeout, what=f"running cells {list(indices)}")

    def prompts(self):
        """The input prompts of the code cells, e.g. ['[1]:', '[*]:', '[ ]:']."""
        return [p.strip() for p in self.panel.locator(".jp-CodeCell .jp-InputPrompt").all_inner_texts()]

    def wait_until_all_ran(self, timeout=None, stall=10.0):
        """Wait until every code cell shows an execution count and the kernel is idle.

        Fails at once when Run All stopped at an error (JupyterLab does not run the cells
        after it), and after ``stall`` seconds of an idle kernel with cells left unrun."""
        timeout = timeout or self.timeout
        deadline = time.monotonic() + timeout
        prompts, idle_since = [], None
        while time.monotonic() < deadline:
            prompts = self.prompts()
            idle = self.kernel_status() == "idle"
            if prompts and all(_PROMPT_DONE.match(p) for p in prompts) and idle:
                return prompts
            if idle and "[*]:" not in prompts:
                errors = self.error_outputs()
                if errors:
                    raise HarnessError(f"Run All stopped at an error (prompts {prompts}):\n{errors[0][-2000:]}")
                idle_since = idle_since or time.monotonic()
                if time.monotonic() - idle_since > stall:
                    raise HarnessError(f"the kernel is idle but cells were not run: prompts {prompts}")
            else:
                idle_since = None
            time.sleep(0.25)
        raise HarnessError(f"cells still not run after {timeout:.0f} s: prompts {prompts}")

    def error_outputs(self):
        """Text of every error output (tracebacks) in the notebook."""
        return self.panel.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.error"]'
                                  ).all_inner_texts()

    # -------------------------------------------------------------------- widgets
    def output_with(self, selector):
        """The first cell output that contains ``selector`` (e.g. '.layer-stats'): the
        scope in which to look for one widget's controls."""
        return self.panel.locator(".jp-OutputArea-output").filter(has=self.page.locator(selector)).first

    def slider(self, description, scope=None):
        """The ipywidgets slider whose label (description) is exactly ``description``."""
        label = self.page.locator(".widget-label", has_text=re.compile(rf"^\s*{re.escape(description)}\s*$"))
        return (scope or self.panel).locator(".widget-slider").filter(has=label).first

    def slider_readout(self, description, scope=None):
        """The slider's readout text as shown (e.g. '5' or '0.316')."""
        return self.slider(description, scope).locator(".widget-readout").inner_text().strip()

    def press_slider(self, description, key, times=1, scope=None):
        """Focus the slider's handle and press ``key`` (e.g. 'ArrowRight') ``times`` times,
        as a keyboard user would; each press moves one step (noUiSlider's keyboard support)."""
        handle = self.slider(description, scope).locator(".noUi-handle").first
        handle.focus()
        for _ in range(times):
            handle.press(key)

    def type_slider(self, description, value, scope=None):
        """Type ``value`` into the slider's readout and press Enter (the exact value)."""
        readout = self.slider(description, scope).locator(".widget-readout")
        readout.click()
        self.page.keyboard.press("Control+A")
        self.page.keyboard.type(str(value))
        self.page.keyboard.press("Enter")

    def choose(self, description, option, scope=None):
        """Pick ``option`` (its visible label) in the ipywidgets Dropdown labelled ``description``."""
        label = self.page.locator(".widget-label", has_text=re.compile(rf"^\s*{re.escape(description)}\s*$"))
        dropdown = (scope or self.panel).locator(".widget-dropdown").filter(has=label).first
        dropdown.locator("select").select_option(label=option)

    def button(self, description, scope=None):
        """The ipywidgets Button whose description is exactly ``description``."""
        return (scope or self.panel).locator(
            "button.jupyter-button", has_text=re.compile(rf"^\s*{re.escape(description)}\s*$")).first

    def image_src(self, locator):
        """The ``src`` of an Image widget's <img> (a new blob: URL each time its value changes)."""
        return locator.get_attribute("src")

    def wait_for(self, predicate, timeout=None, what="condition"):
        """Poll ``predicate()`` until it returns something truthy; return that."""
        timeout = timeout or self.timeout
        deadline = time.monotonic() + timeout
        while True:
            result = predicate()
            if result:
                return result
            if time.monotonic() > deadline:
                raise HarnessError(f"{what}: not true within {timeout:.0f} s")
            time.sleep(0.1)

    def wait_for_change(self, read, before, timeout=None, what="value"):
        """Poll ``read()`` until it differs from ``before``; return the new value."""
        timeout = timeout or self.timeout
        deadline = time.monotonic() + timeout
        now = read()
        while now == before and time.monotonic() < deadline:
            time.sleep(0.1)
            now = read()
        if now == before:
            raise HarnessError(f"{what} did not change within {timeout:.0f} s: still {before!r}")
        return now
