"""Notebook 04's experiments: Nielsen's old vs new weight initialization on MNIST: run, save, summarize.

The experiment (Nielsen, *Neural Networks and Deep Learning*, ch. 3, "Weight
initialization"): a sigmoid network [784, n, 10] with the cross-entropy cost,
trained by minibatch SGD (eta 0.1, lmbda 5.0, minibatch 10, 30 epochs) on the
first 50,000 MNIST training images and evaluated after each epoch on the 10,000
validation images, once with each initialization:

    old:  W ~ N(0, 1),         b ~ N(0, 1)
    new:  W ~ N(0, 1/n_in),    b ~ N(0, 1)

With n_in = 784 inputs of which maybe 100-150 are bright, the old scheme gives a
hidden pre-activation z = sum_j w_j x_j + b a standard deviation of several
units, so most sigmoid units start saturated (sigma'(z) near 0) and learn
slowly; the new scheme keeps Var[z] near 1 and the network learns fast from the
first epoch. Both reach about the same accuracy after 30 epochs.

Two more schemes answer an ablation: Nielsen keeps N(0, 1) biases in the new
scheme; ``new_zero_bias`` and ``old_zero_bias`` start the biases at 0 instead.

Seeds and pairing: a run with seed s draws its parameters from one child of
``np.random.default_rng(s)`` and its minibatch order from the other child, so
the old and new runs of one seed share their shuffling, and even the same
standard-normal draws for W (N(0, 1/n_in) is N(0, 1) scaled by 1/sqrt(n_in)):
the comparison is paired, only the scale differs.

The full reproduction (several seeds, both sizes, the ablation) takes tens of
minutes, so it runs from the command line and saves a small JSON file that the
notebook reads::

    python -m course_lib.lessons.mnist_old_vs_new --out course_lib/results/nielsen_reproduction.json

The committed file is package data (``course_lib/results/``, shipped in the wheel) and
:func:`load_results` reads it through :mod:`importlib.resources`, so notebook 04 finds it
wherever the package is installed, in whatever folder the notebook runs.

Accuracies are stored as counts of correct images (out of 10,000, like the
published figure data) for epochs 0..30, epoch 0 being the untrained network.
"""
from __future__ import annotations

import argparse
import datetime
import importlib.resources
import json
import os
import platform
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ..blas import single_blas_thread
from ..nn.network import Network
from ..nn.train import sgd
from .results_file import write_json_atomically

__all__ = [
    "NIELSEN_SETUP",
    "SCHEMES",
    "RunResult",
    "nielsen_network",
    "single_blas_thread",
    "run_nielsen",
    "reproduce",
    "save_results",
    "load_results",
    "committed_results",
    "default_results_path",
    "find_run",
    "select_runs",
    "Summary",
    "summarize",
    "epoch_gaps",
    "main",
]

#: Nielsen's hyper-parameters (ch. 3, weight initialization experiment).
NIELSEN_SETUP = dict(epochs=30, batch_size=10, eta=0.1, lmbda=5.0)

#: scheme name -> (weight initializer, bias initializer), names from INITIALIZERS.
SCHEMES = {
    "old": ("nielsen_large", "standard_normal"),
    "new": ("nielsen_default", "standard_normal"),
    "old_zero_bias": ("nielsen_large", "zeros"),
    "new_zero_bias": ("nielsen_default", "zeros"),
}

#: How each scheme is named in legends.
SCHEME_LABELS = {
    "old": "old: W ~ N(0,1), b ~ N(0,1)",
    "new": "new: W ~ N(0,1/n_in), b ~ N(0,1)",
    "old_zero_bias": "old W, b = 0",
    "new_zero_bias": "new W, b = 0",
}


@dataclass
class RunResult:
    """One training run: validation accuracy and cost after each epoch 0..E.

    ``validation_correct[e]`` is the number of validation images classified
    correctly after e epochs (e = 0: before training), out of ``n_validation``;
    ``validation_cost[e]`` the mean cross-entropy there (plus the L2 term, as
    Nielsen reports it).
    """

    hidden: list
    scheme: str
    init: str
    bias_init: str
    seed: int
    n_train: int
    n_validation: int
    validation_correct: list = field(default_factory=list)
    validation_cost: list = field(default_factory=list)
    epoch_seconds: list = field(default_factory=list)
    dtype: str = "float32"
    diverged: int | None = None

    @property
    def epochs(self):
        """Number of completed training epochs."""
        return len(self.validation_correct) - 1

    @property
    def accuracy_percent(self):
        """Validation accuracy in percent for epochs 0..E, as an array."""
        return 100.0 * np.asarray(self.validation_correct, dtype=float) / self.n_validation

    def key(self):
        return (tuple(self.hidden), self.scheme, self.seed)

    def to_dict(self):
        d = asdict(self)
        d["validation_cost"] = [round(float(c), 6) for c in self.validation_cost]
        d["epoch_seconds"] = [round(float(s), 3) for s in self.epoch_seconds]
        return d

    @classmethod
    def from_dict(cls, d):
        return cls(**d)


