"""Gradient flow through depth: how fast each layer learns, and why deep nets stall.

Backprop sends the output error back one layer at a time (Nielsen ch. 2),

    delta_(l-1) = (delta_l W_l) * f'(z_(l-1)),        dC/db_l = delta_l,

so the error that reaches hidden layer l is the output error pushed through the
product of L - l factors ``W_k^T diag(f'(z_k))``. Each factor scales the length
of a random vector by about

    g = sqrt(n * Var[W]) * rms(f'(z))        (the backward gain of one layer, n = fan_out)

and after many layers the product behaves like g^depth: the gradient *vanishes*
when g < 1 and *explodes* when g > 1. Worked cases, all shown in notebook 05:

* sigmoid, W ~ N(0, 1/n_in), b ~ N(0, 1): f' <= 1/4, and with |z| ~ 1 it is
  about 0.2, so each earlier layer learns about 4-5 times more slowly
  (Nielsen ch. 5: 0.003, 0.017, 0.070, 0.285 for four hidden layers).
* ReLU, Var[W] = 1/n (LeCun, or Glorot on square layers): half the units pass
  the gradient, g = sqrt(1/2), so the gradient shrinks as 2^(-depth/2).
* ReLU, He, Var[W] = 2/n: g = 1, the scale is kept through any depth.
* tanh, W ~ N(0, 0.01^2), n = 100: sqrt(n) * 0.01 = 0.1 per layer, 10^(-depth).
* tanh, He: n Var[W] = 2 > 1 while f' is near 1; the forward signal saturates
  until rms(f') sqrt(2) settles just above 1, and the gradient grows slowly
  backwards (the "chaotic" phase of Schoenholz et al. 2017).

What this module measures:

* :func:`error_signals` gives the per-example errors delta_l = dC_x/dz_l of
  every layer, the bias gradients of each example;
* :func:`bias_gradient_norms` gives Nielsen's "speed of learning" of each hidden
  layer, ||dC/db_l|| with C the mean cost over a batch (``reduce="mean_gradient"``,
  what Nielsen plots) or the mean over examples of ||dC_x/db_l||
  (``reduce="mean_norm"``, a larger number: the per-example gradients point in
  different directions and partly cancel in the mean);
* :func:`gradient_norms_while_training` tracks those norms epoch by epoch;
* :func:`deep_network` and :func:`measure_gradient_flow` build a deep
  fully-connected net and record each layer's weight gradient, for histograms.

Notebook 05's comparison of initializers is :mod:`course_lib.lessons.depth`; its
depth slider is :class:`course_lib.viz.depth_explorer.DepthExplorer`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..checks import check_int, check_rng
from ..nn.network import _QUIET, Network, as_targets, check_inputs
from ..nn.train import sgd

__all__ = [
    "REDUCTIONS",
    "error_signals",
    "bias_gradient_norms",
    "bias_gradient_norms_over_inits",
    "gradient_norms_while_training",
    "deep_network",
    "GradientFlow",
    "measure_gradient_flow",
]

#: How per-example bias gradients become one number per layer (see the module docstring).
REDUCTIONS = ("mean_gradient", "mean_norm")


def _check_net(net):
    if not isinstance(net, Network):
        raise ValueError(f"net must be a course_lib Network, got {type(net).__name__}")


def error_signals(net, X, y):
    """Per-example output errors of every layer, delta_l = dC_x/dz_l = dC_x/db_l.

    Inputs:
      net: a :class:`~course_lib.nn.network.Network`.
      X:   inputs (B, n_0); y: labels (B,) or targets (B, n_L).
    Returns: a list of L arrays, ``deltas[l-1]`` of shape (B, n_l) for layers
    l = 1..L. Their mean over the batch (axis 0) is ``net.backward``'s bias
    gradient of the mean cost.
    """
    _check_net(net)
    X = check_inputs(X, net.sizes[0], dtype=net.dtype)
    Y = as_targets(y, X.shape[0], net.sizes[-1], dtype=net.dtype)
    with np.errstate(**_QUIET):
        _, cache = net._forward(X)
        return _backprop_errors(net, cache, Y)


def _backprop_errors(net, cache, Y):
    """delta_L = cost.delta, then delta_(l-1) = (delta_l W_l) * f'(z_(l-1)); input side first."""
    zs, acts = cache.zs, cache.activations
    delta = net.cost.delta(zs[-1], acts[-1], Y, net.output)
    deltas = [delta]
    for l in range(net.depth - 1, 0, -1):
        delta = (delta @ net.weights[l]) * net.activation.prime(zs[l - 1], acts[l])
        deltas.append(delta)
    return deltas[::-1]


