"""A fully-connected feed-forward network of any depth, with vectorized backprop.

Shapes and conventions
----------------------
``sizes = [n_0, n_1, ..., n_L]`` lists the layer widths, input first. Layer
l = 1..L has a weight matrix ``W_l`` of shape ``(n_l, n_(l-1))`` and a bias
``b_l`` of shape ``(n_l,)``. A batch is a matrix ``X`` of shape ``(B, n_0)``,
one example per row, so the forward pass is, for l = 1..L,

    z_l = a_(l-1) W_l^T + b_l,      a_l = f(z_l),       a_0 = X,

with f the hidden activation and, for the last layer, the output function.

Backprop (the four equations of Nielsen ch. 2, in batch form)
-------------------------------------------------------------
With C = (1/B) sum_x C_x + (lmbda / 2n) sum_l ||W_l||^2 and rows of delta the
per-example errors dC_x/dz:

    delta_L     = cost.delta(z_L, a_L, y)                  (e.g. a_L - y)
    delta_(l-1) = (delta_l W_l) * f'(z_(l-1))              (elementwise *)
    dC/dW_l     = delta_l^T a_(l-1) / B  + (lmbda/n) W_l
    dC/db_l     = sum over the batch of delta_l / B

Every product is a matrix product over the whole batch: there is no Python loop
over examples.

Overflow is part of the lesson: with std 100 and ReLU, activations can grow past
float range. The forward and backward passes then return inf or NaN quietly (no
warning spam); the diagnostics and the trainer report it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .activations import ACTIVATIONS, SOFTMAX, Activation, get_activation
from ..checks import check_array, check_float_dtype, check_int, check_real, check_rng, check_shape
from .initializers import Initializer, get_initializer
from .losses import Loss, get_loss

__all__ = ["Network", "Cache", "as_targets", "as_labels", "check_inputs"]

_QUIET = dict(over="ignore", invalid="ignore", under="ignore", divide="ignore")


@dataclass
class Cache:
    """What the forward pass remembers for backprop.

    ``zs[l-1]`` is z_l (B, n_l) for l = 1..L; ``activations[l]`` is a_l, with
    ``activations[0]`` the input batch X.
    """

    zs: list
    activations: list

    @property
    def output(self):
        return self.activations[-1]


def check_inputs(X, n_in, *, argument="X", dtype=None):
    """Return X as a 2-D float array of shape (B, n_in), or raise a clear ValueError.

    X is checked before it is converted (see :func:`course_lib.checks.check_array`):
    complex, string or object entries are refused rather than silently cast, and a
    finite float64 X too large for a float32 network is refused rather than turned
    into inf.
    """
    X = check_array(X, argument)
    if dtype is not None and X.dtype != dtype:
        with np.errstate(over="ignore"):
            cast = X.astype(dtype)
        if cast.dtype.kind == "f" and X.dtype.kind == "f" and not _all_finite(cast) and _all_finite(X):
            raise ValueError(
                f"{argument} must lie within the range of {np.dtype(dtype).name} "
                f"(|x| <= {np.finfo(dtype).max:.3g}) for this network, got entries up to {np.abs(X).max():.3g}"
            )
        X = cast
    if X.ndim == 1 and X.shape[0] == n_in:
        X = X[None, :]
    if X.ndim != 2 or X.shape[1] != n_in:
        raise ValueError(
            f"{argument} must have shape (batch, {n_in}) (one example per row, {n_in} features), got {X.shape}"
        )
    if X.shape[0] == 0:
        raise ValueError(f"{argument} must hold at least one example, got shape {X.shape}")
    if X.dtype.kind == "f" and not _all_finite(X):
        raise ValueError(f"{argument} contains NaN or inf; every input must be a finite number")
    return X


def _all_finite(X):
    """True when no entry of the float array X is NaN or inf.

    One summing pass without a temporary array: a NaN or an inf entry makes the sum
    NaN or inf, so a finite sum proves every entry finite. Only when the sum is not
    finite (which huge finite entries can also cause, by overflowing) is the exact
    elementwise test run.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(np.add.reduce(X, axis=None)):
            return True
    return bool(np.isfinite(X).all())


