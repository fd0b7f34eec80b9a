"""Notebook 09: the scale depends on more than fan-in, and what the names mean.

The fan-in rule Var[W] = g^2 / n_in rests on two assumptions that the earlier
notebooks keep fixed: a *gain* g chosen for the activation, and inputs of unit
second moment. Each experiment here varies one of them and measures what happens;
the second half measures the claims that circulate under the schemes' names.

Gains (one unit of layer l + 1, weights N(0, g^2 / n), wide layers)
--------------------------------------------------------------------
    Var[z_(l+1)] = g^2 E[f(z_l)^2]                                            (1)

* linear: E[z^2] = Var[z], so g = 1 keeps the scale (LeCun 1998);
* ReLU: E[relu(z)^2] = Var[z] / 2, so g = sqrt 2 (He et al. 2015); leaky ReLU of
  slope a on z < 0: E[f(z)^2] = (1 + a^2) Var[z] / 2, so g = sqrt(2 / (1 + a^2));
* tanh: no closed form. g = 1 (LeCun, Xavier for square layers) lets Var[z] shrink
  slowly to 0; the gain that keeps Var[z] = 1 solves g^2 E[tanh(u)^2] = 1, u ~ N(0, 1):
  g = 1.593 (:func:`variance_preserving_gain`); PyTorch's ``calculate_gain`` says 5/3.
  Above g = 1 the backward factor chi_1 = g^2 E[tanh'(z)^2] exceeds 1 (notebook 07, course_lib.diagnostics.mean_field):
  keeping the forward variance costs gradients that grow with depth.

Inputs: the same rule at layer 1 reads Var[z_1] = n_in Var[W] E[x^2], so the std
that gives Var[z_1] = 1 is 1 / sqrt(n_in E[x^2]) = 1 / sqrt(E[||x||^2]).

Every function takes an explicit ``rng`` and returns data (arrays, dataclasses);
the figures are in ``course_lib/viz/beyond_fan_in.py``.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from ..blas import single_blas_thread
from ..diagnostics import SATURATION_TOL, gradient_norms, layer_statistics
from ..diagnostics.mean_field import chi1, gaussian_expectation, length_map_fixed_point
from ..nn import INITIALIZERS, Activation, Network, get_activation, get_initializer, sgd
from ..nn.initializers import calculate_gain, variance_scaling
from ..nn.initializers import constant as constant_init
from .histograms import predict_layer_stats
from .saturation import Z_SATURATED
from .trainability_map import signal_propagation_map

__all__ = [
    "variance_preserving_gain",
    "gain_theory",
    "gain_initializer",
    "pytorch_gain",
    "leaky_relu_activation",
    "depth_profile",
    "predicted_depth_profile",
    "gradient_growth",
    "leaky_relu_growth",
    "draw_statistics",
    "z_kurtosis",
    "train_accuracies",
    "preprocess",
    "PREPROCESSINGS",
    "second_moment_per_input",
    "first_layer_z_std",
    "single_signed_fraction",
    "gradient_sign_experiment",
    "NAMED_SCHEMES",
    "named_scheme_stds",
    "kaiming_mistake_profile",
    "zero_init_symmetry",
    "small_weight_sigmoid",
    "SoftsignCheck",
    "softsign_derivatives",
    "dropout_means",
    "saturation_thresholds",
    "saturation_two_ways",
]

_QUIET = dict(over="ignore", invalid="ignore", under="ignore", divide="ignore")


def _one_blas_thread(function):
    """Run ``function`` with BLAS limited to one thread (course_lib.blas): at these
    matrix sizes a second thread only spins on a busy machine."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with single_blas_thread():
            return function(*args, **kwargs)

    return wrapper


