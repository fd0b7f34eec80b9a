"""How fast does course_lib train, next to what it could be?

Run from the repository root with one command (under a minute on 2 quiet cores):

    make bench                    # = .venv/bin/python benchmarks/bench_training.py
    .venv/bin/python benchmarks/bench_training.py --repeats 3 --threads 1 --json bench.json
    .venv/bin/python benchmarks/bench_training.py --examples 50000   # whole epochs (slower)

It times, in one run and interleaved (so that load from other processes hits every
contender alike, and the *ratios* stay meaningful on a shared machine):

* one training epoch of 50,000 MNIST-shaped examples (Nielsen's ch. 3 settings: eta 0.5,
  lmbda 5.0, sigmoid + cross-entropy) of course_lib's ``sgd`` for [784, 30, 10] and
  [784, 100, 10], minibatch 10 and 100, float64 and float32, against two references
  written out below:
    - ``loop``: a straightforward per-example backprop loop, as in the book's
      network2.py (column vectors, one example at a time, float64);
    - ``vector``: a minimal hand-vectorized numpy step (one matrix product per layer
      over the minibatch, plain numpy expressions), in the same dtype as course_lib;
  and ``products``: an epoch that does only the step's matrix products, a floor no
  numpy implementation can beat. ``course`` is the epoch as ``sgd`` times it
  (``History.epoch_seconds``); ``sgd call`` is the whole ``sgd(..., epochs=1)`` call,
  which also checks the data once (every entry finite) and one-hot encodes the labels.
  An epoch costs a fixed time per step times the number of steps, so each contender
  is timed on fewer examples (5,000 by default, the loop on 2,000) and its time
  scaled to 50,000; ``--examples 50000`` times whole epochs;
* the evaluation of 10,000 images (``net.accuracy``) against the book's per-example
  ``evaluate`` loop;
* one gradient check of [784, 30, 10] (``check_gradients`` with its defaults, subset
  and directional modes) on 10 examples, as notebook 03 runs it, and on 100; and a
  full per-parameter check of a small net;
* one redraw of the activation-histogram figure of the widgets (the std slider's
  callback, timed by ``benchmarks/bench_widgets.py``).

BLAS threads are pinned with threadpoolctl (the OPENBLAS_* environment is left alone),
and everything is reported for 1 and 2 threads. The data are synthetic (uniform
pixels, random labels, from a seeded generator): no download, and the time of these
operations does not depend on the values.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from course_lib import Network, check_gradients, sgd

EPOCH = 50_000  # the epoch reported: MNIST's training set in Nielsen's split
N_TIMED = 5_000  # default number of examples the vectorized epochs are timed on (--examples)
N_LOOP = 2_000  # the per-example loop is timed on this many examples,
LOOP_REPEATS = 3  # this many times
N_TEST = 10_000
ETA, LMBDA = 0.5, 5.0
SIZES = ([784, 30, 10], [784, 100, 10])
BATCHES = (10, 100)
DTYPES = (np.float64, np.float32)

# (what, net, batch, dtype, ratio, bound): the targets of issue 4, as ratios.
TARGETS = [
    ("course_lib / vector", [784, 30, 10], 10, "float64", "course/vector", ("<=", 1.15)),
    ("loop / course_lib", [784, 30, 10], 10, "float64", "loop/course", (">=", 5.0)),
    ("loop / course_lib", [784, 30, 10], 10, "float32", "loop/course", (">=", 7.0)),
    ("loop / course_lib", [784, 30, 10], 100, "float32", "loop/course", (">=", 20.0)),
]


# --------------------------------------------------------------------------- references
def sigmoid(z):
    """The book's sigmoid, 1 / (1 + e^-z) (callers silence the overflow for z < -709)."""
    return 1.0 / (1.0 + np.exp(-z))


