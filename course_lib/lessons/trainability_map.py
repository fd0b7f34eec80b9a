"""Where is a deep network trainable? A phase diagram of depth x initial weight scale.

Every layer of width n draws its weights from N(0, g^2 / fan_in): the *gain* g
sets the weight std, std = g / sqrt(fan_in) (g = 1 is LeCun's 1/sqrt(n), g = sqrt(2)
is He's). For the hidden layers, fan_in = n, so the std of a hidden weight is
g / sqrt(n). Biases start at 0.

Mean-field theory (:mod:`course_lib.diagnostics.mean_field`, whose docstring derives
it) predicts a critical gain g_c per activation, where chi_1 = 1: gradients neither
shrink nor grow per layer (tanh g_c = 1, ReLU sqrt(2), sigmoid 10.15), and only near
it can plain SGD with one learning rate train all layers of a deep stack at once.
That band around the critical line narrows as depth grows, which is what
:func:`trainability_map` measures by training a grid of networks.

Speed: :func:`train_stack` trains S networks of the same depth at once (one per
gain and seed) with stacked weight arrays of shape (S, n_out, n_in): every layer is
one batched matrix product for all S networks, so a whole row of the phase diagram
costs little more than one network of that depth in Python overhead.

Seeds: near the edge of the trainable band, and in the chaotic phase, one training
run is decided by its seed, and a last-bit rounding difference (another BLAS
kernel, another CPU) makes it a different run. :func:`trainability_map` therefore
trains every cell from several seeds, and :class:`TrainabilityMap` reads a cell
through the median over them.

The theory (:func:`chi1`, :func:`critical_gain`, the length map) is computed in
:mod:`course_lib.diagnostics.mean_field`; this module, notebook 07's lesson code,
trains networks to test it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..blas import single_blas_thread
from ..diagnostics.mean_field import _check_gain, chi1
from ..nn.activations import get_activation, softmax
from ..nn.network import _QUIET, as_targets, check_inputs

__all__ = [
    "minibatch_indices",
    "init_stack",
    "train_stack",
    "stack_loss",
    "TrainabilityMap",
    "trainability_map",
    "SignalMap",
    "signal_propagation_map",
]

# ----------------------------------------------------------------------------
# Training many networks at once
# ----------------------------------------------------------------------------


def minibatch_indices(n, batch_size, steps, rng):
    """Row indices of ``steps`` minibatches: shuffled epochs cut into batches of
    ``batch_size`` (a last partial batch of an epoch is dropped, so every step sees
    the same number of examples). Returns an int array of shape (steps, batch_size)."""
    if not (isinstance(batch_size, (int, np.integer)) and 1 <= batch_size <= n):
        raise ValueError(f"batch_size must be an integer in 1..{n} (the number of examples), got {batch_size!r}")
    per_epoch = n // batch_size
    epochs = -(-steps // per_epoch)
    rows = [rng.permutation(n)[: per_epoch * batch_size].reshape(per_epoch, batch_size) for _ in range(epochs)]
    return np.concatenate(rows)[:steps]


def _generators(rng, argument="rng"):
    """One Generator, or a non-empty list of them, as a list."""
    rngs = list(rng) if isinstance(rng, (list, tuple)) else [rng]
    if not rngs or not all(isinstance(r, np.random.Generator) for r in rngs):
        raise TypeError(f"{argument} must be a numpy.random.Generator or a non-empty list of them, got {rng!r}")
    return rngs


def init_stack(sizes, gains, *, rng, dtype=np.float32):
    """Weights and biases of len(gains) networks with layer widths ``sizes``.

    Network s, layer l draws W ~ N(0, gains[s]^2 / fan_in) of shape (n_out, n_in);
    biases are 0. Returns (weights, biases): weights[l] has shape (S, n_out, n_in),
    biases[l] shape (S, n_out).

    ``rng`` may also be a list of R generators (one per *seed*): then the stack holds
    R blocks of len(gains) networks, S = R * len(gains), block r drawn from rng[r]
    (network r * len(gains) + j has gain gains[j]). Block r is exactly the stack
    ``init_stack(sizes, gains, rng=rng[r])`` would return."""
    gains = np.asarray([_check_gain(g) for g in np.atleast_1d(gains)], dtype=np.float64)
    rngs = _generators(rng)
    weights, biases = [], []
    draws = [[] for _ in sizes[1:]]
    for r in rngs:
        for l, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            std = gains[:, None, None] / math.sqrt(n_in)
            draws[l].append((std * r.standard_normal((len(gains), n_out, n_in))).astype(dtype))
    for l, n_out in enumerate(sizes[1:]):
        weights.append(np.concatenate(draws[l]))
        biases.append(np.zeros((len(rngs) * len(gains), n_out), dtype=dtype))
    return weights, biases


def _forward(weights, biases, X, act):
    """z_l and a_l of every stacked network; a_0 = X, either (B, n_in), shared by
    all S networks, or (S, B, n_in), one batch per network."""
    zs, acts = [], [X]
    a = X
    last = len(weights) - 1
    for l, (W, b) in enumerate(zip(weights, biases)):
        z = np.matmul(a, W.transpose(0, 2, 1))  # (S, B, n_out)
        z += b[:, None, :]
        a = softmax(z) if l == last else act.fn(z)
        zs.append(z)
        acts.append(a)
    return zs, acts


def train_stack(weights, biases, X, y, activation, *, steps, batch_size, eta, rng, record_every=0):
    """Train the stacked networks in place by plain minibatch SGD on the softmax
    log-likelihood: W <- W - eta dC/dW, the same minibatch for every network.

    Inputs:
      weights, biases: from :func:`init_stack` (modified in place).
      X (N, n_in), y: labels (N,) in 0..K-1 (K = output width).
      steps, batch_size, eta: the fixed training budget; rng draws the minibatches.
        A list of R generators gives R independent minibatch sequences (one per
        seed): the S networks form R consecutive blocks of S / R, and block r is
        trained on the minibatches of rng[r] (the layout of :func:`init_stack` with
        R generators). Block r then ends where training it alone with
        ``rng=rng[r]`` would (to round-off).
      record_every: if > 0, also return the full-data loss of each network every
        that many steps (and at step 0).
    Returns: the final loss per network (S,), NaN where a network diverged; with
      record_every, also (steps_recorded, losses (T, S)).
    A diverging network (inf/NaN) is left to run silently: the others are unaffected.
    """
    act = get_activation(activation)
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"steps must be an integer >= 1, got {steps!r}")
    if isinstance(eta, bool) or not isinstance(eta, (int, float, np.number)) or not (math.isfinite(eta) and eta > 0):
        raise ValueError(f"eta must be a finite number > 0, got {eta!r}")
    X = check_inputs(X, weights[0].shape[2], dtype=weights[0].dtype)
    Y = as_targets(y, X.shape[0], weights[-1].shape[1], dtype=weights[0].dtype)
    rngs = _generators(rng)
    S, R = weights[0].shape[0], len(rngs)
    if S % R:
        raise ValueError(f"rng: {R} generators cannot split the {S} stacked networks into equal blocks")
    batches = np.stack([minibatch_indices(X.shape[0], batch_size, steps, r) for r in rngs], axis=1)
    recorded_steps, recorded = [], []
    L = len(weights)
    with np.errstate(**_QUIET), single_blas_thread():  # small products: a 2nd thread only spins
        for step, rows in enumerate(batches):  # rows: (R, batch_size)
            if record_every and step % record_every == 0:
                recorded_steps.append(step)
                recorded.append(_loss(weights, biases, X, Y, act))
            if R == 1:
                Xb, Yb = X[rows[0]], Y[rows[0]]  # one batch, broadcast over the stack
            else:
                Xb, Yb = np.repeat(X[rows], S // R, axis=0), np.repeat(Y[rows], S // R, axis=0)
            zs, acts = _forward(weights, biases, Xb, act)
            delta = acts[-1] - Yb  # (S, B, K): softmax + log-likelihood
            scale = eta / batch_size
            for l in range(L - 1, -1, -1):
                gW = np.matmul(delta.transpose(0, 2, 1), acts[l])  # (S, n_out, n_in)
                gb = delta.sum(axis=1)
                if l > 0:
                    delta = np.matmul(delta, weights[l]) * act.prime(zs[l - 1], acts[l])
                weights[l] -= scale * gW
                biases[l] -= scale * gb
        final = _loss(weights, biases, X, Y, act)
    if record_every:
        recorded_steps.append(len(batches))
        recorded.append(final)
        return final, (np.array(recorded_steps), np.array(recorded))
    return final


def _loss(weights, biases, X, Y, act):
    zs, _ = _forward(weights, biases, X, act)
    z = zs[-1].astype(np.float64)
    m = z.max(axis=-1, keepdims=True)
    lse = m[..., 0] + np.log(np.exp(z - m).sum(axis=-1))
    loss = np.mean(lse - np.sum(Y * z, axis=-1), axis=1)
    loss[~np.isfinite(loss)] = np.nan
    return loss


def stack_loss(weights, biases, X, y, activation):
    """Mean softmax log-likelihood of each stacked network on (X, y): shape (S,),
    NaN for a network whose outputs overflowed."""
    act = get_activation(activation)
    X = check_inputs(X, weights[0].shape[2], dtype=weights[0].dtype)
    Y = as_targets(y, X.shape[0], weights[-1].shape[1], dtype=weights[0].dtype)
    with np.errstate(**_QUIET):
        return _loss(weights, biases, X, Y, act)


# ----------------------------------------------------------------------------
# The phase diagram
# ----------------------------------------------------------------------------


@dataclass
class TrainabilityMap:
    """Final training loss of a grid of networks, each cell trained from several seeds.

    ``seed_losses[a, i, j, r]``: activation a, depth ``depths[i]`` (hidden layers),
    gain ``gains[j]``, seed r; NaN where training diverged. ``chance`` is ln K, the
    loss of a uniform guess over K classes.

    Why seeds: near the edge of the trainable band, and everywhere in the chaotic
    phase, the outcome of one training run is decided by its initial draw and its
    minibatch order, and a rounding difference in the 7th digit (another BLAS
    kernel, another CPU) is enough to turn it into a different run. A cell is
    therefore read through the **median over its seeds**: ``relative`` and ``loss``
    below. With R seeds the median stays put unless more than half of them flip.
    """

    activations: tuple
    depths: np.ndarray
    gains: np.ndarray
    width: int
    seed_losses: np.ndarray
    chance: float
    budget: dict = field(default_factory=dict)

    @property
    def seeds(self):
        """Number of seeds (independent trainings) per cell."""
        return self.seed_losses.shape[-1]

    @property
    def stds(self):
        """Hidden-layer weight std of each gain: gain / sqrt(width)."""
        return self.gains / math.sqrt(self.width)

    @property
    def seed_relative(self):
        """Final loss / chance of every seed, shape (A, D, G, R); a diverged run counts as inf."""
        r = self.seed_losses / self.chance
        return np.where(np.isnan(r), np.inf, r)

    @property
    def relative(self):
        """Median over seeds of final loss / chance, shape (A, D, G); inf where most
        seeds diverged."""
        return np.median(self.seed_relative, axis=-1)

    @property
    def loss(self):
        """Median over seeds of the final loss, shape (A, D, G); NaN where most seeds
        diverged (a diverged run counts as +inf in the median)."""
        m = self.relative * self.chance
        return np.where(np.isinf(m), np.nan, m)

    @property
    def diverged(self):
        """Fraction of seeds of each cell that diverged to inf/NaN, shape (A, D, G)."""
        return np.mean(np.isnan(self.seed_losses), axis=-1)

    def trainable(self, threshold=0.5):
        """Boolean grid (A, D, G): median final loss below ``threshold`` x chance."""
        return self.relative < threshold


def _check_grid(values, argument, kind=float, minimum=0):
    arr = np.atleast_1d(np.asarray(values))
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{argument} must be a non-empty 1-D list, got {values!r}")
    if kind is int:
        if not np.all(np.mod(arr, 1) == 0) or arr.min() < minimum:
            raise ValueError(f"{argument} must be integers >= {minimum}, got {values!r}")
        return arr.astype(np.int64)
    if not np.all(np.isfinite(arr.astype(float))) or arr.min() <= minimum:
        raise ValueError(f"{argument} must be finite numbers > {minimum}, got {values!r}")
    return arr.astype(np.float64)


def trainability_map(X, y, *, activations=("sigmoid", "tanh", "relu"), depths, gains, width=32,
                     steps=300, batch_size=32, eta=0.1, seeds=3, rng, dtype=np.float32):
    """Train ``seeds`` networks per (activation, depth, gain) for a fixed budget;
    return a :class:`TrainabilityMap` of final training losses.

    Depth counts hidden layers of ``width`` units: sizes [n_in] + [width]*depth + [K].
    Each (activation, depth) row spawns ``seeds`` generators from ``rng``; seed r
    draws the weights of all the row's gains and one minibatch sequence that every
    gain of that seed shares. All seeds x gains of a row train as one stack of
    seeds * len(gains) networks (:func:`train_stack`), so extra seeds cost extra
    arithmetic but no extra Python overhead."""
    depths = _check_grid(depths, "depths", int, minimum=1)
    gains = _check_grid(gains, "gains")
    if not (isinstance(width, (int, np.integer)) and width >= 1):
        raise ValueError(f"width must be an integer >= 1, got {width!r}")
    if isinstance(seeds, bool) or not isinstance(seeds, (int, np.integer)) or seeds < 1:
        raise ValueError(f"seeds must be an integer >= 1 (independent trainings per cell), got {seeds!r}")
    acts = tuple(get_activation(a).name for a in activations)
    X = np.asarray(X)
    y = np.asarray(y)
    n_classes = int(y.max()) + 1
    loss = np.empty((len(acts), len(depths), len(gains), int(seeds)))
    for a, name in enumerate(acts):
        for i, depth in enumerate(depths):
            init_rngs, batch_rngs = zip(*(seed.spawn(2) for seed in rng.spawn(int(seeds))))
            sizes = [X.shape[1]] + [width] * int(depth) + [n_classes]
            W, b = init_stack(sizes, gains, rng=list(init_rngs), dtype=dtype)
            final = train_stack(W, b, X.astype(dtype), y, name, steps=steps, batch_size=batch_size,
                                eta=eta, rng=list(batch_rngs))
            loss[a, i] = final.reshape(int(seeds), len(gains)).T
    return TrainabilityMap(acts, depths, gains, int(width), loss, math.log(n_classes),
                           dict(steps=steps, batch_size=batch_size, eta=eta, n_examples=len(y)))


# ----------------------------------------------------------------------------
# A cheaper proxy: signal and gradient propagation at initialization
# ----------------------------------------------------------------------------


@dataclass
class SignalMap:
    """Signal propagation at initialization, per (activation, depth, gain).

    ``log10_gradient_ratio[a, i, j]``: log10 of the size of the error
    delta_l = dC_x/dz_l in the first hidden layer over its size in the last one,
    each measured as sqrt(sum over examples and units of delta^2) (per example,
    delta_l is the gradient of the bias b_l, Nielsen's measure in ch. 5): how much
    the backward signal grows (> 0) or shrinks (< 0) on its way through the
    hidden layers. Mean field predicts (depth - 1) / 2 * log10 chi_1. (Summing
    delta over the batch first would not do: for a network whose output ignores
    its input, the per-example errors p - y cancel in the sum.)
    ``log10_signal_ratio``: log10 of the std of the last hidden layer's
    pre-activations z over the first one's (the forward signal)."""

    activations: tuple
    depths: np.ndarray
    gains: np.ndarray
    width: int
    log10_gradient_ratio: np.ndarray
    log10_signal_ratio: np.ndarray

    @property
    def stds(self):
        """Hidden-layer weight std of each gain: gain / sqrt(width)."""
        return self.gains / math.sqrt(self.width)

    def predicted_log10_gradient_ratio(self):
        """Mean-field (depth - 1) / 2 * log10 chi_1(gain) on the same grid."""
        out = np.empty_like(self.log10_gradient_ratio)
        for a, name in enumerate(self.activations):
            c = np.array([chi1(name, g) for g in self.gains])
            out[a] = 0.5 * (self.depths[:, None] - 1) * np.log10(c)[None, :]
        return out


def signal_propagation_map(X, y, *, activations=("sigmoid", "tanh", "relu"), depths, gains, width=32,
                           rng, dtype=np.float64):
    """One forward and one backward pass per grid cell, at initialization, no
    training: how much do the forward signal and the backward error grow or
    shrink between the first and the last hidden layer? (See :class:`SignalMap`.)

    Costs about one training step per cell, so the grid can be much finer than
    :func:`trainability_map`'s."""
    depths = _check_grid(depths, "depths", int, minimum=1)
    gains = _check_grid(gains, "gains")
    acts = tuple(get_activation(a).name for a in activations)
    y = np.asarray(y)
    n_classes = int(y.max()) + 1
    X = check_inputs(X, np.asarray(X).shape[1], dtype=dtype)
    Y = as_targets(y, X.shape[0], n_classes, dtype=dtype)
    grad = np.empty((len(acts), len(depths), len(gains)))
    signal = np.empty_like(grad)
    with np.errstate(**_QUIET):
        for a, name in enumerate(acts):
            act = get_activation(name)
            for i, depth in enumerate(depths):
                (init_rng,) = rng.spawn(1)
                sizes = [X.shape[1]] + [width] * int(depth) + [n_classes]
                W, b = init_stack(sizes, gains, rng=init_rng, dtype=dtype)
                zs, acts_ = _forward(W, b, X, act)
                delta = acts_[-1] - Y
                # walk back to the first hidden layer; delta is then dC/dz_1 (per example)
                for l in range(len(W) - 1, 0, -1):
                    delta = np.matmul(delta, W[l]) * act.prime(zs[l - 1], acts_[l])
                    if l == len(W) - 1:
                        last = np.sqrt(np.sum(delta * delta, axis=(1, 2)))
                first = np.sqrt(np.sum(delta * delta, axis=(1, 2)))
                grad[a, i] = np.log10(first / last)
                signal[a, i] = np.log10(zs[depth - 1].std(axis=(1, 2)) / zs[0].std(axis=(1, 2)))
    return SignalMap(acts, depths, gains, int(width), grad, signal)