# ============================================================================ gains
def variance_preserving_gain(activation, q=1.0):
    """The gain g with g^2 E[f(z)^2] = q for z ~ N(0, q): Var[z] = q is then a fixed
    point of (1), i.e. ``length_map_fixed_point(activation, g) == q``.

    tanh at q = 1: g = 1 / sqrt(E[tanh(u)^2]) = 1 / sqrt(0.3943) = 1.593; ReLU: sqrt 2
    at any q. The expectation is course_lib.diagnostics.mean_field's Gaussian quadrature."""
    act = get_activation(activation)
    q = float(q)
    if not (math.isfinite(q) and q > 0):
        raise ValueError(f"q (the variance to keep) must be a finite number > 0, got {q!r}")
    with np.errstate(**_QUIET):
        second = gaussian_expectation(lambda z: act.fn(z) ** 2, q)
    return math.sqrt(q / second)


@dataclass(frozen=True)
class GainTheory:
    """Mean-field facts about one gain: the fixed point q* of (1) (0: the signal
    dies out), and chi_1 = g^2 E[f'(z)^2] at q*, the per-layer factor of squared
    gradient norms (> 1: they grow towards the input)."""

    gain: float
    q_star: float
    chi1: float


def gain_theory(activation, gains):
    """:class:`GainTheory` for each gain (course_lib.diagnostics.mean_field's length map and chi_1)."""
    return [GainTheory(float(g), length_map_fixed_point(activation, g), chi1(activation, g)) for g in gains]


def pytorch_gain(activation, param=None):
    """PyTorch's ``calculate_gain`` (course_lib.nn.initializers.calculate_gain)."""
    return calculate_gain(activation, param)


def gain_initializer(gain, distribution="normal"):
    """Weights of variance gain^2 / fan_in, drawn 'normal', 'uniform' or 'truncated_normal'
    (Keras's cut at 2 sigma): course_lib.nn.initializers.variance_scaling(gain^2, 'fan_in', ...)."""
    dist = {"normal": "untruncated_normal", "uniform": "uniform", "truncated_normal": "truncated_normal"}
    if distribution not in dist:
        raise ValueError(f"distribution must be one of {sorted(dist)}, got {distribution!r}")
    return variance_scaling(float(gain) ** 2, "fan_in", dist[distribution],
                            name=f"gain {float(gain):.3g}, {distribution}")


def leaky_relu_activation(slope):
    """A leaky ReLU of negative slope ``slope``: f(z) = z (z > 0), slope * z (z <= 0)."""
    a = float(slope)
    if not (math.isfinite(a) and a >= 0):
        raise ValueError(f"slope must be a finite number >= 0, got {slope!r}")
    return Activation(f"leaky_relu({a:g})", lambda z: np.where(z > 0, z, a * z),
                      lambda z, out=None: np.where(z > 0, 1.0, a))


def _hidden_zs(X, depth, width, activation, init, rng):
    """z_1 .. z_depth of ``depth`` hidden layers of ``width`` units (zero biases)."""
    net = Network([X.shape[1]] + [width] * depth + [1], activation=activation, output="identity",
                  cost="quadratic", init=init, bias_init="zeros", rng=rng)
    _, cache = net.forward(X)
    return cache.zs[:-1], cache.activations[1:-1]


@_one_blas_thread
def depth_profile(X, depth, width, activation, init, *, rng, n_seeds=1):
    """Measured std of z_l and a_l, l = 1..depth, for ``n_seeds`` independent draws of
    the weights (one generator spawned from ``rng`` per draw).

    Returns a dict of arrays of shape (n_seeds, depth): ``z_std``, ``a_std``, and
    ``a_mean``."""
    out = {k: np.empty((n_seeds, depth)) for k in ("z_std", "a_std", "a_mean")}
    with np.errstate(**_QUIET):
        for s, child in enumerate(rng.spawn(n_seeds)):
            zs, acts = _hidden_zs(X, depth, width, activation, init, child)
            out["z_std"][s] = [z.std() for z in zs]
            out["a_std"][s] = [a.std() for a in acts]
            out["a_mean"][s] = [a.mean() for a in acts]
    return out


def predicted_depth_profile(depth, width, activation, weight_std, n_in, input_second_moment=1.0):
    """Variance propagation (1) for the same stack: course_lib.lessons.histograms.predict_layer_stats."""
    return predict_layer_stats(depth, width, activation, weight_std, n_in=n_in,
                               input_second_moment=input_second_moment)


