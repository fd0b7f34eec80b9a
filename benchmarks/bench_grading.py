"""Grading at class scale: seconds per submission, sequential and with --jobs 2.

For each assignment in assignments/source/ it makes ``--count`` submissions (default 100):
a third the instructor's solution, a third the blank student version, a third the
solution with one planted bug (one arithmetic operator or digit changed inside one
``### BEGIN SOLUTION`` region, drawn from a seeded generator: a typical near miss),
grades them with ``grade_assignment`` (the sandbox as in production: bubblewrap if it
works here) once per ``--jobs`` value, and prints seconds per submission and the
speed-up over one job. Every run must give each submission the same score; the
solutions must score full marks and the blank versions 0 (checked, not assumed).

    nice -n 10 .venv/bin/python benchmarks/bench_grading.py --count 100 --jobs 1 2

Not part of ``make test``. On a 2-core machine shared with other work, the speed-up
with 2 jobs is bounded by the free cores; say what else ran when you quote a number.
"""
from __future__ import annotations

import argparse
import random
import re
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from course_lib.classroom.assignments import cell_role, find_assignments, student_version  # noqa: E402
from course_lib.classroom.grading import grade_assignment  # noqa: E402

_MUTATIONS = [(r"\+", "-"), (r"(?<![*])\*(?![*])", "+"), (r"(?<!/)/(?!/)", "*"), (r"\b2\b", "3"), (r"\b1\b", "2"),
              (r"\bsqrt\b", "abs"), (r"\bmean\b", "sum")]


def plant_bug(source_nb, rng):
    """The solution with one change in one solution region (None if no region offers one)."""
    nb = nbformat.from_dict(nbformat.reads(nbformat.writes(source_nb), as_version=4))
    cells = [c for c in nb.cells if cell_role(c) == "solution" and "BEGIN SOLUTION" in c.source]
    rng.shuffle(cells)
    for cell in cells:
        head, rest = cell.source.split("### BEGIN SOLUTION", 1)
        region, tail = rest.split("### END SOLUTION", 1)
        options = [(pattern, repl) for pattern, repl in _MUTATIONS if re.search(pattern, region)]
        if options:
            pattern, repl = rng.choice(options)
            matches = list(re.finditer(pattern, region))
            m = rng.choice(matches)
            region = region[:m.start()] + repl + region[m.end():]
            cell.source = head + "### BEGIN SOLUTION" + region + "### END SOLUTION" + tail
            return nb
    return None


def make_submissions(name, source_path, count, folder, rng):
    source = nbformat.read(source_path, as_version=4)
    blank = student_version(source)
    kinds = {}
    for i in range(count):
        kind = ("solution", "blank", "bug")[i % 3]
        nb = {"solution": source, "blank": blank}.get(kind) or plant_bug(source, rng) or source
        student = f"{kind}-{i:03d}"
        path = folder / student / name / f"{name}.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(nb, path)
        kinds[student] = kind
    return kinds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=100, help="submissions per assignment (default 100)")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2], help="job counts to time (default 1 2)")
    parser.add_argument("--assignments", nargs="*", help="default: all")
    parser.add_argument("--timeout", type=float, default=60)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    course = ROOT / "assignments"
    names = args.assignments or sorted(find_assignments(course))
    results = {}
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        for name in names:
            folder = Path(tmp) / name / "submitted"
            kinds = make_submissions(name, find_assignments(course)[name], args.count, folder, rng)
            scores = None
            for jobs in args.jobs:
                started = time.perf_counter()
                grades = grade_assignment(name, [str(folder)], course_dir=course, timeout=args.timeout, jobs=jobs,
                                          log=lambda line: print(f"  {name} jobs={jobs} {line}", flush=True))
                seconds = time.perf_counter() - started
                now = {g.student: g.score for g in grades}
                assert scores is None or now == scores, f"{name}: scores differ between job counts"
                scores = now
                full = max(g.max_score for g in grades)
                assert all(g.score == full for g in grades if kinds[g.student] == "solution"), name
                assert all(g.score == 0 for g in grades if kinds[g.student] == "blank"), name
                results[name, jobs] = seconds / len(grades)
                bugs = [g.score for g in grades if kinds[g.student] == "bug"]
                print(f"{name}: jobs={jobs}: {seconds:.1f} s for {len(grades)} submissions = "
                      f"{seconds / len(grades):.2f} s each; planted bugs scored {min(bugs):g}..{max(bugs):g} "
                      f"of {full:g} (mean {sum(bugs) / len(bugs):.1f})", flush=True)
    print("\nassignment            " + "  ".join(f"jobs={j}: s/sub" for j in args.jobs) + "  speed-up")
    for name in names:
        base = results[name, args.jobs[0]]
        row = "  ".join(f"{results[name, j]:>12.2f}" for j in args.jobs)
        print(f"{name:<22}{row}  {base / results[name, args.jobs[-1]]:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
