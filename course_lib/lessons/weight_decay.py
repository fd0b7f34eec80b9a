"""Notebook 10's experiments: does L2 weight decay turn Nielsen's old initialization into the new one?

Nielsen ends the section "Weight initialization" of ch. 3 with a Problem: with
the *old* initialization W ~ N(0, 1), argue that L2 regularization gives
something like the new one, N(0, 1/n_in), in three steps:

1. if lambda is not too small, the first epochs are dominated almost entirely
   by weight decay;
2. provided eta lambda << n, the weights decay by a factor exp(-eta lambda / m)
   per epoch;
3. if lambda is not too large, the decay tails off when the weights are down to
   a size around 1/sqrt(n_w), n_w the number of weights in the network.

The arithmetic of step 2. One SGD step with Nielsen's L2 term (see
:mod:`course_lib.nn.train`) is

    W <- (1 - eta lambda / n) W - (eta / m) sum_x dC_0/dW,

and an epoch is n/m steps. If the gradient term is negligible (step 1), the
epoch multiplies W by

    (1 - eta lambda / n)^(n / m) = exp((n/m) log(1 - eta lambda / n))
                                 ~ exp(-eta lambda / m)      (eta lambda << n),

which does not depend on n. Nielsen's setting (eta 0.1, lambda 5, m 10) gives
exp(-0.05) = 0.951 per epoch: 30 epochs shrink N(0, 1) weights to
exp(-1.5) = 0.22, not to 1/sqrt(784) = 0.036.

Step 3 is a balance. Decay removes (eta lambda / n) W per step; the gradient
adds a kick of size about (eta / m) |dC_0/dW|. The weights stop shrinking where
the two match, so the scale it settles at depends on the gradient, not on n_w
alone; :func:`run_weight_scales` measures where each layer is after each epoch,
with and without decay, for both initializations, so the notebook can compare
each step with its prediction.

The measurement runs Nielsen's sigmoid/cross-entropy network [784, 30, 10]
(:func:`course_lib.lessons.mnist_old_vs_new.nielsen_network`, the same paired
seeds) and records, after every epoch, the root mean square of each weight
matrix, sqrt(mean(W^2)) (the std of its entries, since their mean stays near 0),
and the validation accuracy. The full measurement (50,000 images, 30 epochs,
3 seeds, old/new x lambda 5/0) takes several minutes, so it runs from the
command line and is saved as package data that the notebook reads::

    python -m course_lib.lessons.weight_decay --out course_lib/results/weight_decay_scales.json
"""
from __future__ import annotations

import argparse
import datetime
import json
import math
import sys
import time
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from ..blas import single_blas_thread
from ..checks import check_int, check_real
from ..nn.train import sgd
from .results_file import write_json_atomically
from .mnist_old_vs_new import NIELSEN_SETUP, SCHEMES, _check_pair, nielsen_network

__all__ = [
    "DECAY_SETUP",
    "ScaleRun",
    "decay_factor_per_epoch",
    "decay_factor_exact",
    "weight_count",
    "equilibrium_scale",
    "run_weight_scales",
    "measure_weight_scales",
    "save_scales",
    "load_scales",
    "select_scale_runs",
    "epoch_ratios",
    "check_epochs_to_new_scale",
    "check_factor_for_batch",
    "main",
]

#: Nielsen's setting for the Problem: the network and training of notebook 04.
DECAY_SETUP = dict(hidden=30, epochs=NIELSEN_SETUP["epochs"], batch_size=NIELSEN_SETUP["batch_size"],
                   eta=NIELSEN_SETUP["eta"])

RESULTS_FILE = "weight_decay_scales.json"


def decay_factor_per_epoch(eta, lmbda, batch_size):
    """Nielsen's prediction exp(-eta lambda / m): how much one epoch of pure decay shrinks W."""
    eta = check_real(eta, "eta", ">= 0", lambda v: v >= 0)
    lmbda = check_real(lmbda, "lmbda", ">= 0", lambda v: v >= 0)
    batch_size = check_int(batch_size, "batch_size", 1)
    return math.exp(-eta * lmbda / batch_size)


def decay_factor_exact(eta, lmbda, batch_size, n):
    """(1 - eta lambda / n)^steps with steps = ceil(n / m): pure decay over one epoch, exactly."""
    eta = check_real(eta, "eta", ">= 0", lambda v: v >= 0)
    lmbda = check_real(lmbda, "lmbda", ">= 0", lambda v: v >= 0)
    batch_size = check_int(batch_size, "batch_size", 1)
    n = check_int(n, "n", 1)
    if eta * lmbda >= n:
        raise ValueError(f"eta * lmbda must be < n (the decay factor 1 - eta lmbda / n must stay positive), "
                         f"got eta={eta}, lmbda={lmbda}, n={n}")
    steps = -(-n // batch_size)
    return (1.0 - eta * lmbda / n) ** steps


def weight_count(sizes):
    """n_w = sum_l n_(l-1) n_l: the number of weights (biases not counted) of a network ``sizes``."""
    sizes = [check_int(s, "sizes", 1) for s in sizes]
    if len(sizes) < 2:
        raise ValueError(f"sizes must list at least an input and an output width, got {sizes!r}")
    return sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))


