"""Notebook 02's experiments: activations through depth, measured and predicted.

The classic activation-histogram experiment (notebook 02)
---------------------------------------------------------
A batch X of B examples (rows) goes through ``depth`` hidden layers of ``width``
units, no biases: z_l = a_(l-1) W_l^T, a_l = f(z_l), a_0 = X. With independent
zero-mean weights, for every unit of layer l

    Var[z_l] = n_(l-1) Var[W_l] E[a_(l-1)^2]                                  (1)

and, for a wide layer, z_l is close to Gaussian, so E[a_l] and E[a_l^2] are Gaussian
integrals of f (:func:`gaussian_moments`). Iterating (1) predicts the std of every
layer (:func:`predict_layer_stats`) without running the network. For ReLU,
E[a^2] = Var[z]/2, so Var[z_l] = (n Var[W] / 2) Var[z_(l-1)]: the signal keeps its
scale exactly when Var[W] = 2/n (He), and is multiplied by sqrt(n Var[W] / 2) per
layer otherwise (std 1, n = 100: a factor 7.07 per layer).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..checks import check_int, check_rng
from ..nn.activations import Activation, get_activation
from ..nn.initializers import get_initializer
from .saturation import _check_std

__all__ = [
    "LayerSignals",
    "hidden_forward",
    "scaled_forward",
    "standard_weights",
    "gaussian_moments",
    "predict_layer_stats",
    "layer_table",
]

_QUIET = dict(over="ignore", invalid="ignore", under="ignore", divide="ignore")


# --------------------------------------------------------------------- validation
def _check_dtype(dtype):
    dtype = np.dtype(dtype)
    if dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"dtype must be float32 or float64, got {dtype}")
    return dtype


def _check_X(X, dtype):
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[0] < 1 or X.shape[1] < 1 or X.dtype.kind not in "fiu":
        raise ValueError(f"X must be a numeric array of shape (batch, n_in), one example per row, got shape {X.shape}")
    X = X.astype(dtype, copy=False)
    if not np.isfinite(X).all():
        raise ValueError("X contains NaN or inf; every input must be a finite number")
    return X


# ------------------------------------------------------- the activation experiment
@dataclass
class LayerSignals:
    """Per-layer signals of :func:`hidden_forward`: ``zs[l-1]`` is z_l and
    ``activations[l-1]`` is a_l, each of shape (B, width), for l = 1..depth
    (the input X is not included)."""

    zs: list
    activations: list

    @property
    def depth(self):
        return len(self.activations)


def _propagate(X, weights, act: Activation, scales=None):
    """z_l = s_l a_(l-1) W_l^T, a_l = f(z_l), quietly: overflow becomes inf/NaN, as it would.

    Once a layer holds inf or NaN, every unit of the next layer sums an inf or NaN
    times weights of both signs and is NaN or inf too; those layers are filled with
    NaN directly (arithmetic on NaN is slow, and nothing is left to see)."""
    zs, acts = [], []
    a = X
    overflowed = False
    with np.errstate(**_QUIET):
        for l, W in enumerate(weights):
            if overflowed:
                z = np.full((a.shape[0], W.shape[0]), np.nan, dtype=a.dtype)
                a = z
            else:
                z = a @ W.T
                if scales is not None:
                    z *= scales[l]
                a = act.fn(z)
                overflowed = not np.isfinite(a).all()
            zs.append(z)
            acts.append(a)
    return LayerSignals(zs, acts)


def hidden_forward(X, depth, width, activation="tanh", init="lecun_normal", *, rng, dtype=np.float32):
    """The classic experiment: X through ``depth`` hidden layers of ``width`` units.

    Inputs:
      X:          (B, n_in) batch, one example per row (e.g. 1,000 x 100 standard normal).
      depth:      number of hidden layers, >= 1.
      width:      units per hidden layer, >= 1.
      activation: a name from ``ACTIVATIONS`` (or an Activation).
      init:       weight initializer: a name, an Initializer, or a number (a std).
                  Layer l draws W_l of shape (width, n_(l-1)) with fan_in n_(l-1).
      rng:        numpy Generator, the only source of randomness.
      dtype:      float32 (default: fast, and overflow shows up sooner, as on a GPU) or float64.
    Returns: :class:`LayerSignals` with z_l and a_l for l = 1..depth. No biases (as in
    the CS231n and Karpathy versions of the experiment). Overflow is not an error:
    the layer where it happens holds inf or NaN, the layers after it NaN, and no
    warning is printed.
    """
    depth = check_int(depth, "depth", 1)
    width = check_int(width, "width", 1)
    act = get_activation(activation)
    init = get_initializer(init)
    check_rng(rng)
    dtype = _check_dtype(dtype)
    X = _check_X(X, dtype)
    fans = [X.shape[1]] + [width] * (depth - 1)
    weights = [init((width, n_in), rng, dtype=dtype) for n_in in fans]
    return _propagate(X, weights, act)


def standard_weights(n_in, depth, width, *, rng, dtype=np.float32):
    """``depth`` standard-normal matrices G_l of shape (width, n_(l-1)): one draw that
    :func:`scaled_forward` rescales to any std, so a slider that changes the std
    shows the *same* network at another scale instead of a new random one."""
    n_in = check_int(n_in, "n_in", 1)
    depth = check_int(depth, "depth", 1)
    width = check_int(width, "width", 1)
    check_rng(rng)
    dtype = _check_dtype(dtype)
    fans = [n_in] + [width] * (depth - 1)
    return [rng.standard_normal((width, f), dtype=dtype) for f in fans]


def scaled_forward(X, unit_weights, stds, activation="tanh"):
    """Forward pass with W_l = stds[l-1] * unit_weights[l-1] (normal weights of that std).

    ``stds`` is one number for every layer or one per layer. Same conventions and
    result as :func:`hidden_forward`; the computation runs in the weights' dtype.
    """
    if len(unit_weights) < 1:
        raise ValueError("unit_weights must hold at least one matrix (depth >= 1)")
    act = get_activation(activation)
    depth = len(unit_weights)
    stds = np.broadcast_to(np.asarray(stds, dtype=np.float64), (depth,)) if np.ndim(stds) == 0 else np.asarray(stds, dtype=np.float64)
    if stds.shape != (depth,):
        raise ValueError(f"stds must be one number or {depth} numbers (one per layer), got shape {stds.shape}")
    for s in stds:
        _check_std(s, "stds")
    dtype = unit_weights[0].dtype
    X = _check_X(X, dtype)
    if X.shape[1] != unit_weights[0].shape[1]:
        raise ValueError(f"X has {X.shape[1]} features but the first weight matrix expects {unit_weights[0].shape[1]}")
    return _propagate(X, unit_weights, act, scales=[dtype.type(s) for s in stds])


# -------------------------------------------------------------- the theory (1)
_UNIT_GRID = np.linspace(-12.0, 12.0, 801)


def _gaussian_grid(s):
    """Points z and trapezoid weights w with sum_k w_k g(z_k) ~ E[g(z)], z ~ N(0, s^2).

    The grid is the union of 801 points spread over +-12 std (the Gaussian's scale)
    and 801 points over +-30 (the scale on which the activations bend), so the
    integral is accurate both for a tiny std and for a huge one, where f(z) is
    nearly a step."""
    z = np.concatenate([s * _UNIT_GRID, min(30.0, 12.0 * s) / 12.0 * _UNIT_GRID])
    z.sort()
    pdf = np.exp(-0.5 * (z / s) ** 2) / (s * math.sqrt(2 * math.pi))
    dz = np.diff(z)
    w = np.zeros_like(z)
    w[:-1] += 0.5 * dz
    w[1:] += 0.5 * dz
    w *= pdf
    return z, w / w.sum()


def gaussian_moments(activation, z_std):
    """(E[f(z)], E[f(z)^2]) for z ~ N(0, z_std^2), one std (a number) at a time.

    Closed forms for the piecewise-linear activations:
    E[relu(z)] = s / sqrt(2 pi), E[relu(z)^2] = s^2 / 2; leaky ReLU with slope k:
    E = (1 - k) s / sqrt(2 pi), E[.^2] = (1 + k^2) s^2 / 2; identity: 0 and s^2.
    Other activations: trapezoid rule on a grid that resolves both the Gaussian and
    the activation (error < 1e-6 for sigmoid and tanh at any std). An infinite std
    gives inf for unbounded activations and the limit (e.g. E[sigma^2] = 1/2) for
    bounded ones, without warnings.
    """
    from ..nn.activations import LEAKY_SLOPE

    act = get_activation(activation)
    s = float(z_std)
    if not s >= 0:
        raise ValueError(f"z_std must be a number >= 0, got {z_std!r}")
    with np.errstate(**_QUIET):
        if act.name == "relu":
            return s / math.sqrt(2 * math.pi), s * s / 2
        if act.name == "leaky_relu":
            k = LEAKY_SLOPE
            return (1 - k) * s / math.sqrt(2 * math.pi), (1 + k * k) * s * s / 2
        if act.name == "identity":
            return 0.0, s * s
        if s == 0:
            f0 = float(act.fn(np.array(0.0)))
            return f0, f0 * f0
        z, w = _gaussian_grid(min(s, 1e150))
        a = act.fn(z)
        return float(a @ w), float((a * a) @ w)


def predict_layer_stats(depth, width, activation, weight_std, n_in=None, input_second_moment=1.0):
    """Predicted per-layer std of z_l and of a_l, and mean of a_l, from (1).

    Inputs:
      depth, width:  as in :func:`hidden_forward`.
      activation:    name or Activation.
      weight_std:    std of the weights, one number or one per layer.
      n_in:          fan-in of the first layer (default: width).
      input_second_moment: E[x^2] of the inputs (1 for standard-normal features).
    Returns: dict of float64 arrays of length depth: ``z_std``, ``a_mean``, ``a_std``.
    Overflow (std 100 and ReLU over 50 layers) gives inf, quietly.
    """
    depth = check_int(depth, "depth", 1)
    width = check_int(width, "width", 1)
    n_in = width if n_in is None else check_int(n_in, "n_in", 1)
    act = get_activation(activation)
    stds = np.broadcast_to(np.asarray(weight_std, dtype=np.float64), (depth,))
    for s in stds:
        _check_std(s, "weight_std")
    second = _check_std(input_second_moment, "input_second_moment")
    z_std, a_mean, a_std = (np.empty(depth) for _ in range(3))
    fan = n_in
    with np.errstate(**_QUIET):
        for l in range(depth):
            var_z = fan * stds[l] ** 2 * second
            z_std[l] = math.sqrt(var_z) if math.isfinite(var_z) else math.inf
            m1, m2 = gaussian_moments(act, z_std[l])
            m1, m2 = float(m1), float(m2)
            a_mean[l] = m1
            a_std[l] = math.sqrt(max(m2 - m1 * m1, 0.0)) if math.isfinite(m2) else math.inf
            second = m2
            fan = width
    return {"z_std": z_std, "a_mean": a_mean, "a_std": a_std}


def layer_table(stats, predicted_std=None):
    """A text table of per-layer statistics (from ``diagnostics.layer_statistics``),
    numbers to 3 significant digits so that a collapsed layer shows as 1.6e-06, not
    0.0000, with the predicted std beside the measured one when given (an array
    indexed by layer - 1). Bounded activations get a '% saturated' column, the others
    '% zero' (inactive units) and '% dead' (units at 0 for every example)."""
    bounded = any(s.saturated is not None for s in stats)
    head = f"{'layer':>5} {'mean':>10} {'std':>10}" + (f" {'predicted':>10}" if predicted_std is not None else "")
    head += f" {'saturated':>10}" if bounded else f" {'zero':>7} {'dead':>7}"
    lines = [head]
    for s in stats:
        if s.finite:
            row = f"{s.layer:>5} {s.mean:>10.3g} {s.std:>10.3g}"
        else:
            row = f"{s.layer:>5} {'overflow':>10} {'overflow':>10}"
        if predicted_std is not None:
            row += f" {float(predicted_std[s.layer - 1]):>10.3g}"
        if bounded:
            row += f" {100 * s.saturated:>9.1f}%" if s.finite else f" {'-':>10}"
        else:
            row += f" {100 * s.zero:>6.1f}% {100 * s.dead:>6.1f}%"
        lines.append(row)
    return "\n".join(lines)
