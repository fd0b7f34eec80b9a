"""Named weight and bias initializers.

Conventions
-----------
A layer maps ``fan_in`` inputs to ``fan_out`` outputs, z = W a + b, so its weight
matrix has shape ``(fan_out, fan_in)`` and its bias shape ``(fan_out,)``.

Every initializer is an :class:`Initializer`, called as ::

    init(shape, rng, fan_in=None, dtype=np.float64) -> ndarray

with an explicit ``numpy.random.Generator`` (same seed, same bits). ``fan_in``
defaults to ``shape[1]`` for a weight matrix; a bias, whose shape is
``(fan_out,)``, is given the layer's ``fan_in`` explicitly (PyTorch's default
bias depends on it). ``init.variance(fan_in, fan_out)`` is the variance of
each drawn entry, the formula each docstring states; the tests compare it with
the sample variance of a large draw.

Why the variance matters: with inputs of second moment E[a^2], one unit's
pre-activation z = sum_j w_j a_j + b has

    Var[z] = fan_in * Var[w] * E[a^2] + Var[b],

so the weight variance sets how the signal's scale grows or shrinks from layer
to layer. LeCun/Xavier choose fan_in Var[w] = 1 (keep it); He chooses
fan_in Var[w] = 2 to make up for ReLU zeroing half the units.

``INITIALIZERS`` maps names to initializers; :func:`get_initializer` also
accepts a number, meaning a normal initializer with that standard deviation.
Each named scheme carries the bias initializer it is published with
(``default_bias``); a network may choose another one independently.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..checks import check_rng

__all__ = [
    "Initializer",
    "INITIALIZERS",
    "get_initializer",
    "zeros",
    "constant",
    "normal",
    "uniform",
    "orthogonal",
    "nielsen_large",
    "nielsen_default",
    "lecun_normal",
    "xavier_normal",
    "xavier_uniform",
    "he_normal",
    "he_uniform",
    "pytorch_default",
    "pytorch_default_bias",
]


def _fans(shape, fan_in):
    shape = tuple(int(s) for s in np.atleast_1d(shape))
    fan_out = shape[0]
    if fan_in is None:
        if len(shape) < 2:
            raise ValueError(
                f"fan_in must be given for a bias of shape {shape} (a weight matrix has shape (fan_out, fan_in))"
            )
        fan_in = shape[1]
    return shape, int(fan_in), int(fan_out)


def _check_scale(value, argument):
    try:
        ok = math.isfinite(float(value)) and float(value) >= 0
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ValueError(f"{argument} must be a finite number >= 0, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class Initializer:
    """A named way to draw a weight (or bias) array.

    Attributes:
      name:          the name shown in figures and legends.
      draw:          draw(shape, rng, fan_in, fan_out) -> float64 ndarray.
      variance_of:   variance_of(fan_in, fan_out) -> Var of each entry.
      default_bias:  name of the bias initializer the scheme is published with.
    """

    name: str
    draw: Callable
    variance_of: Callable
    default_bias: str = "zeros"

    def __call__(self, shape, rng, fan_in=None, dtype=np.float64):
        check_rng(rng)
        shape, fan_in, fan_out = _fans(shape, fan_in)
        if min(shape) < 1 or fan_in < 1:
            raise ValueError(f"shape must have every dimension >= 1, got {shape} with fan_in={fan_in}")
        return np.asarray(self.draw(shape, rng, fan_in, fan_out), dtype=dtype)

    def variance(self, fan_in, fan_out=1):
        """Variance of each entry for a layer with these fans."""
        return float(self.variance_of(fan_in, fan_out))

    def std(self, fan_in, fan_out=1):
        """Standard deviation of each entry, sqrt(variance)."""
        return math.sqrt(self.variance(fan_in, fan_out))

    def __repr__(self):
        return f"Initializer({self.name!r})"


def zeros() -> Initializer:
    """W = 0. Variance 0. Every unit of a layer computes the same thing and gets
    the same gradient: the symmetry is never broken."""
    return Initializer("zeros", lambda s, r, i, o: np.zeros(s), lambda i, o: 0.0)


def constant(value: float) -> Initializer:
    """W = value everywhere. Variance 0 (same symmetry problem as zeros)."""
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"value must be a finite number, got {value!r}")
    return Initializer(f"constant({value:g})", lambda s, r, i, o: np.full(s, value), lambda i, o: 0.0)


def normal(std: float) -> Initializer:
    """W ~ N(0, std^2). Variance std^2, whatever the fan-in."""
    std = _check_scale(std, "std")
    return Initializer(
        f"normal({std:g})", lambda s, r, i, o: r.normal(0.0, std, size=s), lambda i, o: std * std
    )


def uniform(limit: float) -> Initializer:
    """W ~ U(-limit, limit). Variance limit^2 / 3."""
    limit = _check_scale(limit, "limit")
    return Initializer(
        f"uniform({limit:g})", lambda s, r, i, o: r.uniform(-limit, limit, size=s), lambda i, o: limit * limit / 3
    )


def _normal_with(name, var, default_bias="zeros"):
    return Initializer(
        name,
        lambda s, r, i, o: r.normal(0.0, math.sqrt(var(i, o)), size=s),
        var,
        default_bias,
    )


def _uniform_with(name, var, default_bias="zeros"):
    # U(-L, L) has variance L^2/3, so L = sqrt(3 Var).
    return Initializer(
        name,
        lambda s, r, i, o: r.uniform(-math.sqrt(3 * var(i, o)), math.sqrt(3 * var(i, o)), size=s),
        var,
        default_bias,
    )


def nielsen_large() -> Initializer:
    """Nielsen's "old" (large) initialization: W ~ N(0, 1), biases N(0, 1).

    Variance 1, so Var[z] = fan_in E[a^2] + 1: with 1,000 inputs, half of them 1,
    z has std sqrt(501) = 22.4 and a sigmoid unit is saturated almost always."""
    return _normal_with("nielsen_large", lambda i, o: 1.0, default_bias="standard_normal")


def nielsen_default() -> Initializer:
    """Nielsen's "new" (default) initialization: W ~ N(0, 1/fan_in), biases N(0, 1).

    Variance 1/fan_in: the same 1,000-input neuron has std sqrt(500/1000 + 1) = 1.22."""
    return _normal_with("nielsen_default", lambda i, o: 1.0 / i, default_bias="standard_normal")


def lecun_normal() -> Initializer:
    """LeCun (1998): W ~ N(0, 1/fan_in). Variance 1/fan_in, so fan_in Var[W] = 1."""
    return _normal_with("lecun_normal", lambda i, o: 1.0 / i)


def xavier_normal() -> Initializer:
    """Glorot & Bengio (2010), normalized init, normal form: W ~ N(0, 2/(fan_in + fan_out)).

    Variance 2/(fan_in + fan_out): a compromise between keeping the forward signal
    (fan_in Var = 1) and the backward gradient (fan_out Var = 1)."""
    return _normal_with("xavier_normal", lambda i, o: 2.0 / (i + o))


def xavier_uniform() -> Initializer:
    """Glorot & Bengio (2010), normalized init: W ~ U(+-sqrt(6/(fan_in + fan_out))).

    Variance 2/(fan_in + fan_out), the same as :func:`xavier_normal`."""
    return _uniform_with("xavier_uniform", lambda i, o: 2.0 / (i + o))


def he_normal(mode: str = "fan_in") -> Initializer:
    """He et al. (2015), for ReLU: W ~ N(0, 2/fan), fan = fan_in (default) or fan_out.

    Variance 2/fan: ReLU zeroes half of its inputs, E[relu(z)^2] = Var[z]/2, and the
    factor 2 makes up for it so the signal keeps its scale through depth."""
    fan = _fan_picker(mode)
    suffix = "" if mode == "fan_in" else "_fan_out"
    return _normal_with("he_normal" + suffix, lambda i, o: 2.0 / fan(i, o))


def he_uniform(mode: str = "fan_in") -> Initializer:
    """He et al. (2015), uniform form: W ~ U(+-sqrt(6/fan)). Variance 2/fan."""
    fan = _fan_picker(mode)
    suffix = "" if mode == "fan_in" else "_fan_out"
    return _uniform_with("he_uniform" + suffix, lambda i, o: 2.0 / fan(i, o))


def _fan_picker(mode):
    if mode == "fan_in":
        return lambda i, o: i
    if mode == "fan_out":
        return lambda i, o: o
    raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")


def orthogonal(gain: float = 1.0) -> Initializer:
    """Saxe et al. (2014): W = gain * Q with Q a random orthogonal matrix.

    Q comes from the QR decomposition of a standard normal matrix, with the signs
    of R's diagonal folded in so that Q is uniformly (Haar) distributed. The rows
    (or columns, whichever are fewer) are orthonormal, so every singular value of
    W is ``gain``. Variance of each entry: gain^2 / max(fan_in, fan_out)."""
    gain = _check_scale(gain, "gain")

    def draw(shape, rng, fan_in, fan_out):
        rows, cols = shape[0], int(np.prod(shape[1:])) if len(shape) > 1 else 1
        a = rng.standard_normal((max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q *= np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        return gain * q.reshape(shape)

    return Initializer("orthogonal" if gain == 1.0 else f"orthogonal({gain:g})", draw,
                       lambda i, o: gain * gain / max(i, o))


def pytorch_default() -> Initializer:
    """PyTorch's ``nn.Linear`` default: W ~ U(+-1/sqrt(fan_in)), bias U(+-1/sqrt(fan_in)).

    (kaiming_uniform with a = sqrt(5): bound sqrt(6 / ((1 + 5) fan_in)) = 1/sqrt(fan_in).)
    Variance 1/(3 fan_in): a third of LeCun's, the "standard" init of Glorot & Bengio,
    whose signal shrinks with depth (fan_in Var[W] = 1/3)."""
    return _uniform_with("pytorch_default", lambda i, o: 1.0 / (3.0 * i), default_bias="pytorch_default_bias")


def pytorch_default_bias() -> Initializer:
    """PyTorch's ``nn.Linear`` bias: b ~ U(+-1/sqrt(fan_in)). Variance 1/(3 fan_in)."""
    return _uniform_with("pytorch_default_bias", lambda i, o: 1.0 / (3.0 * i))