@_one_blas_thread
def gradient_growth(X, y, activation, gains, depths, width, *, rng, n_seeds=4):
    """How much the backward error grows between the last and the first hidden layer,
    log10 ||delta_1|| / ||delta_L||, measured at initialization (no training) for each
    gain and depth, over ``n_seeds`` draws, with the mean-field prediction
    (depth - 1) / 2 log10 chi_1: course_lib.lessons.trainability_map.signal_propagation_map.

    Returns (measured (n_seeds, len(depths), len(gains)), predicted (len(depths), len(gains)))."""
    runs = [signal_propagation_map(X, y, activations=(activation,), depths=depths, gains=gains, width=width,
                                   rng=child) for child in rng.spawn(n_seeds)]
    measured = np.stack([r.log10_gradient_ratio[0] for r in runs])
    return measured, runs[0].predicted_log10_gradient_ratio()[0]


@_one_blas_thread
def leaky_relu_growth(X, slopes, depth, width, *, rng, n_seeds=6):
    """std(z_depth) / std(z_1) for leaky ReLUs of each slope, with He's gain sqrt 2 and
    with the slope's own gain sqrt(2 / (1 + a^2)), over ``n_seeds`` draws.

    Prediction from (1): He's gain multiplies Var[z] by (1 + a^2) per layer, so the
    ratio is (1 + a^2)^((depth - 1) / 2); the slope's gain keeps it at 1.
    Returns a dict: ``he`` and ``matched`` (n_seeds, len(slopes)) ratios, ``predicted_he``."""
    slopes = [float(a) for a in slopes]
    he = np.empty((n_seeds, len(slopes)))
    matched = np.empty_like(he)
    for s, child in enumerate(rng.spawn(n_seeds)):
        for k, (a, pair) in enumerate(zip(slopes, child.spawn(len(slopes)))):
            act = leaky_relu_activation(a)
            for target, gain, r in ((he, math.sqrt(2.0), pair.spawn(1)[0]),
                                    (matched, pytorch_gain("leaky_relu", a), pair.spawn(1)[0])):
                zs, _ = _hidden_zs(X, depth, width, act, gain_initializer(gain), r)
                target[s, k] = zs[-1].std() / zs[0].std()
    predicted = np.array([(1 + a * a) ** ((depth - 1) / 2) for a in slopes])
    return {"he": he, "matched": matched, "predicted_he": predicted, "slopes": np.array(slopes)}


# ================================================================ which distribution?
@dataclass(frozen=True)
class DrawStatistics:
    """One weight matrix drawn at unit variance (entries divided by their std)."""

    name: str
    variance: float
    max_abs: float
    beyond_2: float          # fraction of entries with |w| > 2 std
    kurtosis: float          # E[w^4] / E[w^2]^2: normal 3, uniform 9/5, cut at 2 sigma 2.37


def draw_statistics(shape, *, rng):
    """Normal, uniform and Keras-truncated draws of the same variance, compared
    (each rescaled to unit variance by its *nominal* std, 1/sqrt(fan_in))."""
    fan_in = shape[1]
    out = []
    for name in ("lecun_normal", "lecun_uniform", "lecun_truncated_normal"):
        w = INITIALIZERS[name](shape, rng) * math.sqrt(fan_in)
        out.append(DrawStatistics(name, float(w.var()), float(np.abs(w).max()), float(np.mean(np.abs(w) > 2)),
                                  float(np.mean(w ** 4) / np.mean(w ** 2) ** 2)))
    return out


