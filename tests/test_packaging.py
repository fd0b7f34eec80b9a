"""What an adopter checks first: the licence, what git ignores, and the GitHub Actions workflow.

(The built wheel itself, with its LICENSE and package data, is checked in tests/test_wheel.py.)
"""
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

if sys.version_info >= (3, 11):
    import tomllib
else:                                   # Python 3.10: the test extra installs tomli there
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"


def test_license_file_is_mit_and_pyproject_says_so():
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License\n")
    assert "Copyright (c) 2026 the Why Initialization Matters authors" in text
    assert "THE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT WARRANTY OF ANY KIND" in text
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT" and project["license-files"] == ["LICENSE"]


def test_mnist_licence_is_stated_beside_the_data():
    assert "CC BY-SA 3.0" in (ROOT / "data" / "README.md").read_text()


@pytest.mark.parametrize("path", [
    "submitted/alice/a1_initializers/a1_initializers.ipynb",   # the README's grading command, from the root
    "autograded/alice/a1_initializers/a1_initializers.ipynb",
    "feedback/alice/a1_initializers/a1_initializers.html",
    "a1_grades.csv",
    "gradebook.db",
    "assignments/submitted/bob/a2_backprop/a2_backprop.ipynb",  # nbgrader's course directory
    ".venv-min/bin/python",
])
def test_grader_outputs_and_venvs_are_ignored_by_git(path):
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout (or git is missing): nothing to check")
    result = subprocess.run(["git", "check-ignore", "-q", "--no-index", path], cwd=ROOT, timeout=30)
    assert result.returncode == 0, f"git would offer to commit {path}"


def test_committed_files_are_not_ignored():
    """The rules above must not hide what belongs in git (a results CSV of the course, say)."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout (or git is missing): nothing to check")
    for path in ("course_lib/results/nielsen_reproduction.json", "assignments/source/a1_initializers/a1_initializers.ipynb",
                 "LICENSE", "data/README.md"):
        result = subprocess.run(["git", "check-ignore", "-q", "--no-index", path], cwd=ROOT, timeout=30)
        assert result.returncode == 1, f"{path} is git-ignored"


def _make_targets(commands):
    """The make targets a list of shell commands calls: 'make test PYTHON=python' -> ['test']."""
    targets = []
    for command in commands:
        for line in command.splitlines():
            words = line.split("#", 1)[0].split()
            if words[:1] == ["make"]:
                targets += [w for w in words[1:] if "=" not in w and not w.startswith("-")]
    return targets


def test_github_workflow_is_valid_yaml_and_runs_what_ci_runs():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    job = workflow["jobs"]["test"]
    assert job["strategy"]["matrix"]["python"] == ["3.10", "3.13"]
    runs = [step["run"] for step in job["steps"] if "run" in step]
    ci_run = (ROOT / ".ci" / "run").read_text().splitlines()
    assert _make_targets(runs) == _make_targets(ci_run), "the workflow and .ci/run call different make targets"
    assert _make_targets(ci_run)[:1] == ["test"]
    # YAML reads the bare key `on` as True: the triggers must still be there.
    assert set(workflow.get("on", workflow.get(True))) == {"push", "pull_request"}


def test_make_targets_parser():
    assert _make_targets(["make test PYTHON=python", "  make test-min  # floors", "echo make"]) == ["test", "test-min"]
