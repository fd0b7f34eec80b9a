"""The flower experiment: one hidden layer of tanh units, std 0.01 against 1/sqrt(n_in).

A widely read post on initialization trains deeplearning.ai's planar "flower"
(:func:`course_lib.flower`) with the network of deeplearning.ai's lab "Planar
data classification with one hidden layer": ``[2, H, 1]``, tanh hidden units, a
sigmoid output, the cross-entropy cost, full-batch gradient descent, zero biases.
It prints ten losses per initialization (:data:`PUBLISHED_LOSSES`). This module
holds what notebook 08 needs to find the settings that reproduce them:

* :func:`descend`: full-batch gradient descent of many such networks at once
  (seeds x learning rates), vectorized, recording the loss before every step;
* :func:`printouts`: the ten losses a run prints every ``every`` steps;
* :func:`search`: the distance between those and the published ten, over a grid
  of widths, learning rates and printing intervals;
* :func:`sgd_curve`: the same run through the library's own ``sgd`` (batch =
  the whole data set), to show :func:`descend` computes what the library does;
* :func:`linear_rate`, :func:`gradient_scaling`, :func:`escape_step`: the
  plateau, measured.

Why small weights give a plateau here, not a wall
-------------------------------------------------
Near W = 0, tanh(u) ~ u and sigma(z) ~ 1/2 + z/4, so the network is the linear map
z = v U x (U the (H, 2) hidden weights, v the (H,) output weights) and the
cost is, to second order,

    C ~ ln 2 - v U c,        c = mean over the data of (y - 1/2) x,

the class-mean difference (c = (m_1 - m_0) / 4 for balanced classes). Its
gradients are dC/dv = -U c and dC/dU = -v c^T: each is the *other* layer's
weights times c, so both are O(std), the output z is O(std^2), and W = 0 is a
saddle point (a critical point with a direction of descent, and symmetric: the
map (U, v) -> (-U, -v) leaves z unchanged). With p = U c / |c| (each hidden
unit's weights along c), gradient descent with step eta is

    p <- p + eta |c| v,      v <- v + eta |c| p,

so p + v grows by (1 + eta |c|) per step and p - v shrinks by (1 - eta |c|): the
loss leaves ln 2 after about ln(1 / std) / (eta |c|) steps, a time that grows only
*logarithmically* as std -> 0. With L weight layers every gradient carries L - 1
small factors, the growth is of order std^(L - 2) at the start, and the escape
time grows like std^-(L - 2): from two hidden layers on, a wall (notebook 06).
"""
from __future__ import annotations

import numpy as np

from ..data.synthetic import flower
from ..nn.network import Network
from ..nn.train import sgd

__all__ = [
    "PUBLISHED_LOSSES", "PUBLISHED_INITS", "LAB_SETTINGS",
    "initial_weights", "descend", "printouts", "search", "sgd_curve",
    "linear_rate", "gradient_scaling", "escape_step", "check_escape_prediction",
]

#: The ten losses the post prints for each initialization (every ``every`` steps, the first at step 0).
PUBLISHED_LOSSES = {
    "std 0.01": np.array([0.69311, 0.69296, 0.69284, 0.69275, 0.69267, 0.69254, 0.69234, 0.69200, 0.69143, 0.69055]),
    "1/sqrt(n_in)": np.array([0.7088, 0.6197, 0.5771, 0.5130, 0.4628, 0.4218, 0.3915, 0.3705, 0.3543, 0.3409]),
}
#: The decimals the post prints them with (5 and 4).
PUBLISHED_DECIMALS = {"std 0.01": 5, "1/sqrt(n_in)": 4}
#: The course's initializer for each: a number is a std, "lecun_normal" is N(0, 1/n_in)
#: (the post calls it Xavier; Glorot & Bengio's Xavier is 2/(n_in + n_out)).
PUBLISHED_INITS = {"std 0.01": 0.01, "1/sqrt(n_in)": "lecun_normal"}
#: deeplearning.ai's lab: 4 hidden units, learning rate 1.2, 10,000 iterations printed every 1,000.
LAB_SETTINGS = dict(hidden=4, eta=1.2, iterations=10_000, every=1_000)