def equilibrium_scale(sizes):
    """Nielsen's step 3: the weight size 1/sqrt(n_w) at which decay should tail off."""
    return 1.0 / math.sqrt(weight_count(sizes))


@dataclass
class ScaleRun:
    """One run: per epoch 0..E, the RMS of each weight matrix and the validation accuracy.

    ``weight_rms[e][l]`` is sqrt(mean(W_(l+1)^2)) after e epochs (e = 0: at
    initialization); ``validation_correct[e]`` counts correct validation images.
    """

    scheme: str
    lmbda: float
    seed: int
    sizes: list
    n_train: int
    n_validation: int
    eta: float
    batch_size: int
    weight_rms: list = field(default_factory=list)
    validation_correct: list = field(default_factory=list)

    @property
    def epochs(self):
        return len(self.weight_rms) - 1

    @property
    def rms(self):
        """weight_rms as an array of shape (epochs + 1, layers)."""
        return np.asarray(self.weight_rms, dtype=float)

    @property
    def accuracy_percent(self):
        return 100.0 * np.asarray(self.validation_correct, dtype=float) / self.n_validation

    def to_dict(self):
        d = asdict(self)
        d["weight_rms"] = [[float(f"{v:.6g}") for v in row] for row in self.weight_rms]
        return d


def _rms_per_layer(net):
    return [float(np.sqrt(np.mean(np.square(W, dtype=np.float64)))) for W in net.weights]


def run_weight_scales(train, validation, *, scheme="old", lmbda=5.0, seed=0, hidden=DECAY_SETUP["hidden"],
                      epochs=DECAY_SETUP["epochs"], batch_size=DECAY_SETUP["batch_size"],
                      eta=DECAY_SETUP["eta"], dtype=np.float32):
    """Train Nielsen's network once and record each layer's weight RMS after every epoch.

    Inputs:
      train, validation:  (X, y) pairs, X of shape (n, 784) in [0, 1], y digit labels.
      scheme:   'old' (W ~ N(0, 1)) or 'new' (W ~ N(0, 1/n_in)), biases N(0, 1) in both.
      lmbda:    Nielsen's L2 strength (0 switches decay off); eta, batch_size: SGD's.
      seed:     integer >= 0; the same seed gives the same draws and minibatch order
                for every scheme and lmbda (the comparison is paired).
    Returns a :class:`ScaleRun`.
    """
    if scheme not in ("old", "new"):
        raise ValueError(f"scheme must be 'old' or 'new', got {scheme!r}")
    lmbda = check_real(lmbda, "lmbda", ">= 0", lambda v: v >= 0)
    seed = check_int(seed, "seed", 0)
    epochs = check_int(epochs, "epochs", 1)
    X, y = _check_pair(train, "train")
    X_val, y_val = _check_pair(validation, "validation")
    dtype = np.dtype(dtype)
    X = np.ascontiguousarray(X, dtype=dtype)
    X_val = np.ascontiguousarray(X_val, dtype=dtype)
    init_rng, shuffle_rng = np.random.default_rng(seed).spawn(2)
    net = nielsen_network(X.shape[1], hidden, scheme, rng=init_rng, dtype=dtype)
    run = ScaleRun(scheme=scheme, lmbda=lmbda, seed=seed, sizes=list(net.sizes), n_train=len(X),
                   n_validation=len(X_val), eta=float(eta), batch_size=int(batch_size))

    def record(*_):
        run.weight_rms.append(_rms_per_layer(net))
        run.validation_correct.append(int(np.sum(net.predict(X_val) == y_val)))
        return False

    record()
    with single_blas_thread():
        sgd(net, X, y, epochs=epochs, batch_size=batch_size, eta=eta, lmbda=lmbda, rng=shuffle_rng,
            monitor=(), callback=record, progress=False)
    return run


def measure_weight_scales(train, validation, *, seeds=(0, 1, 2), schemes=("old", "new"), lmbdas=(5.0, 0.0),
                          log=None, **kwargs):
    """:func:`run_weight_scales` for every scheme, lmbda and seed; returns a results dict."""
    runs = []
    start = time.perf_counter()
    for scheme in schemes:
        for lmbda in lmbdas:
            for seed in seeds:
                t0 = time.perf_counter()
                runs.append(run_weight_scales(train, validation, scheme=scheme, lmbda=lmbda, seed=seed, **kwargs))
                if log is not None:
                    r = runs[-1]
                    log(f"{scheme} lmbda {lmbda:g} seed {seed}: W1 rms {r.rms[0, 0]:.4f} -> {r.rms[-1, 0]:.4f}, "
                        f"accuracy {r.accuracy_percent[-1]:.2f}% ({time.perf_counter() - t0:.0f} s)")
    setup = dict(DECAY_SETUP, **{k: v for k, v in kwargs.items() if k in DECAY_SETUP})
    return {
        "description": "Nielsen ch. 3 Problem (weight decay with the old initialization): RMS of each weight "
                       "matrix and validation accuracy after epochs 0..E, [784, 30, 10] sigmoid/cross-entropy.",
        "command": "python -m course_lib.lessons.weight_decay",
        "date": datetime.date.today().isoformat(),
        "setup": dict(setup, n_train=len(train[0]), n_validation=len(validation[0]),
                      schemes={s: list(SCHEMES[s]) for s in schemes}),
        "seconds_total": round(time.perf_counter() - start, 1),
        "runs": runs,
    }