def loop_epoch(X, Y, weights, biases, batch, eta, lmbda, n, rng):
    """One epoch as the book's network2.py runs it: per-example backprop, column vectors.

    ``biases`` are columns (n_l, 1); Y holds one-hot rows. Updates weights in place.
    """
    order = rng.permutation(len(X))
    for k in range(0, len(X), batch):
        rows = order[k:k + batch]
        nabla_w = [np.zeros(W.shape) for W in weights]
        nabla_b = [np.zeros(b.shape) for b in biases]
        for i in rows:
            x, y = X[i][:, None], Y[i][:, None]
            activation, activations, zs = x, [x], []
            for W, b in zip(weights, biases):
                z = W @ activation + b
                zs.append(z)
                activation = sigmoid(z)
                activations.append(activation)
            delta = activations[-1] - y  # cross-entropy output error
            nabla_b[-1] += delta
            nabla_w[-1] += delta @ activations[-2].T
            for l in range(2, len(weights) + 1):
                a = activations[-l]
                delta = (weights[-l + 1].T @ delta) * (a * (1 - a))
                nabla_b[-l] += delta
                nabla_w[-l] += delta @ activations[-l - 1].T
        m = len(rows)
        for W, b, nw, nb in zip(weights, biases, nabla_w, nabla_b):
            W *= 1 - eta * lmbda / n
            W -= (eta / m) * nw
            b -= (eta / m) * nb


def loop_evaluate(X, labels, weights, biases):
    """The book's evaluate: feed each example forward alone, count correct argmaxes."""
    correct = 0
    for x, label in zip(X, labels):
        a = x[:, None]
        for W, b in zip(weights, biases):
            a = sigmoid(W @ a + b)
        correct += int(np.argmax(a) == label)
    return correct / len(X)


def vector_epoch(X, Y, weights, biases, batch, eta, lmbda, n, rng):
    """One epoch of a minimal hand-vectorized step, for any depth (rows = examples)."""
    order = rng.permutation(len(X))
    decay = 1 - eta * lmbda / n
    L = len(weights)
    for k in range(0, len(X), batch):
        rows = order[k:k + batch]
        x, y = X[rows], Y[rows]
        acts = [x]
        for W, b in zip(weights, biases):
            acts.append(sigmoid(acts[-1] @ W.T + b))
        delta = (acts[-1] - y) * (eta / len(rows))
        for l in range(L - 1, -1, -1):
            grad_W = delta.T @ acts[l]
            grad_b = delta.sum(axis=0)
            if l:
                delta = (delta @ weights[l]) * (acts[l] * (1 - acts[l]))
            weights[l] *= decay
            weights[l] -= grad_W
            biases[l] -= grad_b


def products_epoch(X, Y, weights, biases, batch, rng):
    """Only the matrix products of each step (no activations, no updates): a floor."""
    order = rng.permutation(len(X))
    L = len(weights)
    for k in range(0, len(X), batch):
        x = X[order[k:k + batch]]
        acts = [x]
        for W in weights:
            acts.append(acts[-1] @ W.T)
        delta = acts[-1]
        for l in range(L - 1, -1, -1):
            delta.T @ acts[l]
            if l:
                delta = delta @ weights[l]


# --------------------------------------------------------------------------- timing helpers
def timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def median(values):
    return float(np.median(values))


def blas_description():
    infos = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    if not infos:
        return "no BLAS found by threadpoolctl"
    i = infos[0]
    return f"{i.get('internal_api')} {i.get('version')} ({i.get('architecture')}, up to {i.get('num_threads')} threads)"


def cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def load_average():
    try:
        return "%.2f %.2f %.2f" % os.getloadavg()
    except OSError:
        return "n/a"