def _network(hidden, init, seed):
    return Network([2, hidden, 1], activation="tanh", cost="cross_entropy", init=init, bias_init="zeros",
                   rng=np.random.default_rng(seed))


def initial_weights(hidden, init, seeds):
    """The starting weights of ``[2, hidden, 1]`` course_lib Networks, one per seed.

    Each is ``Network([2, hidden, 1], activation='tanh', cost='cross_entropy',
    init=init, bias_init='zeros', rng=np.random.default_rng(seed))``, so a run of
    :func:`descend` starts exactly where the library's network does.
    Returns U (S, hidden, 2) and v (S, hidden).
    """
    nets = [_network(hidden, init, seed) for seed in seeds]
    return np.stack([net.weights[0] for net in nets]), np.stack([net.weights[1][0] for net in nets])


def descend(X, y, *, hidden, init, etas, steps, seeds):
    """Full-batch gradient descent of len(seeds) x len(etas) networks at once.

    Network s, e is ``[2, hidden, 1]``, tanh, sigmoid output, cross-entropy, zero
    biases, weights from :func:`initial_weights` with seed ``seeds[s]``, trained with
    learning rate ``etas[e]`` for ``steps`` steps on all of (X, y). One step is

        z1 = U x + b1,  a1 = tanh(z1),  z = v . a1 + b,  p = sigma(z) = 1 / (1 + e^-z)
        delta = (p - y) / n,                    (the cross-entropy's output error)
        v -= eta sum_x delta a1,     b -= eta sum_x delta,
        U -= eta sum_x (delta v * (1 - a1^2)) x^T,   b1 -= eta sum_x delta v * (1 - a1^2),

    the backprop of course_lib.Network written for a stack of networks: arrays are
    (networks, hidden, n) and every sum is numpy's own (no BLAS), so the bits do
    not depend on the BLAS kernel.

    Returns losses (len(seeds), len(etas), steps + 1): the mean cross-entropy
    before step 0, 1, ..., i.e. ``losses[..., t]`` is the loss after t steps.
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    etas = np.atleast_1d(np.asarray(etas, dtype=np.float64))
    seeds = list(seeds)
    if X.ndim != 2 or X.shape[1] != 2 or y.shape != (len(X),):
        raise ValueError(f"X must have shape (n, 2) and y shape (n,), got {X.shape} and {y.shape}")
    if etas.ndim != 1 or not np.all(np.isfinite(etas) & (etas > 0)):
        raise ValueError(f"etas must be finite learning rates > 0, got {etas!r}")
    if not seeds:
        raise ValueError("seeds must list at least one seed")
    steps = int(steps)
    if steps < 0:
        raise ValueError(f"steps must be an integer >= 0, got {steps!r}")
    U0, v0 = initial_weights(hidden, init, seeds)
    S, E = len(seeds), len(etas)
    U = np.repeat(U0, E, axis=0)                                 # (M, H, 2), network m = s * E + e
    v = np.repeat(v0, E, axis=0)[:, :, None]                     # (M, H, 1)
    b1 = np.zeros_like(v)                                        # (M, H, 1)
    b = np.zeros((S * E, 1))
    step = np.tile(etas, S)[:, None] / len(y)                    # eta / n, (M, 1)
    x0, x1 = X[:, 0], X[:, 1]
    losses = np.empty((S * E, steps + 1))
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        for t in range(steps + 1):
            a1 = np.tanh(U[:, :, 0:1] * x0 + U[:, :, 1:2] * x1 + b1)   # (M, H, n)
            z = (v * a1).sum(axis=1) + b                                # (M, n)
            # cross-entropy softplus(z) - y z, with softplus(z) = max(z, 0) + ln(1 + e^-|z|)
            losses[:, t] = np.mean(np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z))) - y * z, axis=1)
            if t == steps:
                break
            delta = (1.0 / (1.0 + np.exp(-z)) - y) * step              # eta (sigma(z) - y) / n
            delta_hidden = v * (1.0 - a1 * a1) * delta[:, None, :]     # (M, H, n), uses v before its step
            v -= (a1 * delta[:, None, :]).sum(axis=2, keepdims=True)
            b -= delta.sum(axis=1, keepdims=True)
            U[:, :, 0] -= (delta_hidden * x0).sum(axis=2)
            U[:, :, 1] -= (delta_hidden * x1).sum(axis=2)
            b1 -= delta_hidden.sum(axis=2, keepdims=True)
    return losses.reshape(S, E, steps + 1)


def printouts(losses, every, count=10):
    """The ``count`` losses a run prints every ``every`` steps, from step 0: losses[..., ::every][:count]."""
    every = int(every)
    if every < 1 or (count - 1) * every >= losses.shape[-1]:
        raise ValueError(f"every must be >= 1 with {count - 1} * every < {losses.shape[-1]} recorded steps, got {every}")
    return losses[..., : (count - 1) * every + 1 : every]


def search(X, y, *, hiddens, etas, everys, seeds, inits=None, published=None):
    """How far each setting's printed losses are from the published ones.

    For every hidden width, learning rate and printing interval, and for each
    initialization of ``inits`` (default :data:`PUBLISHED_INITS`: a dict from the
    name of a published run to the init that reproduces it), it runs :func:`descend` (one run
    per width and initialization covers all learning rates and all intervals)
    and compares the median over ``seeds`` of the ten printed losses with the
    published ten: the deviation is max_i |median_i - published_i|.

    Returns a dict of arrays indexed [hidden, eta, every]: ``deviation[name]`` for
    each initialization, ``median[name]`` (..., 10) and ``spread[name]`` (..., 10),
    the max - min over seeds of each printed loss, plus the axes.
    """
    published = PUBLISHED_LOSSES if published is None else published
    inits = PUBLISHED_INITS if inits is None else inits
    everys = [int(k) for k in everys]
    steps = 9 * max(everys)
    out = dict(hiddens=list(hiddens), etas=list(etas), everys=everys, deviation={}, median={}, spread={})
    for name, init in inits.items():
        shape = (len(hiddens), len(etas), len(everys))
        out["deviation"][name] = np.empty(shape)
        out["median"][name] = np.empty(shape + (10,))
        out["spread"][name] = np.empty(shape + (10,))
        for h, hidden in enumerate(hiddens):
            losses = descend(X, y, hidden=hidden, init=init, etas=etas, steps=steps, seeds=seeds)
            for k, every in enumerate(everys):
                printed = printouts(losses, every)                      # (S, E, 10)
                median = np.median(printed, axis=0)
                out["median"][name][h, :, k] = median
                out["spread"][name][h, :, k] = np.ptp(printed, axis=0)
                out["deviation"][name][h, :, k] = np.max(np.abs(median - published[name]), axis=-1)
    return out


def sgd_curve(X, y, *, hidden, init, eta, steps, every, seed):
    """The loss every ``every`` steps of one network trained by the library's ``sgd``.

    Full-batch gradient descent is ``sgd`` with ``batch_size`` = the number of
    examples: one step per epoch. ``monitor=()`` records nothing per epoch and a
    callback evaluates the loss only every ``every`` epochs, so the curve costs one
    extra forward pass per printout, not per step.
    Returns the losses after 0, every, 2 every, ... steps (steps // every + 1 values).
    """
    net = _network(hidden, init, seed)
    curve = [net.loss(X, y)]

    def record(epoch, history, net):
        if epoch % every == 0:
            curve.append(net.loss(X, y))

    sgd(net, X, y, epochs=steps, batch_size=len(X), eta=eta, rng=np.random.default_rng(seed + 1),
        monitor=(), callback=record, progress=False)
    return np.array(curve)


def linear_rate(X, y):
    """|c|, c = mean of (y - 1/2) x: the rate of the unstable direction at W = 0.

    Near the saddle the loss is ln 2 - v U c (module docstring), and full-batch
    gradient descent with step eta multiplies the escaping component by
    (1 + eta |c|) per step.
    """
    X = np.asarray(X, dtype=np.float64)
    c = np.mean((np.asarray(y, dtype=np.float64) - 0.5)[:, None] * X, axis=0)
    return float(np.linalg.norm(c))


def gradient_scaling(X, y, *, stds, hidden_layers=(1,), width=4, seeds=range(5)):
    """At initialization, the size of the output z and of each layer's gradient, against the std.

    For each number of hidden layers (tanh, ``width`` units each) and each std, the
    median over ``seeds`` of std(z) and of ||dC/dW_l|| for every layer l. On a
    log-log plot these are straight lines: z ~ std^L and every gradient ~ std^(L-1)
    for L weight layers, because each carries the other layers' weights.
    Returns {hidden_layers: (z (len(stds),), grads (len(stds), L))}.
    """
    out = {}
    for depth in hidden_layers:
        sizes = [2] + [width] * depth + [1]
        z_std, grads = [], []
        for std in stds:
            zs, gs = [], []
            for seed in seeds:
                net = Network(sizes, activation="tanh", cost="cross_entropy", init=std, bias_init="zeros",
                              rng=np.random.default_rng(seed))
                _, cache = net.forward(X)
                zs.append(cache.zs[-1].std())
                gs.append([np.linalg.norm(g) for g in net.backward(cache, y)[0]])
            z_std.append(np.median(zs))
            grads.append(np.median(gs, axis=0))
        out[depth] = (np.array(z_std), np.array(grads))
    return out


def escape_step(X, y, *, hidden_layers, std, eta, seed, width=4, max_steps=5000, drop=0.01):
    """Full-batch gradient-descent steps until the loss of a tanh net with weights N(0, std^2) is
    ``drop`` below ln 2 (None if it is not within ``max_steps``).

    The network is ``[2] + [width] * hidden_layers + [1]`` (sigmoid output, cross-entropy,
    zero biases, ``rng=np.random.default_rng(seed)``), trained by the library's ``sgd`` with
    the whole data set as the batch; a callback stops it at the first step past the level.
    """
    net = Network([2] + [width] * hidden_layers + [1], activation="tanh", cost="cross_entropy", init=std,
                  bias_init="zeros", rng=np.random.default_rng(seed))
    level = np.log(2.0) - drop
    found = []

    def stop_when_below(epoch, history, net):
        if net.loss(X, y) < level:
            found.append(epoch)
            return True
        return False

    sgd(net, X, y, epochs=max_steps, batch_size=len(X), eta=eta, rng=np.random.default_rng(seed + 1),
        monitor=(), callback=stop_when_below, progress=False)
    return found[0] if found else None


#: Exercise 1 of notebook 08: one hidden layer, std 1e-6, eta 0.5, seeds 0-5 of the flower with data seed 0.
EXERCISE_ESCAPE = dict(hidden_layers=1, std=1e-6, eta=0.5, seeds=range(6))


def check_escape_prediction(predicted_steps, tolerance=0.15):
    """Exercise 1 of notebook 08: compare a predicted escape step with the measured one.

    Measures the median over 6 seeds of :func:`escape_step` for the setting of
    :data:`EXERCISE_ESCAPE` on ``flower(rng=np.random.default_rng(0))`` (the notebook's
    data) and prints whether ``predicted_steps`` is within ``tolerance`` (15%) of it,
    with a hint if not. Returns True when it is.
    """
    try:
        predicted = float(predicted_steps)
    except (TypeError, ValueError):
        raise ValueError(f"predicted_steps must be a number of steps, got {predicted_steps!r}") from None
    X, y = flower(rng=np.random.default_rng(0))
    setting = dict(EXERCISE_ESCAPE)
    seeds = setting.pop("seeds")
    steps = [escape_step(X, y, seed=seed, **setting) for seed in seeds]
    measured = float(np.median(steps))
    if abs(predicted / measured - 1) <= tolerance:
        print(f"Right: the median escape over 6 seeds is {measured:.0f} steps, your {predicted:.0f} is within "
              f"{tolerance:.0%}.")
        return True
    hint = ("too few: every e-fold smaller std adds the same number of steps, count the e-folds from a std "
            "you measured" if predicted < measured else
            "too many: the escape time grows with ln(1/std), not with 1/std")
    print(f"Not yet: {predicted:.0f} is {hint}.")
    return False