def as_targets(y, batch, n_out, *, dtype=np.float64, argument="y", cost=None):
    """Targets as a (batch, n_out) float array.

    Accepts one-hot (or real-valued) targets of shape (batch, n_out), or integer
    class labels of shape (batch,) in 0..n_out-1 (one-hot encoded here). With a
    single output unit, a (batch,) vector is taken as the target of that unit.

    With ``cost`` (a :class:`~course_lib.losses.Loss`), the targets must also lie
    where that cost is bounded below (``cost.targets``): the cross-entropy
    softplus(z) - y z has no minimum unless 0 <= y <= 1, and the log-likelihood
    logsumexp(z) - y . z none unless each row of y is a probability distribution
    (entries >= 0 summing to 1). Outside, gradient descent drives the cost to -inf,
    so such targets are refused here instead.
    """
    y = check_array(y, argument)
    if y.ndim == 1 and n_out > 1:
        labels = as_labels(y, batch, n_out, argument=argument)
        onehot = np.zeros((batch, n_out), dtype=dtype)
        onehot[np.arange(batch), labels] = 1.0
        return onehot
    if y.ndim == 1 and len(y) != batch:
        raise ValueError(f"{argument} must have one entry per example of X ({batch}), got {len(y)}")
    if not (y.ndim == 1 or (y.ndim == 2 and y.shape == (batch, n_out))):
        raise ValueError(
            f"{argument} must be integer labels of shape ({batch},) or targets of shape ({batch}, {n_out}), "
            f"got {y.shape}"
        )
    with np.errstate(over="ignore"):
        Y = y.astype(dtype, copy=False).reshape(batch, n_out)
    if Y.size and not _all_finite(Y):
        raise ValueError(f"{argument} must hold finite numbers (within the range of {np.dtype(dtype).name}), "
                         f"got NaN or inf")
    if cost is not None and getattr(cost, "targets", None) is not None:
        _check_target_range(Y, cost, argument)
    return Y


def _check_target_range(Y, cost, argument):
    """Refuse targets for which ``cost`` is unbounded below (see :func:`as_targets`)."""
    low, high = float(Y.min()), float(Y.max())
    if low < 0 or high > 1:
        raise ValueError(
            f"{argument} must lie in [0, 1] for the {cost.name} cost (targets or 0/1 labels), "
            f"got values from {low:g} to {high:g}"
        )
    if cost.targets == "distribution":
        sums = Y.sum(axis=1, dtype=np.float64)
        worst = float(np.max(np.abs(sums - 1.0)))
        if worst > 1e-4:
            raise ValueError(
                f"{argument} rows must each sum to 1 for the {cost.name} cost (one-hot or probabilities), "
                f"got a row summing to {float(sums[np.argmax(np.abs(sums - 1.0))]):g}"
            )


def as_labels(y, batch, n_out, *, argument="y"):
    """Integer class labels (batch,) in 0..n_out-1 as int64, or a clear ValueError.

    Float labels are accepted when they are whole numbers (3.0), never rounded
    (1.5, NaN and inf are refused), and out-of-range labels are refused: a label 3
    on a 3-class network would silently count as a wrong prediction.
    """
    y = check_array(y, argument)
    if y.ndim != 1:
        raise ValueError(f"{argument} must be integer labels of shape ({batch},), got shape {y.shape}")
    if len(y) != batch:
        raise ValueError(f"{argument} must have one entry per example of X ({batch}), got {len(y)}")
    if y.dtype.kind == "f":
        whole = np.isfinite(y) & (np.mod(y, 1, where=np.isfinite(y), out=np.ones_like(y)) == 0)
        if not whole.all():
            bad = y[~whole][0]
            raise ValueError(f"{argument} as a 1-D array must hold integer class labels 0..{n_out - 1}, got {bad:g}")
    if y.size and (y.min() < 0 or y.max() > n_out - 1):
        raise ValueError(
            f"{argument} labels must lie in 0..{n_out - 1}, got min {y.min():g} and max {y.max():g}"
        )
    return y.astype(np.int64)


