"""Optimizers: what a training step does with the gradient once backprop has it.

Every optimizer here turns the gradient g = dC/dtheta of one minibatch (for the
weights it includes the L2 term, see below) into a step on each parameter array
theta, elementwise. eta is the learning rate, t = 1, 2, ... counts the steps:

    sgd        theta <- theta - eta g
    momentum   v <- mu v - eta g;              theta <- theta + v            (heavy ball)
    nesterov   v <- mu v - eta g;              theta <- theta + mu v - eta g
    rmsprop    s <- rho s + (1 - rho) g^2;     theta <- theta - eta g / (sqrt(s) + eps)
    adam       m <- beta1 m + (1 - beta1) g;   v <- beta2 v + (1 - beta2) g^2
               m_hat = m / (1 - beta1^t),      v_hat = v / (1 - beta2^t)
               theta <- theta - eta m_hat / (sqrt(v_hat) + eps)

The state (v, s, m) starts at 0. The point of RMSProp and Adam for this course:
the step of each parameter is divided by a running root-mean-square of its own
gradient, so multiplying every gradient by a constant c leaves the step (almost:
up to eps) unchanged. A network whose gradients are 10^4 times too small because
its weights are too small takes full-sized steps anyway. What they cannot do is
invent a gradient: where g is exactly 0 (a dead ReLU, a unit that only copies its
neighbours) the state stays 0 and the step is 0.

L2 weight decay (Nielsen's lambda) keeps its meaning for every optimizer: it is
part of the cost, C = C_0 + (lambda / 2n) sum ||W||^2, so it enters as a term of
the gradient of the weights, g = dC_0/dW + (lambda / n) W, before the optimizer
sees g ("L2 in the gradient"). For plain SGD that is exactly Nielsen's
W <- (1 - eta lambda / n) W - eta dC_0/dW. For RMSProp and Adam the decay term is
then divided by sqrt(v_hat) like the rest of g: this is Adam with L2, **not**
AdamW (Loshchilov & Hutter 2019), which would subtract eta lambda' W outside the
normalization. Biases are not decayed.

Sources: Sutskever, Martens, Dahl & Hinton 2013, "On the importance of
initialization and momentum in deep learning" (momentum, and the form of Nesterov's
method used here); Hinton, Coursera "Neural Networks for Machine Learning",
lecture 6e (RMSProp); Kingma & Ba 2015, "Adam", arXiv:1412.6980 (Algorithm 1,
whose defaults beta1 = 0.9, beta2 = 0.999, eps = 1e-8 are these).

:func:`course_lib.nn.train.sgd` takes ``optimizer="sgd" | "momentum" | "nesterov" |
"rmsprop" | "adam"`` or one of the objects below (to change a hyperparameter, e.g.
``Adam(beta1=0.5)``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..checks import check_real

__all__ = ["Optimizer", "SGD", "Momentum", "RMSProp", "Adam", "OPTIMIZERS", "get_optimizer"]


def _unit_interval(value, argument):
    return check_real(value, argument, "in [0, 1)", lambda v: 0 <= v < 1)


def _positive(value, argument):
    return check_real(value, argument, "> 0", lambda v: v > 0)


class Optimizer:
    """An update rule. ``start(params)`` makes the state of one training run (zeros
    shaped like the parameters); ``step(params, grads, state, eta)`` moves every
    array of ``params`` in place by the rule, given the gradients ``grads`` (same
    shapes, same order)."""

    name = "optimizer"

    def start(self, params):
        return {"t": 0}

    def step(self, params, grads, state, eta):  # pragma: no cover - abstract
        raise NotImplementedError


@dataclass(frozen=True)
class SGD(Optimizer):
    """theta <- theta - eta g: plain gradient descent (no state)."""

    name = "sgd"

    def step(self, params, grads, state, eta):
        state["t"] += 1
        for p, g in zip(params, grads):
            p -= eta * g


@dataclass(frozen=True)
class Momentum(Optimizer):
    """Heavy-ball momentum (Polyak 1964), or Nesterov's accelerated gradient.

        v <- mu v - eta g
        heavy ball:  theta <- theta + v
        Nesterov:    theta <- theta + mu v - eta g

    v is a velocity: a running sum of past steps, each weighted by mu per step of
    age, so along a direction where g keeps its sign the step grows to eta g / (1 - mu)
    (10x for mu = 0.9). The Nesterov form is Sutskever et al. (2013)'s: the
    gradient at the "looked-ahead" point theta + mu v, rewritten in terms of the
    parameters one actually stores (the same as CS231n's ``x += -mu v_prev +
    (1 + mu) v``). ``mu`` lies in [0, 1); mu = 0 is plain SGD.
    """

    mu: float = 0.9
    nesterov: bool = False

    def __post_init__(self):
        _unit_interval(self.mu, "mu")
        if not isinstance(self.nesterov, (bool, np.bool_)):
            raise ValueError(f"nesterov must be True or False, got {self.nesterov!r}")

    @property
    def name(self):
        return "nesterov" if self.nesterov else "momentum"

    def start(self, params):
        return {"t": 0, "v": [np.zeros_like(p) for p in params]}

    def step(self, params, grads, state, eta):
        state["t"] += 1
        for p, g, v in zip(params, grads, state["v"]):
            v *= self.mu
            v -= eta * g
            if self.nesterov:
                p += self.mu * v - eta * g
            else:
                p += v


@dataclass(frozen=True)
class RMSProp(Optimizer):
    """RMSProp (Hinton, lecture 6e): divide the step by a running RMS of the gradient.

        s <- rho s + (1 - rho) g^2
        theta <- theta - eta g / (sqrt(s) + eps)

    s is an exponential moving average of g^2 over about 1 / (1 - rho) steps, per
    parameter. A parameter whose gradients are all of size |g| ~ c steps by about
    eta whatever c is. No bias correction: while s is still near its starting 0
    the first steps are larger, eta / sqrt(1 - rho) (3.2 eta for rho = 0.9) at t = 1.
    ``rho`` in [0, 1), ``eps`` > 0 (it only matters where |g| is below ~eps).
    """

    rho: float = 0.9
    eps: float = 1e-8
    name = "rmsprop"

    def __post_init__(self):
        _unit_interval(self.rho, "rho")
        _positive(self.eps, "eps")

    def start(self, params):
        return {"t": 0, "s": [np.zeros_like(p) for p in params]}

    def step(self, params, grads, state, eta):
        state["t"] += 1
        for p, g, s in zip(params, grads, state["s"]):
            s *= self.rho
            s += (1.0 - self.rho) * (g * g)
            p -= eta * g / (np.sqrt(s) + self.eps)


@dataclass(frozen=True)
class Adam(Optimizer):
    """Adam (Kingma & Ba 2015, Algorithm 1): momentum on g, RMSProp's scale, bias-corrected.

        m <- beta1 m + (1 - beta1) g            (first moment, a running mean of g)
        v <- beta2 v + (1 - beta2) g^2          (second moment, a running mean of g^2)
        m_hat = m / (1 - beta1^t),  v_hat = v / (1 - beta2^t)
        theta <- theta - eta m_hat / (sqrt(v_hat) + eps)

    m and v start at 0, so for small t they underestimate the means by the factors
    (1 - beta^t); dividing by them removes that bias. At t = 1 this gives
    m_hat = g, v_hat = g^2: the first step is eta g / (|g| + eps), i.e. eta in every
    coordinate with a gradient far above eps, whatever the gradient's scale. Later
    steps have size about eta |mean g| / rms(g) <= eta: the "trust region" of
    the paper. ``beta1``, ``beta2`` in [0, 1), ``eps`` > 0.
    """

    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    name = "adam"

    def __post_init__(self):
        _unit_interval(self.beta1, "beta1")
        _unit_interval(self.beta2, "beta2")
        _positive(self.eps, "eps")

    def start(self, params):
        return {"t": 0, "m": [np.zeros_like(p) for p in params], "v": [np.zeros_like(p) for p in params]}

    def step(self, params, grads, state, eta):
        state["t"] += 1
        t = state["t"]
        correction1 = 1.0 - self.beta1 ** t
        correction2 = 1.0 - self.beta2 ** t
        for p, g, m, v in zip(params, grads, state["m"], state["v"]):
            m *= self.beta1
            m += (1.0 - self.beta1) * g
            v *= self.beta2
            v += (1.0 - self.beta2) * (g * g)
            p -= eta * (m / correction1) / (np.sqrt(v / correction2) + self.eps)


#: The optimizers by name, with their default hyperparameters.
OPTIMIZERS = {
    "sgd": SGD(),
    "momentum": Momentum(),
    "nesterov": Momentum(nesterov=True),
    "rmsprop": RMSProp(),
    "adam": Adam(),
}


def get_optimizer(spec, *, argument="optimizer"):
    """An :class:`Optimizer` from a name in :data:`OPTIMIZERS` or an Optimizer itself."""
    if isinstance(spec, Optimizer):
        return spec
    if isinstance(spec, str) and spec in OPTIMIZERS:
        return OPTIMIZERS[spec]
    raise ValueError(
        f"{argument} must be one of {sorted(OPTIMIZERS)} or an Optimizer (e.g. Adam(beta1=0.5)), got {spec!r}"
    )
