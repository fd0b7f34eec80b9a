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

from ..checks import check_float_dtype, check_int, check_real, check_rng, check_shape

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
    "calculate_gain",
    "truncated_normal_std",
    "KERAS_TRUNCATION_STD",
    "truncated_normal",
    "variance_scaling",
    "kaiming_normal",
    "kaiming_uniform",
    "lecun_uniform",
    "lecun_truncated_normal",
    "glorot_truncated_normal",
    "he_truncated_normal",
]


def _fans(shape, fan_in):
    shape = check_shape(shape)
    fan_out = shape[0]
    if fan_in is None:
        if len(shape) < 2:
            raise ValueError(
                f"fan_in must be given for a bias of shape {shape} (a weight matrix has shape (fan_out, fan_in))"
            )
        fan_in = shape[1]
    return shape, check_int(fan_in, "fan_in", 1), int(fan_out)


def _check_scale(value, argument):
    """A std, limit or gain: a finite number >= 0 (a string such as '1' is refused)."""
    return check_real(value, argument, ">= 0", lambda v: v >= 0)


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
        dtype = check_float_dtype(dtype)
        shape, fan_in, fan_out = _fans(shape, fan_in)
        try:
            drawn = np.asarray(self.draw(shape, rng, fan_in, fan_out), dtype=np.float64)
        except OverflowError:  # numpy's uniform(-L, L) when 2L overflows
            raise ValueError(f"{self.name}: its scale (std, limit or gain) must be small enough to draw "
                             f"from in float64 (2 x limit <= {np.finfo(np.float64).max:.3g})") from None
        largest = float(np.max(np.abs(drawn))) if np.isfinite(drawn).all() else math.inf
        if largest > float(np.finfo(dtype).max):
            raise ValueError(
                f"{self.name}: its scale (std, limit or gain) must keep every draw within the range of "
                f"{dtype.name} ({np.finfo(dtype).max:.3g}), but draws reach {largest:.3g}"
            )
        return drawn.astype(dtype, copy=False)

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
    value = check_real(value, "value", "(any sign)", lambda v: True)
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


# ----------------------------------------------------------------------------
# Gains, truncated normals, and the schemes under the names other libraries use
# ----------------------------------------------------------------------------

#: PyTorch's ``torch.nn.init.calculate_gain`` table, activation name -> gain.
_GAINS = {
    "linear": 1.0,
    "identity": 1.0,
    "sigmoid": 1.0,
    "tanh": 5.0 / 3.0,
    "relu": math.sqrt(2.0),
    "selu": 3.0 / 4.0,
}


def calculate_gain(activation: str, param=None) -> float:
    """The gain g PyTorch recommends for ``activation``: weights std = g / sqrt(fan).

    The table of ``torch.nn.init.calculate_gain``:

    ============  =============================  ======================================
    activation    gain g                         where it comes from
    ============  =============================  ======================================
    linear        1                              LeCun: fan_in Var[W] = 1 keeps Var[z]
    sigmoid       1                              (no derivation: sigma is not zero-centred)
    tanh          5/3                            empirical; close to 1/sqrt(E[tanh(u)^2])
                                                 = 1.593 for u ~ N(0, 1), which keeps
                                                 Var[z] = 1 (notebook 09)
    relu          sqrt(2)                        He: E[relu(z)^2] = Var[z] / 2
    leaky_relu    sqrt(2 / (1 + a^2))            E[f(z)^2] = (1 + a^2) Var[z] / 2 for
                                                 slope a on z < 0 (a = 0.01 by default)
    selu          3/4                            chosen for self-normalizing nets (SELU
                                                 itself wants g = 1, LeCun)
    ============  =============================  ======================================

    ``param`` is the negative slope a of ``leaky_relu`` (default 0.01) and is ignored
    otherwise, as in PyTorch. With a = sqrt(5) the leaky-ReLU gain is sqrt(1/3), which
    is how ``nn.Linear``'s default U(+-1/sqrt(fan_in)) arises (:func:`pytorch_default`).
    Raises ValueError for an unknown activation or a slope that is not a finite number.
    """
    if activation == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, (bool, np.bool_)) or not isinstance(slope, (int, float, np.integer, np.floating)) \
                or not math.isfinite(slope):
            raise ValueError(f"param (the negative slope of leaky_relu) must be a finite number, got {param!r}")
        return math.sqrt(2.0 / (1.0 + float(slope) ** 2))
    if activation in _GAINS:
        return _GAINS[activation]
    raise ValueError(
        f"activation must be one of {sorted(set(_GAINS) | {'leaky_relu'})}, got {activation!r}"
    )


