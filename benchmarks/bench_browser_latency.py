"""Time the course's sliders in a real browser: from the key press to the new image.

    .venv/bin/python benchmarks/bench_browser_latency.py                  # every slider, 15 presses each
    .venv/bin/python benchmarks/bench_browser_latency.py --presses 30 --cases "01 std" "02 std, depth 50"
    # before/after, interleaved (A B A B ...), e.g. against a copy of main's course_lib:
    git archive main course_lib | tar -x -C /tmp/base
    .venv/bin/python benchmarks/bench_browser_latency.py --code /tmp/base --code . --rounds 2

A JupyterLab server and a headless Chromium (Debian's /usr/bin/chromium through Python
playwright, as in tests/test_browser.py) run each slider's small notebook (the widget built
as its lesson builds it, tests/browser_latency.py) and press the slider's arrow key, one
press at a time. For each slider it prints the median latency, the quartiles, min and max in
milliseconds, and how many images one press brought (1 is right; 2 is a redundant redraw).
``--code DIR`` puts DIR first on the kernels' PYTHONPATH, so two versions of course_lib can be
compared in the same conditions; with several, the rounds alternate between them.

The course's goal on an idle machine: a median under 100 ms at depth 5 and under 250 ms at
depth 50. On a shared machine the numbers include waiting for a core: print the load
(reported with the results) and compare versions interleaved, never across sessions.
The results also go to build/browser/latency-bench.json. Not part of `make test`.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from browser_harness import JupyterLab, NotebookPage, launch_chromium, missing_requirements  # noqa: E402
from browser_latency import CASES, measure_slider, notebook_name, write_notebook  # noqa: E402


def _end_sessions(lab):
    """Shut the kernels of the measured notebooks down (they hold MNIST and figures)."""
    for session in lab.api("api/sessions"):
        request = urllib.request.Request(f"{lab.base_url}/api/sessions/{session['id']}", method="DELETE",
                                         headers={"Authorization": f"token {lab.token}"})
        urllib.request.urlopen(request, timeout=30).close()


def run_round(code, cases, presses, viewport):
    """One server with ``code`` first on PYTHONPATH: measure every case; return their summaries."""
    from playwright.sync_api import sync_playwright

    saved = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = str(Path(code).resolve()) + (os.pathsep + saved if saved else "")
    results = []
    with tempfile.TemporaryDirectory() as root, tempfile.TemporaryDirectory() as home:
        for case in cases:
            write_notebook(Path(root) / notebook_name(case), case.cells)
        lab = JupyterLab(Path(root), Path(home)).launch()
        try:
            with sync_playwright() as playwright:
                browser = launch_chromium(playwright)
                try:
                    lab.wait_until_ready()
                    for case in cases:
                        lab.start_kernel(notebook_name(case))
                        page = browser.new_page(viewport=viewport)
                        try:
                            nb = NotebookPage(page, lab, notebook_name(case), timeout=60)
                            m = measure_slider(nb, case, presses=presses)
                            results.append(dict(m.summary(), code=str(code), load=os.getloadavg()[0]))
                        finally:
                            page.close()
                            _end_sessions(lab)
                finally:
                    browser.close()
        finally:
            lab.stop()
            if saved is None:
                os.environ.pop("PYTHONPATH", None)
            else:
                os.environ["PYTHONPATH"] = saved
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", nargs="*", default=list(CASES), help=f"some of {list(CASES)}")
    parser.add_argument("--presses", type=int, default=15)
    parser.add_argument("--code", action="append", default=None,
                        help="a folder holding course_lib to measure (repeat to compare; default: this checkout)")
    parser.add_argument("--rounds", type=int, default=1, help="rounds per --code folder, interleaved")
    parser.add_argument("--out", default=str(ROOT / "build" / "browser" / "latency-bench.json"))
    args = parser.parse_args(argv)
    missing = missing_requirements()
    if missing:
        sys.exit(f"cannot run: {missing}")
    unknown = [c for c in args.cases if c not in CASES]
    if unknown:
        sys.exit(f"unknown cases {unknown}; choose from {list(CASES)}")
    if not os.environ.get("COURSE_DATA_DIR") and any(CASES[c].needs_mnist for c in args.cases):
        print("note: COURSE_DATA_DIR is not set; the 05 case needs prepared MNIST", file=sys.stderr)
    codes = args.code or [str(ROOT)]
    cases = [CASES[c] for c in args.cases]
    viewport = {"width": 1280, "height": 1000}
    print(f"{os.cpu_count()} CPUs, load average at start {os.getloadavg()[0]:.1f}; {args.presses} presses per slider")
    rows = []
    for r in range(args.rounds):
        for code in codes:
            start = time.monotonic()
            got = run_round(code, cases, args.presses, viewport)
            for row in got:
                row["round"] = r + 1
                print(f"round {r + 1}  {code:<28} {row['name']:<20} median {row['median_ms']:7.1f} ms  "
                      f"quartiles {row['q1_ms']:.0f}-{row['q3_ms']:.0f}  min {row['min_ms']:.0f}  max {row['max_ms']:.0f}"
                      f"  images/press {row['images_per_press']:.2f}  load {row['load']:.1f}", flush=True)
            rows.extend(got)
            print(f"  ({time.monotonic() - start:.0f} s)", flush=True)
    if len(codes) > 1 or args.rounds > 1:
        print("\nmedian of all presses, per code folder:")
        for name in args.cases:
            cells = []
            for code in codes:
                lat = [v for row in rows if row["name"] == name and row["code"] == str(code) for v in row["latencies_ms"]]
                cells.append(f"{code}: {statistics.median(lat):7.1f} ms")
            print(f"  {name:<20} " + "   ".join(cells))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(dict(cpus=os.cpu_count(), presses=args.presses, results=rows), indent=1))
    print(f"written to {out}")


if __name__ == "__main__":
    main()
