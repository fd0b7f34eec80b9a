"""Minibatch stochastic gradient descent with Nielsen's L2 weight decay.

One step on a minibatch of m examples, out of a training set of n:

    W <- (1 - eta lmbda / n) W - (eta / m) sum_x dC_x/dW
    b <- b - (eta / m) sum_x dC_x/db

This is plain gradient descent on C = C_0 + (lmbda / 2n) sum ||W||^2 (biases are
not decayed), written as Nielsen's network2.py writes it. The sum over the
minibatch is one matrix product (see :mod:`course_lib.network`), not a loop.

:func:`sgd` returns a :class:`History`: one entry per epoch for each metric
asked for in ``monitor``.
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field

import numpy as np

from .activations import ACTIVATIONS, SOFTMAX
from ..checks import check_rng
from ..blas import single_blas_thread
from .losses import cross_entropy, log_likelihood
from .network import _QUIET, Network, as_targets, check_inputs

__all__ = ["sgd", "History", "MONITORS"]

MONITORS = ("train_cost", "train_accuracy", "validation_cost", "validation_accuracy")


@dataclass
class History:
    """Per-epoch metrics of one training run.

    Each list has one entry per completed epoch (empty if not monitored).
    ``diverged`` is the epoch (1-based) at which the training cost became inf/NaN,
    if it did; training stops there.
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
    ok = isinstance(value, (int, np.integer)) if integer else isinstance(value, (int, float, np.number))
    if isinstance(value, bool) or not ok or not np.isfinite(value) or value <= 0:
        kind = "an integer >= 1" if integer else "a finite number > 0"
        raise ValueError(f"{argument} must be {kind}, got {value!r}")


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

    Training runs with BLAS limited to one thread (see :mod:`course_lib.blas`): at
    these matrix sizes a second thread never helped in benchmarks/bench_training.py
    and cost several times the CPU time on a busy machine.
    """
    check_rng(rng)
    _check_positive(epochs, "epochs", integer=True)
    _check_positive(batch_size, "batch_size", integer=True)
    _check_positive(eta, "eta")
    if isinstance(lmbda, bool) or not np.isfinite(lmbda) or lmbda < 0:
        raise ValueError(f"lmbda must be a finite number >= 0, got {lmbda!r}")
    X = np.ascontiguousarray(check_inputs(X, net.sizes[0], dtype=net.dtype))
    n = X.shape[0]
    Y = as_targets(y, n, net.sizes[-1], dtype=net.dtype)
    if validation is not None:
        try:
            X_val, y_val = validation
        except (TypeError, ValueError):
            raise ValueError("validation must be a pair (X_val, y_val)") from None
        X_val = check_inputs(X_val, net.sizes[0], dtype=net.dtype, argument="validation X")
        as_targets(y_val, X_val.shape[0], net.sizes[-1], argument="validation y")
    if monitor is None:
        monitor = ("validation_cost", "validation_accuracy") if validation is not None else ("train_cost",)
    monitor = tuple(monitor)
    for name in monitor:
        if name not in MONITORS:
            raise ValueError(f"monitor entries must be among {MONITORS}, got {name!r}")
        if name.startswith("validation") and validation is None:
            raise ValueError(f"monitor asks for {name!r} but no validation=(X_val, y_val) was given")

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
                for kernel, rows in ((full, order[:n_full * batch_size]), (last, order[n_full * batch_size:])):
                    if kernel is not None:
                        kernel.run(net, X, Y, rows, eta, decay)
                history.epoch_seconds.append(time.perf_counter() - start)
                _record(net, history, monitor, X, Y, validation, lmbda, n)
                summary = "  ".join(f"{m} {getattr(history, m)[-1]:.4g}" for m in monitor)
                bar.update(epoch, summary)
                if not all(np.isfinite(W).all() for W in net.weights):
                    history.diverged = epoch
                    break
                if callback is not None and callback(epoch, history, net):
                    break
    finally:
        bar.close()
    return history


# ---------------------------------------------------------------------------
# The training step, written for speed.
#
# The maths is the step above, in the batch form of course_lib.network:
#
#     forward    z_l = a_(l-1) W_l^T + b_l,   a_l = f(z_l)
#     output     delta_L = (eta / m) (a_L - y)           [times f'(z_L) for the quadratic cost]
#     backward   delta_(l-1) = (delta_l W_l) * f'(z_(l-1))
#     update     W_l <- decay W_l - delta_l^T a_(l-1),    b_l <- b_l - sum_rows delta_l
#
# Folding eta / m into the output error once (a (m, n_L) array) scales every
# delta_l, so the products delta_l^T a_(l-1) already are the steps eta dC/dW_l:
# no division by m and no multiplication by eta on the (n_l, n_(l-1)) arrays.
#
# At minibatch 10 the matrices are tiny and the time goes to numpy's per-call
# overhead (about 1 us a call), so the step makes as few calls as it can: every
# array it writes is allocated once per training run (``out=`` everywhere), the
# minibatch is gathered straight from the unshuffled data (no copy of the whole
# training set per epoch), and common activations are applied in place.
# Each in-place activation computes what course_lib.activations computes, with the
# same operations in the same order except the sigmoid (see _sigmoid_into), so the
# result differs from the plain formulas only by rounding (where eta / m is
# applied, how sigma is evaluated): about 1e-16 relative per step.
# ---------------------------------------------------------------------------


def _sigmoid_into(z, a):
    # sigma(z) = 1 / (1 + e^-z). numpy's exp is vectorized and its float64 tanh is
    # not, so this is ~3x faster than the library's 0.5 (1 + tanh(z / 2)) and agrees
    # with it to rounding. For z < -709, e^-z overflows to inf and 1 / inf = 0, the
    # right limit (the caller has silenced the overflow warning).
    np.negative(z, out=a)
    np.exp(a, out=a)
    a += 1.0
    np.reciprocal(a, out=a)


def _sigmoid_prime_times(z, a, delta, tmp):
    # delta *= sigma'(z) = a (1 - a)
    np.subtract(1.0, a, out=tmp)
    tmp *= a
    delta *= tmp


def _tanh_into(z, a):
    np.tanh(z, out=a)


def _tanh_prime_times(z, a, delta, tmp):
    # delta *= 1 - a^2
    np.multiply(a, a, out=tmp)
    np.subtract(1.0, tmp, out=tmp)
    delta *= tmp


def _relu_into(z, a):
    np.maximum(z, 0.0, out=a)


def _relu_prime_times(z, a, delta, tmp):
    # delta *= [z > 0]
    np.greater(z, 0.0, out=tmp)
    delta *= tmp


def _identity_into(z, a):
    np.copyto(a, z)


def _identity_prime_times(z, a, delta, tmp):
    pass  # f' = 1


def _softmax_into(z, a):
    np.subtract(z, np.maximum.reduce(z, axis=1, keepdims=True), out=a)
    np.exp(a, out=a)
    a /= np.add.reduce(a, axis=1, keepdims=True)


_IN_PLACE = {
    "sigmoid": (_sigmoid_into, _sigmoid_prime_times),
    "tanh": (_tanh_into, _tanh_prime_times),
    "relu": (_relu_into, _relu_prime_times),
    "identity": (_identity_into, _identity_prime_times),
}


def _in_place(activation):
    """(f_into(z, a), prime_times(z, a, delta, tmp)) for an activation.

    Library activations get in-place kernels; any other Activation (e.g. one a
    student wrote) is applied through its own ``fn`` and ``prime``.
    """
    if activation is SOFTMAX:
        return _softmax_into, None
    name = activation.name
    if name in _IN_PLACE and ACTIVATIONS.get(name) is activation:
        return _IN_PLACE[name]

    def f_into(z, a):
        np.copyto(a, activation.fn(z))

    def prime_times(z, a, delta, tmp):
        delta *= activation.prime(z, a)

    return f_into, prime_times


class _Minibatch:
    """Buffers and kernels for SGD steps on minibatches of exactly ``size`` rows."""

    def __init__(self, net, size):
        dtype, sizes, L = net.dtype, net.sizes, net.depth
        self.size = size
        self.z = [np.empty((size, width), dtype) for width in sizes[1:]]
        self.a = [None] + [np.empty((size, width), dtype) for width in sizes[1:]]
        self.delta = [np.empty((size, width), dtype) for width in sizes[1:]]
        self.tmp = [np.empty((size, width), dtype) for width in sizes[1:]]
        self.gW = [np.empty((n_out, n_in), dtype) for n_in, n_out in zip(sizes[:-1], sizes[1:])]
        self.gb = [np.empty(width, dtype) for width in sizes[1:]]
        hidden_into, self.hidden_prime = _in_place(net.activation)
        output_into, _ = _in_place(net.output)
        self.f_into = [hidden_into] * (L - 1) + [output_into]
        # delta_L = a_L - y for the matching costs; anything else through the Loss itself.
        self.simple_output_error = net.cost is cross_entropy or net.cost is log_likelihood
        self.cost, self.output = net.cost, net.output

    def run(self, net, X, Y, rows, eta, decay):
        """One step per ``size`` entries of ``rows`` (row indices into X, Y), in place on net."""
        Ws, bs = net.weights, net.biases
        L = len(Ws)
        zs, acts, deltas, tmps, gWs, gbs = self.z, self.a, self.delta, self.tmp, self.gW, self.gb
        scale = eta / self.size
        decayed = decay != 1.0
        # Everything a step touches, bound once. Per layer l (0-based): W_l^T as a view,
        # b_l, z, the output a_(l+1) and the activation kernel; the first layer's input
        # is the gathered minibatch, the others' the previous layer's output.
        forward = [(Ws[l].T, bs[l], zs[l], acts[l + 1], self.f_into[l]) for l in range(L)]
        backward = [
            (deltas[l], deltas[l].T, acts[l], gWs[l], Ws[l], gbs[l], bs[l],
             (deltas[l - 1], zs[l - 1], acts[l], tmps[l - 1]) if l else None)
            for l in range(L - 1, -1, -1)
        ]
        first = backward[-1]
        prime = self.hidden_prime
        a_out, z_out, d_out = acts[-1], zs[-1], deltas[-1]
        simple_output_error, cost, output = self.simple_output_error, self.cost, self.output
        matmul, subtract, add_reduce = np.matmul, np.subtract, np.add.reduce
        for k in range(0, len(rows), self.size):
            batch = rows[k:k + self.size]
            # Fancy indexing gathers the minibatch rows (faster than np.take(out=) here).
            a = x = X[batch]
            y = Y[batch]
            for WT, b, z, a_next, f_into in forward:
                matmul(a, WT, out=z)
                z += b
                f_into(z, a_next)
                a = a_next
            if simple_output_error:
                subtract(a_out, y, out=d_out)
            else:
                np.copyto(d_out, cost.delta(z_out, a_out, y, output))
            d_out *= scale
            for layer in backward:
                delta, delta_T, a_in, gW, W, gb, b, below = layer
                matmul(delta_T, x if layer is first else a_in, out=gW)
                if below is not None:
                    d_below, z_below, a_below, tmp = below
                    matmul(delta, W, out=d_below)  # uses W before its update
                    prime(z_below, a_below, d_below, tmp)
                if decayed:
                    W *= decay
                W -= gW
                add_reduce(delta, axis=0, out=gb)
                b -= gb


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