def _check_sizes(sizes):
    try:
        values = list(sizes)
    except TypeError:
        raise ValueError(f"sizes must be a list of layer widths (integers >= 1), got {sizes!r}") from None
    if len(values) < 2:
        raise ValueError(
            f"sizes must list at least 2 layer widths (input and output, i.e. depth >= 1), got {sizes!r}"
        )
    ints = []
    for s in values:
        if isinstance(s, (bool, np.bool_)) or not isinstance(s, (int, np.integer, float, np.floating)) \
                or not float(s).is_integer() or s < 1:
            raise ValueError(f"sizes must all be integers >= 1, got {sizes!r}")
        ints.append(int(s))
    for n_in, n_out in zip(ints[:-1], ints[1:]):
        check_shape((n_out, n_in), argument="sizes: a weight matrix of shape")
    return ints


class Network:
    """A fully-connected network ``sizes[0] -> ... -> sizes[-1]``.

    Args:
      sizes:       layer widths, input first, e.g. [784, 30, 10]; at least 2 entries.
      activation:  hidden activation: a name from ``ACTIVATIONS`` or an Activation.
      output:      output function; default 'softmax' for the log-likelihood cost,
                   else 'sigmoid'.
      cost:        'cross_entropy' (sigmoid outputs), 'log_likelihood' (softmax)
                   or 'quadratic' (any elementwise output).
      init:        weight initializer: a name, an Initializer, or a number (a std).
      bias_init:   bias initializer, chosen independently; default: the one the
                   weight scheme is published with (N(0,1) for Nielsen's, zeros for
                   most others).
      rng:         a numpy.random.Generator; the only source of randomness.
      dtype:       np.float64 (default) or np.float32.

    Attributes ``weights`` and ``biases`` are lists of arrays; :meth:`parameters`
    names them ('W1', 'b1', ...) for a gradient checker to perturb in place.
    """

    def __init__(
        self,
        sizes,
        activation="sigmoid",
        output=None,
        cost="cross_entropy",
        init="nielsen_default",
        bias_init=None,
        *,
        rng,
        dtype=np.float64,
    ):
        self.sizes = _check_sizes(sizes)
        check_rng(rng)
        self.dtype = check_float_dtype(dtype)
        self.activation: Activation = get_activation(activation)
        self.cost: Loss = get_loss(cost)
        if output is None:
            output = self.cost.output or "sigmoid"
        self.output: Activation = SOFTMAX if output in ("softmax", SOFTMAX) else get_activation(output, argument="output")
        if self.cost.output is not None and self.output.name != self.cost.output:
            raise ValueError(
                f"output must be {self.cost.output!r} for cost {self.cost.name!r}, got {self.output.name!r}"
            )
        if self.cost.output is None and self.output is SOFTMAX:
            raise ValueError("output 'softmax' needs cost 'log_likelihood'")
        if self.output is SOFTMAX and self.sizes[-1] < 2:
            raise ValueError(
                f"sizes[-1] must be >= 2 for a softmax output (one class per unit; a single softmax unit "
                f"always outputs 1), got {self.sizes[-1]}; for two classes use 2 units, or 1 sigmoid unit "
                f"with cost 'cross_entropy'"
            )
        self.init: Initializer = get_initializer(init, argument="init")
        self.bias_init: Initializer = get_initializer(
            self.init.default_bias if bias_init is None else bias_init, argument="bias_init"
        )
        self.weights = []
        self.biases = []
        for n_in, n_out in zip(self.sizes[:-1], self.sizes[1:]):
            self.weights.append(self.init((n_out, n_in), rng, dtype=self.dtype))
            self.biases.append(self.bias_init((n_out,), rng, fan_in=n_in, dtype=self.dtype))

    # ------------------------------------------------------------------ basics
    @property
    def depth(self):
        """Number of weight layers L (hidden layers + 1)."""
        return len(self.weights)

    def __repr__(self):
        return (
            f"Network({self.sizes}, activation={self.activation.name!r}, output={self.output.name!r}, "
            f"cost={self.cost.name!r}, init={self.init.name!r}, bias_init={self.bias_init.name!r}, "
            f"dtype={self.dtype.name})"
        )

    def parameters(self):
        """[(name, array), ...] in the order W1, b1, W2, b2, ...: the live arrays, not copies."""
        out = []
        for l, (W, b) in enumerate(zip(self.weights, self.biases), start=1):
            out += [(f"W{l}", W), (f"b{l}", b)]
        return out

    def copy(self):
        """An independent copy (same architecture, copied parameters)."""
        other = object.__new__(Network)
        other.__dict__.update(self.__dict__)
        other.weights = [W.copy() for W in self.weights]
        other.biases = [b.copy() for b in self.biases]
        return other

    # ----------------------------------------------------------------- forward
    def forward(self, X):
        """Forward pass over a batch.

        Inputs:  X of shape (B, sizes[0]).
        Returns: (out, cache): out = a_L of shape (B, sizes[-1]); cache holds every z_l, a_l.
        """
        X = check_inputs(X, self.sizes[0], dtype=self.dtype)
        with np.errstate(**_QUIET):
            return self._forward(X)

    def _forward(self, X):
        zs, acts = [], [X]
        a = X
        last = self.depth - 1
        for l, (W, b) in enumerate(zip(self.weights, self.biases)):
            z = a @ W.T
            z += b
            a = _activate(self.output if l == last else self.activation, z)
            zs.append(z)
            acts.append(a)
        return a, Cache(zs, acts)

    def feedforward(self, X):
        """Outputs only, without keeping a cache (for evaluation)."""
        return self._feedforward(check_inputs(X, self.sizes[0], dtype=self.dtype))

    def _feedforward(self, X):
        """feedforward on an already-checked X: the evaluation hot path."""
        last = self.depth - 1
        with np.errstate(**_QUIET):
            a = X
            for l, (W, b) in enumerate(zip(self.weights, self.biases)):
                z = a @ W.T
                z += b
                a = _activate(self.output if l == last else self.activation, z, out=z)
        return a

    # ---------------------------------------------------------------- backward
    def backward(self, cache, y, lmbda=0.0, n=None):
        """Gradients of the mean cost (plus the L2 term) by backprop.

        Inputs:
          cache:  from :meth:`forward` on a batch of B examples.
          y:      targets for that batch (labels (B,) or one-hot (B, n_out)).
          lmbda:  L2 strength; the regularized cost adds (lmbda / 2n) sum ||W||^2.
          n:      training-set size in that term (default: B).
        Returns: (grads_W, grads_b), lists shaped like ``weights`` and ``biases``.
        """
        B = cache.activations[0].shape[0]
        Y = as_targets(y, B, self.sizes[-1], dtype=self.dtype, cost=self.cost)
        lmbda, n = _check_l2(lmbda, n, B)
        with np.errstate(**_QUIET):
            return self._backward(cache, Y, lmbda, n)

    def _backward(self, cache, Y, lmbda, n):
        L = self.depth
        B = Y.shape[0]
        zs, acts = cache.zs, cache.activations
        delta = self.cost.delta(zs[-1], acts[-1], Y, self.output)
        grads_W = [None] * L
        grads_b = [None] * L
        for l in range(L - 1, -1, -1):
            gW = delta.T @ acts[l]
            gW /= B
            if lmbda:
                gW += (lmbda / n) * self.weights[l]
            grads_W[l] = gW
            grads_b[l] = delta.sum(axis=0) / B
            if l > 0:
                delta = (delta @ self.weights[l]) * self.activation.prime(zs[l - 1], acts[l])
        return grads_W, grads_b

    def gradients(self, X, y, lmbda=0.0, n=None):
        """Forward then backward on (X, y): (grads_W, grads_b) of :meth:`loss`."""
        _, cache = self.forward(X)
        return self.backward(cache, y, lmbda=lmbda, n=n)

    # ------------------------------------------------------------- evaluation
    def loss(self, X, y, lmbda=0.0, n=None):
        """Mean cost over (X, y), plus (lmbda / 2n) sum ||W_l||^2 when lmbda > 0."""
        X = check_inputs(X, self.sizes[0], dtype=self.dtype)
        Y = as_targets(y, X.shape[0], self.sizes[-1], dtype=self.dtype, cost=self.cost)
        lmbda, n = _check_l2(lmbda, n, X.shape[0])
        return self._cost(X, Y, lmbda, n)

    def _cost(self, X, Y, lmbda, n):
        """loss on checked inputs: X (B, n_in), targets Y (B, n_out), lmbda >= 0, n >= 1.

        A forward pass that overflowed makes the cost inf (not NaN, which inf - inf
        inside the formula would give): inf means "overflowed", the way the
        diagnostics' ``finite=False`` and History's ``diverged`` say it.
        """
        with np.errstate(**_QUIET):
            out, cache = self._forward(X)
            value = self.cost.value(cache.zs[-1], out, Y)
            if lmbda:
                value += 0.5 * (lmbda / n) * sum(float(np.sum(W * W)) for W in self.weights)
        return value if np.isfinite(value) else float("inf")

    def predict(self, X):
        """Predicted class of each row of X (B,): the argmax of the outputs, or, for a
        single output unit, 1 where the output exceeds 0.5 (0 for identity/tanh outputs)."""
        return self._predict(check_inputs(X, self.sizes[0], dtype=self.dtype))

    def _predict(self, X):
        return self._classes(self._feedforward(X))

    def _classes(self, out):
        if out.shape[1] == 1:
            return (out[:, 0] > self._threshold).astype(np.int64)
        return np.argmax(out, axis=1)

    @property
    def _threshold(self):
        """Where a single output unit's class switches: 0.5 for sigmoid, else 0."""
        return 0.5 if self.output.name == "sigmoid" else 0.0

    def accuracy(self, X, y):
        """Fraction of rows of X whose predicted class equals y (labels or one-hot).

        y is checked like the targets of :meth:`loss` (:func:`as_labels`,
        :func:`as_targets`): out-of-range, fractional, NaN or misshapen labels raise.
        A network whose outputs are NaN (it diverged) predicts nothing: its accuracy
        is NaN, not the 10% that argmax would give by always answering class 0.
        """
        return self._accuracy(check_inputs(X, self.sizes[0], dtype=self.dtype), y)

    def _accuracy(self, X, y):
        batch, n_out = X.shape[0], self.sizes[-1]
        if n_out > 1 and np.ndim(y) == 1:
            labels = as_labels(y, batch, n_out)
        else:
            Y = as_targets(y, batch, n_out, dtype=np.float64)
            labels = Y[:, 0] > self._threshold if n_out == 1 else np.argmax(Y, axis=1)
        out = self._feedforward(X)
        if np.isnan(out).any():
            return float("nan")
        return float(np.mean(self._classes(out) == labels))


