"""Installed anywhere: the wheel, in a fresh venv, runs the notebooks from an empty folder.

A student on a lab machine or a hosted notebook service has the package and a notebook file,
nothing else: no repository, no ``results/`` or ``data/`` beside the notebook. So this test

1. builds the wheel from a copy of the sources (``pip wheel``, as a user would) and checks what
   it ships: the LICENSE in its dist-info, the committed reproduction as package data;
2. installs it into a fresh venv with only its runtime dependencies, plus ipykernel to run a
   kernel there (the newest releases pip finds: the floors are ``make test-min``'s job);
3. copies notebooks 00, 04 and 07 into an empty temporary folder and runs them there with nbval,
   comparing their stored outputs. nbval runs here, in the test venv; the *kernel* runs in the
   fresh venv (a kernelspec installed into a temporary JUPYTER_PATH, ``--nbval-kernel-name``),
   so the notebooks see only the wheel and its dependencies, not this checkout: PYTHONPATH and
   COURSE_DATA_DIR are removed from the kernel's environment.

MNIST (notebook 04) comes from the user's cache folder, as for an installed package: a temporary
XDG_CACHE_HOME whose ``why-initialization-matters/mnist.npz`` links to the cache this checkout
already prepared (verified against the published checksums on load, as always).

It costs a minute or two (downloading the runtime's wheels; pip's cache helps where it keeps
them), so it is marked ``slow_install``: the kernel matrix and ``make test-min`` leave it out
with ``-m "not slow_install"``.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from course_lib.data import mnist as data

pytestmark = pytest.mark.slow_install

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ("00_start_here.ipynb", "04_mnist_old_vs_new.ipynb", "07_trainability_map.ipynb")
KERNEL = "why-init-wheel"
# What the wheel is built from: the package and what pyproject.toml names (readme, licence).
SOURCES = ("pyproject.toml", "README.md", "LICENSE", "course_lib")


def _run(args, **kwargs):
    result = subprocess.run([str(a) for a in args], capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, f"{' '.join(map(str, args))} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def _isolated_env(**extra):
    """The environment without anything that points back at this checkout."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "COURSE_DATA_DIR", "PYTHONHOME")}
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    src = tmp_path_factory.mktemp("src")
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(ROOT / name, src / name)
    dist = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", dist, src], timeout=300)
    wheels = list(dist.glob("why_initialization_matters-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory):
    """A fresh venv with the wheel, its runtime dependencies and ipykernel; its kernelspec."""
    root = tmp_path_factory.mktemp("venv")
    _run([sys.executable, "-m", "venv", root / "env"], timeout=120)
    python = root / "env" / "bin" / "python"
    _run([python, "-m", "pip", "install", "--quiet", wheel, "ipykernel"], timeout=600, env=_isolated_env())
    _run([python, "-m", "ipykernel", "install", "--prefix", root / "jupyter", "--name", KERNEL], timeout=120,
         env=_isolated_env())
    return python, root / "jupyter" / "share" / "jupyter"


def test_wheel_ships_the_license_and_the_results_but_no_tests(wheel):
    with zipfile.ZipFile(wheel) as whl:
        names = whl.namelist()
        dist_info = {n.split("/")[0] for n in names if n.split("/")[0].endswith(".dist-info")}
        assert len(dist_info) == 1
        (dist_info,) = dist_info
        assert f"{dist_info}/licenses/LICENSE" in names
        assert whl.read(f"{dist_info}/licenses/LICENSE") == (ROOT / "LICENSE").read_bytes()
        metadata = whl.read(f"{dist_info}/METADATA").decode()
        assert "License-Expression: MIT" in metadata and "License-File: LICENSE" in metadata
        committed = ROOT / "course_lib" / "results" / "nielsen_reproduction.json"
        assert whl.read("course_lib/results/nielsen_reproduction.json") == committed.read_bytes()
    assert not [n for n in names if n.startswith(("tests/", "notebooks/", "data/", "results/"))]


def test_installed_package_finds_its_results_and_the_user_cache(venv, tmp_path):
    python, _ = venv
    probe = ("import json, course_lib, course_lib.data as d, course_lib.lessons.mnist_old_vs_new as em;"
             "print(json.dumps([course_lib.__file__, str(d.resolve_data_dir()), len(em.load_results()['runs'])]))")
    out = _run([python, "-c", probe], cwd=tmp_path, timeout=120,
               env=_isolated_env(XDG_CACHE_HOME=str(tmp_path / "cache"))).stdout
    package, data_dir, runs = json.loads(out)
    assert Path(package).is_relative_to(python.parent.parent) and "site-packages" in package
    assert Path(data_dir) == (tmp_path / "cache" / "why-initialization-matters").resolve()
    assert runs == 30


def test_notebooks_run_from_an_empty_folder_against_the_installed_wheel(venv, tmp_path):
    python, jupyter_path = venv
    prepared = data.resolve_data_dir() / data.CACHE_FILE
    if not prepared.is_file():
        pytest.skip(f"MNIST is not prepared ({prepared} missing): run `make data` first (make test does)")
    cache = tmp_path / "cache" / "why-initialization-matters"
    cache.mkdir(parents=True)
    (cache / data.CACHE_FILE).symlink_to(prepared)
    student = tmp_path / "student"
    student.mkdir()
    for name in NOTEBOOKS:
        shutil.copy2(ROOT / "notebooks" / name, student / name)
    env = _isolated_env(JUPYTER_PATH=str(jupyter_path), XDG_CACHE_HOME=str(tmp_path / "cache"))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval", "--nbval-kernel-name", KERNEL, "-p", "no:cacheprovider",
         "-q", "-o", "addopts=", "--rootdir", str(student), *NOTEBOOKS],
        cwd=student, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert sorted(p.name for p in student.iterdir()) == sorted(NOTEBOOKS), "the notebooks wrote into their folder"
