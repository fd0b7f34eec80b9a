"""Notebook 01's experiments: Nielsen's saturated neuron, as plain functions.

Nielsen's saturated neuron (notebook 01)
----------------------------------------
A sigmoid neuron gets 1,000 inputs, ``n_active`` = 500 of them 1 and the rest 0.
Its pre-activation z = sum_j w_j x_j + b is a sum of independent zero-mean terms,
so the variances add:

    Var[z] = n_active * Var[w] + Var[b].

With w, b ~ N(0, 1): Var[z] = 501, std 22.4, and sigma(z) is 0 or 1 almost always
(the neuron is *saturated*). With w ~ N(0, 1/n_in), b ~ N(0, 1): Var[z] = 500/1000
+ 1 = 3/2, std 1.22. A saturated unit learns slowly because the gradient of each of
its weights carries the factor sigma'(z) = sigma(z)(1 - sigma(z)), which is below
0.01 once |z| > 4.585 (:data:`Z_SATURATED`).
"""
from __future__ import annotations

import math

import numpy as np

from ..checks import check_int, check_real, check_rng
from ..nn.activations import sigmoid, sigmoid_prime

__all__ = [
    "Z_SATURATED",
    "neuron_z_std",
    "sample_neuron_z",
    "saturated_fraction",
    "train_neurons",
    "check_neuron_std",
]


#: |z| beyond which sigma'(z) < 0.01: sigma(z)(1 - sigma(z)) = 0.01 at z = ln(a / (1 - a)),
#: a = (1 - sqrt(0.96)) / 2, i.e. |z| = 4.585. A weight feeding such a unit learns
#: at least 100 times more slowly than sigma' = 1 would allow (25 times slower than at z = 0).
Z_SATURATED = float(-math.log((1 - math.sqrt(0.96)) / 2 / (1 - (1 - math.sqrt(0.96)) / 2)))


def _check_std(value, argument="std"):
    """A finite number >= 0 (a string such as '1' is refused, not converted)."""
    return check_real(value, argument, ">= 0", lambda v: v >= 0)


def neuron_z_std(n_active=500, weight_std=1.0, bias_std=1.0):
    """std of z = sum_j w_j x_j + b with ``n_active`` inputs equal to 1 (the rest 0):
    sqrt(n_active weight_std^2 + bias_std^2). Nielsen: sqrt(501) = 22.4 for N(0, 1)
    weights, sqrt(3/2) = 1.22 for N(0, 1/1000) weights (bias N(0, 1) in both)."""
    n_active = check_int(n_active, "n_active", 0)
    w = _check_std(weight_std, "weight_std")
    b = _check_std(bias_std, "bias_std")
    return math.sqrt(n_active * w * w + b * b)


