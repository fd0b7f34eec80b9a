"""What a class on JupyterHub costs on this machine (run as root: it creates Unix users).

    nice -n 10 .venv/bin/python benchmarks/bench_hub.py [--students 8] [--one-by-one 3] [--epochs 3] [--out FILE]
    (or `make bench-hub`)

It starts the class's own hub (hub/jupyterhub_config.py, through tests/hub_harness.py, on
127.0.0.1) with ``--students`` real student accounts, and measures:

1. **The wait**: for each of the first ``--one-by-one`` students in turn (nobody else
   logging in meanwhile), the seconds from
   submitting the login form with the course's nbgitpuller link to (a) JupyterLab open on
   notebook 00 (server started, course cloned), (b) notebook 00's first cell run in a
   fresh kernel (a running notebook), (c) all of notebook 00 run. Median and range. Then
   the other students all log in at once (the start of a class), timed the same way.
2. **Memory of one student** once notebook 00 has run: RSS and PSS (proportional set
   size: shared library pages divided among the processes that share them, so PSS adds up
   across students and RSS does not), of their server and their kernel, from
   /proc/PID/smaps_rollup, summed over the processes of their Unix account.
3. **Notebook 04's training**: every student's kernel runs notebook 04's setup (its
   import cell and ``load_mnist(dtype=np.float32)``) and then its training call,
   ``run_nielsen(mnist.train, mnist.validation, hidden=30, scheme=..., seed=0)``, for
   ``--epochs`` epochs instead of 30 (the memory peaks in the first epoch; the time per
   epoch is what scales), first one student alone, then all ``--students`` at once. Peak
   PSS per student (sampled every 0.25 s), seconds per epoch, and the machine's lowest
   MemAvailable meanwhile.

From these it prints how many students fit in this machine's memory, and how the time
per epoch grows when they train at once. The machine is shared with other jobs while this
runs: the load average is recorded at the start and end, and times are inflated by it.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import platform
import re
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import hub_harness  # noqa: E402
from hub_harness import FIRST_NOTEBOOK, Classroom, processes_of  # noqa: E402

NOTEBOOK_04 = "why-initialization-matters/notebooks/04_mnist_old_vs_new.ipynb"


def memory_of(uid):
    """(RSS, PSS) in bytes summed over the processes running as ``uid``, and their count."""
    rss = pss = 0
    procs = processes_of({uid})
    for pid, _ in procs:
        try:
            text = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        rss += int(re.search(r"^Rss:\s+(\d+) kB", text, re.M).group(1)) * 1024
        pss += int(re.search(r"^Pss:\s+(\d+) kB", text, re.M).group(1)) * 1024
    return rss, pss, len(procs)


def memory_by_process(uid):
    """{'server' | 'kernel': (RSS, PSS)} for the account's processes."""
    out = {}
    for pid, _ in processes_of({uid}):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            text = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        kind = "kernel" if "ipykernel" in cmd else "server" if "singleuser" in cmd else "other"
        rss = int(re.search(r"^Rss:\s+(\d+) kB", text, re.M).group(1)) * 1024
        pss = int(re.search(r"^Pss:\s+(\d+) kB", text, re.M).group(1)) * 1024
        r0, p0 = out.get(kind, (0, 0))
        out[kind] = (r0 + rss, p0 + pss)
    return out


def code_cells(person, path):
    nb = person.read_notebook(path)
    return ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
            for c in nb["cells"] if c["cell_type"] == "code"]


def arrive(person):
    """Seconds to notebook 00 open, first cell run, all cells run; and the kernel."""
    start = time.monotonic()
    person.open_course_link()
    opened = time.monotonic() - start
    cells = code_cells(person, FIRST_NOTEBOOK)
    kernel = person.kernel(FIRST_NOTEBOOK)
    first = None
    for cell in cells:
        _, errors, status = kernel.execute(cell, timeout=600)
        if errors or status != "ok":
            raise hub_harness.HubError(f"notebook 00 failed for {person.name}: {errors}")
        first = first or time.monotonic() - start
    return {"opened": opened, "first_cell": first, "all_cells": time.monotonic() - start}, kernel


