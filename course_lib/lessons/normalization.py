"""Notebook 12's experiments: does initialization still matter with batch norm and residual connections?

One deep network, [2, 32 x (D + 1), 3] on the spiral (notebook 06), five
architectures built by :class:`course_lib.nn.residual.DeepMLP`:

    plain     h_l = f(h_(l-1) W_l^T)                          (notebook 06's kind of net)
    bn        h_l = f(BN(h_(l-1) W_l^T))
    res       h_l = h_(l-1) + (1/sqrt D) F(h_(l-1))            F(h) = f(h W^T) V^T
    res0      h_l = h_(l-1) + F(h_(l-1)), V_l = 0 at the start
    bn_res    h_l = h_(l-1) + (1/sqrt D) F_BN(h_(l-1))

each with four initializations (Xavier, He, std 0.01, std 1). Two measurements:

- :func:`layer_profiles`: at initialization, the std of each layer's output h_l
  and the norm of each layer's weight gradient: what the tools change in the
  histograms and the gradient flow (forward and one backward pass: fast);
- :func:`train_grid`: the training loss after a fixed budget, for every
  (architecture, initialization, seed): which nets train at all, and what the
  initialization still decides. The full grid at depth 50 takes minutes, so it
  runs from the command line and ships as package data::

      python -m course_lib.lessons.normalization --out course_lib/results/normalization_grid.json
"""
from __future__ import annotations

import argparse
import datetime
import json
import sys
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from ..checks import check_int
from ..data.synthetic import spiral
from ..nn.residual import DeepMLP, train_deep
from .results_file import write_json_atomically

__all__ = ["ARCHITECTURES", "ARCH_LABELS", "INITS", "GRID_SETUP", "LayerProfile", "build", "layer_profiles",
           "train_grid", "save_grid", "load_grid", "grid_medians", "spiral_task", "check_residual_growth", "main"]

#: Architecture name -> DeepMLP keyword arguments.
ARCHITECTURES = {
    "plain": dict(),
    "bn": dict(batchnorm=True),
    "res": dict(residual=True, residual_scale="1/sqrt(depth)"),
    "res0": dict(residual=True, zero_init_residual=True),
    "bn_res": dict(batchnorm=True, residual=True, residual_scale="1/sqrt(depth)"),
}
ARCH_LABELS = {
    "plain": "plain",
    "bn": "batch norm",
    "res": "residual, alpha = 1/sqrt(D)",
    "res0": "residual, alpha = 1, branches start at 0",
    "bn_res": "batch norm + residual (1/sqrt(D))",
}
#: Initialization name (as shown) -> DeepMLP ``init``.
INITS = {"Xavier": "xavier_normal", "He": "he_normal", "std 0.01": 0.01, "std 1": 1.0}
#: The budget of the grid: depth 50 (blocks), width 32, ReLU, 30 epochs of SGD.
GRID_SETUP = dict(depth=50, width=32, activation="relu", epochs=30, batch_size=30, eta=0.05, n_per_class=100)
RESULTS_FILE = "normalization_grid.json"


def spiral_task(n_per_class=GRID_SETUP["n_per_class"], seed=0):
    """Notebook 06's spiral: 3 classes, noise 0.2, drawn from ``default_rng(seed)``."""
    return spiral(n_per_class=n_per_class, n_classes=3, noise=0.2, rng=np.random.default_rng(seed))


def build(arch, init, *, depth=GRID_SETUP["depth"], width=GRID_SETUP["width"],
          activation=GRID_SETUP["activation"], rng):
    """The DeepMLP of architecture ``arch`` ('plain', 'bn', ...) with initialization ``init`` (a key of INITS)."""
    if arch not in ARCHITECTURES:
        raise ValueError(f"arch must be one of {sorted(ARCHITECTURES)}, got {arch!r}")
    if init not in INITS:
        raise ValueError(f"init must be one of {sorted(INITS)}, got {init!r}")
    return DeepMLP(2, width, depth, 3, activation=activation, init=INITS[init], rng=rng, **ARCHITECTURES[arch])


@dataclass
class LayerProfile:
    """Per layer l = 0..D at initialization: std of h_l and ||dC/dW_l|| (Frobenius), and the loss."""

    arch: str
    init: str
    h_std: np.ndarray
    grad_norm: np.ndarray
    loss: float


def layer_profiles(X, y, archs, init="He", *, seed=0, **build_kwargs):
    """:class:`LayerProfile` of each architecture in ``archs`` with the same initialization and seed."""
    out = {}
    for arch in archs:
        net = build(arch, init, rng=np.random.default_rng(seed), **build_kwargs)
        with np.errstate(over="ignore", invalid="ignore"):
            _, _, hiddens = net.forward(X, train=True)
            loss, g = net.gradients(X, y)
        out[arch] = LayerProfile(arch, init, np.array([h.std() for h in hiddens]),
                                 np.array([np.linalg.norm(g[f"W{l}"]) for l in range(net.depth + 1)]), loss)
    return out