@_one_blas_thread
def z_kurtosis(x, n_units, inits, *, rng):
    """Kurtosis E[z^4] / E[z^2]^2 of z = w . x over ``n_units`` independent draws of the
    weight vector w (one input x of n_in features), for each initializer, with the
    prediction for a sum of independent terms w_i x_i:

        kurtosis(z) = 3 + (kurtosis(w) - 3) sum_i x_i^4 / (sum_i x_i^2)^2,

    which is about 3 + (kurtosis(w) - 3) * 3 / n_in for a typical x: the distribution
    of the weights reaches z only through a term that shrinks like 1/n_in.
    Returns {name: (measured, predicted)}."""
    x = np.asarray(x, dtype=np.float64).ravel()
    share = float(np.sum(x ** 4) / np.sum(x ** 2) ** 2)
    out = {}
    for name, child in zip(inits, rng.spawn(len(inits))):
        W = get_initializer(name)((n_units, x.size), child)
        z = W @ x
        w = W.ravel()
        k_w = float(np.mean(w ** 4) / np.mean(w ** 2) ** 2)
        out[name] = (float(np.mean(z ** 4) / np.mean(z ** 2) ** 2), 3.0 + (k_w - 3.0) * share)
    return out


@_one_blas_thread
def train_accuracies(train, validation, sizes, activation, inits, *, rng, n_seeds=4, epochs=2,
                     batch_size=20, eta=0.1):
    """Validation accuracy after ``epochs`` of SGD for each initializer, ``n_seeds``
    runs each. Run s of every initializer uses the same minibatch order (so the
    initializers differ only in their weights). Returns {name: array (n_seeds,)}."""
    X, y = train
    results = {name: np.empty(n_seeds) for name in inits}
    for s, child in enumerate(rng.spawn(n_seeds)):
        weight_rng, order_seed = child.spawn(1)[0], int(child.integers(2 ** 63))
        for name in inits:
            net = Network(sizes, activation=activation, output="softmax", cost="log_likelihood", init=name,
                          bias_init="zeros", rng=np.random.default_rng(weight_rng.integers(2 ** 63)))
            sgd(net, X, y, epochs=epochs, batch_size=batch_size, eta=eta, rng=np.random.default_rng(order_seed),
                monitor=(), progress=False)
            results[name][s] = net.accuracy(*validation)
    return results


# ==================================================================== preprocessing
PREPROCESSINGS = ("raw", "centred", "standardized")


def preprocess(X, kind, reference=None):
    """MNIST rows as given ('raw', pixels in [0, 1]), 'centred' (minus the mean image of
    ``reference``, default X itself) or 'standardized' (centred, then divided by each
    pixel's std over ``reference``; pixels constant there, std 0, are set to 0)."""
    X = np.asarray(X, dtype=np.float64)
    ref = X if reference is None else np.asarray(reference, dtype=np.float64)
    if kind == "raw":
        return X.copy()
    mean = ref.mean(axis=0)
    if kind == "centred":
        return X - mean
    if kind == "standardized":
        std = ref.std(axis=0)
        scale = np.divide(1.0, std, out=np.zeros_like(std), where=std > 0)
        return (X - mean) * scale
    raise ValueError(f"kind must be one of {PREPROCESSINGS}, got {kind!r}")


def second_moment_per_input(X):
    """E[||x||^2] / n_in: the mean squared input, the factor the fan-in rule takes to be 1."""
    X = np.asarray(X, dtype=np.float64)
    return float(np.mean(np.sum(X * X, axis=1)) / X.shape[1])


@_one_blas_thread
def first_layer_z_std(X, width, init, *, rng, n_seeds=4):
    """std of z_1 = x W^T (no bias) for ``n_seeds`` draws of W (width, n_in): array (n_seeds,)."""
    init = get_initializer(init)
    out = np.empty(n_seeds)
    for s, child in enumerate(rng.spawn(n_seeds)):
        out[s] = (X @ init((width, X.shape[1]), child).T).std()
    return out


# ============================================================ one sign per gradient row
def single_signed_fraction(grad_W):
    """Fraction of the rows of a weight gradient dC/dW (n_out, n_in) whose entries all
    share one sign (zeros allowed), among the rows with at least two non-zero entries.

    One example gives row j = delta_j a^T: if every input a_i >= 0 (sigmoid, ReLU
    outputs, raw pixels), the whole row has the sign of delta_j, and one gradient step
    can only move all of unit j's weights up together or down together (CS231n)."""
    g = np.asarray(grad_W)
    pos = (g > 0).sum(axis=1)
    neg = (g < 0).sum(axis=1)
    counted = (pos + neg) >= 2
    if not counted.any():
        return float("nan")
    return float(np.mean(((pos == 0) | (neg == 0))[counted]))


