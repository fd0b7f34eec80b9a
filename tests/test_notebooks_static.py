"""Every committed notebook reads well without a kernel (GitHub, nbviewer, a PDF export).

Where no kernel runs, a reader sees only what is stored in the file, and widgets show as
plain text ("VBox(children=...)"). So each notebook in ``notebooks/`` that git tracks must be
stored executed: outputs present, execution counts 1..N in order (one clean Run All), no error
outputs, figures stored as PNG, and a static PNG figure before every widget in the same
section (the widget's default setting, drawn once). The lessons also keep the course's
frame (STYLE.md): "What you will learn" in the first cells, and the last sections are
Inline Questions, Summary, Exercises. ``00_start_here`` is a setup check, not a lesson: it is
exempt from the figure and frame rules.

A lecture cell teaches, a check cell proves (STYLE.md): every ``assert`` sits in a check cell,
one that opens with ``# Check``, is collapsed (cell metadata ``jupyter.source_hidden``) and prints
one line when it passes; nbval's markers are cell tags, never ``# NBVAL_...`` comments. Every
exercise (a numbered item under "## Exercises") has a check: a ``check_...`` function of the
lesson modules that the student calls with an answer, or a worked answer behind ``<details>``.
Every notebook links to the next one (the last one back to 00), every relative notebook link
points to a committed file, every lesson links to the sources it follows, and 00 maps the path.

Notebooks that are not committed yet (being written) are not checked; a committed one that
breaks a rule fails here with the rule and the cell number.
"""
from __future__ import annotations

import base64
import functools
import importlib
import io
import pkgutil
import re
import struct
import subprocess
import tokenize
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


CHECK_PREFIX = "# Check"
NBVAL_COMMENT = re.compile(r"(?m)^\s*#\s*(NBVAL_[A-Z_]+|PYTEST_VALIDATE_[A-Z_]+)")


def is_check_cell(cell):
    return cell.cell_type == "code" and cell.source.lstrip().startswith(CHECK_PREFIX)


