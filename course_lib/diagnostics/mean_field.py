"""Mean-field theory of signal propagation: which initial weight scale keeps a deep net trainable.

Every layer of width n draws its weights from N(0, g^2 / fan_in): the *gain* g
sets the weight std, std = g / sqrt(fan_in) (g = 1 is LeCun's 1/sqrt(n), g = sqrt(2)
is He's). For the hidden layers, fan_in = n, so the std of a hidden weight is
g / sqrt(n). Biases start at 0.

Mean-field theory (Poole et al. 2016, Schoenholz et al. 2017) follows one
pre-activation's variance q_l through the layers of a wide network,

    q_(l+1) = g^2 E[phi(sqrt(q_l) u)^2],                    u ~ N(0, 1),

to its fixed point q*, and then asks how a small perturbation of the input (or a
gradient travelling back) grows or shrinks per layer:

    chi_1 = g^2 E[phi'(sqrt(q*) u)^2].

chi_1 < 1: perturbations and gradients shrink geometrically with depth (the
ordered phase: every input is mapped to the same output). chi_1 > 1: they grow
(the chaotic phase, or for ReLU an exploding signal). The *critical* gain solves
chi_1 = 1:

* tanh:    phi'(0) = 1 and q* = 0 below criticality, so chi_1 = g^2: g_c = 1,
           std_c = 1 / sqrt(n) (LeCun / Xavier);
* ReLU:    E[relu'(z)^2] = 1/2 for any q, so chi_1 = g^2 / 2: g_c = sqrt(2),
           std_c = sqrt(2 / n) (He);
* sigmoid: no closed form (phi'(0) = 1/4, and the mean 1/2 keeps q* > 0); solved
           numerically by :func:`critical_gain`: g_c = 10.15, std_c = 10.15 / sqrt(n),
           far above the common rule of thumb "4 x Xavier" (4 / sqrt(n)) for sigmoid.

Squared gradient norms scale like chi_1 per layer, ||dC/dW_l||^2 ~ chi_1^(L - l),
so after L layers the first layer's gradient is chi_1^(L/2) times the last one's:
only near chi_1 = 1 can plain SGD with one learning rate train all layers at once.
"""
from __future__ import annotations

import functools
import math

import numpy as np

from ..nn.activations import get_activation
from ..nn.network import _QUIET

__all__ = [
    "gaussian_expectation",
    "length_map_fixed_point",
    "chi1",
    "critical_gain",
    "critical_std",
]


def gaussian_expectation(f, q):
    """E[f(z)] for z ~ N(0, q), by the midpoint rule on a fine grid.

    The grid covers +-9 sqrt(q) with steps of min(sqrt(q), 1) / 16 (at most 18,000
    points), so it resolves both the Gaussian and a narrow feature of f near 0
    (tanh'(z)^2 when q is large).
    Points come in pairs +-z and none is 0, so for ReLU E[relu'(z)^2] = 1/2 comes
    out exact. Relative error below 1e-6 for the activations used here."""
    q = float(q)
    if not q >= 0 or not math.isfinite(q):
        raise ValueError(f"q (a variance) must be a finite number >= 0, got {q!r}")
    s = math.sqrt(q)
    if s == 0.0:
        with np.errstate(**_QUIET):
            return float(np.asarray(f(np.zeros(1)))[0])
    h = max(min(s, 1.0) / 16.0, s / 1000.0)
    half = int(math.ceil(9.0 * s / h))
    z = (np.arange(-half, half) + 0.5) * h
    w = np.exp(-0.5 * (z / s) ** 2)
    w /= w.sum()
    with np.errstate(**_QUIET):
        return float(np.dot(w, f(z)))


def _check_gain(gain):
    try:
        ok = math.isfinite(float(gain)) and float(gain) > 0
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ValueError(f"gain must be a finite number > 0 (weight std = gain / sqrt(fan_in)), got {gain!r}")
    return float(gain)


def length_map_fixed_point(activation, gain, q_min=1e-12, q_max=1e8):
    """The fixed point q* > 0 of the length map q -> gain^2 E[phi(z)^2], z ~ N(0, q).

    Found by bisection on log q of r(q) = gain^2 E[phi(z)^2] / q = 1, with r
    decreasing in q for tanh, sigmoid and ReLU. Returns 0.0 if r <= 1 already at
    q_min (the signal dies out: tanh with gain <= 1, ReLU with gain < sqrt(2)), and
    inf if r >= 1 still at q_max (ReLU with gain > sqrt(2), whose map
    q -> gain^2 q / 2 is linear: the signal grows without bound)."""
    act = get_activation(activation)
    g2 = _check_gain(gain) ** 2

    def log_ratio(log_q):
        q = math.exp(log_q)
        return math.log(g2 * gaussian_expectation(lambda z: act.fn(z) ** 2, q) / q)

    lo, hi = math.log(q_min), math.log(q_max)
    if log_ratio(lo) <= 0:
        return 0.0
    if log_ratio(hi) >= 0:
        return math.inf
    while hi - lo > 1e-9:
        mid = 0.5 * (lo + hi)
        if log_ratio(mid) > 0:
            lo = mid
        else:
            hi = mid
    return math.exp(0.5 * (lo + hi))


def chi1(activation, gain):
    """chi_1 = gain^2 E[phi'(sqrt(q*) u)^2]: the factor by which a squared gradient
    norm (or a small input perturbation) grows per layer at initialization.

    For ReLU the answer, gain^2 / 2, does not depend on q*. Where q* is 0 (the
    signal dies out) it is evaluated in the small-signal limit q = 1e-12 (tanh:
    gain^2 phi'(0)^2 = gain^2); where q* is inf (ReLU above sqrt(2)), at q = 1."""
    act = get_activation(activation)
    g = _check_gain(gain)
    q = length_map_fixed_point(act, g)
    if not math.isfinite(q):
        q = 1.0
    if q == 0.0:
        q = 1e-12
    return g * g * gaussian_expectation(lambda z: act.prime(z, act.fn(z)) ** 2, q)


def critical_gain(activation, lo=0.05, hi=50.0, tol=1e-8):
    """The gain g_c with chi_1(g_c) = 1, found by bisection on log g in [lo, hi].

    tanh: 1; ReLU: sqrt(2); sigmoid: about 10.15 (no closed form). Results for a
    named activation are cached (each costs about a second)."""
    act = get_activation(activation)
    if isinstance(activation, str):
        return _critical_gain_cached(act.name, float(lo), float(hi), float(tol))
    return _critical_gain(act, lo, hi, tol)


@functools.lru_cache(maxsize=None)
def _critical_gain_cached(name, lo, hi, tol):
    return _critical_gain(get_activation(name), lo, hi, tol)


def _critical_gain(act, lo, hi, tol):
    f = lambda g: chi1(act, g) - 1.0
    if f(lo) > 0 or f(hi) < 0:
        raise ValueError(f"chi_1 - 1 does not change sign on gain in [{lo}, {hi}] for {act.name}")
    a, b = math.log(lo), math.log(hi)
    while b - a > tol:
        m = 0.5 * (a + b)
        if f(math.exp(m)) > 0:
            b = m
        else:
            a = m
    return math.exp(0.5 * (a + b))


def critical_std(activation, width):
    """The critical weight std of a hidden layer of fan-in ``width``: g_c / sqrt(width)."""
    if not (isinstance(width, (int, np.integer)) and width >= 1):
        raise ValueError(f"width must be an integer >= 1, got {width!r}")
    return critical_gain(activation) / math.sqrt(width)