@_one_blas_thread
def gradient_sign_experiment(X, y, activations, batch_sizes, *, layer, width=100, n_batches=10, rng):
    """single_signed_fraction of dC/dW_layer (layer 1: inputs X; layer 2: inputs the
    first hidden layer's activations), averaged over ``n_batches`` minibatches, for a
    [n_in, width, width, 10] network of each activation at initialization (LeCun for
    sigmoid and tanh, He for ReLU). Returns {activation: array (len(batch_sizes),)}."""
    init = {"relu": "he_normal"}
    out = {}
    for act, child in zip(activations, rng.spawn(len(activations))):
        net = Network([X.shape[1], width, width, 10], activation=act, output="softmax", cost="log_likelihood",
                      init=init.get(act, "lecun_normal"), bias_init="zeros", rng=child)
        fractions = []
        for b in batch_sizes:
            vals = []
            for _ in range(n_batches):
                rows = child.choice(X.shape[0], size=b, replace=False)
                grads_W, _ = net.gradients(X[rows], y[rows])
                vals.append(single_signed_fraction(grads_W[layer - 1]))
            fractions.append(np.mean(vals))
        out[act] = np.array(fractions)
    return out


# ================================================================== what the names mean
#: scheme -> (who uses the name, what it draws, course_lib initializer that draws it)
NAMED_SCHEMES = {
    "LeCun 1998, Efficient BackProp": ("N(0, 1/n_in)", "lecun_normal"),
    '"Xavier" in Deep Learning from Scratch and many posts': ("N(0, 1/n_in) (LeCun's)", "lecun_normal"),
    "Nielsen's \"new\" (ch. 3)": ("N(0, 1/n_in), biases N(0, 1)", "nielsen_default"),
    "Glorot & Bengio 2010, normalized": ("U(+-sqrt(6/(n_in+n_out)))", "xavier_uniform"),
    "Keras glorot_uniform (Dense default)": ("U(+-sqrt(6/(n_in+n_out)))", "xavier_uniform"),
    "Keras glorot_normal": ("N cut at 2 sigma, Var 2/(n_in+n_out)", "glorot_truncated_normal"),
    "He et al. 2015 / PyTorch kaiming_normal_": ("N(0, 2/n_in)", "he_normal"),
    "Keras he_normal": ("N cut at 2 sigma, sigma = sqrt(2/n_in)/0.8796", "he_truncated_normal"),
    "PyTorch nn.Linear default": ("U(+-1/sqrt(n_in)) = kaiming_uniform(a=sqrt 5)", "pytorch_default"),
}


def named_scheme_stds(n_in=784, n_out=30, *, rng):
    """For each of :data:`NAMED_SCHEMES`: (formula, initializer name, std by formula,
    std of a drawn (n_out, n_in) matrix, largest |w| / std)."""
    rows = []
    for label, (formula, name) in NAMED_SCHEMES.items():
        init = INITIALIZERS[name]
        W = init((n_out, n_in), rng)
        rows.append((label, formula, name, init.std(n_in, n_out), float(W.std()), float(np.abs(W).max() / W.std())))
    return rows


# ======================================================================== the mistakes
def kaiming_mistake_profile(X, depth, width, *, rng, n_seeds=3):
    """std of z_l through ``depth`` ReLU layers of ``width`` units for He's
    W = randn * sqrt(2/n) and for the bug W = randn / sqrt(2/n) (std sqrt(n/2)).

    From (1): the bug multiplies Var[z] by n * (n/2) / 2 = n^2 / 4 per layer, the std
    by n/2. Returns {'multiply': (n_seeds, depth), 'divide': (n_seeds, depth)}."""
    n = width
    if X.shape[1] != width:
        raise ValueError(f"X must have {width} features (one fan-in for every layer), got {X.shape[1]}")
    right = depth_profile(X, depth, width, "relu", get_initializer(math.sqrt(2.0 / n)), rng=rng, n_seeds=n_seeds)
    wrong = depth_profile(X, depth, width, "relu", get_initializer(1.0 / math.sqrt(2.0 / n)), rng=rng,
                          n_seeds=n_seeds)
    return {"multiply": right["z_std"], "divide": wrong["z_std"]}