def _check_reduce(reduce):
    if reduce not in REDUCTIONS:
        raise ValueError(f"reduce must be one of {REDUCTIONS}, got {reduce!r}")


def bias_gradient_norms(net, X, y, *, reduce="mean_gradient", hidden_only=True):
    """Nielsen's "speed of learning" of each layer: the length of its bias gradient.

    With delta_l(x) = dC_x/db_l the bias gradient of one example x:

    * ``reduce="mean_gradient"`` (Nielsen ch. 5): || (1/B) sum_x delta_l(x) ||, the
      Euclidean norm of the gradient of the mean cost over the B examples;
    * ``reduce="mean_norm"``: (1/B) sum_x ||delta_l(x)||, the average length of
      the per-example gradients (>= the first, by the triangle inequality).

    Returns a float array with one entry per hidden layer (``hidden_only=True``,
    Nielsen's plots) or per layer including the output layer.
    """
    _check_reduce(reduce)
    deltas = error_signals(net, X, y)
    if hidden_only:
        deltas = deltas[:-1]
    with np.errstate(**_QUIET):
        if reduce == "mean_gradient":
            return np.array([np.linalg.norm(d.mean(axis=0, dtype=np.float64)) for d in deltas])
        return np.array([np.linalg.norm(d.astype(np.float64), axis=1).mean() for d in deltas])


def bias_gradient_norms_over_inits(sizes, X, y, *, n_nets, rng, reduce="mean_gradient", **network_kwargs):
    """:func:`bias_gradient_norms` of ``n_nets`` independently initialized networks.

    Each network is ``Network(sizes, rng=child, **network_kwargs)`` with ``child``
    one of ``rng.spawn(n_nets)``, so the result depends on ``rng`` alone.
    Returns an array (n_nets, number of hidden layers): the spread across rows is
    the spread across random initializations.
    """
    if isinstance(n_nets, bool) or not isinstance(n_nets, (int, np.integer)) or n_nets < 1:
        raise ValueError(f"n_nets must be an integer >= 1, got {n_nets!r}")
    check_rng(rng)
    _check_reduce(reduce)
    rows = [
        bias_gradient_norms(Network(sizes, rng=child, **network_kwargs), X, y, reduce=reduce)
        for child in rng.spawn(int(n_nets))
    ]
    return np.array(rows)


def gradient_norms_while_training(net, X, y, *, epochs, batch_size, eta, rng, probe=None,
                                  reduce="mean_gradient", lmbda=0.0):
    """Train ``net`` by :func:`~course_lib.nn.train.sgd` and record the hidden layers'
    bias-gradient norms before training and after each epoch.

    Inputs:
      net, X, y, epochs, batch_size, eta, rng, lmbda: as for ``sgd`` (``net`` is
        trained in place).
      probe: (X_probe, y_probe) on which the norms are measured; default (X, y).
    Returns: (norms, history): ``norms`` of shape (epochs + 1, hidden layers),
    row 0 at initialization; ``history`` the :class:`~course_lib.nn.train.History`.
    """
    _check_net(net)
    X_probe, y_probe = (X, y) if probe is None else probe
    rows = [bias_gradient_norms(net, X_probe, y_probe, reduce=reduce)]

    def record(epoch, history, trained):
        rows.append(bias_gradient_norms(trained, X_probe, y_probe, reduce=reduce))

    history = sgd(net, X, y, epochs=epochs, batch_size=batch_size, eta=eta, lmbda=lmbda, rng=rng,
                  monitor=("train_cost",), callback=record, progress=False)
    return np.array(rows), history


def deep_network(depth, width, *, n_in, n_out, activation, init, rng, bias_init="zeros",
                 cost="log_likelihood", dtype=np.float64):
    """A plain deep net: ``depth`` hidden layers of ``width`` units each.

    ``sizes = [n_in] + [width] * depth + [n_out]``, so there are depth + 1 weight
    layers; softmax outputs with the log-likelihood cost by default, zero biases
    (so that only the weights set the scale of the signal).
    """
    depth = check_int(depth, "depth", 1)
    width = check_int(width, "width", 1)
    sizes = [check_int(n_in, "n_in", 1)] + [width] * depth + [check_int(n_out, "n_out", 1)]
    return Network(sizes, activation=activation, cost=cost, init=init, bias_init=bias_init,
                   rng=rng, dtype=dtype)