# --------------------------------------------------------------------------- sections
def bench_training(data, threads, repeats, sizes, batches, out, deadline=float("inf")):
    """Epoch times scaled to EPOCH examples: each contender's cost is a fixed cost per
    step times the number of steps, so a run over n examples takes n / EPOCH of an epoch.

    course_lib, the vectorized reference and the products floor run back to back in
    each repeat, in alternating order; course/vector is the median over repeats of the
    ratio within a repeat, so that a burst of load elsewhere moves both sides. The
    slow per-example loop is timed LOOP_REPEATS times, on N_LOOP examples.
    """
    X64, Y64, labels = data["X"], data["Y"], data["labels"]
    n = len(labels)
    scale = EPOCH / n
    rows = []
    for size in sizes:
        for batch in batches:
            if time.perf_counter() > deadline:
                out(f"  {str(size):<14} {batch:>5} skipped: past the time budget (--budget)")
                rows.append(dict(threads=threads, net=size, batch=batch, skipped=True))
                continue
            start_net = Network(size, rng=np.random.default_rng(1))
            loop_times = []
            for r in range(LOOP_REPEATS):  # the book's loop, float64
                W = [w.copy() for w in start_net.weights]
                b = [v.copy()[:, None] for v in start_net.biases]
                loop_times.append(EPOCH / N_LOOP * timed(lambda: loop_epoch(
                    X64[:N_LOOP], Y64[:N_LOOP], W, b, batch, ETA, LMBDA, n, np.random.default_rng(r))))
            loop = median(loop_times)
            for dtype in DTYPES:
                name = np.dtype(dtype).name
                X, Y = data["X_" + name], data["Y_" + name]
                times = {"vector": [], "course": [], "call": [], "products": []}
                net = Network(size, rng=np.random.default_rng(1), dtype=dtype)

                def vector(r):
                    W = [w.astype(dtype) for w in start_net.weights]
                    b = [v.astype(dtype) for v in start_net.biases]
                    times["vector"].append(scale * timed(lambda: vector_epoch(
                        X, Y, W, b, batch, ETA, LMBDA, n, np.random.default_rng(r))))

                def products(r):
                    W = [w.astype(dtype) for w in start_net.weights]
                    times["products"].append(scale * timed(lambda: products_epoch(
                        X, Y, W, None, batch, np.random.default_rng(r))))

                def course(r):
                    for (_, p), (_, p0) in zip(net.parameters(), start_net.parameters()):
                        p[...] = p0
                    start = time.perf_counter()
                    history = sgd(net, X, labels, epochs=1, batch_size=batch, eta=ETA, lmbda=LMBDA,
                                  rng=np.random.default_rng(r), monitor=(), progress=False)
                    times["call"].append(scale * (time.perf_counter() - start))
                    times["course"].append(scale * history.epoch_seconds[0])

                for r in range(repeats):
                    if r >= 3 and time.perf_counter() > deadline:
                        break  # past the time budget: keep the repeats done so far
                    for contender in (vector, products, course) if r % 2 == 0 else (course, products, vector):
                        contender(r)
                t = {key: median(values) for key, values in times.items()}
                course_vector = median(np.divide(times["course"], times["vector"]))
                rows.append(dict(threads=threads, net=size, batch=batch, dtype=name, repeats=len(times["course"]), loop=loop,
                                 vector=t["vector"], course=t["course"], sgd_call=t["call"], products=t["products"],
                                 ratio_course_vector=course_vector, ratio_loop_course=loop / t["course"],
                                 ratio_loop_vector=loop / t["vector"]))
                out(f"  {str(size):<14} {batch:>5} {name:<8} {loop:>7.2f}s {t['vector']:>8.3f}s {t['course']:>8.3f}s"
                    f" {t['call']:>8.3f}s {t['products']:>8.3f}s {course_vector:>8.2f} {loop / t['course']:>8.1f}x"
                    f" {loop / t['vector']:>8.1f}x"
                    + (f"  (only {len(times['course'])} repeats: time budget)" if len(times["course"]) < repeats else ""))
    return rows


def bench_evaluation(data, threads, repeats, out):
    size = [784, 30, 10]
    net = Network(size, rng=np.random.default_rng(1))
    W = [w.copy() for w in net.weights]
    b = [v.copy()[:, None] for v in net.biases]
    X_test, y_test = data["X_test"], data["y_test"]
    loop = median([timed(lambda: loop_evaluate(X_test, y_test, W, b)) for _ in range(LOOP_REPEATS)])
    rows = []
    for dtype in DTYPES:
        name = np.dtype(dtype).name
        net = Network(size, rng=np.random.default_rng(1), dtype=dtype)
        X = X_test.astype(dtype)
        course = median([timed(lambda: net.accuracy(X, y_test)) for _ in range(repeats)])
        rows.append(dict(threads=threads, net=size, dtype=name, loop=loop, course=course, ratio_loop_course=loop / course))
        out(f"  evaluate 10,000 images {str(size):<12} {name:<8} loop {loop * 1e3:7.1f} ms   course_lib"
            f" {course * 1e3:6.2f} ms   loop/course {loop / course:6.1f}x  (target >= 5x)")
    return rows