@dataclass
class ZeroInitResult:
    """A sigmoid network trained from zero weights and biases.

    ``row_spread``: max over hidden units j of max |W1[j] - W1[0]| relative to max |W1|
    (0: every hidden unit has the same incoming weights); ``first_step_norms``:
    ||dC/dW_l|| per layer at the start (the output layer's is not zero);
    ``hidden_norm_after``: ||dC/dW_1|| after training (not zero either);
    ``rank``: numerical rank of W1 after training; ``accuracy``: validation accuracy."""

    row_spread: float
    first_step_norms: list
    hidden_norm_after: float
    rank: int
    accuracy: float
    w1_norm: float


@_one_blas_thread
def zero_init_symmetry(train, validation, hidden=30, *, constant=0.0, epochs=2, batch_size=20, eta=0.5, rng):
    """Train [n_in, hidden, 10] sigmoid + softmax from all-zero biases and weights all
    equal to ``constant`` (0 by default).

    With W = 0 every hidden unit computes sigma(0) = 1/2 for every input, the output
    layer's gradient delta_out a^T is not zero (a = 1/2), and after the first step the
    output weights W2 have identical columns, so every hidden unit receives the same
    error delta_out W2 and the same update: the units stay copies of one another for
    ever. The gradients are not small; they are identical."""
    X, y = train
    init = "zeros" if constant == 0 else constant_init(constant)
    net = Network([X.shape[1], hidden, 10], activation="sigmoid", output="softmax", cost="log_likelihood",
                  init=init, bias_init="zeros", rng=rng)

    first = gradient_norms(net.gradients(X[:1000], y[:1000])[0])
    sgd(net, X, y, epochs=epochs, batch_size=batch_size, eta=eta, rng=rng, monitor=(), progress=False)
    W1 = net.weights[0]
    spread = float(np.abs(W1 - W1[:1]).max() / np.abs(W1).max())
    s = np.linalg.svd(W1, compute_uv=False)
    rank = int(np.sum(s > 1e-8 * s[0]))
    after = gradient_norms(net.gradients(X[:1000], y[:1000])[0])[0]
    return ZeroInitResult(spread, first, after, rank, net.accuracy(*validation), float(np.linalg.norm(W1)))


@_one_blas_thread
def small_weight_sigmoid(X, stds, depth=5, width=100, *, rng):
    """The activations of ``depth`` sigmoid layers of ``width`` units for each weight std
    (one draw each, zero biases): {std: list of a_l arrays}, plus, per std, the share of
    activations within 0.02 of 0 or 1 over all layers and the largest |a - 1/2|."""
    out = {}
    for std, child in zip(stds, rng.spawn(len(stds))):
        _, acts = _hidden_zs(X, depth, width, "sigmoid", get_initializer(float(std)), child)
        pooled = np.concatenate([a.ravel() for a in acts])
        out[float(std)] = {"activations": acts, "saturated": float(np.mean((pooled < 0.02) | (pooled > 0.98))),
                           "max_offset": float(np.abs(pooled - 0.5).max()),
                           "layer_std": np.array([a.std() for a in acts])}
    return out


@dataclass(frozen=True)
class SoftsignCheck:
    """Softsign's derivative on a grid: centred differences against the right formula
    1/(1 + |z|)^2 and the circulating one sgn(z)/(1 + z)^2 (max absolute errors,
    over the points with |z| >= 0.05 and away from the wrong formula's pole at z = -1)."""

    z: np.ndarray
    numeric: np.ndarray
    right: np.ndarray
    wrong: np.ndarray
    right_error: float
    wrong_error: float


