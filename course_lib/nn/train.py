"""Minibatch stochastic gradient descent with Nielsen's L2 weight decay.

One step on a minibatch of m examples, out of a training set of n:

    W <- (1 - eta lmbda / n) W - (eta / m) sum_x dC_x/dW
    b <- b - (eta / m) sum_x dC_x/db

This is plain gradient descent on C = C_0 + (lmbda / 2n) sum ||W||^2 (biases are
not decayed), written as Nielsen's network2.py writes it. The sum over the
minibatch is one matrix product (see :mod:`course_lib.nn.network`), not a loop.
The gradients are the four backprop equations (Nielsen ch. 2, in batch form:
rows are examples, * is elementwise):

    (BP1)  delta_L = dC/dz_L              (a_L - y for cross-entropy and log-likelihood)
    (BP2)  delta_(l-1) = (delta_l W_l) * f'(z_(l-1))
    (BP3)  dC/db_l = (1/m) sum_rows delta_l
    (BP4)  dC/dW_l = (1/m) delta_l^T a_(l-1)

:meth:`Network.backward <course_lib.nn.network.Network.backward>` writes them out
plainly. :func:`sgd` runs the same step through :mod:`course_lib.nn.fast_step`,
which computes it with preallocated buffers (equal to the plain step to rounding,
tested in tests/nn/test_fast_step.py); read that module only for the speed.

:func:`sgd` returns a :class:`History`: one entry per epoch for each metric
asked for in ``monitor``.
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field

import numpy as np

from ..checks import check_callable, check_int, check_real, check_rng
from ..blas import single_blas_thread
from .dropout import check_dropout, dropout_backward, dropout_forward, dropout_masks
from .fast_step import _Minibatch
from .network import _QUIET, Network, as_targets, check_inputs
from .optimizers import SGD, get_optimizer

__all__ = ["sgd", "History", "MONITORS"]

MONITORS = ("train_cost", "train_accuracy", "validation_cost", "validation_accuracy")


@dataclass
class History:
    """Per-epoch metrics of one training run.

    Each list has one entry per completed epoch (empty if not monitored).
    ``diverged`` is the epoch (1-based) at which the weights became inf/NaN, or
    a monitored metric NaN (the outputs overflowed), if they did; training stops there. That epoch's metrics are recorded as they are:
    cost inf (overflowed), accuracy NaN (a NaN network predicts nothing).
    """

    train_cost: list = field(default_factory=list)
    train_accuracy: list = field(default_factory=list)
    validation_cost: list = field(default_factory=list)
    validation_accuracy: list = field(default_factory=list)
    epoch_seconds: list = field(default_factory=list)
    diverged: int | None = None

    @property
    def epochs(self):
        """Number of completed epochs."""
        return len(self.epoch_seconds)

    def as_dict(self):
        return {name: list(getattr(self, name)) for name in MONITORS + ("epoch_seconds",)}


class _Progress:
    """A one-line text progress bar on stderr, shown only once a run has taken a while."""

    def __init__(self, total, mode, after=2.0, stream=None):
        self.total, self.mode, self.after = total, mode, after
        self.stream = stream or sys.stderr
        self.start = time.perf_counter()
        self.shown = False

    def update(self, done, text=""):
        elapsed = time.perf_counter() - self.start
        if self.mode is False or (self.mode is None and elapsed < self.after and done < self.total):
            return
        if self.mode is None and not self.shown and done >= self.total:
            return  # a short run finished before the bar was worth showing
        width = 24
        filled = int(width * done / self.total)
        eta = elapsed / done * (self.total - done) if done else 0.0
        self.stream.write(
            f"\r[{'#' * filled}{'.' * (width - filled)}] epoch {done}/{self.total}"
            f"  {elapsed:5.1f}s elapsed, ~{eta:4.1f}s left  {text}   "
        )
        self.stream.flush()
        self.shown = True

    def close(self):
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()


def _check_positive(value, argument, integer=False):
    if integer:
        return check_int(value, argument, 1)
    return check_real(value, argument, "> 0", lambda v: v > 0)


def sgd(
    net: Network,
    X,
    y,
    *,
    epochs,
    batch_size,
    eta,
    lmbda=0.0,
    rng,
    validation=None,
    monitor=None,
    callback=None,
    progress=None,
    optimizer="sgd",
    dropout=0.0,
):
    """Train ``net`` in place by minibatch SGD; return a :class:`History`.

    Inputs:
      X, y:        training inputs (n, n_in) and targets (labels (n,) or one-hot).
      epochs:      passes over the data; batch_size: examples per step (m);
      eta:         learning rate; lmbda: L2 strength (Nielsen's lambda, default 0).
      rng:         numpy.random.Generator used to shuffle each epoch.
      validation:  optional (X_val, y_val) for validation metrics.
      monitor:     names from MONITORS to record each epoch; default: validation
                   cost and accuracy if validation is given, else the training cost.
      callback:    callback(epoch, history, net) after each epoch (e.g. a live plot);
                   if it returns True, training stops.
      progress:    True/False to force the progress bar on/off; None (default)
                   shows it once the run has taken more than 2 seconds.
      optimizer:   what a step does with the gradient: "sgd" (default, the update
                   above), "momentum", "nesterov", "rmsprop", "adam", or an
                   Optimizer object (see :mod:`course_lib.nn.optimizers`, whose
                   docstring gives each rule). lmbda enters every one of them as the
                   L2 term (lmbda / n) W of the gradient (for Adam: L2, not AdamW).
      dropout:     probability in [0, 1) of dropping each hidden unit at each step
                   (inverted dropout, :mod:`course_lib.nn.dropout`); the monitored
                   metrics and the trained net use no dropout.

    Plain SGD without dropout runs the tuned kernel of :mod:`course_lib.nn.fast_step`;
    the other optimizers and dropout run the readable step (Network's forward and
    backward, then ``optimizer.step``), which is slower per step.

    Training runs with BLAS limited to one thread (see :mod:`course_lib.blas`): at
    these matrix sizes a second thread never helped in benchmarks/bench_training.py
    and cost several times the CPU time on a busy machine.
    """
    check_rng(rng)
    _check_positive(epochs, "epochs", integer=True)
    _check_positive(batch_size, "batch_size", integer=True)
    _check_positive(eta, "eta")
    lmbda = check_real(lmbda, "lmbda", ">= 0", lambda v: v >= 0)
    check_callable(callback, "callback", "callback(epoch, history, net)")
    if progress not in (None, True, False):
        raise ValueError(f"progress must be None, True or False, got {progress!r}")
    X = np.ascontiguousarray(check_inputs(X, net.sizes[0], dtype=net.dtype))
    n = X.shape[0]
    Y = as_targets(y, n, net.sizes[-1], dtype=net.dtype, cost=net.cost)
    if validation is not None:
        try:
            X_val, y_val = validation
        except (TypeError, ValueError):
            raise ValueError("validation must be a pair (X_val, y_val)") from None
        X_val = check_inputs(X_val, net.sizes[0], dtype=net.dtype, argument="validation X")
        as_targets(y_val, X_val.shape[0], net.sizes[-1], argument="validation y", cost=net.cost)
    if monitor is None:
        monitor = ("validation_cost", "validation_accuracy") if validation is not None else ("train_cost",)
    if isinstance(monitor, str):
        monitor = (monitor,)
    try:
        monitor = tuple(monitor)
    except TypeError:
        raise ValueError(f"monitor must be a sequence of names from {MONITORS}, got {monitor!r}") from None
    for name in monitor:
        if not isinstance(name, str) or name not in MONITORS:
            raise ValueError(f"monitor entries must be among {MONITORS}, got {name!r}")
        if name.startswith("validation") and validation is None:
            raise ValueError(f"monitor asks for {name!r} but no validation=(X_val, y_val) was given")

    optimizer = get_optimizer(optimizer)
    dropout = check_dropout(dropout)
    readable = not isinstance(optimizer, SGD) or dropout > 0
    if readable:
        params = [p for _, p in net.parameters()]
        state = optimizer.start(params)

    history = History()
    bar = _Progress(epochs, progress)
    decay = 1.0 - eta * lmbda / n
    if validation is not None:
        validation = (X_val, as_targets(y_val, X_val.shape[0], net.sizes[-1], dtype=net.dtype), np.asarray(y_val))
    n_full, rest = divmod(n, batch_size)
    full = _Minibatch(net, batch_size) if n_full else None
    last = _Minibatch(net, rest) if rest else None
    try:
        with np.errstate(**_QUIET), single_blas_thread():
            for epoch in range(1, epochs + 1):
                start = time.perf_counter()
                order = rng.permutation(n)
                if readable:
                    _readable_steps(net, X, Y, order, batch_size, optimizer, params, state, eta, lmbda, n,
                                    dropout, rng)
                for kernel, rows in ((full, order[:n_full * batch_size]), (last, order[n_full * batch_size:])):
                    if kernel is not None and not readable:
                        kernel.run(net, X, Y, rows, eta, decay)
                history.epoch_seconds.append(time.perf_counter() - start)
                _record(net, history, monitor, X, Y, validation, lmbda, n)
                summary = "  ".join(f"{m} {getattr(history, m)[-1]:.4g}" for m in monitor)
                bar.update(epoch, summary)
                if not all(np.isfinite(W).all() for W in net.weights) or _nan_metric(history, monitor):
                    history.diverged = epoch
                    break
                if callback is not None and callback(epoch, history, net):
                    break
    finally:
        bar.close()
    return history


def _readable_steps(net, X, Y, order, batch_size, optimizer, params, state, eta, lmbda, n, dropout, rng):
    """One epoch of steps, in the minibatches of ``order``, by Network's plain backprop
    (through dropout masks drawn from ``rng`` if ``dropout`` > 0) and ``optimizer.step``."""
    for k in range(0, len(order), batch_size):
        rows = order[k:k + batch_size]
        x, y = X[rows], Y[rows]
        if dropout:
            masks = dropout_masks(net, len(rows), dropout, rng=rng)
            _, cache = dropout_forward(net, x, masks)
            grads_W, grads_b = dropout_backward(net, cache, masks, y, lmbda, n)
        else:
            _, cache = net._forward(x)
            grads_W, grads_b = net._backward(cache, y, lmbda, n)
        optimizer.step(params, [g for pair in zip(grads_W, grads_b) for g in pair], state, eta)


def _nan_metric(history, monitor):
    """True if this epoch recorded a NaN (an accuracy of a network whose outputs are NaN)."""
    return any(np.isnan(getattr(history, name)[-1]) for name in monitor)


def _record(net, history, monitor, X, Y, validation, lmbda, n):
    """Append this epoch's metrics (the data were checked once, in sgd, not again here)."""
    for name in monitor:
        if name == "train_cost":
            history.train_cost.append(net._cost(X, Y, lmbda, n))
        elif name == "train_accuracy":
            history.train_accuracy.append(net._accuracy(X, Y))
        elif name == "validation_cost":
            history.validation_cost.append(net._cost(validation[0], validation[1], lmbda, n))
        elif name == "validation_accuracy":
            history.validation_accuracy.append(net._accuracy(validation[0], validation[2]))