def bench_gradcheck(data, threads, repeats, out):
    """check_gradients of [784, 30, 10] with its defaults (10 entries or directions per
    parameter array) on 10 examples, as notebook 03 runs it, and on 100; then the full
    per-parameter check of a small net."""
    rows = []
    net = Network([784, 30, 10], rng=np.random.default_rng(1))
    for examples in (10, 100):
        X, labels = data["X_test"][:examples], data["y_test"][:examples]
        for mode in ("subset", "directional"):
            t = median([timed(lambda: check_gradients(net, X, labels, mode=mode, rng=np.random.default_rng(0)))
                        for _ in range(repeats)])
            rows.append(dict(threads=threads, net=[784, 30, 10], examples=examples, mode=mode, seconds=t))
            out(f"  check_gradients [784, 30, 10], {examples:>3} examples, mode={mode!r:<14} {t * 1e3:7.1f} ms"
                + ("  (target < 50 ms)" if examples == 10 else ""))
    small = Network([20, 10, 5], rng=np.random.default_rng(1))
    Xs = np.random.default_rng(2).random((20, 20))
    ys = np.arange(20) % 5
    t = median([timed(lambda: check_gradients(small, Xs, ys, mode="full")) for _ in range(repeats)])
    n_params = sum(p.size for _, p in small.parameters())
    rows.append(dict(threads=threads, net=[20, 10, 5], examples=20, mode="full", seconds=t))
    out(f"  check_gradients [20, 10, 5],     20 examples, mode='full' ({n_params} parameters) {t * 1e3:7.1f} ms")
    return rows


def bench_widgets(repeats, out):
    """One redraw of the widgets' activation-histogram figure.

    Through benchmarks/bench_widgets.py's ``bench_histogram_widget`` (the real slider
    callback: forward pass, statistics, redraw, PNG) when it is there; else by calling
    ``course_lib.viz.widgets.HistogramExplorer.update`` directly; else a reported gap.
    """
    here = str(Path(__file__).resolve().parent)
    sys.path.insert(0, here)
    try:
        from bench_widgets import bench_histogram_widget
    except ImportError:
        bench_histogram_widget = None
    finally:
        sys.path.remove(here)
    if bench_histogram_widget is not None:
        r = bench_histogram_widget(depth=5, calls=max(10, repeats))
        out(f"  histogram widget, std slider callback (bench_widgets.bench_histogram_widget, depth 5,"
            f" {r['calls']} calls): median {r['wall'] * 1e3:.0f} ms wall, {r['cpu'] * 1e3:.0f} ms CPU")
        return dict(source="bench_widgets.bench_histogram_widget", **r)
    try:
        from course_lib.viz.widgets import HistogramExplorer
    except ImportError as error:
        out(f"  GAP: neither benchmarks/bench_widgets.py nor course_lib.viz.widgets is importable ({error});"
            " histogram redraw not timed")
        return None
    explorer = HistogramExplorer(rng=np.random.default_rng(0))
    stds = [0.5, 1.0, 2.0, 4.0, 0.25, 1.5]
    explorer.update(std=stds[-1])  # the first draw builds the figure; time the redraws
    seconds = median([timed(lambda: explorer.update(std=stds[i % len(stds)])) for i in range(min(5, repeats))])
    out(f"  histogram widget, HistogramExplorer.update(std=...) (depth {explorer.params['depth']}): {seconds * 1e3:.0f} ms")
    return dict(source="HistogramExplorer.update", wall=seconds)


def check_targets(rows, gradcheck_rows, eval_rows, out):
    out("\nTargets (issue 4), measured above in this run:")
    missed = 0
    for what, net, batch, dtype, key, (op, bound) in TARGETS:
        for threads in sorted({r["threads"] for r in rows}):
            match = [r for r in rows if r["net"] == net and r["batch"] == batch and r.get("dtype") == dtype
                     and r["threads"] == threads]
            if not match:
                continue
            value = match[0]["ratio_course_vector" if key == "course/vector" else "ratio_loop_course"]
            ok = value <= bound if op == "<=" else value >= bound
            missed += not ok
            out(f"  {'met   ' if ok else 'MISSED'} {what:<20} {str(net):<12} batch {batch:<4} {dtype:<8}"
                f" {threads} thread(s): {value:6.2f} (target {op} {bound})")
    for r in eval_rows:
        ok = r["ratio_loop_course"] >= 5
        missed += not ok
        out(f"  {'met   ' if ok else 'MISSED'} evaluation loop / course_lib {r['dtype']:<8} {r['threads']} thread(s):"
            f" {r['ratio_loop_course']:6.1f} (target >= 5)")
    for r in gradcheck_rows:
        if r["mode"] == "full" or r["examples"] != 10:
            continue
        ok = r["seconds"] < 0.05
        missed += not ok
        out(f"  {'met   ' if ok else 'MISSED'} gradient check {r['mode']:<12} {r['examples']:>3} examples"
            f" {r['threads']} thread(s):"
            f" {r['seconds'] * 1e3:6.1f} ms (target < 50 ms)")
    return missed


