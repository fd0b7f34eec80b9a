"""Every committed notebook reads well without a kernel (GitHub, nbviewer, a PDF export).

Where no kernel runs, a reader sees only what is stored in the file, and widgets show as
plain text ("VBox(children=...)"). So each notebook in ``notebooks/`` that git tracks must be
stored executed: outputs present, execution counts 1..N in order (one clean Run All), no error
outputs, figures stored as PNG, and a static PNG figure before every widget in the same
section (the widget's default setting, drawn once). The lessons also keep the course's
frame (STYLE.md): "What you will learn" in the first cells, and the last sections are
Inline Questions, Summary, Exercises. ``00_start_here`` is a setup check, not a lesson: it is
exempt from the figure and frame rules.

Notebooks that are not committed yet (being written) are not checked; a committed one that
breaks a rule fails here with the rule and the cell number.
"""
from __future__ import annotations

import base64
import functools
import re
import struct
import subprocess
from pathlib import Path

import nbformat
import pytest

# No BLAS numerics decide these tests' outcome: `make test-kernels` skips them (see the Makefile).
pytestmark = pytest.mark.blas_independent

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: Not lessons: exempt from the figure and frame (learn / questions / summary / exercises) rules.
NOT_LESSONS = {"00_start_here.ipynb"}
#: The last level-2 sections of every lesson, in this order.
CLOSING_SECTIONS = ("Inline Questions", "Summary", "Exercises")


def committed_notebooks():
    """notebooks/*.ipynb that git tracks (all of them outside a git checkout)."""
    try:
        listed = subprocess.run(["git", "ls-files", "-z", "--", "notebooks/*.ipynb"], cwd=ROOT, check=True,
                                capture_output=True, timeout=30).stdout.decode().split("\0")
        paths = [ROOT / p for p in listed if p]
    except (OSError, subprocess.SubprocessError):
        paths = list(NOTEBOOK_DIR.glob("*.ipynb"))
    return sorted(p for p in paths if p.exists() and p.parent == NOTEBOOK_DIR)


@functools.lru_cache(maxsize=None)
def read(path):
    return nbformat.read(path, as_version=4)


# ------------------------------------------------------------------------ the rules
# Each rule takes a notebook (nbformat node) and returns a list of problems (strings);
# an empty list means the rule holds. They are tested on small made-up notebooks below.

def code_cells(nb):
    return [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]


def execution_problems(nb):
    """Execution counts must be 1..N over the code cells, in order: one clean Run All."""
    counts = [c.get("execution_count") for _, c in code_cells(nb)]
    expected = list(range(1, len(counts) + 1))
    if counts == expected:
        return []
    first_bad = next(k for k, (a, b) in enumerate(zip(counts, expected)) if a != b)
    cell = code_cells(nb)[first_bad][0]
    return [f"execution counts are {counts}, expected 1..{len(counts)} (first wrong at cell {cell}); "
            "re-run the notebook top to bottom in a fresh kernel and save it"]


def error_problems(nb):
    """No error outputs, no tracebacks on stderr."""
    problems = []
    for i, cell in code_cells(nb):
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                problems.append(f"cell {i}: error output {out.get('ename')}: {out.get('evalue')}")
            elif out.output_type == "stream" and out.get("name") == "stderr" and "Traceback" in out.get("text", ""):
                problems.append(f"cell {i}: a traceback on stderr")
    return problems


def output_problems(nb):
    """Executed notebooks have stored outputs."""
    if any(cell.get("outputs") for _, cell in code_cells(nb)):
        return []
    return ["no stored outputs at all: execute the notebook and save it with its outputs"]