def _as_hidden(hidden):
    if isinstance(hidden, (int, np.integer)) and not isinstance(hidden, bool):
        return [int(hidden)]
    try:
        values = [int(h) for h in hidden]
    except (TypeError, ValueError):
        raise ValueError(f"hidden must be a width (int >= 1) or a list of widths, got {hidden!r}") from None
    if not values or min(values) < 1:
        raise ValueError(f"hidden must be a width (int >= 1) or a non-empty list of widths, got {hidden!r}")
    return values


def _check_pair(pair, argument):
    try:
        X, y = pair
    except (TypeError, ValueError):
        raise ValueError(f"{argument} must be a pair (X, y)") from None
    X = np.asarray(X)
    y = np.asarray(y)
    if X.ndim != 2 or y.ndim != 1 or len(X) != len(y):
        raise ValueError(
            f"{argument} must be (X, y) with X of shape (n, n_in) and integer labels y of shape (n,), "
            f"got {X.shape} and {y.shape}"
        )
    return X, y


def nielsen_network(n_in, hidden, scheme, *, rng, dtype=np.float32):
    """The sigmoid/cross-entropy network [n_in, *hidden, 10] initialized by ``scheme``.

    Both of Nielsen's schemes draw W as rng.normal(0, std): with generators in the
    same state, the old and new networks hold the same draws, the old ones
    sqrt(n_in) times larger (std 1 instead of 1/sqrt(n_in)).
    """
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {sorted(SCHEMES)}, got {scheme!r}")
    init, bias_init = SCHEMES[scheme]
    return Network([int(n_in), *_as_hidden(hidden), 10], activation="sigmoid", cost="cross_entropy",
                   init=init, bias_init=bias_init, rng=rng, dtype=dtype)


def run_nielsen(
    train,
    validation,
    *,
    hidden=30,
    scheme="new",
    seed=0,
    epochs=NIELSEN_SETUP["epochs"],
    batch_size=NIELSEN_SETUP["batch_size"],
    eta=NIELSEN_SETUP["eta"],
    lmbda=NIELSEN_SETUP["lmbda"],
    dtype=np.float32,
    progress=None,
    callback=None,
):
    """Train one sigmoid/cross-entropy network the way Nielsen did; return a :class:`RunResult`.

    Inputs:
      train, validation:  (X, y) pairs, X of shape (n, 784) in [0, 1], y integer labels.
      hidden:   hidden width (30 or 100 in the book) or a list of widths.
      scheme:   a name from SCHEMES ('old', 'new', 'old_zero_bias', 'new_zero_bias').
      seed:     integer; the run is a deterministic function of it (see module docstring).
      epochs, batch_size, eta, lmbda:  Nielsen's values by default.
      dtype:    float32 (default, about twice as fast here) or float64.
      progress: passed to :func:`course_lib.nn.train.sgd` (True: always show the bar).
      callback: callback(epoch, result) after each epoch, e.g. to draw a live curve.
    """
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {sorted(SCHEMES)}, got {scheme!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be an integer >= 0, got {seed!r}")
    hidden = _as_hidden(hidden)
    X, y = _check_pair(train, "train")
    X_val, y_val = _check_pair(validation, "validation")
    dtype = np.dtype(dtype)
    X = np.ascontiguousarray(X, dtype=dtype)
    X_val = np.ascontiguousarray(X_val, dtype=dtype)
    n_out = 10
    if min(y.min(), y_val.min()) < 0 or max(y.max(), y_val.max()) >= n_out:
        raise ValueError("train and validation labels must be digits 0..9")
    init, bias_init = SCHEMES[scheme]
    init_rng, shuffle_rng = np.random.default_rng(int(seed)).spawn(2)
    net = nielsen_network(X.shape[1], hidden, scheme, rng=init_rng, dtype=dtype)
    result = RunResult(hidden=hidden, scheme=scheme, init=init, bias_init=bias_init, seed=int(seed),
                       n_train=len(X), n_validation=len(X_val), dtype=dtype.name)
    n = len(X)

    def record():
        result.validation_correct.append(int(np.sum(net.predict(X_val) == y_val)))
        result.validation_cost.append(float(net.loss(X_val, y_val, lmbda=lmbda, n=n)))

    record()

    def on_epoch(epoch, history, net_):
        result.epoch_seconds.append(history.epoch_seconds[-1])
        record()
        if callback is not None:
            return callback(epoch, result)
        return False

    with single_blas_thread():
        history = sgd(net, X, y, epochs=epochs, batch_size=batch_size, eta=eta, lmbda=lmbda,
                      rng=shuffle_rng, monitor=(), callback=on_epoch, progress=progress)
    result.diverged = history.diverged
    return result


# ------------------------------------------------------------------ saving
#: The committed reproduction: package data under ``course_lib/results/``.
RESULTS_FILE = "nielsen_reproduction.json"


def committed_results():
    """The committed results file as an :mod:`importlib.resources` resource (``Traversable``).

    Found through the package, never through the working directory or the repository's
    layout: it is there in a checkout, an editable install, a wheel in site-packages or a
    zip. Read it with ``.read_text()`` (what :func:`load_results` does by default).
    """
    return importlib.resources.files("course_lib") / "results" / RESULTS_FILE


def default_results_path():
    """Where the command line writes by default: the committed file, as a filesystem path.

    In a checkout (or an editable install) that is ``course_lib/results/nielsen_reproduction.json``
    in the repository, the file to commit. Pass ``--out`` to write anywhere else.
    """
    return Path(str(committed_results()))


def _machine():
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "system": platform.platform(),
            "python": platform.python_version(), "numpy": np.__version__,
            "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS")}