TRAIN = """
import time
t0 = time.perf_counter()
run = run_nielsen(mnist.train, mnist.validation, hidden=30, scheme="new", seed=0, epochs={epochs})
print(json.dumps({{"seconds_per_epoch": (time.perf_counter() - t0) / {epochs},
                   "accuracy": float(run.accuracy_percent[-1])}}))
"""


def train(person, epochs, peaks):
    """Notebook 04's setup and training call in a kernel of ``person``'s server; peak PSS sampled."""
    uid = os.stat(person.hub.classroom.home(person.name)).st_uid
    cells = code_cells(person, NOTEBOOK_04)
    kernel = person.kernel(NOTEBOOK_04)
    kernel.execute("import json")
    for cell in cells[:2]:                                    # the import cell, load_mnist(float32)
        _, errors, _ = kernel.execute(cell, timeout=600)
        if errors:
            raise hub_harness.HubError(f"notebook 04 setup failed for {person.name}: {errors}")
    done = threading.Event()

    def sample():
        while not done.is_set():
            peaks[person.name] = max(peaks.get(person.name, 0), memory_of(uid)[1])
            time.sleep(0.25)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        result = kernel.value(TRAIN.format(epochs=epochs), timeout=3600)
    finally:
        done.set()
        sampler.join()
    kernel.close()
    return result