@dataclass(frozen=True)
class GradientFlow:
    """One backward pass through a deep net, layer by layer.

    Attributes (one entry per weight layer l = 1..L, input side first):
      bias_gradients:   per-example backpropagated errors delta_l = dC_x/dz_l =
                        dC_x/db_l, arrays (B, n_l): what the histograms show.
      weight_gradients: dC/dW_l = delta_l^T a_(l-1) / B, arrays (n_l, n_(l-1)),
                        of the mean cost on the batch.
      bias_rms:         root mean square of the entries of delta_l.
      weight_rms:       root mean square of the entries of dC/dW_l (0 if all vanish,
                        inf or nan once the signal overflowed).
      activation_std:   std of the layer's output a_l over batch and units.
      backward_gains:   for hidden layers l = 1..L-1, the predicted factor
                        rms(delta_l) / rms(delta_(l+1)) = sqrt(n_(l+1) Var[W_(l+1)]) * rms f'(z_l),
                        with n Var[W] measured on the drawn weights (mean squared
                        column norm of W_(l+1)) and f' on the batch.
      predicted_bias_rms: rms(delta_l) predicted from the output layer's measured
                        rms(delta_L) times the gains below it (length L).
      label:            a short description for legends and titles.

    The prediction treats delta_(l+1), W_(l+1) and f'(z_l) as independent, so
    E[delta_l^2] = n_(l+1) Var[W] E[delta_(l+1)^2] E[f'(z_l)^2]; for random
    initial weights that is accurate to a few percent per layer.

    Why two profiles: dC/dW_l multiplies the backward factor delta_l by the forward
    factor a_(l-1). When both shrink by the same factor per layer (std 0.01, or
    ReLU with Var[W] = 1/n), their product is the same in every layer: a flat
    weight-gradient profile that hides a vanishing backward signal, and a tiny
    overall scale (Glorot & Bengio 2010, sec. 4.2.3).
    """

    bias_gradients: list
    weight_gradients: list
    bias_rms: np.ndarray
    weight_rms: np.ndarray
    activation_std: np.ndarray
    backward_gains: np.ndarray
    predicted_bias_rms: np.ndarray
    label: str = ""

    @property
    def depth(self):
        """Number of weight layers L."""
        return len(self.weight_gradients)

    @property
    def finite(self):
        """False once any gradient overflowed to inf/NaN."""
        return bool(np.all(np.isfinite(self.bias_rms)) and np.all(np.isfinite(self.weight_rms)))

    def bias_gain(self):
        """rms(delta_1) / rms(delta_(L-1)): the backprop error in the first hidden
        layer relative to the last one; << 1 vanishing, >> 1 exploding."""
        with np.errstate(**_QUIET):
            return float(self.bias_rms[0] / self.bias_rms[-2])

    def gain_per_layer(self):
        """The measured geometric-mean factor per hidden layer,
        (rms(delta_1) / rms(delta_(L-1)))^(1 / (L - 2)); 1 for a single hidden layer."""
        if self.depth < 3:
            return 1.0
        with np.errstate(**_QUIET):
            return float(self.bias_gain() ** (1.0 / (self.depth - 2)))


def _rms(a):
    return float(np.sqrt(np.mean(np.square(a, dtype=np.float64))))


def measure_gradient_flow(net, X, y, label=""):
    """Forward and backward on (X, y); return the per-layer :class:`GradientFlow`."""
    _check_net(net)
    X = check_inputs(X, net.sizes[0], dtype=net.dtype)
    Y = as_targets(y, X.shape[0], net.sizes[-1], dtype=net.dtype)
    with np.errstate(**_QUIET):
        _, cache = net._forward(X)
        deltas = _backprop_errors(net, cache, Y)
        grads_W = [d.T @ a / X.shape[0] for d, a in zip(deltas, cache.activations[:-1])]
        bias_rms = np.array([_rms(d) for d in deltas])
        weight_rms = np.array([_rms(g) for g in grads_W])
        stds = np.array([np.std(a, dtype=np.float64) for a in cache.activations[1:]])
        gains = np.array([
            np.sqrt(np.sum(np.square(net.weights[l], dtype=np.float64)) / net.sizes[l])
            * _rms(net.activation.prime(cache.zs[l - 1], cache.activations[l]))
            for l in range(1, net.depth)
        ])
        predicted = np.empty(net.depth)
        predicted[-1] = bias_rms[-1]
        for l in range(net.depth - 2, -1, -1):
            predicted[l] = predicted[l + 1] * gains[l]
    return GradientFlow(deltas, grads_W, bias_rms, weight_rms, stds, gains, predicted, label)
