"""The full settings search behind notebook 08: which width, learning rate and printing
interval reproduce the post's ten losses for std 0.01 and for 1/sqrt(n_in)?

Runs course_lib.lessons.flower.search on deeplearning.ai's flower (data seed 0) over widths
1-100, learning rates 0.01-1.2 and printing intervals 1-100 steps, 8 seeds each, and prints,
for every width and learning rate, the interval whose seed-median printouts come closest to
the published ones (max abs deviation) and the training time per printout eta * every.
About 8 minutes on one core (2-core machine shared with others: ~500 s).

    PYTHONPATH=. python benchmarks/flower_search.py
"""
import time

import numpy as np

from course_lib import flower
from course_lib.lessons.flower import PUBLISHED_INITS, search

HIDDENS = [1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 32, 50, 100]
ETAS = [0.01, 0.03, 0.1, 0.3, 1.2]
EVERYS = list(range(1, 101))


def main():
    X, y = flower(rng=np.random.default_rng(0))
    start = time.perf_counter()
    res = search(X, y, hiddens=HIDDENS, etas=ETAS, everys=EVERYS, seeds=range(8))
    print(f"search took {time.perf_counter() - start:.0f} s")
    for name in PUBLISHED_INITS:
        deviation = res["deviation"][name]
        print(f"\n== init {name}: best interval per (width, eta): every, eta*every, max |median - published|")
        for h, hidden in enumerate(HIDDENS):
            cells = []
            for e, eta in enumerate(ETAS):
                k = int(np.argmin(deviation[h, e]))
                cells.append(f"eta {eta:<4}: {EVERYS[k]:>3} {eta * EVERYS[k]:5.2f} {deviation[h, e, k]:.5f}")
            print(f"H={hidden:<4}" + " | ".join(cells))
    both = np.maximum(*(res["deviation"][name] for name in PUBLISHED_INITS))
    h, e, k = np.unravel_index(np.argmin(both), both.shape)
    print(f"\nbest single setting for both runs: H={HIDDENS[h]}, eta={ETAS[e]}, every={EVERYS[k]}: "
          + ", ".join(f"{name} {res['deviation'][name][h, e, k]:.4f}" for name in PUBLISHED_INITS))


if __name__ == "__main__":
    main()