def save_scales(results, path):
    """Write ``results`` as JSON, atomically (a temporary file, then os.replace)."""
    out = dict(results)
    out["runs"] = [r.to_dict() if isinstance(r, ScaleRun) else r for r in results["runs"]]
    return write_json_atomically(out, path)


def load_scales(path=None):
    """Read the saved measurement (default: the one shipped with course_lib); runs become ScaleRuns."""
    if path is None:
        text = (resources.files("course_lib") / "results" / RESULTS_FILE).read_text(encoding="utf-8")
    else:
        text = Path(path).read_text(encoding="utf-8")
    results = json.loads(text)
    results["runs"] = [ScaleRun(**r) for r in results["runs"]]
    return results


def select_scale_runs(results, scheme, lmbda):
    """The runs of ``results`` with this scheme and lmbda, sorted by seed."""
    runs = results["runs"] if isinstance(results, dict) else results
    return sorted((r for r in runs if r.scheme == scheme and r.lmbda == lmbda), key=lambda r: r.seed)


def epoch_ratios(run):
    """RMS after epoch e over RMS after epoch e - 1, per layer: shape (epochs, layers)."""
    rms = run.rms
    return rms[1:] / rms[:-1]


def main(argv=None):
    """Command line: measure the weight scales on MNIST and save them (see the module docstring)."""
    parser = argparse.ArgumentParser(prog="python -m course_lib.lessons.weight_decay",
                                     description="Nielsen's weight-decay Problem on MNIST: weight RMS per epoch.")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=DECAY_SETUP["epochs"])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args(argv)
    from .. import data

    kwargs = {} if args.data_dir is None else {"data_dir": args.data_dir}
    mnist = data.load_mnist(split="nielsen", dtype=np.float32, **kwargs)
    results = measure_weight_scales(mnist.train, mnist.validation, seeds=args.seeds, epochs=args.epochs,
                                    log=lambda m: print(m, flush=True))
    results["command"] = "python -m course_lib.lessons.weight_decay " + " ".join(sys.argv[1:] if argv is None else argv)
    save_scales(results, args.out)
    print(f"saved {len(results['runs'])} runs to {args.out} in {results['seconds_total']:.0f} s")
    return results



# ------------------------------------------------------------ exercise checks
def _report(ok, message_ok, hint):
    print(message_ok if ok else hint)
    return ok


def check_epochs_to_new_scale(answer, eta=0.1, lmbda=5.0, batch_size=10, n_in=784):
    """Exercise 1 of notebook 10: epochs of pure decay that take N(0, 1) weights to 1/sqrt(n_in).

    The answer solves exp(-eta lambda e / m) = 1/sqrt(n_in), e = m ln(n_in) / (2 eta lambda);
    any number within half an epoch of it (or its ceiling) is accepted. Returns True/False.
    """
    exact = batch_size * math.log(n_in) / (2 * eta * lmbda)
    try:
        value = float(answer)
    except (TypeError, ValueError):
        raise TypeError(f"answer must be a number of epochs, got {answer!r}") from None
    ok = exact - 0.5 <= value <= math.ceil(exact) + 0.5
    return _report(ok, f"Right: about {exact:.1f} epochs, more than twice Nielsen's 30.",
                   "Not quite. Pure decay multiplies W by exp(-eta lambda / m) per epoch: after e epochs the "
                   "RMS is exp(-eta lambda e / m). Set that equal to 1/sqrt(n_in) and solve for e.")


def check_factor_for_batch(answer, batch_size=100, eta=0.1, lmbda=5.0):
    """Exercise 2 of notebook 10: the per-epoch decay factor at another minibatch size (0.1% tolerance)."""
    exact = decay_factor_per_epoch(eta, lmbda, batch_size)
    try:
        value = float(answer)
    except (TypeError, ValueError):
        raise TypeError(f"answer must be a number (a factor between 0 and 1), got {answer!r}") from None
    ok = abs(value - exact) <= 1e-3 * exact
    return _report(ok, f"Right: {exact:.4f} per epoch; the decay per epoch is {batch_size // 10} times weaker "
                       "in the exponent, because an epoch has that many times fewer steps.",
                   "Not quite. Count the steps in an epoch (n / m), each multiplying W by (1 - eta lambda / n).")


if __name__ == "__main__":
    main()
