"""Saving an experiment's results: one JSON file, written atomically.

The long experiments (notebooks 04, 10, 12) run from the command line and save
JSON that the notebooks read. A run interrupted mid-write must not leave a
half-written file where the notebook looks: the JSON goes to a temporary file
beside the target (named with this process's id, so two writers never share
one), and ``os.replace`` swaps it in, which is atomic on POSIX and Windows.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

__all__ = ["write_json_atomically"]


def write_json_atomically(obj, path):
    """Write ``obj`` as indented JSON to ``path`` (parents created); returns the Path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(obj, indent=1) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
