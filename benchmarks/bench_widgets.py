"""Time the histogram widget's callback (compute + redraw + PNG), as a slider drag would call it.

    .venv/bin/python benchmarks/bench_widgets.py            # depth 5 and depth 50, 20 calls each
    .venv/bin/python benchmarks/bench_widgets.py --calls 40

For each depth the std slider is "dragged" over 20 values between 0.5 and 2 (as the
FloatLogSlider steps do), and each call goes through the real callback path: the
slider's observer -> HistogramExplorer.update -> forward pass, statistics, in-place
redraw, PNG encoding -> Image and HTML widgets. The median wall time and the median
CPU time of this process are printed; on a shared machine the CPU time is the fairer
number (wall time includes waiting for a core). A few calls in a drag cross an axis
limit step and redraw the whole figure; the median is the typical, blitted, call.
The explorer runs its forward pass with BLAS limited to one thread (threadpoolctl,
when installed): on a busy 2-core machine a second, spin-waiting BLAS thread cost
several times the work at depth 50.

Other scripts can import :func:`bench_histogram_widget` (returns a dict of seconds).
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np


def _drag(slider, values):
    wall, cpu = [], []
    for v in values:
        w0, c0 = time.perf_counter(), time.process_time()
        slider.value = float(v)
        wall.append(time.perf_counter() - w0)
        cpu.append(time.process_time() - c0)
    return wall, cpu


def bench_histogram_widget(depth=5, calls=20, activation="sigmoid", seed=0):
    """Median seconds per std-slider callback of the histogram widget at this depth.

    Returns dict(depth, calls, wall, cpu, wall_max, full_redraws)."""
    from course_lib.viz.widgets import build_histogram_widget

    box = build_histogram_widget(rng=np.random.default_rng(seed), activation=activation, depth=depth, std=0.5)
    slider = box.controls["std"]
    _drag(slider, np.geomspace(0.45, 0.5, 3))          # warm-up: caches, first blits
    before = box.explorer._live.full_redraws
    wall, cpu = _drag(slider, np.geomspace(0.5, 2.0, calls))
    return dict(depth=depth, calls=calls, wall=statistics.median(wall), cpu=statistics.median(cpu),
                wall_max=max(wall), full_redraws=box.explorer._live.full_redraws - before)


def bench_neuron_widget(calls=20, seed=0):
    """Median seconds per std-slider callback of notebook 01's neuron widget."""
    from course_lib.viz.widgets import build_neuron_widget

    box = build_neuron_widget(rng=np.random.default_rng(seed))
    slider = box.controls["std"]
    _drag(slider, np.geomspace(0.45, 0.5, 3))
    wall, cpu = _drag(slider, np.geomspace(0.5, 2.0, calls))
    return dict(calls=calls, wall=statistics.median(wall), cpu=statistics.median(cpu), wall_max=max(wall))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20, help="slider steps per measurement (default 20)")
    args = parser.parse_args(argv)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"histogram widget callback (std slider), median of {args.calls} calls; "
          f"load average {load:.1f} on {os.cpu_count()} cores")
    print(f"{'widget':>22} {'wall ms':>8} {'cpu ms':>8} {'max ms':>8} {'full redraws':>13}")
    for depth in (5, 50):
        r = bench_histogram_widget(depth=depth, calls=args.calls)
        print(f"{f'histograms, depth {depth}':>22} {1e3 * r['wall']:8.1f} {1e3 * r['cpu']:8.1f} "
              f"{1e3 * r['wall_max']:8.1f} {r['full_redraws']:>13}")
    r = bench_neuron_widget(calls=args.calls)
    print(f"{'neuron (notebook 01)':>22} {1e3 * r['wall']:8.1f} {1e3 * r['cpu']:8.1f} {1e3 * r['wall_max']:8.1f}")


if __name__ == "__main__":
    main()