def _git_revision():
    """The repository's commit (with '-dirty' if files differ from it), or None outside git."""
    import subprocess

    try:
        out = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=Path(__file__).parent,
                             capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def save_results(results, path):
    """Write ``results`` (a dict with a 'runs' list of RunResult or dicts) as JSON, atomically."""
    out = dict(results)
    out["runs"] = [r.to_dict() if isinstance(r, RunResult) else r for r in results["runs"]]
    return write_json_atomically(out, path)


def load_results(path=None):
    """Read a results file written by :func:`save_results`; runs become RunResult objects.

    Without ``path``, the committed results (:func:`committed_results`, package data).
    """
    if path is None:
        results = json.loads(committed_results().read_text(encoding="utf-8"))
    else:
        with open(path, encoding="utf-8") as f:
            results = json.load(f)
    results["runs"] = [RunResult.from_dict(r) for r in results["runs"]]
    return results


def reproduce(
    train,
    validation,
    *,
    seeds=(0, 1, 2),
    hidden_sizes=(30, 100),
    schemes=("old", "new"),
    ablation_schemes=("new_zero_bias", "old_zero_bias"),
    ablation_hidden=(30,),
    epochs=NIELSEN_SETUP["epochs"],
    dtype=np.float32,
    out=None,
    resume=True,
    command=None,
    log=print,
    progress=None,
):
    """Run every (hidden, scheme, seed) of the reproduction; save after each run.

    Runs ``schemes`` for every width in ``hidden_sizes`` and ``ablation_schemes``
    for the widths in ``ablation_hidden``, each with every seed. With ``out`` set
    the file is rewritten after every run, and with ``resume`` runs already in it
    (same setup) are kept rather than redone. Returns the results dict.
    """
    dtype = np.dtype(dtype)
    plan = [(h, s, seed) for h in hidden_sizes for s in schemes for seed in seeds]
    plan += [(h, s, seed) for h in ablation_hidden for s in ablation_schemes for seed in seeds]
    setup = dict(NIELSEN_SETUP, epochs=int(epochs), n_train=len(train[0]), n_validation=len(validation[0]),
                 activation="sigmoid", cost="cross_entropy", dtype=dtype.name,
                 schemes={s: list(SCHEMES[s]) for s in dict.fromkeys(list(schemes) + list(ablation_schemes))})
    done = {}
    if out is not None and resume and Path(out).exists():
        old = load_results(out)
        if old.get("setup") == setup:
            done = {r.key(): r for r in old["runs"]}
            log(f"resuming: {len(done)} runs already in {out}")
    results = {
        "description": "Nielsen ch. 3 weight-initialization experiment on MNIST, reproduced with course_lib: "
                       "validation accuracy (correct out of n_validation) and cost after epochs 0..E.",
        "command": command or "python -m course_lib.lessons.mnist_old_vs_new",
        "date": datetime.date.today().isoformat(),
        "machine": _machine(),
        "git": _git_revision(),
        "seeds": list(seeds),
        "setup": setup,
        "runs": [],
    }
    start = time.perf_counter()
    for i, (h, scheme, seed) in enumerate(plan, start=1):
        key = ((h,) if np.isscalar(h) else tuple(h), scheme, seed)
        if key in done:
            results["runs"].append(done[key])
            continue
        t0 = time.perf_counter()
        run = run_nielsen(train, validation, hidden=h, scheme=scheme, seed=seed, epochs=epochs,
                          dtype=dtype, progress=progress)
        results["runs"].append(run)
        acc = run.accuracy_percent
        log(f"[{i}/{len(plan)}] hidden {h} {scheme:>13} seed {seed}: epoch 1 {acc[1]:.2f}%, "
            f"epoch {run.epochs} {acc[-1]:.2f}%  ({time.perf_counter() - t0:.0f} s)")
        if out is not None:
            results["seconds_total"] = round(time.perf_counter() - start, 1)
            save_results(results, out)
    results["seconds_total"] = round(time.perf_counter() - start, 1)
    if out is not None:
        save_results(results, out)
    return results