def _has_assert(source):
    """True if the code has an ``assert`` statement (tokens, so comments and strings do not count)."""
    try:
        return any(tok.type == tokenize.NAME and tok.string == "assert"
                   for tok in tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return bool(re.search(r"(?m)^\s*assert\b", source))


def _stdout(cell):
    return "".join(out.get("text", "") for out in cell.get("outputs", [])
                   if out.output_type == "stream" and out.get("name") == "stdout")


def check_cell_problems(nb):
    """No assert outside a check cell; check cells collapsed, printing one line; no NBVAL comments."""
    problems = []
    for i, cell in code_cells(nb):
        marker = NBVAL_COMMENT.search(cell.source)
        if marker:
            problems.append(f"cell {i}: the comment '# {marker.group(1)}': make it a cell tag "
                            f"('{marker.group(1).lower().replace('_', '-')}')")
        if not is_check_cell(cell):
            if _has_assert(cell.source):
                problems.append(f"cell {i}: an assert in a teaching cell: move it to a check cell after it, "
                                f"opening with '{CHECK_PREFIX}: the numbers above'")
            continue
        if not cell.metadata.get("jupyter", {}).get("source_hidden"):
            problems.append(f"cell {i}: a check cell that is not collapsed (metadata jupyter.source_hidden)")
        if cell.get("execution_count") is not None and len(_stdout(cell).strip().splitlines()) != 1:
            problems.append(f"cell {i}: a check cell should print one short line when it passes")
    return problems


RULES = {
    "executed in order": execution_problems,
    "no errors": error_problems,
    "stored outputs": output_problems,
    "figures": figure_problems,
    "static figure before every widget": widget_problems,
    "course frame": frame_problems,
    "checks apart from the lecture": check_cell_problems,
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


def test_rules_catch_test_machinery_in_a_lecture():
    v4 = nbformat.v4
    check = v4.new_code_cell("# Check: the numbers above\nassert x == 1\nprint('check passed')", execution_count=2,
                             outputs=[v4.new_output("stream", name="stdout", text="check passed\n")])
    check.metadata["jupyter"] = {"source_hidden": True}
    lesson = v4.new_notebook(cells=[v4.new_code_cell("x = 1\nprint(x)  # assert in a comment is fine", execution_count=1),
                                    check])
    assert check_cell_problems(lesson) == []
    lesson.cells[0].source = "# NBVAL_IGNORE_OUTPUT\nx = 1\nassert x == 1"
    assert len(check_cell_problems(lesson)) == 2                       # the comment and the assert
    lesson.cells[0].source = "x = 1"
    del check.metadata["jupyter"]
    check.outputs = []
    assert len(check_cell_problems(lesson)) == 2                       # not collapsed, prints nothing


# ------------------------------------------------------------------------ exercises
EXERCISES_HEADING = re.compile(r"(?m)^##\s+Exercises\s*$")
DETAILS = re.compile(r"<details>.*?</details>", re.S)
CHECK_CALL = re.compile(r"\b(check_\w+)\s*\(")


def exercise_section(nb):
    """The text (markdown and code) from the '## Exercises' heading to the end of the notebook."""
    texts, inside = [], False
    for cell in nb.cells:
        if not inside and cell.cell_type == "markdown" and EXERCISES_HEADING.search(cell.source):
            inside = True
            texts.append(cell.source[EXERCISES_HEADING.search(cell.source).start():])
        elif inside:
            texts.append(cell.source)
    return "\n\n".join(texts)


def exercises(nb):
    """{number: text} of the exercises: the items '**Exercise N.**' if the section uses them, else the
    numbered list items 'N. ' at the start of a line; text inside <details> does not start an exercise.
    Each text runs to the next exercise and includes the <details> blocks and code in between."""
    text = exercise_section(nb)
    masked = DETAILS.sub(lambda m: " " * len(m.group(0)), text)        # same offsets, details hidden
    starts = [(m.start(), int(m.group(1))) for m in re.finditer(r"\*\*Exercise (\d+)\b", masked)]
    if not starts:
        starts = [(m.start(), int(m.group(1))) for m in re.finditer(r"(?m)^(\d+)\.\s", masked)]
    found = {}
    for k, (pos, number) in enumerate(starts):
        end = starts[k + 1][0] if k + 1 < len(starts) else len(text)
        found[number] = text[pos:end]
    return found


@functools.lru_cache(maxsize=None)
def lesson_checkers():
    """Every check_* function of course_lib.lessons, by name."""
    import course_lib.lessons as lessons
    names = {}
    for info in pkgutil.iter_modules(lessons.__path__):
        module = importlib.import_module(f"course_lib.lessons.{info.name}")
        names.update({n: getattr(module, n) for n in dir(module) if n.startswith("check_")})
    return names


def _answered_by(block):
    """The exercises a <details> block answers: those its summary names ('Exercise 2', 'exercises 2-4'),
    else its numbered items; an empty set means 'the exercise it follows'."""
    summary = re.search(r"<summary>(.*?)</summary>", block, re.S)
    named = re.search(r"(?i)exercises?\s+(\d+)(?:\s*-\s*(\d+))?", summary.group(1)) if summary else None
    if named:
        first = int(named.group(1))
        return set(range(first, int(named.group(2) or first) + 1))
    return {int(m.group(1)) for m in re.finditer(r"(?m)^(\d+)\.\s", block)}


def exercise_problems(nb):
    """Each exercise has a check: a call to an existing check_* of the lesson modules, a <details>
    block right after it (that names no other exercise), or a <details> that names it or lists its number."""
    found = exercises(nb)
    answered = set().union(*(_answered_by(b) for b in DETAILS.findall(exercise_section(nb))))
    problems = []
    for number, text in found.items():
        calls = [c for c in CHECK_CALL.findall(text)]
        missing = [c for c in calls if c not in lesson_checkers()]
        if missing:
            problems.append(f"Exercise {number}: calls {missing}, which course_lib.lessons does not define")
        own = any(not _answered_by(block) for block in DETAILS.findall(text))
        if not (set(calls) - set(missing) or own or number in answered):
            problems.append(f"Exercise {number}: no check (a check_... function to call, or a worked answer "
                            "behind <details>)")
    return problems


LESSONS = [p for p in NOTEBOOKS if p.name not in NOT_LESSONS]


@pytest.mark.parametrize("path", LESSONS, ids=[p.name for p in LESSONS])
def test_every_exercise_has_a_check(path):
    assert exercises(read(path)), f"{path.name}: no numbered exercise under '## Exercises'"
    problems = exercise_problems(read(path))
    assert problems == [], f"{path.name}:\n  " + "\n  ".join(problems)


def test_exercises_are_recognized_in_both_styles():
    v4 = nbformat.v4
    bold = v4.new_notebook(cells=[v4.new_markdown_cell(
        "## Exercises\n\n**Exercise 1.** Do it; then call `check_neuron_std(x)`.\n\n"
        "**Exercise 2.** Think.\n\n<details><summary>Worked answer</summary>\n\n1. not an exercise\n</details>\n\n"
        "**Exercise 3.** Also think.\n\n<details><summary>Worked answer to Exercise 2</summary>\n\nthis\n</details>")])
    assert sorted(exercises(bold)) == [1, 2, 3]
    assert exercise_problems(bold) == ["Exercise 3: no check (a check_... function to call, or a worked answer "
                                       "behind <details>)"]
    listed = v4.new_notebook(cells=[v4.new_markdown_cell(
        "## Exercises\n\n1. One `check_no_such_thing(1)`.\n2. Two.\n3. Three.\n\n"
        "<details><summary>Worked answers to exercises 2-3</summary>\n\n2. this\n3. that\n</details>")])
    assert sorted(exercises(listed)) == [1, 2, 3]
    problems = exercise_problems(listed)
    assert len(problems) == 2 and all(p.startswith("Exercise 1") for p in problems)


# ------------------------------------------------------------------------ links and the path
MD_LINK = re.compile(r"\[[^\]]+\]\(([^)\s]+)\)")


def markdown_links(nb):
    return [m.group(1) for c in nb.cells if c.cell_type == "markdown" for m in MD_LINK.finditer(c.source)]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_links_onward_and_only_to_files_that_exist(path):
    links = markdown_links(read(path))
    local = [link.split("#")[0] for link in links if not re.match(r"[a-z]+:", link) and ".ipynb" in link]
    dangling = [link for link in local if not (path.parent / link).exists()]
    assert dangling == [], f"{path.name} links to notebooks that do not exist: {dangling}"
    k = NOTEBOOKS.index(path)
    onward = NOTEBOOKS[k + 1].name if k + 1 < len(NOTEBOOKS) else NOTEBOOKS[0].name
    assert onward in local, f"{path.name} does not link to {onward} (the next notebook, or 00 from the last one)"
    if path.name not in NOT_LESSONS:
        assert any(link.startswith(("http://", "https://")) for link in links), \
            f"{path.name} links to none of the sources it follows"


def test_start_here_maps_the_path_and_explains_check_cells():
    start = NOTEBOOK_DIR / "00_start_here.ipynb"
    text = "\n".join(c.source for c in read(start).cells if c.cell_type == "markdown")
    for name in ["00_start_here"] + [p.stem for p in NOTEBOOKS] + ["11_optimizers_and_dropout",
                                                                  "12_normalization_and_residuals"]:
        row = next((line for line in text.splitlines() if line.startswith("|") and name in line), None)
        assert row is not None, f"00's table of contents has no row for {name}"
        assert re.search(r"main path|side path|deep dive", row), f"00's row for {name} names no path"
    assert "`# Check:`" in text and re.search(r"(?i)you may ignore them", text), \
        "00 does not tell students what the check cells are"
