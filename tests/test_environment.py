"""environment.yml (conda, Binder) and pyproject.toml (pip) must name the same packages, with the
same version constraints; and `make test-min` must test the oldest Python that pyproject declares."""
import re
import sys
from pathlib import Path

import pytest
import yaml
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

if sys.version_info >= (3, 11):
    import tomllib
else:                                   # Python 3.10: the test extra installs tomli there
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
# Named on one side only, on purpose: conda's own tools and the interpreter.
CONDA_ONLY = {"python", "pip"}
# conda-forge names that differ from the PyPI name of the same package.
CONDA_TO_PIP = {"playwright-python": "playwright"}


def _name(requirement: str) -> str:
    """'numpy>=1.24' -> 'numpy'; 'nbval >=0.11  # comment' -> 'nbval' (PEP 503 normalised)."""
    name = re.split(r"[\s<>=!~;\[]", requirement.strip(), maxsplit=1)[0]
    return canonicalize_name(name)


def _conda_spec(dep: str):
    """'nbval>=0.11          # comment' -> ('nbval', SpecifierSet('>=0.11')) (yaml already dropped the comment)."""
    name = _name(dep)
    version = dep.strip()[len(re.split(r"[\s<>=!~;\[]", dep.strip(), maxsplit=1)[0]):].strip()
    return CONDA_TO_PIP.get(name, name), SpecifierSet(version.replace(" ", ""))


def environment_python():
    """The Python version environment.yml pins ('python=3.11' -> '3.11')."""
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pins = [d.split("=", 1)[1] for d in env["dependencies"] if isinstance(d, str) and d.startswith("python=")]
    assert len(pins) == 1, f"environment.yml must pin python once, e.g. python=3.11; found {pins}"
    return pins[0]


def pip_requirements():
    """{name: SpecifierSet} of every requirement in pyproject.toml (runtime and extras) that applies
    on environment.yml's Python: 'tomli; python_version < "3.11"' does not apply on 3.11."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    python = environment_python()
    reqs = list(project["dependencies"])
    for reqs_of_extra in project.get("optional-dependencies", {}).values():
        reqs += [r for r in reqs_of_extra if _name(r) != canonicalize_name(project["name"])]
    out = {}
    for text in reqs:
        req = Requirement(text)
        if req.marker is not None and not req.marker.evaluate({"python_version": python,
                                                                 "python_full_version": python + ".0"}):
            continue
        name = canonicalize_name(req.name)
        assert name not in out or out[name] == req.specifier, f"{name} is declared twice, differently"
        out[name] = req.specifier
    return out


def conda_requirements():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    out = {}
    for dep in env["dependencies"]:
        if isinstance(dep, str) and _name(dep) not in CONDA_ONLY:   # python=3.11 is conda's syntax
            name, spec = _conda_spec(dep)
            out[name] = spec
        # the nested pip: list installs course_lib itself (-e .); nothing else belongs there
    return out


def test_environment_and_pyproject_name_the_same_packages():
    pip, conda = set(pip_requirements()), set(conda_requirements())
    assert pip == conda, (
        f"only in pyproject.toml: {sorted(pip - conda)}; only in environment.yml: {sorted(conda - pip)}"
    )


def test_environment_and_pyproject_declare_the_same_versions():
    pip, conda = pip_requirements(), conda_requirements()
    differ = {name: (str(pip[name]), str(conda[name])) for name in pip.keys() & conda.keys()
              if pip[name] != conda[name]}
    assert not differ, f"version constraints differ (pyproject.toml, environment.yml): {differ}"


def test_every_runtime_dependency_declares_its_floor():
    """`make test-min` installs each runtime dependency at its floor, so each must have one."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for text in project["dependencies"]:
        floors = [s for s in Requirement(text).specifier if s.operator == ">="]
        assert len(floors) == 1, f"{text!r}: declare exactly one '>=' floor"


def test_environment_pins_python_311_from_conda_forge():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert env["channels"] == ["conda-forge"]
    assert "python=3.11" in env["dependencies"]
    pip_section = [d for d in env["dependencies"] if isinstance(d, dict)]
    assert pip_section == [{"pip": ["-e ."]}]


def test_make_test_min_uses_the_oldest_declared_python():
    """The Makefile's MIN_PYTHON_VERSION is the floor of requires-python."""
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    floors = [s.version for s in SpecifierSet(requires) if s.operator == ">="]
    made = re.findall(r"(?m)^MIN_PYTHON_VERSION\s*\?=\s*(\S+)\s*$", (ROOT / "Makefile").read_text())
    assert floors and made == floors, f"requires-python {requires!r}, Makefile MIN_PYTHON_VERSION {made}"


def test_parsers():
    assert _name("numpy>=1.24") == "numpy"
    assert _name("nbval >=0.11") == "nbval"
    assert _name("PyYAML==6.0") == "pyyaml"
    assert _name("why_initialization.matters[lab]") == "why-initialization-matters"
    assert _conda_spec("playwright-python>=1.44") == ("playwright", SpecifierSet(">=1.44"))
    assert _conda_spec("numpy >=1.25") == ("numpy", SpecifierSet(">=1.25"))
    assert SpecifierSet(">=1.24") != SpecifierSet(">=1.25")
    assert not Marker("python_version < '3.11'").evaluate({"python_version": "3.11"})


def _min_requirements_script():
    import importlib.util

    spec = importlib.util.spec_from_file_location("min_requirements", ROOT / ".ci" / "min_requirements.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_make_test_min_pins_every_runtime_floor_exactly():
    script = _min_requirements_script()
    lines = script.min_requirements()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for text in project["dependencies"]:
        req = Requirement(text)
        (floor,) = [s.version for s in req.specifier if s.operator == ">="]
        assert f"{req.name}=={floor}" in lines
    names = {canonicalize_name(Requirement(line).name) for line in lines}
    assert {"pytest", "nbval", "tomli"} <= names and not names & script.TEST_MIN_SKIPS
    assert script.pinned_floor("tomli>=2.0; python_version < '3.11'") == 'tomli==2.0; python_version < "3.11"'
    for unbounded in ("numpy", "numpy<3", "numpy>=1.25,>=1.26"):
        with pytest.raises(ValueError, match="floor"):
            script.pinned_floor(unbounded)