def make_data(n_train):
    rng = np.random.default_rng(0)
    X = rng.random((n_train + N_TEST, 784))
    labels = rng.integers(0, 10, n_train + N_TEST)
    Y = np.eye(10)[labels]
    data = dict(X=X[:n_train], Y=Y[:n_train], labels=labels[:n_train], X_test=X[n_train:], y_test=labels[n_train:])
    for dtype in DTYPES:
        name = np.dtype(dtype).name
        data["X_" + name] = np.ascontiguousarray(data["X"], dtype=dtype)
        data["Y_" + name] = data["Y"].astype(dtype)
    return data


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=11,
                        help="runs per measurement; the median is reported (default 11)")
    parser.add_argument("--examples", type=int, default=N_TIMED,
                        help=f"examples the vectorized epochs are timed on, scaled to {EPOCH:,} (default {N_TIMED:,};"
                             f" {EPOCH:,} times whole epochs)")
    parser.add_argument("--threads", default="1,2", help="BLAS thread counts to pin, comma-separated (default 1,2)")
    parser.add_argument("--budget", type=float, default=90.0,
                        help="seconds after which the measurements not yet started are skipped (default 90):"
                             " on a loaded machine, BLAS threads that wait for a core can make a run take minutes")
    parser.add_argument("--quick", action="store_true", help="[784, 30, 10] only, 5 repeats")
    parser.add_argument("--json", type=Path, help="also write every measurement to this JSON file")
    args = parser.parse_args(argv)
    repeats = 5 if args.quick else args.repeats
    if repeats < 1:
        parser.error("--repeats must be >= 1")
    if not N_LOOP <= args.examples <= EPOCH:
        parser.error(f"--examples must lie in {N_LOOP:,}..{EPOCH:,}")
    threads_list = [int(t) for t in args.threads.split(",")]
    sizes = SIZES[:1] if args.quick else SIZES

    out = print
    wall = time.perf_counter()
    deadline = wall + args.budget
    load_before = load_average()
    data = make_data(args.examples)
    header = dict(
        date=datetime.datetime.now().isoformat(timespec="minutes"),
        machine=f"{cpu_model()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}",
        python=platform.python_version(),
        numpy=np.__version__,
        blas=blas_description(),
        load_before=load_before,
    )
    out("course_lib training benchmark")
    for key, value in header.items():
        out(f"  {key:<12} {value}")

    results = dict(header=header, training=[], evaluation=[], gradcheck=[], widgets=None)
    for threads in threads_list:
        with threadpool_limits(limits=threads, user_api="blas"):
            out(f"\n== BLAS threads: {threads} ==")
            results["evaluation"] += bench_evaluation(data, threads, repeats, out)
            results["gradcheck"] += bench_gradcheck(data, threads, repeats, out)
            out(f"Seconds per epoch of {EPOCH:,} examples (eta {ETA}, lmbda {LMBDA}), median of {repeats};"
                f" timed on {args.examples:,} examples (the loop on {N_LOOP:,}, {LOOP_REPEATS} times) and scaled;"
                f" crs/vec is the median of the ratios within a repeat")
            out(f"  {'net':<14} {'batch':>5} {'dtype':<8} {'loop':>8} {'vector':>9} {'course':>9} {'sgd call':>9} {'products':>9}"
                f" {'crs/vec':>8} {'loop/crs':>9} {'loop/vec':>9}")
            results["training"] += bench_training(data, threads, repeats, sizes, BATCHES, out, deadline)
    out("\n== Widgets ==")
    results["widgets"] = bench_widgets(repeats, out)
    missed = check_targets(results["training"], results["gradcheck"], results["evaluation"], out)
    results["header"]["load_after"] = load_average()
    results["header"]["seconds"] = time.perf_counter() - wall
    skipped = sum(1 for r in results["training"] if r.get("skipped"))
    out(f"\nload average before {load_before}, after {results['header']['load_after']};"
        f" {results['header']['seconds']:.0f} s in all; {missed} target(s) missed"
        + (f"; {skipped} training configuration(s) skipped for time" if skipped else ""))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
        out(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
