"""Costs: their value over a batch and the error they send back into the output layer.

Notation: for one example x, the output layer computes z = W a + b and
a = f(z); y is the target (one-hot for classification). The cost of a batch of
B examples is the mean of the per-example costs, C = (1/B) sum_x C_x.

Each :class:`Loss` gives

* ``value(z, a, y)``: that mean, a Python float;
* ``delta(z, a, y, output)``: the output error delta_L = dC_x/dz for each example
  (rows), *not* divided by B: backprop divides once, where it sums over the batch.

Numerical stability: costs are computed from z, not from a, whenever the output
function allows it. The cross-entropy of a sigmoid unit is
    -[y ln a + (1 - y) ln(1 - a)] = softplus(z) - y z,   softplus(z) = ln(1 + e^z),
and the softmax log-likelihood is logsumexp(z) - z_y. Neither takes the log of a
number that rounded to 0, so a network initialized with std 100, whose outputs
are 0 or 1 to machine precision, still reports a large but finite cost.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

__all__ = ["Loss", "LOSSES", "get_loss", "quadratic", "cross_entropy", "log_likelihood"]


def _softplus(z):
    """ln(1 + e^z) without overflow: np.logaddexp(0, z)."""
    return np.logaddexp(0.0, z)


def _logsumexp(z):
    m = z.max(axis=-1, keepdims=True)
    return (m + np.log(np.exp(z - m).sum(axis=-1, keepdims=True)))[..., 0]


def _quadratic_value(z, a, y):
    d = a - y
    return 0.5 * float(np.sum(d * d)) / len(a)


def _quadratic_delta(z, a, y, output):
    """delta = (a - y) * f'(z): the derivative of the output function stays in, so a
    saturated sigmoid output (f' near 0) learns slowly even when it is badly wrong."""
    return (a - y) * output.prime(z, a)


def _cross_entropy_value(z, a, y):
    return float(np.sum(_softplus(z) - y * z)) / len(z)


def _output_error(z, a, y, output):
    """delta = a - y: sigma'(z) cancels against the cost's derivative, so a saturated
    but wrong output still gets a large error signal."""
    return a - y


def _log_likelihood_value(z, a, y):
    return float(np.sum(_logsumexp(z) - np.sum(y * z, axis=-1))) / len(z)


@dataclass(frozen=True)
class Loss:
    """A cost function: ``value(z, a, y)`` and ``delta(z, a, y, output)``.

    ``output`` names the output function the loss requires (None: any elementwise one).
    ``targets`` says where the targets must lie for the cost to have a minimum:
    "probability" (each in [0, 1]: softplus(z) - y z -> -inf as z -> inf when y > 1),
    "distribution" (rows of probabilities summing to 1: logsumexp(z) - y . z is
    unbounded below otherwise), or None (any finite number: quadratic).
    :func:`course_lib.network.as_targets` enforces it.
    """

    name: str
    value: Callable
    delta: Callable
    output: str | None = None
    targets: str | None = None

    def __repr__(self):
        return f"Loss({self.name!r})"


quadratic = Loss("quadratic", _quadratic_value, _quadratic_delta)
cross_entropy = Loss("cross_entropy", _cross_entropy_value, _output_error, output="sigmoid", targets="probability")
log_likelihood = Loss("log_likelihood", _log_likelihood_value, _output_error, output="softmax",
                      targets="distribution")

LOSSES: dict[str, Loss] = {loss.name: loss for loss in (quadratic, cross_entropy, log_likelihood)}


def get_loss(spec, *, argument: str = "cost") -> Loss:
    """Return the :class:`Loss` named by ``spec`` (a name or a Loss)."""
    if isinstance(spec, Loss):
        return spec
    if isinstance(spec, str) and spec in LOSSES:
        return LOSSES[spec]
    raise ValueError(f"{argument} must be one of {sorted(LOSSES)} (or a Loss), got {spec!r}")