def gib(b):
    return b / 2**30


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=8, help="student accounts (default 8)")
    parser.add_argument("--one-by-one", type=int, default=3, help="of which log in one at a time (default 3)")
    parser.add_argument("--epochs", type=int, default=3, help="epochs of notebook 04's training (default 3)")
    parser.add_argument("--out", help="also write the numbers here (JSON)")
    args = parser.parse_args(argv)
    why = hub_harness.missing_requirements()
    if why:
        print(f"cannot run: {why}", file=sys.stderr)
        return 2
    from course_lib.data import mnist as data

    cache = data.resolve_data_dir() / data.CACHE_FILE
    names = [f"s{i}" for i in range(args.students)]
    if not 1 <= args.one_by_one <= args.students:
        parser.error("--one-by-one must be between 1 and --students")
    report = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "machine": platform.processor() or platform.machine(),
              "cores": os.cpu_count(), "mem_total_gib": None, "load_start": os.getloadavg()}
    meminfo = Path("/proc/meminfo").read_text()
    total = int(re.search(r"MemTotal:\s+(\d+) kB", meminfo).group(1)) * 1024
    report["mem_total_gib"] = round(gib(total), 1)
    started = time.monotonic()
    with Classroom(names, "teach", mnist_cache=cache) as room:
        room.start_hub()
        # The hub and its proxy (root's processes under the hub; not the students' servers).
        hub_procs = [room.hub.process.pid] + [pid for pid, _ in hub_harness.descendants(room.hub.process.pid)
                                              if Path(f"/proc/{pid}/status").exists()
                                              and re.search(r"^Uid:\s+0\s", Path(f"/proc/{pid}/status").read_text(), re.M)]
        people = [room.person(n) for n in room.students]
        # 1. The wait, one student at a time; then the others at once.
        waits, kernels = [], []
        for person in people[:args.one_by_one]:
            wait, kernel = arrive(person)
            waits.append(wait)
            kernels.append(kernel)
            print(f"{person.name}: notebook 00 open after {wait['opened']:.1f} s, first cell run after "
                  f"{wait['first_cell']:.1f} s, all of it after {wait['all_cells']:.1f} s", flush=True)
        report["wait"] = waits
        with concurrent.futures.ThreadPoolExecutor(max(1, len(people) - args.one_by_one)) as pool:
            burst = list(pool.map(arrive, people[args.one_by_one:]))
        report["wait_together"] = [w for w, _ in burst]
        kernels += [k for _, k in burst]
        if burst:
            print(f"{len(burst)} students at once: notebook 00 running after "
                  f"{statistics.median(w['first_cell'] for w, _ in burst):.1f} s (median; "
                  f"{min(w['first_cell'] for w, _ in burst):.1f}-{max(w['first_cell'] for w, _ in burst):.1f} s)",
                  flush=True)
        # 2. Memory of one student with notebook 00 run.
        uids = [os.stat(room.home(p.name)).st_uid for p in people]
        per_student = [memory_by_process(uid) for uid in uids]
        report["memory_after_00"] = per_student
        hub_rss = hub_pss = 0
        for pid in hub_procs:
            try:
                text = Path(f"/proc/{pid}/smaps_rollup").read_text()
            except OSError:
                continue
            hub_rss += int(re.search(r"^Rss:\s+(\d+) kB", text, re.M).group(1)) * 1024
            hub_pss += int(re.search(r"^Pss:\s+(\d+) kB", text, re.M).group(1)) * 1024
        report["hub_and_proxy"] = (hub_rss, hub_pss)
        for person, mem in zip(people, per_student):
            print(f"{person.name} after notebook 00: " + ", ".join(
                f"{k} RSS {gib(r):.2f} GiB PSS {gib(p):.2f} GiB" for k, (r, p) in sorted(mem.items())), flush=True)
        for kernel in kernels:
            kernel.close()
        # 3. Notebook 04's training: one alone, then everyone at once.
        peaks = {}
        alone = train(people[0], args.epochs, peaks)
        report["train_alone"] = dict(alone, peak_pss=peaks.pop(people[0].name))
        print(f"training alone: {alone['seconds_per_epoch']:.2f} s/epoch, peak PSS "
              f"{gib(report['train_alone']['peak_pss']):.2f} GiB", flush=True)
        lowest = {"available": total}
        watching = threading.Event()

        def watch():
            while not watching.is_set():
                text = Path("/proc/meminfo").read_text()
                available = int(re.search(r"MemAvailable:\s+(\d+) kB", text).group(1)) * 1024
                lowest["available"] = min(lowest["available"], available)
                time.sleep(0.25)

        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            with concurrent.futures.ThreadPoolExecutor(len(people)) as pool:
                together = list(pool.map(lambda p: train(p, args.epochs, peaks), people))
        finally:
            watching.set()
            watcher.join()
        report["lowest_mem_available_gib"] = round(gib(lowest["available"]), 2)
        report["train_together"] = [dict(r, peak_pss=peaks[p.name]) for r, p in zip(together, people)]
        for p, r in zip(people, report["train_together"]):
            print(f"{p.name} training with {len(people)} at once: {r['seconds_per_epoch']:.2f} s/epoch, "
                  f"peak PSS {gib(r['peak_pss']):.2f} GiB", flush=True)
    report["load_end"] = os.getloadavg()
    report["seconds"] = time.monotonic() - started

    # Summary: medians, and what fits.
    opened = statistics.median(w["opened"] for w in waits)
    first = statistics.median(w["first_cell"] for w in waits)
    idle = statistics.median(sum(p for _, p in m.values()) for m in per_student)
    training = statistics.median(r["peak_pss"] for r in report["train_together"])
    usable = total - 2 * 2**30 - hub_pss                       # 2 GiB for the system
    print(f"\nmedian wait: notebook 00 open {opened:.1f} s, running {first:.1f} s "
          f"(range {min(w['first_cell'] for w in waits):.1f}-{max(w['first_cell'] for w in waits):.1f} s)")
    print(f"hub + proxy: RSS {gib(hub_rss):.2f} GiB, PSS {gib(hub_pss):.2f} GiB")
    print(f"one student, notebook 00 run: PSS {gib(idle):.2f} GiB; training notebook 04: peak PSS {gib(training):.2f} GiB")
    print(f"fit in {gib(total):.1f} GiB (2 GiB kept for the system): {int(usable // idle)} students with notebook 00 open, "
          f"{int(usable // training)} all training at once")
    together_epoch = statistics.median(r["seconds_per_epoch"] for r in report["train_together"])
    print(f"seconds per epoch: {alone['seconds_per_epoch']:.2f} alone, {together_epoch:.2f} with {len(people)} at once "
          f"on {os.cpu_count()} cores; lowest MemAvailable meanwhile {report['lowest_mem_available_gib']:.1f} GiB")
    print(f"load average {report['load_start'][0]:.1f} at the start, {report['load_end'][0]:.1f} at the end; "
          f"took {report['seconds']:.0f} s")
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
