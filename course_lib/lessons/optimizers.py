"""Notebook 11's experiments: which bad initializations a better optimizer rescues, and dropout.

The optimizers are :mod:`course_lib.nn.optimizers` (``sgd(optimizer=...)``) and the
dropout is :mod:`course_lib.nn.dropout` (``sgd(dropout=p)``); this module holds what
notebook 11 measures with them, as plain functions returning numbers:

* :func:`train_over_seeds`: one setting (sizes, init, optimizer, eta) trained from
  several seeds, each run a :class:`Run` (loss curve, accuracy, the trained net);
* :func:`first_step_sizes`: how far one step of SGD or Adam moves each layer's weights,
  in units of eta: SGD's step is proportional to the gradient, Adam's first step is eta;
* :func:`tanh_prime_zero_fraction`, :func:`dead_units`, :func:`row_spread`,
  :func:`logit_spread`, :func:`input_dependence`: the four failures Adam cannot
  repair, each measured;
* :func:`dropout_z_std` and :func:`predicted_dropout_z_std`: the std of z through a
  deep ReLU net with and without inverted dropout, measured and in closed form;
* :func:`check_adam_first_step`, :func:`check_dropout_he_std`: exercise checkers.

Why the second moment grows under dropout (the closed form): a ReLU layer of fan-in n
with weights of variance s^2 / n gets z_(l+1) = sum_j w_j a_j m_j with the masks m_j
of mean 1 and E[m^2] = 1 / (1 - p), so

    Var[z_(l+1)] = s^2 E[a_l^2] / (1 - p) = (s^2 / 2) Var[z_l] / (1 - p),

using E[relu(z)^2] = Var[z] / 2 for a zero-mean symmetric z. He's s^2 = 2 keeps
Var[z] constant without dropout; with dropout it grows by 1 / (1 - p) per layer
while training, and s^2 = 2 (1 - p) keeps it constant again (but then the net at
test time, without masks, shrinks by (1 - p) per layer).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..checks import check_int, check_real, check_rng
from ..data.synthetic import spiral
from ..diagnostics.gradient_flow import deep_network
from ..nn.dropout import dropout_forward, dropout_masks
from ..nn.network import Network
from ..nn.optimizers import get_optimizer
from ..nn.train import sgd

__all__ = [
    "SPIRAL_SIZES",
    "SEEDS",
    "Run",
    "spiral_data",
    "train_run",
    "train_over_seeds",
    "median_final",
    "first_step_sizes",
    "tanh_prime_zero_fraction",
    "dead_units",
    "row_spread",
    "logit_spread",
    "input_dependence",
    "dropout_z_std",
    "predicted_dropout_z_std",
    "check_adam_first_step",
    "check_dropout_he_std",
]

#: Notebook 06's spiral network: three hidden layers of 100 units.
SPIRAL_SIZES = (2, 100, 100, 100, 3)
#: The seeds every claim is measured over (network from ``seed``, shuffling from ``seed + 1``).
SEEDS = (6, 7, 8)


def spiral_data():
    """Notebook 06's spiral: 3 arms x 100 points, noise 0.2, drawn from seed 0."""
    return spiral(n_per_class=100, n_classes=3, noise=0.2, rng=np.random.default_rng(0))


@dataclass(frozen=True)
class Run:
    """One training run: ``curve`` is the training loss before training, then after
    each epoch (epochs + 1 values); ``accuracy`` the final training accuracy; ``net``
    the trained network and ``initial`` a copy of it before training."""

    curve: np.ndarray
    accuracy: float
    net: Network
    initial: Network

    @property
    def final_loss(self):
        return float(self.curve[-1])