def _png_size(data):
    """(width, height) of base64 PNG data, or None if it is not a PNG."""
    raw = base64.b64decode(data if isinstance(data, str) else "".join(data))
    if not raw.startswith(PNG_SIGNATURE) or raw[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", raw[16:24])


def figure_problems(nb):
    """Every stored image/png is a real PNG, and a lesson stores at least one."""
    problems, n_png = [], 0
    for i, cell in code_cells(nb):
        for out in cell.get("outputs", []):
            png = out.get("data", {}).get("image/png")
            if png is None:
                continue
            n_png += 1
            size = _png_size(png)
            if size is None or min(size) < 50:
                problems.append(f"cell {i}: stored image/png is not a readable figure ({size})")
    if n_png == 0:
        problems.append("no stored PNG figure: a reader without a kernel sees no picture")
    return problems


def _sections(nb):
    """Section index of each cell: it increases at every level-1 or level-2 heading."""
    section, sections = 0, []
    for cell in nb.cells:
        if cell.cell_type == "markdown" and re.search(r"(?m)^#{1,2}\s", cell.source):
            section += 1
        sections.append(section)
    return sections


def widget_problems(nb):
    """Each widget output must come after a stored PNG figure in the same section (a
    previous cell, or earlier in the widget cell's own outputs)."""
    problems = []
    sections = _sections(nb)
    png_seen_in = set()                                   # sections with a stored PNG so far
    for i, cell in code_cells(nb):
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if WIDGET_MIME in data and sections[i] not in png_seen_in:
                problems.append(f"cell {i}: a widget with no static figure before it in its section "
                                "(show the default setting as a PNG first, for readers without a kernel)")
            if "image/png" in data:
                png_seen_in.add(sections[i])
    return problems


def _headings(nb, level):
    marks = "#" * level
    return [(i, m.group(1).strip()) for i, c in enumerate(nb.cells) if c.cell_type == "markdown"
            for m in re.finditer(rf"(?m)^{marks}\s+(.+?)\s*#*\s*$", c.source)]


def frame_problems(nb):
    """'What you will learn' in the first cells; the last level-2 sections are
    Inline Questions, Summary, Exercises, in that order."""
    problems = []
    opening = " ".join(c.source for c in nb.cells[:3] if c.cell_type == "markdown")
    if not re.search(r"(?i)what you(?:'ll| will) learn", opening):
        problems.append("no 'What you will learn' in the first three cells")
    titles = [t for _, t in _headings(nb, 2)]
    closing = [re.sub(r"[*_`]", "", t) for t in titles[-len(CLOSING_SECTIONS):]]
    if [t.lower() for t in closing] != [t.lower() for t in CLOSING_SECTIONS]:
        problems.append(f"the last '## ' sections are {closing}, expected {list(CLOSING_SECTIONS)}")
    return problems


RULES = {
    "executed in order": execution_problems,
    "no errors": error_problems,
    "stored outputs": output_problems,
    "figures": figure_problems,
    "static figure before every widget": widget_problems,
    "course frame": frame_problems,
}
NOT_FOR_START_HERE = {"figures", "static figure before every widget", "course frame"}


# ----------------------------------------------------------------- the real notebooks
NOTEBOOKS = committed_notebooks()


def test_there_are_committed_notebooks():
    assert NOTEBOOKS, "no committed notebook found under notebooks/"


@pytest.mark.parametrize("rule", list(RULES))
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_reads_without_a_kernel(path, rule):
    if path.name in NOT_LESSONS and rule in NOT_FOR_START_HERE:
        pytest.skip(f"{path.name} is not a lesson")
    problems = RULES[rule](read(path))
    assert problems == [], f"{path.name}: {rule}:\n  " + "\n  ".join(problems)


# ------------------------------------------------------- the rules catch what they should
def _png_b64(width=100, height=80):
    import zlib

    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    rows = b"".join(b"\x00" + b"\xff\xff\xff" * width for _ in range(height))
    png = (PNG_SIGNATURE + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
    return base64.b64encode(png).decode()


def _lesson(widget_after_figure=True, counts=None, error=False):
    v4 = nbformat.v4

    def figure():
        return v4.new_output("display_data", data={"image/png": _png_b64(), "text/plain": "<Figure>"})

    widget = v4.new_output("display_data", data={WIDGET_MIME: {"model_id": "abc", "version_major": 2,
                                                               "version_minor": 0},
                                                 "text/plain": "VBox(children=...)"})
    cells = [
        v4.new_markdown_cell("# 01 · A lesson\n\n**What you will learn**\n\n* something"),
        v4.new_code_cell("import numpy as np", execution_count=1),
        v4.new_markdown_cell("## 1. Explore"),
        v4.new_code_cell("plot()", execution_count=2, outputs=[figure()] if widget_after_figure else []),
        v4.new_code_cell("widget()", execution_count=3, outputs=[widget]),
        v4.new_markdown_cell("## 2. More"),
        v4.new_code_cell("plot()", execution_count=4, outputs=[figure()]),
        v4.new_markdown_cell("## Inline Questions\n\n**Inline Question 1.** Why?"),
        v4.new_markdown_cell("## Summary\n\n* this"),
        v4.new_markdown_cell("## Exercises\n\n1. that"),
    ]
    if error:
        cells[6].outputs.append(v4.new_output("error", ename="ValueError", evalue="boom", traceback=[]))
    if counts is not None:
        for (_, cell), n in zip([(i, c) for i, c in enumerate(cells) if c.cell_type == "code"], counts):
            cell.execution_count = n
    return v4.new_notebook(cells=cells)


def test_rules_pass_a_well_formed_lesson():
    nb = _lesson()
    assert {name: rule(nb) for name, rule in RULES.items()} == {name: [] for name in RULES}


def test_rules_catch_a_widget_without_a_static_figure():
    problems = widget_problems(_lesson(widget_after_figure=False))
    assert len(problems) == 1 and problems[0].startswith("cell 4: a widget")


def test_a_figure_in_another_section_does_not_count_for_a_widget():
    nb = _lesson()
    nb.cells.insert(4, nbformat.v4.new_markdown_cell("## 1b. A new section"))
    assert len(widget_problems(nb)) == 1


def test_rules_catch_out_of_order_and_missing_execution_counts():
    assert execution_problems(_lesson(counts=[1, 3, 2, 4]))
    assert execution_problems(_lesson(counts=[1, 2, None, 4]))
    assert execution_problems(_lesson(counts=[2, 3, 4, 5]))
    assert execution_problems(_lesson(counts=[1, 2, 3, 4])) == []


def test_rules_catch_error_outputs():
    assert error_problems(_lesson(error=True)) == ["cell 6: error output ValueError: boom"]


def test_rules_catch_a_broken_png_and_a_missing_frame():
    nb = _lesson()
    nb.cells[3].outputs[0].data["image/png"] = base64.b64encode(b"not a png").decode()
    assert figure_problems(nb) == ["cell 3: stored image/png is not a readable figure (None)"]
    nb = _lesson()
    nb.cells[0].source = "# 01 · A lesson"
    nb.cells[-1].source = "## More exercises\n\n1. that"
    assert len(frame_problems(nb)) == 2
    nb = _lesson()
    nb.cells[-2], nb.cells[-1] = nb.cells[-1], nb.cells[-2]          # Exercises before Summary
    assert len(frame_problems(nb)) == 1


def test_an_unexecuted_notebook_has_no_outputs():
    nb = _lesson()
    for _, cell in code_cells(nb):
        cell.outputs = []
    assert output_problems(nb) and figure_problems(nb)
