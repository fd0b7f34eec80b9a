"""Activation functions and their derivatives.

Each activation is an :class:`Activation` with two plain functions:

* ``fn(z)``        the activation  a = f(z), applied elementwise;
* ``prime(z, a)``  its derivative f'(z), given both z and a = f(z), so that each
  activation can use whichever is cheaper (sigmoid: a(1 - a); ReLU: z > 0).

``ACTIVATIONS`` maps names to activations; :func:`get_activation` turns a name
(or an :class:`Activation`) into one, with a clear error for unknown names.

None of these functions warns or overflows for any finite input: the sigmoid is
computed as 0.5 (1 + tanh(z/2)), which is exact algebra and never calls exp on a
large argument, so sigma(1e6) = 1 and sigma(-1e6) = 0 silently.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

__all__ = [
    "Activation",
    "ACTIVATIONS",
    "get_activation",
    "sigmoid",
    "sigmoid_prime",
    "tanh",
    "tanh_prime",
    "relu",
    "relu_prime",
    "leaky_relu",
    "leaky_relu_prime",
    "softsign",
    "softsign_prime",
    "hardtanh",
    "hardtanh_prime",
    "identity",
    "identity_prime",
    "softmax",
    "SOFTMAX",
]

LEAKY_SLOPE = 0.01


def sigmoid(z):
    """sigma(z) = 1 / (1 + e^-z) = (1 + tanh(z/2)) / 2, overflow-free for any finite z."""
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z)))


def sigmoid_prime(z, a=None):
    """sigma'(z) = sigma(z) (1 - sigma(z)); at most 1/4, at z = 0."""
    a = sigmoid(z) if a is None else a
    return a * (1.0 - a)


def tanh(z):
    """tanh(z) = 2 sigma(2z) - 1, in (-1, 1)."""
    return np.tanh(z)


def tanh_prime(z, a=None):
    """tanh'(z) = 1 - tanh(z)^2; at most 1, at z = 0."""
    a = np.tanh(z) if a is None else a
    return 1.0 - a * a


def relu(z):
    """relu(z) = max(0, z)."""
    return np.maximum(z, 0.0)


def relu_prime(z, a=None):
    """relu'(z) = 1 for z > 0, else 0 (the kink at 0 gets 0 by convention)."""
    z = np.asarray(z)
    return (z > 0).astype(z.dtype if z.dtype.kind == "f" else np.float64)


def leaky_relu(z, slope=LEAKY_SLOPE):
    """leaky_relu(z) = z for z > 0, slope * z otherwise (slope 0.01 by default)."""
    z = np.asarray(z)
    return np.where(z > 0, z, slope * z)


def leaky_relu_prime(z, a=None, slope=LEAKY_SLOPE):
    """leaky_relu'(z) = 1 for z > 0, slope otherwise."""
    z = np.asarray(z)
    dtype = z.dtype if z.dtype.kind == "f" else np.float64
    return np.where(z > 0, 1.0, slope).astype(dtype)


def softsign(z):
    """softsign(z) = z / (1 + |z|): like tanh but with polynomial, not exponential, tails."""
    return z / (1.0 + np.abs(z))


def softsign_prime(z, a=None):
    """softsign'(z) = 1 / (1 + |z|)^2."""
    d = 1.0 + np.abs(z)
    return 1.0 / (d * d)


def hardtanh(z):
    """hardtanh(z) = clip(z, -1, 1)."""
    return np.clip(z, -1.0, 1.0)


def hardtanh_prime(z, a=None):
    """hardtanh'(z) = 1 for |z| < 1, else 0 (a saturated unit passes no gradient at all)."""
    z = np.asarray(z)
    dtype = z.dtype if z.dtype.kind == "f" else np.float64
    return (np.abs(z) < 1.0).astype(dtype)


def identity(z):
    """identity(z) = z (a linear layer)."""
    return np.asarray(z)


def identity_prime(z, a=None):
    """identity'(z) = 1."""
    return np.ones_like(z, dtype=np.asarray(z).dtype if np.asarray(z).dtype.kind == "f" else np.float64)


@dataclass(frozen=True)
class Activation:
    """An elementwise activation: ``fn(z)`` and its derivative ``prime(z, a)``.

    ``saturation_band`` is the pair (low, high) of the activation's asymptotes for
    saturating functions (sigmoid: (0, 1); tanh: (-1, 1)), else None: the
    diagnostics count a unit as saturated when its output is within a tolerance of
    either asymptote, where f'(z) is nearly zero and learning stalls.
    """

    name: str
    fn: Callable
    prime: Callable
    saturation_band: tuple | None = None

    def __call__(self, z):
        return self.fn(z)

    def __repr__(self):
        return f"Activation({self.name!r})"


def softmax(z):
    """softmax(z)_k = e^(z_k - max z) / sum_j e^(z_j - max z), along the last axis.

    Subtracting the row maximum changes nothing mathematically and keeps every
    exponent <= 0, so no overflow. Not elementwise: output layers only."""
    z = np.asarray(z)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _softmax_prime(z, a=None):
    raise ValueError(
        "softmax has no elementwise derivative; pair it with the 'log_likelihood' cost, "
        "whose output error is simply a - y"
    )


#: The softmax output layer (allowed as ``output=`` only, with the log-likelihood cost).
SOFTMAX = Activation("softmax", softmax, _softmax_prime)

ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": Activation("sigmoid", sigmoid, sigmoid_prime, (0.0, 1.0)),
    "tanh": Activation("tanh", tanh, tanh_prime, (-1.0, 1.0)),
    "relu": Activation("relu", relu, relu_prime),
    "leaky_relu": Activation("leaky_relu", leaky_relu, leaky_relu_prime),
    "softsign": Activation("softsign", softsign, softsign_prime, (-1.0, 1.0)),
    "hardtanh": Activation("hardtanh", hardtanh, hardtanh_prime, (-1.0, 1.0)),
    "identity": Activation("identity", identity, identity_prime),
}


def get_activation(spec, *, argument: str = "activation") -> Activation:
    """Return the :class:`Activation` named by ``spec`` (a name or an Activation).

    Raises ValueError naming ``argument`` and the accepted names for anything else.
    """
    if isinstance(spec, Activation):
        return spec
    if isinstance(spec, str) and spec in ACTIVATIONS:
        return ACTIVATIONS[spec]
    raise ValueError(
        f"{argument} must be one of {sorted(ACTIVATIONS)} (or an Activation), got {spec!r}"
    )