# ----------------------------------------------------------------- summary
def select_runs(results, hidden, scheme):
    """The runs of ``results`` with this hidden width (or list) and scheme, by seed."""
    hidden = _as_hidden(hidden)
    runs = results["runs"] if isinstance(results, dict) else results
    return sorted((r for r in runs if list(r.hidden) == hidden and r.scheme == scheme), key=lambda r: r.seed)


def find_run(results, hidden, scheme, seed):
    """The one run with this hidden width, scheme and seed (KeyError if absent)."""
    for r in select_runs(results, hidden, scheme):
        if r.seed == seed:
            return r
    raise KeyError(f"no run with hidden={hidden!r}, scheme={scheme!r}, seed={seed!r}")


@dataclass(frozen=True)
class Summary:
    """Validation accuracy (%) across seeds after each epoch 0..E: mean, min, max, std."""

    epochs: np.ndarray
    mean: np.ndarray
    low: np.ndarray
    high: np.ndarray
    std: np.ndarray
    n_seeds: int


def summarize(results, hidden, scheme):
    """Across-seed :class:`Summary` of the runs with this hidden width and scheme."""
    runs = select_runs(results, hidden, scheme)
    if not runs:
        raise KeyError(f"no runs with hidden={hidden!r} and scheme={scheme!r}")
    acc = np.array([r.accuracy_percent for r in runs])
    return Summary(np.arange(acc.shape[1]), acc.mean(axis=0), acc.min(axis=0), acc.max(axis=0),
                   acc.std(axis=0, ddof=1) if len(runs) > 1 else np.zeros(acc.shape[1]), len(runs))


def epoch_gaps(results, hidden, epoch, better="new", worse="old"):
    """Per seed, accuracy(better) - accuracy(worse) in points after ``epoch`` epochs (paired by seed)."""
    a = {r.seed: r.accuracy_percent[epoch] for r in select_runs(results, hidden, better)}
    b = {r.seed: r.accuracy_percent[epoch] for r in select_runs(results, hidden, worse)}
    seeds = sorted(set(a) & set(b))
    return np.array([a[s] - b[s] for s in seeds])


# --------------------------------------------------------------------- CLI
def main(argv=None):
    """Command line: run the reproduction on MNIST and save it (see module docstring)."""
    parser = argparse.ArgumentParser(
        prog="python -m course_lib.lessons.mnist_old_vs_new",
        description="Reproduce Nielsen's old vs new initialization experiment on MNIST and save the results as JSON.",
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--hidden", type=int, nargs="+", default=[30, 100], help="hidden widths (default 30 100)")
    parser.add_argument("--ablation-hidden", type=int, nargs="*", default=[30],
                        help="widths for the zero-bias ablation (default 30; none to skip)")
    parser.add_argument("--epochs", type=int, default=NIELSEN_SETUP["epochs"])
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    parser.add_argument("--out", type=Path, default=default_results_path())
    parser.add_argument("--no-resume", action="store_true", help="redo runs already in --out")
    parser.add_argument("--data-dir", default=None, help="MNIST cache directory (default: course_lib.data's)")
    args = parser.parse_args(argv)

    from .. import data

    kwargs = {} if args.data_dir is None else {"data_dir": args.data_dir}
    mnist = data.load_mnist(split="nielsen", dtype=np.dtype(args.dtype), **kwargs)
    command = "python -m course_lib.lessons.mnist_old_vs_new " + " ".join(sys.argv[1:] if argv is None else argv)
    results = reproduce(
        mnist.train, mnist.validation, seeds=args.seeds, hidden_sizes=args.hidden,
        ablation_hidden=args.ablation_hidden, epochs=args.epochs, dtype=args.dtype, out=args.out,
        resume=not args.no_resume, command=command.strip(), progress=False,
        log=lambda msg: print(msg, flush=True),
    )
    print(f"saved {len(results['runs'])} runs to {args.out} in {results['seconds_total']:.0f} s")
    return results


if __name__ == "__main__":
    main()
