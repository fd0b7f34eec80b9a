"""How much does stacking buy notebook 07's trainability map?

Run from the repository root (about a minute on 2 quiet cores):

    .venv/bin/python benchmarks/bench_trainability.py
    .venv/bin/python benchmarks/bench_trainability.py --repeats 3 --full

Times one row of the map (one activation and depth, 13 gains, 300 SGD steps of
minibatch 16 on the 300-point spiral, width 32) three ways, interleaved so that load
from other processes hits each alike:

* ``stacked``: ``train_stack`` on all 13 networks at once (what notebook 07 does);
* ``one by one``: ``train_stack`` 13 times, one network per call;
* ``Network + sgd``: 13 course ``Network`` objects trained by ``course_lib.sgd``
  (17 epochs of 18 minibatches = 306 steps, float32), the general-purpose path.

``--full`` also times the whole map of notebook 07 (3 activations x 6 depths x 13
gains). BLAS threads are pinned with threadpoolctl, 1 and 2 threads.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
from threadpoolctl import threadpool_limits

from course_lib import Network, sgd
from course_lib.data.synthetic import spiral
from course_lib.lessons.trainability_map import init_stack, train_stack, trainability_map

GAINS = 0.25 * np.sqrt(2) ** np.arange(13)
WIDTH, STEPS, BATCH, ETA = 32, 300, 16, 0.1


def data():
    X, y = spiral(n_per_class=100, n_classes=3, noise=0.2, rng=np.random.default_rng(0))
    return ((X - X.mean(0)) / X.std(0)).astype(np.float32), y


def stacked(X, y, activation, depth):
    W, b = init_stack([2] + [WIDTH] * depth + [3], GAINS, rng=np.random.default_rng(1))
    train_stack(W, b, X, y, activation, steps=STEPS, batch_size=BATCH, eta=ETA, rng=np.random.default_rng(2))


def one_by_one(X, y, activation, depth):
    for g in GAINS:
        W, b = init_stack([2] + [WIDTH] * depth + [3], [g], rng=np.random.default_rng(1))
        train_stack(W, b, X, y, activation, steps=STEPS, batch_size=BATCH, eta=ETA, rng=np.random.default_rng(2))


def networks(X, y, activation, depth):
    for g in GAINS:
        net = Network([2] + [WIDTH] * depth + [3], activation=activation, cost="log_likelihood",
                      init=float(g) / np.sqrt(WIDTH), rng=np.random.default_rng(1), dtype=np.float32)
        sgd(net, X, y, epochs=17, batch_size=BATCH, eta=ETA, rng=np.random.default_rng(2),
            monitor=("train_cost",), progress=False)


def full_map(X, y):
    trainability_map(X, y, depths=[1, 2, 4, 8, 16, 30], gains=GAINS, width=WIDTH, steps=STEPS, batch_size=BATCH,
                     eta=ETA, rng=np.random.default_rng(0))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--depth", type=int, default=8)
    parser.add_argument("--activation", default="tanh")
    parser.add_argument("--full", action="store_true", help="also time the whole map of notebook 07")
    args = parser.parse_args()
    X, y = data()
    contenders = {"stacked": stacked, "one by one": one_by_one, "Network + sgd": networks}
    print(f"one row: {args.activation}, depth {args.depth}, {len(GAINS)} gains, {STEPS} steps of batch {BATCH}, "
          f"width {WIDTH}; best of {args.repeats}")
    for threads in (1, 2):
        with threadpool_limits(limits=threads, user_api="blas"):
            best = {name: np.inf for name in contenders}
            for _ in range(args.repeats):
                for name, fn in contenders.items():
                    start = time.perf_counter()
                    fn(X, y, args.activation, args.depth)
                    best[name] = min(best[name], time.perf_counter() - start)
            line = "  ".join(f"{name} {t:6.2f} s" for name, t in best.items())
            print(f"  {threads} BLAS thread(s): {line}   (stacked is {best['one by one'] / best['stacked']:.1f}x "
                  f"faster than one by one, {best['Network + sgd'] / best['stacked']:.1f}x than Network + sgd)")
            if args.full:
                start = time.perf_counter()
                full_map(X, y)
                print(f"  {threads} BLAS thread(s): the whole map (234 networks): {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