def sample_neuron_z(n_draws, n_inputs=1000, n_active=500, weight_std=1.0, bias_std=1.0, *, rng):
    """``n_draws`` samples of z = w . x + b for Nielsen's input (``n_active`` ones among
    ``n_inputs``), each with freshly drawn weights w_j ~ N(0, weight_std^2) and bias
    b ~ N(0, bias_std^2). Returns a float64 array (n_draws,)."""
    n_draws = check_int(n_draws, "n_draws", 1)
    n_inputs = check_int(n_inputs, "n_inputs", 1)
    n_active = check_int(n_active, "n_active", 0, n_inputs)
    w_std = _check_std(weight_std, "weight_std")
    b_std = _check_std(bias_std, "bias_std")
    check_rng(rng)
    x = np.zeros(n_inputs)
    x[:n_active] = 1.0
    z = np.empty(n_draws)
    chunk = max(1, 2_000_000 // n_inputs)          # bound the memory of the weight draws
    for start in range(0, n_draws, chunk):
        stop = min(n_draws, start + chunk)
        w = rng.normal(0.0, w_std, size=(stop - start, n_inputs))
        z[start:stop] = w @ x
    return z + rng.normal(0.0, b_std, size=n_draws)


def saturated_fraction(z, z_saturated=Z_SATURATED):
    """Fraction of z with |z| > z_saturated, where sigma'(z) < 0.01 (by default)."""
    z = np.asarray(z)
    if z.size == 0:
        raise ValueError("z must hold at least one value")
    return float(np.mean(np.abs(z) > z_saturated))


def train_neurons(x, y, w, b, *, cost="quadratic", eta=0.001, epochs=300):
    """Gradient descent on K independent sigmoid neurons, each on the one example (x, y).

    Inputs:
      x: (n,) the example; y: its target in [0, 1].
      w: (K, n) and b: (K,) starting weights and biases of the K neurons.
      cost: 'quadratic', C = (a - y)^2 / 2, whose error dC/dz = (a - y) sigma'(z)
            carries sigma'(z), or 'cross_entropy', C = -[y ln a + (1 - y) ln(1 - a)],
            whose error is a - y: sigma'(z) cancels (Nielsen ch. 3).
      eta: learning rate; epochs: number of updates (one example, so one step each).
    Updates: w -= eta (dC/dz) x, b -= eta dC/dz. With a single example every step
    moves w along x, so z = w.x + b changes by -eta (dC/dz) (|x|^2 + 1): the loop
    tracks z directly, O(K) per epoch instead of O(K n), with the same arithmetic.
    Returns: cost per epoch, shape (epochs + 1, K): row 0 before any update.
    """
    if cost not in ("quadratic", "cross_entropy"):
        raise ValueError(f"cost must be 'quadratic' or 'cross_entropy', got {cost!r}")
    epochs = check_int(epochs, "epochs", 0)
    eta = _check_std(eta, "eta")
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError(f"x must be one example of shape (n,), got shape {x.shape}")
    w = np.asarray(w, dtype=np.float64)
    w = w[None, :] if w.ndim == 1 else w
    b = np.atleast_1d(np.asarray(b, dtype=np.float64))
    if w.ndim != 2 or w.shape[1] != x.shape[0] or b.shape != (w.shape[0],):
        raise ValueError(f"w must have shape (K, {x.shape[0]}) and b shape (K,), got {w.shape} and {b.shape}")
    y = float(y)
    if not 0.0 <= y <= 1.0:
        raise ValueError(f"y must lie in [0, 1], got {y!r}")
    step = eta * (float(x @ x) + 1.0)
    z = w @ x + b
    costs = np.empty((epochs + 1, w.shape[0]))
    for epoch in range(epochs + 1):
        a = sigmoid(z)
        if cost == "quadratic":
            costs[epoch] = 0.5 * (a - y) ** 2
            delta = (a - y) * sigmoid_prime(z, a)
        else:
            costs[epoch] = np.logaddexp(0.0, z) - y * z      # = -[y ln a + (1-y) ln(1-a)], stably
            delta = a - y
        z = z - step * delta
    return costs


def check_neuron_std(answer, n_active=500, n_inputs=1000, bias_std=1.0, rtol=5e-3):
    """Check an exercise answer: the std of z for weights N(0, 1/n_inputs) and bias
    N(0, bias_std^2) with ``n_active`` inputs on. Returns a message (str); prints nothing.

    ``None`` means "not answered yet" (so the notebook still runs top to bottom).
    The tolerance (0.5%) accepts the exact expression and any answer rounded to three
    significant digits, such as the 1.22 the text quotes for sqrt(3/2) = 1.2247 (0.4% off);
    the nearest wrong answers (1.41 = sqrt(2), counting the bias twice; 0.71 = sqrt(1/2),
    forgetting it; 1.5, the variance) are 15% or more away."""
    if answer is None:
        return "Not answered yet: replace None by your expression for the std of z."
    try:
        value = float(answer)
    except (TypeError, ValueError):
        return f"Your answer should be a number, got {answer!r}."
    expected = neuron_z_std(n_active, 1.0 / math.sqrt(n_inputs), bias_std)
    if math.isclose(value, expected, rel_tol=rtol):
        return f"Correct: std(z) = {expected:.4f}."
    if math.isclose(value, expected * expected, rel_tol=rtol):
        return "That is the variance; the standard deviation is its square root."
    return f"Not quite: {value:.4g} is not the std of z. Hint: variances of independent terms add."
