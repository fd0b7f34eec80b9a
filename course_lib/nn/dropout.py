"""Inverted dropout on the hidden layers (Srivastava et al. 2014, JMLR 15, "Dropout").

At training time each hidden activation is kept with probability 1 - p and set to
0 with probability p (p = ``rate``), independently for every unit and every
example, and the kept ones are divided by 1 - p:

    a_l = f(z_l) * m_l,     m_l = Bernoulli(1 - p) / (1 - p)       (elementwise)

At test time nothing is dropped and nothing is scaled: the network is used as it
is (that is what "inverted" means: the 1 / (1 - p) is paid during training, so
prediction needs no change; the paper's original form instead multiplies the
weights by 1 - p at test time). With a an activation and m its independent mask,

    E[a m] = E[a]                                  (the mean is kept)
    E[(a m)^2] = E[a^2] / (1 - p)                  (the second moment grows)
    Var[a m] = E[a^2] / (1 - p) - E[a]^2

so the next layer's z = sum_j w_j a_j m_j sees a second moment 1 / (1 - p) times
what the init's variance rule assumed: a ReLU net with dropout at every hidden
layer and He's std grows its signal by sqrt(1 / (1 - p)) per layer during training.

Backprop goes through the same mask: with a_l = f(z_l) * m_l,

    delta_(l-1) = (delta_l W_l) * m_(l-1) * f'(z_(l-1))

A dropped unit passes no gradient, and with the mask held fixed this is the exact
gradient of the masked network (tests/nn/test_dropout.py compares it with numerical
gradients). The input layer and the output layer are never dropped here.
"""
from __future__ import annotations

import numpy as np

from ..checks import check_real, check_rng
from .network import _QUIET, Cache, Network

__all__ = ["check_dropout", "dropout_masks", "dropout_forward", "dropout_backward"]


def check_dropout(rate, argument="dropout"):
    """``rate`` as a float if it is a drop probability in [0, 1), else a ValueError."""
    return check_real(rate, argument, "in [0, 1) (the probability of dropping a hidden unit)",
                      lambda v: 0 <= v < 1)


def dropout_masks(net: Network, batch, rate, *, rng):
    """One inverted-dropout mask per hidden layer, each of shape (batch, n_l):
    entries 0 (probability ``rate``) or 1 / (1 - rate)."""
    rate = check_dropout(rate, "rate")
    check_rng(rng)
    keep = 1.0 - rate
    return [(rng.random((batch, width)) < keep).astype(net.dtype) / net.dtype.type(keep)
            for width in net.sizes[1:-1]]


def dropout_forward(net: Network, X, masks):
    """The forward pass with hidden activations multiplied by ``masks``.

    Returns (out, cache): ``cache.activations[l]`` is the *masked* a_l (what layer
    l + 1 sees), ``cache.zs`` the pre-activations, as in :meth:`Network.forward`.
    """
    zs, acts = [], [X]
    a = X
    last = net.depth - 1
    with np.errstate(**_QUIET):
        for l, (W, b) in enumerate(zip(net.weights, net.biases)):
            z = a @ W.T + b
            if l == last:
                a = net.output.fn(z)
            else:
                a = net.activation.fn(z) * masks[l]
            zs.append(z)
            acts.append(a)
    return a, Cache(zs, acts)


def dropout_backward(net: Network, cache, masks, Y, lmbda=0.0, n=None):
    """Gradients (grads_W, grads_b) of the masked network's mean cost (+ L2 term),
    for targets ``Y`` of shape (B, n_out): Network's backprop with the mask in BP2."""
    B = Y.shape[0]
    n = B if n is None else n
    zs, acts = cache.zs, cache.activations
    f = net.activation
    with np.errstate(**_QUIET):
        delta = net.cost.delta(zs[-1], acts[-1], Y, net.output)
        grads_W, grads_b = [None] * net.depth, [None] * net.depth
        for l in range(net.depth - 1, -1, -1):
            grads_W[l] = delta.T @ acts[l] / B
            if lmbda:
                grads_W[l] += (lmbda / n) * net.weights[l]
            grads_b[l] = delta.sum(axis=0) / B
            if l > 0:
                z = zs[l - 1]
                delta = (delta @ net.weights[l]) * masks[l - 1] * f.prime(z, f.fn(z))
    return grads_W, grads_b