def _sigmoid(z, out):
    # 0.5 (1 + tanh(z / 2)), the operations of activations.sigmoid in the same order
    a = np.multiply(z, 0.5, out=out)
    np.tanh(a, out=a)
    a += 1.0
    a *= 0.5
    return a


def _tanh(z, out):
    return np.tanh(z, out=out)


def _relu(z, out):
    return np.maximum(z, 0.0, out=out)


def _softmax(z, out):
    # e^(z - max z) / sum e^(z - max z), the operations of activations.softmax in the same order
    e = np.subtract(z, z.max(axis=-1, keepdims=True), out=out)
    np.exp(e, out=e)
    e /= e.sum(axis=-1, keepdims=True)
    return e


_ACTIVATE = {ACTIVATIONS["sigmoid"]: _sigmoid, ACTIVATIONS["tanh"]: _tanh, ACTIVATIONS["relu"]: _relu,
             SOFTMAX: _softmax}


def _activate(activation, z, out=None):
    """activation.fn(z), bit for bit, without its temporaries.

    The library's sigmoid, tanh, relu and softmax are computed with ``out=`` (into
    ``out``, which may be z itself, or into one new array): the same operations in
    the same order, so the same bits, but no (B, n) temporary per operation, which
    for a 10,000-image batch is most of the activation's cost. Any other activation
    is called as is.
    """
    kernel = _ACTIVATE.get(activation)
    return activation.fn(z) if kernel is None else kernel(z, out)


def _check_l2(lmbda, n, batch):
    lmbda = check_real(lmbda, "lmbda", ">= 0", lambda v: v >= 0)
    n = batch if n is None else check_int(n, "n (the training-set size in the L2 term)", 1)
    return lmbda, n
