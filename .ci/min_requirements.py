"""Print the requirements of `make test-min`: every declared floor, pinned exactly.

pyproject.toml declares each runtime dependency with a floor (``numpy>=1.25``); a floor is
only true if the course works *at* it. `make test-min` therefore installs, on the oldest
declared Python, each runtime dependency at exactly its floor (``numpy==1.25``) and the test
tools it needs (the ``test`` extra minus what it leaves out, see TEST_MIN_SKIPS) at their floors
too, then runs the unit tests and the notebooks. What these packages depend on in turn is
left to pip (the newest release that fits), as a user who installs the floors today gets.

    python .ci/min_requirements.py > requirements-min.txt

Needs ``packaging`` and, on Python 3.10, ``tomli`` (the Makefile installs both first).
"""
from __future__ import annotations

import sys
from pathlib import Path

from packaging.requirements import Requirement

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent

#: Test tools `make test-min` does not install, and why (the Makefile deselects their tests):
#: nbgrader checks the assignments' metadata, playwright drives JupyterLab's front end in
#: Chromium; neither exercises the runtime floors, and together they install ~80 packages.
TEST_MIN_SKIPS = {"nbgrader", "playwright"}


def pinned_floor(text: str) -> str:
    """'numpy>=1.25' -> 'numpy==1.25'; the marker is kept ('tomli==2.0; python_version < "3.11"')."""
    req = Requirement(text)
    floors = [s.version for s in req.specifier if s.operator == ">="]
    if len(floors) != 1:
        raise ValueError(f"{text!r} must declare exactly one '>=' floor for make test-min")
    pin = f"{req.name}=={floors[0]}"
    return f"{pin}; {req.marker}" if req.marker is not None else pin


def min_requirements(pyproject: Path = ROOT / "pyproject.toml") -> list[str]:
    project = tomllib.loads(pyproject.read_text())["project"]
    lines = [pinned_floor(r) for r in project["dependencies"]]
    for text in project["optional-dependencies"]["test"]:
        if Requirement(text).name not in TEST_MIN_SKIPS:
            lines.append(pinned_floor(text))
    return lines


if __name__ == "__main__":
    print("\n".join(min_requirements()))