def softsign_derivatives(z=None, h=1e-5):
    """:class:`SoftsignCheck` from the library's softsign (course_lib ACTIVATIONS)."""
    act = get_activation("softsign")
    z = np.linspace(-4, 4, 161) if z is None else np.asarray(z, dtype=np.float64)
    numeric = (act.fn(z + h) - act.fn(z - h)) / (2 * h)
    right = act.prime(z, act.fn(z))
    with np.errstate(**_QUIET):
        wrong = np.sign(z) / (1 + z) ** 2
    use = (np.abs(z) >= 0.05) & (np.abs(z + 1) > 0.2)
    return SoftsignCheck(z, numeric, right, wrong, float(np.abs(numeric - right)[use].max()),
                         float(np.abs(numeric - wrong)[use].max()))


def dropout_means(a, keep, *, n_masks=2000, rng):
    """Mean activation of a layer whose activations are ``a`` (B, n), under dropout with
    keep probability ``keep`` (Srivastava et al.'s p; PyTorch's and Keras's ``rate``/``p``
    is the *drop* probability 1 - keep), the four ways of scaling.

    classic:  train a * m (m ~ Bernoulli(keep)), test a * keep;
    inverted: train a * m / keep,                 test a (nothing to do at test time).
    Returns a dict of means: 'no dropout', 'classic train', 'classic test', 'inverted
    train', 'inverted test', and the two mistakes: 'classic, test unscaled' (a) and
    'inverted, test times keep' (a * keep)."""
    a = np.asarray(a, dtype=np.float64)
    keep = float(keep)
    if not (0 < keep <= 1):
        raise ValueError(f"keep must be a probability in (0, 1], got {keep!r}")
    total = 0.0
    for _ in range(n_masks):
        total += float(np.mean(a * (rng.random(a.shape) < keep)))
    train_classic = total / n_masks
    mean = float(a.mean())
    return {
        "no dropout": mean,
        "classic train": train_classic,
        "classic test": mean * keep,
        "inverted train": train_classic / keep,
        "inverted test": mean,
        "classic, test unscaled": mean,
        "inverted, test times keep": mean * keep,
    }


def saturation_thresholds():
    """|z| beyond which a unit counts as saturated, under the course's two definitions,
    for sigmoid and tanh.

    * derivative (notebooks 01, 04): f'(z) < 0.01. sigmoid: sigma(1 - sigma) = 0.01 at
      |z| = 4.585 (course_lib.lessons.saturation.Z_SATURATED); tanh: 1 - tanh^2 = 0.01 at
      |z| = atanh(sqrt(0.99)) = 2.993.
    * output (course_lib.diagnostics, SATURATION_TOL = 0.02): within 0.02 of an
      asymptote. sigmoid: sigma(z) > 0.98 at |z| = ln(0.98/0.02) = 3.892; tanh:
      |tanh z| > 0.98 at |z| = atanh(0.98) = 2.298.
    Returns {(definition, activation): z threshold}."""
    tol = SATURATION_TOL
    return {
        ("derivative < 0.01", "sigmoid"): Z_SATURATED,
        ("derivative < 0.01", "tanh"): math.atanh(math.sqrt(0.99)),
        (f"within {tol:g} of an asymptote", "sigmoid"): math.log((1 - tol) / tol),
        (f"within {tol:g} of an asymptote", "tanh"): math.atanh(1 - tol),
    }


@_one_blas_thread
def saturation_two_ways(X, *, rng, hidden=30, activation="sigmoid"):
    """Share of saturated (example, unit) pairs in the hidden layer of notebook 04's
    old network ([784, hidden, 10], N(0, 1) weights and biases) under each definition:
    'derivative' counts |z| > threshold, 'output' is layer_statistics' count."""
    net = Network([X.shape[1], hidden, 10], activation=activation, output="softmax", cost="log_likelihood",
                  init="nielsen_large", rng=rng)
    _, cache = net.forward(X)
    thresholds = saturation_thresholds()
    derivative = float(np.mean(np.abs(cache.zs[0]) > thresholds[("derivative < 0.01", activation)]))
    output = layer_statistics(cache, activation)[0].saturated
    return {"derivative": derivative, "output": output, "z_std": float(cache.zs[0].std())}
