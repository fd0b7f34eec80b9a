"""The class list: who may log in to the hub, and who is an instructor.

A roster is a text file, one person a line: the Unix user name, then the role
(``student`` if omitted, or ``instructor``); ``#`` starts a comment::

    # why-init, winter term
    teacher   instructor
    alice
    bob       student

The hub (``jupyterhub_config.py``) lets exactly these users in and gives instructors
their own Jupyter configuration (nbgrader's instructor tools); ``class_users.py``
creates the matching Unix accounts on a one-machine hub. User names follow the
portable POSIX rule (lower case letter or ``_`` first, then letters, digits, ``_``,
``-``; at most 32 characters), so the hub's name and the Unix name are the same string.
"""
from __future__ import annotations

import re
from pathlib import Path

ROLES = ("student", "instructor")
USERNAME = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")


def parse_roster(text: str, where: str = "roster") -> dict[str, str]:
    """``{user name: role}`` from roster text (see the module docstring).

    Raises ValueError naming the line for a bad user name, an unknown role, a name
    listed twice, or a roster with no instructor.
    """
    people: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        fields = line.split("#", 1)[0].split()
        if not fields:
            continue
        if len(fields) > 2:
            raise ValueError(f"{where}, line {number}: expected 'name [role]', got {line.strip()!r}")
        name, role = fields[0], fields[1] if len(fields) == 2 else "student"
        if not USERNAME.match(name):
            raise ValueError(f"{where}, line {number}: user name {name!r} must match {USERNAME.pattern} "
                             "(lower case letter or _ first, then a-z 0-9 _ -, at most 32 characters)")
        if role not in ROLES:
            raise ValueError(f"{where}, line {number}: role must be one of {ROLES}, got {role!r}")
        if name in people:
            raise ValueError(f"{where}, line {number}: {name!r} is listed twice")
        people[name] = role
    if "instructor" not in people.values():
        raise ValueError(f"{where}: no instructor (add a line 'NAME instructor')")
    return people


def read_roster(path) -> dict[str, str]:
    """``{user name: role}`` from the roster file at ``path``."""
    path = Path(path)
    return parse_roster(path.read_text(encoding="utf-8"), str(path))


def instructors(people: dict[str, str]) -> set[str]:
    return {name for name, role in people.items() if role == "instructor"}


def students(people: dict[str, str]) -> set[str]:
    return {name for name, role in people.items() if role == "student"}
