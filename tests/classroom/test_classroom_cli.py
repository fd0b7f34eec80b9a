"""Both spellings of the command line start: ``python -m course_lib.classroom`` and ``...classroom.grading``."""
import os
import subprocess
import sys
from pathlib import Path

import pytest


pytest.importorskip("nbclient", reason="the grader needs nbclient: the grade extra, pip install -e '.[grade]'")

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("module", ["course_lib.classroom", "course_lib.classroom.grading"])
def test_command_line_entry_points(module):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    run = subprocess.run([sys.executable, "-m", module, "grade", "--help"], capture_output=True, text=True,
                         env=env, cwd=ROOT, timeout=120)
    assert run.returncode == 0, run.stderr
    for option in ("--jobs", "--feedback-dir", "--sandbox", "--kernel-uid", "--memory", "--timeout"):
        assert option in run.stdout, option
