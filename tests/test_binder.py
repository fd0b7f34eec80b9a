"""Binder (repo2docker) builds the course from environment.yml and postBuild at the root.

repo2docker reads its configuration from ``binder/`` (or ``.binder/``) when that folder
exists, and then ignores the root's environment.yml and postBuild: the image would get
none of the course's packages. These tests keep the layout that works, and check that
postBuild and the README's launch badge point at things that exist.
"""
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

ROOT = Path(__file__).resolve().parent.parent
POST_BUILD = ROOT / "postBuild"


def test_no_binder_folder_hides_the_root_configuration():
    for name in ("binder", ".binder"):
        assert not (ROOT / name).exists(), (
            f"{name}/ makes repo2docker ignore environment.yml and postBuild at the root; "
            "move the configuration there or remove the folder")
    assert (ROOT / "environment.yml").is_file()


def test_post_build_is_an_executable_bash_script_that_prepares_mnist():
    assert POST_BUILD.is_file()
    assert os.access(POST_BUILD, os.X_OK), "postBuild must be executable (chmod +x postBuild)"
    text = POST_BUILD.read_text()
    assert text.startswith("#!/usr/bin/env bash\n")
    subprocess.run(["bash", "-n", str(POST_BUILD)], check=True, timeout=30)
    assert re.search(r"(?m)^python -m course_lib\.data\b", text)


def test_post_build_is_executable_in_git_too():
    """The executable bit must be committed, not only set in this checkout."""
    try:
        listed = subprocess.run(["git", "ls-files", "-s", "--", "postBuild"], cwd=ROOT, capture_output=True,
                                text=True, timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        listed = ""
    if listed:                                          # not committed yet: nothing to check
        assert listed.split()[0] == "100755", listed


def test_the_data_command_postbuild_runs_exists():
    result = subprocess.run([sys.executable, "-m", "course_lib.data", "--help"], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0 and "--quiet" in result.stdout


def test_readme_badge_launches_an_existing_notebook_in_jupyterlab():
    readme = (ROOT / "README.md").read_text()
    links = re.findall(r"\(https://mybinder\.org/v2/gh/([^/\s]+)/([^/\s]+)/([^?\s]+)\?urlpath=([^)\s]+)\)", readme)
    assert links, "no mybinder.org launch link in README.md"
    for owner, repo, ref, urlpath in links:
        path = unquote(urlpath)
        assert path.startswith("lab/tree/"), path
        assert (ROOT / path.removeprefix("lab/tree/")).is_file(), f"the badge opens {path}, which does not exist"