def truncated_normal_std(bound: float = 2.0) -> float:
    """The std of a standard normal truncated to [-bound, bound]:

        sqrt(1 - 2 bound phi(bound) / (2 Phi(bound) - 1)),

    with phi the standard normal density and Phi its distribution function
    (2 Phi(b) - 1 = erf(b / sqrt 2)). Cutting off the tails removes variance; to
    draw entries of variance s^2, draw from N(0, sigma^2) truncated at +-bound sigma
    with sigma = s / truncated_normal_std(bound). At bound 2 (Keras, TensorFlow) it is
    0.87962566103423978 (:data:`KERAS_TRUNCATION_STD`)."""
    b = _check_scale(bound, "bound")
    if b == 0:
        raise ValueError("bound must be a finite number > 0, got 0")
    phi = math.exp(-0.5 * b * b) / math.sqrt(2.0 * math.pi)
    return math.sqrt(1.0 - 2.0 * b * phi / math.erf(b / math.sqrt(2.0)))


#: The constant Keras divides by: truncated_normal_std(2) (the std of N(0, 1) cut at +-2).
KERAS_TRUNCATION_STD = 0.87962566103423978


def _draw_truncated(shape, rng, sigma, bound):
    """Normal(0, sigma^2) draws conditioned on |w| <= bound sigma, by rejection:
    redraw the entries outside until none is left (at bound 2, 95.4% are kept per round)."""
    w = rng.normal(0.0, sigma, size=shape)
    limit = bound * sigma
    outside = np.abs(w) > limit
    while outside.any():
        w[outside] = rng.normal(0.0, sigma, size=int(outside.sum()))
        outside = np.abs(w) > limit
    return w


def truncated_normal(std: float, bound: float = 2.0) -> Initializer:
    """Entries of variance std^2 drawn from a normal truncated at +-bound sigma.

    sigma = std / truncated_normal_std(bound), so that the *truncated* draw has std
    ``std``; no entry exceeds bound * sigma (2.27 std at bound 2). Variance std^2."""
    std = _check_scale(std, "std")
    sigma = std / truncated_normal_std(bound)
    return Initializer(
        f"truncated_normal({std:g})",
        lambda s, r, i, o: _draw_truncated(s, r, sigma, bound),
        lambda i, o: std * std,
    )


_KERAS_FANS = {"fan_in": lambda i, o: i, "fan_out": lambda i, o: o, "fan_avg": lambda i, o: (i + o) / 2.0}


def variance_scaling(scale: float = 1.0, mode: str = "fan_in", distribution: str = "truncated_normal",
                     name: str | None = None) -> Initializer:
    """Keras's ``VarianceScaling``: Var[W] = scale / fan, fan = fan_in, fan_out or
    fan_avg = (fan_in + fan_out) / 2.

    distribution:
      'truncated_normal':   N(0, sigma^2) cut at +-2 sigma, sigma = sqrt(scale / fan)
                            / 0.87962566103423978 (so the variance is scale / fan);
      'untruncated_normal': N(0, scale / fan);
      'uniform':            U(+-sqrt(3 scale / fan)).
    Keras's named initializers are special cases: lecun_normal (1, fan_in, truncated),
    glorot_normal (1, fan_avg, truncated) = Var 2/(fan_in + fan_out), he_normal (2,
    fan_in, truncated), lecun_uniform, glorot_uniform, he_uniform (the same with
    'uniform'). Variance scale / fan."""
    scale = _check_scale(scale, "scale")
    if mode not in _KERAS_FANS:
        raise ValueError(f"mode must be one of {sorted(_KERAS_FANS)}, got {mode!r}")
    fan = _KERAS_FANS[mode]
    var = lambda i, o: scale / fan(i, o)
    label = name or f"variance_scaling({scale:g}, {mode}, {distribution})"
    if distribution == "truncated_normal":
        return Initializer(
            label,
            lambda s, r, i, o: _draw_truncated(s, r, math.sqrt(var(i, o)) / KERAS_TRUNCATION_STD, 2.0),
            var,
        )
    if distribution == "untruncated_normal":
        return _normal_with(label, var)
    if distribution == "uniform":
        return _uniform_with(label, var)
    raise ValueError(
        f"distribution must be 'truncated_normal', 'untruncated_normal' or 'uniform', got {distribution!r}"
    )