def train_run(sizes, X, y, *, init, optimizer, eta, seed, activation="relu", epochs=100, batch_size=30,
              first_bias=None, dropout=0.0, network=None):
    """Train one network from ``np.random.default_rng(seed)`` (shuffles from seed + 1).

    ``first_bias``: if given, every bias of the first hidden layer starts at that value
    (a mis-set bias init, used to kill ReLUs); ``network``: an already-built Network to
    train instead of drawing one from ``sizes``/``init``.
    """
    net = network if network is not None else Network(
        list(sizes), activation=activation, cost="log_likelihood", init=init, rng=np.random.default_rng(seed))
    if first_bias is not None:
        net.biases[0][:] = check_real(first_bias, "first_bias", "of any sign", lambda v: True)
    initial = net.copy()
    start = net.loss(X, y)
    history = sgd(net, X, y, epochs=epochs, batch_size=batch_size, eta=eta, rng=np.random.default_rng(seed + 1),
                  monitor=("train_cost",), progress=False, optimizer=optimizer, dropout=dropout)
    return Run(np.array([start] + history.train_cost), net.accuracy(X, y), net, initial)


def train_over_seeds(sizes, X, y, *, seeds=SEEDS, **settings):
    """:func:`train_run` for each seed: a list of Runs (same settings, different draws).

    ``settings`` may hold ``deep=(depth, width)`` to train lessons/depth's plain deep
    net (:func:`~course_lib.diagnostics.gradient_flow.deep_network`) instead of ``sizes``.
    """
    deep = settings.pop("deep", None)
    runs = []
    for seed in seeds:
        network = None
        if deep is not None:
            network = deep_network(deep[0], deep[1], n_in=X.shape[1], n_out=int(np.max(y)) + 1,
                                   activation=settings.get("activation", "relu"), init=settings["init"],
                                   rng=np.random.default_rng(seed))
        runs.append(train_run(sizes, X, y, seed=seed, network=network, **settings))
    return runs


def median_final(runs, what="accuracy"):
    """(median, min, max) over runs of the final ``"accuracy"`` or ``"loss"``."""
    values = np.array([r.accuracy if what == "accuracy" else r.final_loss for r in runs])
    return float(np.median(values)), float(values.min()), float(values.max())


def first_step_sizes(net, X, y, eta, optimizers=("sgd", "adam")):
    """Median |change| of each weight matrix after ONE full-batch step, divided by eta.

    Returns {optimizer name: array of one value per layer}. For SGD this is the median
    |dC/dW| itself (tiny when the weights are tiny); for Adam's first step it is
    |g| / (|g| + eps), i.e. 1 wherever |g| >> eps = 1e-8.
    """
    grads_W, grads_b = net.gradients(X, y)
    sizes = {}
    for name in optimizers:
        optimizer = get_optimizer(name)
        params = [W.copy() for W in net.weights] + [b.copy() for b in net.biases]
        before = [p.copy() for p in params]
        optimizer.step(params, list(grads_W) + list(grads_b), optimizer.start(params), eta)
        sizes[name] = np.array([np.median(np.abs(p - q)) / eta for p, q in zip(params[:net.depth], before)])
    return sizes


def tanh_prime_zero_fraction(net, X):
    """Per hidden layer, the fraction of (example, unit) pairs where tanh'(z) = 1 - tanh(z)^2
    is exactly 0.0 in floating point (|z| > ~19): no gradient passes there at all."""
    _, cache = net.forward(X)
    return [float(np.mean(1.0 - np.tanh(z) ** 2 == 0.0)) for z in cache.zs[:-1]]


def dead_units(net, X, layer=0):
    """Boolean mask of the units of hidden ``layer`` (0-based) that are exactly 0 on every row of X."""
    _, cache = net.forward(X)
    return np.all(cache.activations[layer + 1] == 0, axis=0)


def row_spread(W):
    """max over input columns of (max - min over rows) / max |W|: 0 when every unit
    (row) of W is the same; 0/0 (all-zero W) counts as 0."""
    scale = np.abs(W).max()
    return 0.0 if scale == 0 else float(np.max(np.ptp(W, axis=0)) / scale)


def logit_spread(net, X):
    """How much the output logits vary from one input to another: the largest std over
    the rows of X of a logit, divided by 1 + its mean magnitude. Exactly 0 when the
    network's output no longer depends on its input at all."""
    _, cache = net.forward(X)
    z = cache.zs[-1]
    return float(np.max(z.std(axis=0) / (1.0 + np.abs(z.mean(axis=0)))))


