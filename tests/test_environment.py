"""environment.yml (conda, Binder) and pyproject.toml (pip) must name the same packages."""
import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
# Named on one side only, on purpose: conda's own tools and the interpreter.
CONDA_ONLY = {"python", "pip"}
# conda-forge names that differ from the PyPI name of the same package.
CONDA_TO_PIP = {"playwright-python": "playwright"}


def _name(requirement: str) -> str:
    """'numpy>=1.24' -> 'numpy'; 'nbval >=0.11  # comment' -> 'nbval' (PEP 503 normalised)."""
    name = re.split(r"[\s<>=!~;\[]", requirement.strip(), maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


def pip_packages():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {_name(r) for r in project["dependencies"]}
    for extra, reqs in project.get("optional-dependencies", {}).items():
        names |= {_name(r) for r in reqs if not r.startswith(project["name"])}
    return names


def conda_packages():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    names = set()
    for dep in env["dependencies"]:
        if isinstance(dep, str):
            names.add(CONDA_TO_PIP.get(_name(dep), _name(dep)))
        # the nested pip: list installs course_lib itself (-e .); nothing else belongs there
    return names - CONDA_ONLY


def test_environment_and_pyproject_name_the_same_packages():
    pip, conda = pip_packages(), conda_packages()
    assert pip == conda, (
        f"only in pyproject.toml: {sorted(pip - conda)}; only in environment.yml: {sorted(conda - pip)}"
    )


def test_environment_pins_python_311_from_conda_forge():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert env["channels"] == ["conda-forge"]
    assert "python=3.11" in env["dependencies"]
    pip_section = [d for d in env["dependencies"] if isinstance(d, dict)]
    assert pip_section == [{"pip": ["-e ."]}]


def test_name_parser():
    assert _name("numpy>=1.24") == "numpy"
    assert _name("nbval >=0.11") == "nbval"
    assert _name("PyYAML==6.0") == "pyyaml"
    assert _name("why_initialization.matters[lab]") == "why-initialization-matters"