def standard_normal() -> Initializer:
    """N(0, 1). Variance 1 (Nielsen's biases, old and new schemes alike)."""
    return Initializer("standard_normal", lambda s, r, i, o: r.standard_normal(s), lambda i, o: 1.0)


INITIALIZERS: dict[str, Initializer] = {
    init.name: init
    for init in [
        zeros(),
        standard_normal(),
        nielsen_large(),
        nielsen_default(),
        lecun_normal(),
        xavier_normal(),
        xavier_uniform(),
        he_normal(),
        he_uniform(),
        he_normal("fan_out"),
        he_uniform("fan_out"),
        orthogonal(),
        pytorch_default(),
        pytorch_default_bias(),
    ]
}

#: Other names people use for the same schemes.
ALIASES = {
    "old": "nielsen_large",
    "large": "nielsen_large",
    "new": "nielsen_default",
    "default": "nielsen_default",
    "glorot_normal": "xavier_normal",
    "glorot_uniform": "xavier_uniform",
    "kaiming_normal": "he_normal",
    "kaiming_uniform": "he_uniform",
    "lecun": "lecun_normal",
    "xavier": "xavier_normal",
    "glorot": "xavier_normal",
    "he": "he_normal",
    "kaiming": "he_normal",
    "pytorch": "pytorch_default",
}


def get_initializer(spec, *, argument: str = "init") -> Initializer:
    """Return the initializer meant by ``spec``.

    Accepts an :class:`Initializer`, a name from ``INITIALIZERS`` (or ``ALIASES``),
    or a number ``std`` meaning ``normal(std)``. Anything else, a negative or NaN
    std, or an unknown name, raises ValueError naming ``argument`` and what is
    accepted.
    """
    if isinstance(spec, Initializer):
        return spec
    if isinstance(spec, str):
        name = ALIASES.get(spec, spec)
        if name in INITIALIZERS:
            return INITIALIZERS[name]
        raise ValueError(
            f"{argument} must be a number (a std >= 0), an Initializer, or one of "
            f"{sorted(INITIALIZERS)} (aliases: {sorted(ALIASES)}); got {spec!r}"
        )
    if isinstance(spec, (int, float, np.integer, np.floating)) and not isinstance(spec, bool):
        return normal(_check_scale(spec, f"{argument} (a std)"))
    raise ValueError(
        f"{argument} must be a number (a std >= 0), an Initializer, or an initializer name; got {spec!r}"
    )