def _kaiming_variance(a, mode, nonlinearity):
    gain = calculate_gain(nonlinearity, a)
    fan = _fan_picker(mode)
    return lambda i, o: gain * gain / fan(i, o)


def kaiming_normal(a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu") -> Initializer:
    """PyTorch's ``kaiming_normal_``: W ~ N(0, g^2 / fan), g = calculate_gain(nonlinearity, a).

    With the defaults (a = 0, leaky_relu) g = sqrt 2: He's N(0, 2/fan_in). For a leaky
    ReLU of slope a, g^2 = 2 / (1 + a^2): E[f(z)^2] = (1 + a^2) Var[z] / 2, so
    fan_in Var[W] E[f(z)^2] = Var[z] and the signal keeps its scale. Variance g^2/fan."""
    var = _kaiming_variance(a, mode, nonlinearity)
    return _normal_with(f"kaiming_normal(a={a:g}, {mode}, {nonlinearity})", var)


def kaiming_uniform(a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu") -> Initializer:
    """PyTorch's ``kaiming_uniform_``: W ~ U(+-g sqrt(3 / fan)), g = calculate_gain(nonlinearity, a).

    Variance g^2 / fan. With a = sqrt 5 (what ``nn.Linear`` passes), g^2 = 2/6 and the
    bound is 1/sqrt(fan_in): :func:`pytorch_default`."""
    var = _kaiming_variance(a, mode, nonlinearity)
    return _uniform_with(f"kaiming_uniform(a={a:g}, {mode}, {nonlinearity})", var)


def lecun_uniform() -> Initializer:
    """LeCun's variance in a uniform draw (Keras ``lecun_uniform``): W ~ U(+-sqrt(3/fan_in)).

    Variance 1/fan_in, the same as :func:`lecun_normal`: the same second moment, lighter
    tails (no entry beyond sqrt(3) std; kurtosis 9/5 instead of the normal's 3)."""
    return _uniform_with("lecun_uniform", lambda i, o: 1.0 / i)


def lecun_truncated_normal() -> Initializer:
    """Keras's ``lecun_normal``: N(0, sigma^2) cut at +-2 sigma, sigma = sqrt(1/fan_in) / 0.8796...

    Variance 1/fan_in (the division makes up for the tails cut off)."""
    return variance_scaling(1.0, "fan_in", "truncated_normal", name="lecun_truncated_normal")


def glorot_truncated_normal() -> Initializer:
    """Keras's ``glorot_normal``: truncated normal of variance 2/(fan_in + fan_out)
    (sigma = sqrt(2/(fan_in + fan_out)) / 0.8796..., cut at +-2 sigma)."""
    return variance_scaling(1.0, "fan_avg", "truncated_normal", name="glorot_truncated_normal")


def he_truncated_normal() -> Initializer:
    """Keras's ``he_normal``: truncated normal of variance 2/fan_in
    (sigma = sqrt(2/fan_in) / 0.87962566103423978, cut at +-2 sigma)."""
    return variance_scaling(2.0, "fan_in", "truncated_normal", name="he_truncated_normal")


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
        lecun_uniform(),
        lecun_truncated_normal(),
        glorot_truncated_normal(),
        he_truncated_normal(),
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
