"""Per-layer statistics: is the signal alive, saturated, dead, exploding?

From a forward cache (or any list of per-layer activation arrays of shape
(B, n_l)), :func:`layer_statistics` reports for each layer

* ``mean`` and ``std`` of the activations over the batch and the units;
* ``saturated``: the fraction of activations within ``tol`` of an asymptote of a
  saturating function (sigmoid: a < tol or a > 1 - tol; tanh, softsign,
  hardtanh: |a| > 1 - tol). There f'(z) is nearly 0 (sigmoid: a(1 - a) < tol,
  about 8% of its peak 1/4 for tol = 0.02), so the unit passes almost no
  gradient back. None for non-saturating activations.
* ``zero``: the fraction of activations that are exactly 0 (ReLU: inactive);
* ``dead``: the fraction of units that are 0 for *every* example in the batch
  (a dead ReLU gets no gradient and never recovers);
* ``finite``: False once the signal overflowed to inf/NaN.

:func:`gradient_norms` gives ||dC/dW_l|| (or ||dC/db_l||) per layer: the speed
at which each layer learns, Nielsen ch. 5.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..checks import check_array, check_real
from ..nn.activations import get_activation

__all__ = ["LayerStats", "layer_statistics", "gradient_norms", "format_layer_statistics", "SATURATION_TOL"]

SATURATION_TOL = 0.02


@dataclass(frozen=True)
class LayerStats:
    """Statistics of one layer's activations (fractions in [0, 1])."""

    layer: int
    mean: float
    std: float
    saturated: float | None
    zero: float
    dead: float
    finite: bool


def _saturation_fraction(a, band, tol):
    low, high = band
    return float(np.mean((a < low + tol) | (a > high - tol)))


def layer_statistics(cache_or_activations, activation="sigmoid", tol=SATURATION_TOL):
    """Statistics of each layer's activations.

    Inputs:
      cache_or_activations: a :class:`~course_lib.nn.network.Cache` (its hidden layers
        a_1..a_(L-1) are used, not the input nor the output) or a list of arrays
        (B, n_l), one per layer, all used.
      activation: the activation that produced them (name or Activation): it says
        which saturation band applies.
      tol: distance to an asymptote counted as saturated.
    Returns: a list of :class:`LayerStats`, layer numbers starting at 1.
    """
    act = get_activation(activation)
    if hasattr(cache_or_activations, "activations"):
        layers = cache_or_activations.activations[1:-1]
    else:
        try:
            layers = list(cache_or_activations)
        except TypeError:
            raise ValueError("cache_or_activations must be a Cache or a list of arrays (batch, n_l), "
                             f"got {type(cache_or_activations).__name__}") from None
    tol = check_real(tol, "tol", "in (0, 0.5)", lambda v: 0 < v < 0.5)
    stats = []
    for l, a in enumerate(layers, start=1):
        a = check_array(a, f"layer {l}'s activations")
        if a.ndim not in (1, 2) or a.size == 0:
            raise ValueError(f"layer {l}'s activations must be a non-empty array (batch, n_l), got shape {a.shape}: "
                             "statistics of an empty batch are undefined")
        finite = bool(np.isfinite(a).all())
        with np.errstate(over="ignore", invalid="ignore"):
            mean = float(np.mean(a, dtype=np.float64)) if finite else float("nan")
            std = float(np.std(a, dtype=np.float64)) if finite else float("nan")
        is_zero = a == 0
        stats.append(
            LayerStats(
                layer=l,
                mean=mean,
                std=std,
                saturated=None if act.saturation_band is None else _saturation_fraction(a, act.saturation_band, tol),
                zero=float(np.mean(is_zero)),
                dead=float(np.mean(is_zero.all(axis=0))) if a.ndim == 2 else float(np.all(is_zero)),
                finite=finite,
            )
        )
    return stats


def gradient_norms(grads):
    """Euclidean (Frobenius) norm of each layer's gradient array, as floats."""
    try:
        grads = list(grads)
    except TypeError:
        raise ValueError(f"grads must be a list of gradient arrays, one per layer, got {grads!r}") from None
    arrays = [check_array(g, f"grads[{l}]").astype(np.float64) for l, g in enumerate(grads)]
    with np.errstate(over="ignore", invalid="ignore"):
        return [float(np.linalg.norm(g)) for g in arrays]


def format_layer_statistics(stats):
    """A small text table of :func:`layer_statistics` (what the notebooks print)."""
    lines = [f"{'layer':>5} {'mean':>9} {'std':>9} {'saturated':>10} {'zero':>7} {'dead':>7}"]
    for s in stats:
        sat = "-" if s.saturated is None else f"{100 * s.saturated:.1f}%"
        if not s.finite:
            lines.append(f"{s.layer:>5} {'overflow':>9} {'overflow':>9} {sat:>10} {100 * s.zero:>6.1f}% {100 * s.dead:>6.1f}%")
            continue
        lines.append(
            f"{s.layer:>5} {s.mean:>9.4f} {s.std:>9.4f} {sat:>10} {100 * s.zero:>6.1f}% {100 * s.dead:>6.1f}%"
        )
    return "\n".join(lines)
