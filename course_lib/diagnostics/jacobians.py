"""Layer Jacobians and their singular values: how much each layer stretches a signal.

Hidden layer l maps the previous layer's activations to its own,
a_l = f(W_l a_(l-1) + b_l), so for one example its Jacobian is

    J_l = d a_l / d a_(l-1) = diag(f'(z_l)) W_l            (shape n_l x n_(l-1)).

Backprop multiplies the error by J_l^T at every layer (delta_(l-1) = J_l^T delta_l
up to the last f'), and the forward pass is locally a_l ~ J_l a_(l-1). A singular
value s of J_l is how much one direction is stretched: s < 1 shrinks it, s > 1
grows it, and through depth the products of these factors decide whether the
gradient vanishes or explodes. Glorot & Bengio (2010, sec. 4.2.2) report the
mean singular value of J_l at initialization for tanh nets: about 0.8 with their
normalized init, about 0.5 with the standard init U[-1/sqrt(n), 1/sqrt(n)].

Closed forms behind those numbers
---------------------------------
* For an n x n matrix with independent entries of variance sigma^2, the
  singular values divided by sigma sqrt(n) follow, for large n, the
  quarter-circle law p(x) = sqrt(4 - x^2) / pi on [0, 2], whose mean is
  8 / (3 pi) = 0.849 (:func:`quarter_circle_mean`). So

      mean singular value of W ~ 0.849 sqrt(n Var[W]).

  Standard init: n Var[W] = 1/3, giving 0.849 / sqrt(3) = 0.49; normalized init
  on square layers: n Var[W] = 1, giving 0.85. Near initialization tanh's
  f'(z) = 1 - a^2 is close to 1, so J_l inherits these values (a bit less where
  units are active).
* Orthogonal W (Saxe et al. 2014): W = gain Q with Q Q^T = I, so every singular
  value of W is ``gain``; and since J_l = diag(f') gain Q, the singular values of
  J_l are exactly gain |f'(z_l)|, sorted. Their spread comes from f' alone, which
  keeps the product of many Jacobians well conditioned ("dynamical isometry",
  Pennington et al. 2017), unlike Gaussian W whose singular values already spread
  over [0, 2 sigma sqrt(n)].
"""
from __future__ import annotations

import math

import numpy as np

from ..nn.network import _QUIET, Network, check_inputs

__all__ = [
    "QUARTER_CIRCLE_MEAN",
    "quarter_circle_mean",
    "layer_jacobians",
    "jacobian_singular_values",
    "mean_jacobian_singular_values",
    "input_output_jacobian",
]

#: Mean of the quarter-circle law sqrt(4 - x^2)/pi on [0, 2]: 8 / (3 pi).
QUARTER_CIRCLE_MEAN = 8.0 / (3.0 * math.pi)


def quarter_circle_mean(n, variance):
    """Large-n mean singular value of an n x n matrix with i.i.d. entries of this
    variance: (8 / (3 pi)) sqrt(n variance)."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be an integer >= 1, got {n!r}")
    variance = float(variance)
    if not math.isfinite(variance) or variance < 0:
        raise ValueError(f"variance must be a finite number >= 0, got {variance!r}")
    return QUARTER_CIRCLE_MEAN * math.sqrt(n * variance)


def _hidden_layers(net, layers):
    n_hidden = net.depth - 1
    if layers is None:
        return list(range(1, n_hidden + 1))
    layers = [int(l) for l in layers]
    for l in layers:
        if not 1 <= l <= n_hidden:
            raise ValueError(f"layers must be hidden-layer numbers in 1..{n_hidden}, got {l}")
    return layers


def layer_jacobians(net, X, layers=None):
    """Jacobians J_l = da_l/da_(l-1) = diag(f'(z_l)) W_l of hidden layers, per example.

    Inputs:
      net:    a :class:`~course_lib.nn.network.Network`.
      X:      inputs (B, n_0): the Jacobians depend on the example through f'(z_l).
      layers: hidden-layer numbers (1 = the first hidden layer, whose input is X);
              default all hidden layers 1..L-1.
    Returns: a dict {l: array (B, n_l, n_(l-1))}.
    """
    if not isinstance(net, Network):
        raise ValueError(f"net must be a course_lib Network, got {type(net).__name__}")
    X = check_inputs(X, net.sizes[0], dtype=net.dtype)
    layers = _hidden_layers(net, layers)
    with np.errstate(**_QUIET):
        _, cache = net._forward(X)
        out = {}
        for l in layers:
            slope = net.activation.prime(cache.zs[l - 1], cache.activations[l])  # (B, n_l)
            out[l] = slope[:, :, None] * net.weights[l - 1][None, :, :]
    return out


def jacobian_singular_values(net, X, layers=None):
    """Singular values of each hidden layer's Jacobian, per example.

    Returns a dict {l: array (B, min(n_l, n_(l-1)))}, each row sorted in
    decreasing order (NaN rows where the signal overflowed).
    """
    jacobians = layer_jacobians(net, X, layers)
    out = {}
    for l, J in jacobians.items():
        finite = np.isfinite(J).all(axis=(1, 2))
        s = np.full((J.shape[0], min(J.shape[1:])), np.nan)
        if finite.any():
            s[finite] = np.linalg.svd(J[finite], compute_uv=False)
        out[l] = s
    return out


def mean_jacobian_singular_values(net, X, layers=None):
    """The mean singular value of each hidden layer's Jacobian, averaged over the
    examples of X (Glorot & Bengio's statistic): a dict {l: float}."""
    return {l: float(np.mean(s)) for l, s in jacobian_singular_values(net, X, layers).items()}


def input_output_jacobian(net, x, first=1, last=None):
    """The product J_last ... J_first for one example x: how the activations of
    hidden layer ``last`` respond to those entering hidden layer ``first``.

    Returns an array (n_last, n_(first-1)); its singular values show how
    a random direction is stretched through that stack of layers.
    """
    x = check_inputs(x, net.sizes[0], dtype=net.dtype)
    if x.shape[0] != 1:
        raise ValueError(f"x must be one example (shape ({net.sizes[0]},) or (1, {net.sizes[0]})), got {x.shape}")
    last = net.depth - 1 if last is None else int(last)
    layers = _hidden_layers(net, range(int(first), last + 1))
    if not layers:
        raise ValueError(f"first must be <= last, got first={first}, last={last}")
    jacobians = layer_jacobians(net, x, layers)
    with np.errstate(**_QUIET):
        product = jacobians[layers[0]][0]
        for l in layers[1:]:
            product = jacobians[l][0] @ product
    return product