def train_grid(X, y, *, archs=tuple(ARCHITECTURES), inits=tuple(INITS), seeds=(0, 1, 2), log=None, **setup):
    """Train every (architecture, initialization, seed); return {'setup', 'runs': [...]}.

    Each run records the training loss on all of (X, y) before and after every
    epoch (NaN from the epoch it diverged). Seeds: weights from default_rng(seed),
    minibatch order from default_rng(1000 + seed), the same for every architecture.
    """
    s = dict(GRID_SETUP)
    s.update(setup)
    seeds = [check_int(seed, "seeds", 0) for seed in seeds]
    runs = []
    start = time.perf_counter()
    for arch in archs:
        for init in inits:
            for seed in seeds:
                net = build(arch, init, depth=s["depth"], width=s["width"], activation=s["activation"],
                            rng=np.random.default_rng(seed))
                losses = train_deep(net, X, y, epochs=s["epochs"], batch_size=s["batch_size"], eta=s["eta"],
                                    rng=np.random.default_rng(1000 + seed))
                losses = np.concatenate([losses, np.full(s["epochs"] + 1 - len(losses), np.nan)])
                runs.append(dict(arch=arch, init=init, seed=seed,
                                 losses=[None if not np.isfinite(v) else round(float(v), 6) for v in losses],
                                 accuracy=round(net.accuracy(X, y), 4) if np.isfinite(losses[-1]) else None))
                if log is not None:
                    log(f"{arch:>7} {init:>9} seed {seed}: final loss {losses[-1]:.3f}")
    return {"setup": s, "seeds": seeds, "seconds_total": round(time.perf_counter() - start, 1), "runs": runs}


def save_grid(results, path):
    """Write the grid as JSON, atomically."""
    return write_json_atomically(results, path)


def load_grid(path=None):
    """The saved grid (default: the one shipped with course_lib)."""
    if path is None:
        return json.loads((resources.files("course_lib") / "results" / RESULTS_FILE).read_text(encoding="utf-8"))
    return json.loads(Path(path).read_text(encoding="utf-8"))


def grid_medians(results):
    """{(arch, init): median over seeds of the final loss}, a diverged run counting as +inf."""
    finals = {}
    for run in results["runs"]:
        last = run["losses"][-1]
        finals.setdefault((run["arch"], run["init"]), []).append(np.inf if last is None else last)
    return {key: float(np.median(v)) for key, v in finals.items()}


def check_residual_growth(answer, depth=50):
    """Exercise 1 of notebook 12: E[h_D^2] / E[h_0^2] for ReLU/He residual blocks with alpha = 1/sqrt(D).

    The answer is (1 + 2/D)^D (1% tolerance; e^2 = 7.39, the limit, is also accepted
    within 5%). Prints a hint when it is wrong; returns True/False.
    """
    depth = check_int(depth, "depth", 1)
    exact = (1 + 2 / depth) ** depth
    try:
        value = float(answer)
    except (TypeError, ValueError):
        raise TypeError(f"answer must be a number (a ratio of second moments), got {answer!r}") from None
    ok = abs(value - exact) <= 0.01 * exact or abs(value - np.e ** 2) <= 0.05 * np.e ** 2
    print(f"Right: (1 + 2/D)^D = {exact:.2f} for D = {depth}, below e^2 = {np.e ** 2:.2f} at any depth." if ok else
          "Not quite. A ReLU branch with He weights has E[F(h)^2] = 2 E[h^2] and is uncorrelated with h: "
          "what does one block with weight alpha do to E[h^2]? Then multiply over D blocks.")
    return ok


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m course_lib.lessons.normalization",
                                     description="Train the depth-50 grid of notebook 12 and save it as JSON.")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    X, y = spiral_task()
    results = train_grid(X, y, seeds=args.seeds, log=lambda m: print(m, flush=True))
    results["description"] = ("Notebook 12: final training loss of a depth-50 ReLU DeepMLP on the spiral, "
                              "per architecture, initialization and seed.")
    results["command"] = "python -m course_lib.lessons.normalization " + " ".join(sys.argv[1:] if argv is None else argv)
    results["date"] = datetime.date.today().isoformat()
    save_grid(results, args.out)
    print(f"saved {len(results['runs'])} runs to {args.out} in {results['seconds_total']:.0f} s")


if __name__ == "__main__":
    main()