def input_dependence(net, X):
    """Per layer l = 1..L, how much z_l still depends on the input: the std of z_l over
    the rows of X, averaged over units, divided by the root-mean-square of z_l. About 1
    when z is mostly signal (zero biases), 0 when every input gives the same z."""
    _, cache = net.forward(X)
    out = []
    for z in cache.zs:
        rms = float(np.sqrt(np.mean(z * z)))
        out.append(0.0 if rms == 0 else float(np.mean(z.std(axis=0)) / rms))
    return np.array(out)


def dropout_z_std(depth, width, rate, *, gain2=2.0, batch=500, rng, test_time=False):
    """std of z_l in every layer l = 1..depth of a ReLU net with weights N(0, gain2 / n_in)
    and zero biases, on a batch of standard normal inputs, with inverted dropout of
    ``rate`` on every hidden layer (no masks if ``test_time``). Returns (depth,) array."""
    depth = check_int(depth, "depth", 1)
    width = check_int(width, "width", 1)
    check_rng(rng)
    gain2 = check_real(gain2, "gain2", "> 0", lambda v: v > 0)
    net = Network([width] * (depth + 1) + [1], activation="relu", output="identity", cost="quadratic",
                  init=math.sqrt(gain2 / width), bias_init="zeros", rng=rng)
    X = rng.standard_normal((batch, width))
    masks = dropout_masks(net, batch, 0.0 if test_time else rate, rng=rng)
    _, cache = dropout_forward(net, X, masks)
    return np.array([z.std() for z in cache.zs[:depth]])


def predicted_dropout_z_std(depth, rate, *, gain2=2.0, test_time=False):
    """The closed form of the module docstring, for inputs of unit variance:
    std(z_1) = sqrt(gain2), and each later layer multiplies the variance by
    (gain2 / 2) / (1 - rate) (by gain2 / 2 at test time, with no masks)."""
    per_layer = gain2 / 2 if test_time else gain2 / 2 / (1.0 - rate)
    return np.sqrt(gain2 * per_layer ** np.arange(depth))


def check_adam_first_step(answer, g=1e-6, eta=1e-3, eps=1e-8, rtol=0.02):
    """Exercise: the size of Adam's first step on a parameter whose gradient is ``g``.
    Returns a message; ``None`` means not answered yet."""
    if answer is None:
        return "Not answered yet: replace None by your number."
    try:
        value = abs(float(answer))
    except (TypeError, ValueError):
        return f"Your answer should be a number, got {answer!r}."
    expected = eta * g / (g + eps)
    if math.isclose(value, expected, rel_tol=rtol):
        return f"Correct: eta g / (|g| + eps) = {expected:.3g}, about eta: the gradient's scale cancels."
    if math.isclose(value, eta * g, rel_tol=rtol):
        return "That is SGD's step. Adam divides by sqrt(v_hat); what are m_hat and v_hat at t = 1?"
    if math.isclose(value, eta, rel_tol=1e-6):
        return "Close, but eps is not negligible here: compare |g| with eps."
    return f"Not quite ({value:.3g}). Hint: at t = 1 the bias correction gives m_hat = g and v_hat = g^2."


def check_dropout_he_std(answer, n_in=100, rate=0.5, rtol=0.02):
    """Exercise: the weight std that keeps Var[z] constant through a ReLU layer of fan-in
    ``n_in`` whose inputs went through inverted dropout of ``rate`` (training time)."""
    if answer is None:
        return "Not answered yet: replace None by your number."
    try:
        value = float(answer)
    except (TypeError, ValueError):
        return f"Your answer should be a number, got {answer!r}."
    expected = math.sqrt(2 * (1 - rate) / n_in)
    if math.isclose(value, expected, rel_tol=rtol):
        return f"Correct: sqrt(2 (1 - p) / n) = {expected:.4g}."
    if math.isclose(value, math.sqrt(2 / n_in), rel_tol=rtol):
        return "That is He's std without dropout. The masks raise E[a^2] by a factor: which one?"
    if math.isclose(value, math.sqrt(2 / ((1 - rate) * n_in)), rel_tol=rtol):
        return "The factor goes the other way: the masks make E[a^2] larger, so the weights must be smaller."
    if math.isclose(value, expected ** 2, rel_tol=rtol):
        return "That is the variance; the std is its square root."
    return f"Not quite ({value:.4g}). Hint: E[(a m)^2] = E[a^2] / (1 - p)."
