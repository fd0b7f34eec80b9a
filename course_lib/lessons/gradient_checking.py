"""A catalogue of planted backprop bugs, and which gradient checks catch them.

Every bug is a function with the signature that
``check_gradients(net, X, y, backward=...)`` accepts::

    backward(net, X, Y, lmbda, n) -> (grads_W, grads_b)

with X of shape (B, n_in) (one example per row), Y of shape (B, n_out) and the
cost of :meth:`Network.loss`, C = (1/B) sum_x C_x + (lmbda / 2n) sum_l ||W_l||^2
(n defaults to B). Each is :func:`correct_backward` with exactly one step
replaced, and its docstring says which one, what the right step is, and which
careless check misses it. The correct algorithm, in our row convention:

    delta_L     = cost.delta(z_L, a_L, y)               (B, n_L), e.g. a_L - y
    dC/dW_l     = delta_l^T a_(l-1) / B + (lmbda/n) W_l  (n_l, n_(l-1))
    dC/db_l     = sum over rows of delta_l / B           (n_l,)
    delta_(l-1) = (delta_l W_l) * f'(z_(l-1))            (B, n_(l-1))

``BUGS`` maps each bug's name to its function. :class:`CheckSetup` describes one
way to run a check (batch size, L2, initialization, training steps before it,
mode, tolerance), :func:`catch_table` runs every bug under every setup and
:func:`format_catch_table` prints which setup caught which bug, with the errors.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..nn.gradcheck import check_gradients
from ..nn.network import _QUIET, Network, as_targets, check_inputs

__all__ = [
    "correct_backward",
    "missing_activation_derivative",
    "transposed_weights",
    "bias_not_summed",
    "double_batch_average",
    "missing_l2_gradient",
    "l2_on_biases",
    "l2_half_factor",
    "sign_flip",
    "factor_of_two",
    "output_derivative_kept",
    "derivative_of_output",
    "off_by_one_last_unit",
    "BUGS",
    "CheckSetup",
    "CatchResult",
    "catch_table",
    "format_catch_table",
]


# --------------------------------------------------------------------------- the right steps
def _output_error(net, zL, aL, Y):
    return net.cost.delta(zL, aL, Y, net.output)


def _weight_grad(delta, a_prev, B):
    return delta.T @ a_prev / B


def _bias_grad(delta, B):
    return delta.sum(axis=0) / B


def _regularize(gW, gb, W, b, lmbda, n):
    return gW + (lmbda / n) * W, gb


def _propagate(net, delta, W, z_prev, a_prev):
    return (delta @ W) * net.activation.prime(z_prev, a_prev)


def _backprop(net, X, Y, lmbda, n, *, output_error=_output_error, weight_grad=_weight_grad,
              bias_grad=_bias_grad, regularize=_regularize, propagate=_propagate):
    """Backprop with each step a replaceable function (the bugs replace one)."""
    if not isinstance(net, Network):
        raise ValueError(f"net must be a course_lib Network, got {type(net).__name__}")
    X = check_inputs(X, net.sizes[0], dtype=net.dtype)
    B = X.shape[0]
    Y = as_targets(Y, B, net.sizes[-1], dtype=net.dtype)
    lmbda = float(lmbda)
    if not np.isfinite(lmbda) or lmbda < 0:
        raise ValueError(f"lmbda must be a finite number >= 0, got {lmbda!r}")
    n = B if n is None else int(n)
    if n < 1:
        raise ValueError(f"n (the training-set size in the L2 term) must be >= 1, got {n!r}")
    L = net.depth
    grads_W, grads_b = [None] * L, [None] * L
    with np.errstate(**_QUIET):
        _, cache = net._forward(X)
        zs, acts = cache.zs, cache.activations
        delta = output_error(net, zs[-1], acts[-1], Y)
        for l in range(L - 1, -1, -1):
            gW = weight_grad(delta, acts[l], B)
            gb = bias_grad(delta, B)
            if lmbda:
                gW, gb = regularize(gW, gb, net.weights[l], net.biases[l], lmbda, n)
            grads_W[l], grads_b[l] = gW, gb
            if l > 0:
                delta = propagate(net, delta, net.weights[l], zs[l - 1], acts[l])
    return grads_W, grads_b


def correct_backward(net, X, Y, lmbda=0.0, n=None):
    """The right backprop, step by step as in the module docstring (no bug).

    It equals ``net.backward`` to rounding; every bug below is this function with
    one step replaced.
    """
    return _backprop(net, X, Y, lmbda, n)


# ------------------------------------------------------------------------------- the bugs
def missing_activation_derivative(net, X, Y, lmbda=0.0, n=None):
    """Drops f'(z) when sending the error back a layer.

    Wrong:  delta_(l-1) = delta_l W_l
    Right:  delta_(l-1) = (delta_l W_l) * f'(z_(l-1))

    Every layer below the top gets a wrong gradient. Missed by a check on a net
    with no hidden layer (logistic regression has no recursion), and harmless for
    the identity activation, whose f' is 1.
    """
    return _backprop(net, X, Y, lmbda, n, propagate=lambda net, d, W, z, a: d @ W)


def transposed_weights(net, X, Y, lmbda=0.0, n=None):
    """Sends the error back through W_l^T instead of W_l (the column convention's
    formula, delta_(l-1) = W_l^T delta_l, pasted into row-convention code).

    Wrong:  delta_(l-1) = (delta_l W_l^T) * f'(z_(l-1))
    Right:  delta_(l-1) = (delta_l W_l) * f'(z_(l-1))

    On a layer that is not square, numpy raises a shape error: the cheapest check
    of all. On square layers (n_l = n_(l-1)) it runs silently, and only a gradient
    check on a net with a hidden layer catches it.
    """
    return _backprop(
        net, X, Y, lmbda, n,
        propagate=lambda net, d, W, z, a: (d @ W.T) * net.activation.prime(z, a),
    )


def bias_not_summed(net, X, Y, lmbda=0.0, n=None):
    """Takes the bias gradient from the first example instead of the batch mean
    (the leftover of per-example code).

    Wrong:  dC/db_l = delta_l[0]
    Right:  dC/db_l = sum over rows of delta_l / B

    Invisible with batch size 1, where the two are the same number.
    """
    return _backprop(net, X, Y, lmbda, n, bias_grad=lambda d, B: d[0].copy())


def double_batch_average(net, X, Y, lmbda=0.0, n=None):
    """Divides by the batch size twice (once in the output error, once in the sum).

    Wrong:  dC/dW_l = delta_l^T a_(l-1) / B^2,   dC/db_l = sum delta_l / B^2
    Right:  dC/dW_l = delta_l^T a_(l-1) / B,     dC/db_l = sum delta_l / B

    Invisible with batch size 1 (1/1^2 = 1/1); with B examples every data gradient
    is B times too small, a relative error of (B - 1) / (B + 1).
    """
    return _backprop(
        net, X, Y, lmbda, n,
        weight_grad=lambda d, a, B: d.T @ a / B / B,
        bias_grad=lambda d, B: d.sum(axis=0) / B / B,
    )


def missing_l2_gradient(net, X, Y, lmbda=0.0, n=None):
    """Forgets the L2 term's gradient.

    Wrong:  dC/dW_l = delta_l^T a_(l-1) / B
    Right:  dC/dW_l = delta_l^T a_(l-1) / B + (lmbda / n) W_l

    Invisible with lmbda = 0, the setting most checks run in.
    """
    return _backprop(net, X, Y, lmbda, n, regularize=lambda gW, gb, W, b, lam, n: (gW, gb))


def l2_on_biases(net, X, Y, lmbda=0.0, n=None):
    """Adds weight decay to the bias gradient, although the cost does not
    regularize the biases.

    Wrong:  dC/db_l = sum delta_l / B + (lmbda / n) b_l
    Right:  dC/db_l = sum delta_l / B

    Invisible with lmbda = 0, and *also with lmbda > 0 at initialization* when the
    biases start at zero (Xavier, He): (lmbda / n) 0 = 0. A check after a few
    training steps, once the biases have moved, catches it.
    """
    return _backprop(
        net, X, Y, lmbda, n,
        regularize=lambda gW, gb, W, b, lam, n: (gW + (lam / n) * W, gb + (lam / n) * b),
    )


def l2_half_factor(net, X, Y, lmbda=0.0, n=None):
    """Differentiates (lmbda / 2n) ||W||^2 without the 2 from the square.

    Wrong:  dC/dW_l = delta_l^T a_(l-1) / B + (lmbda / 2n) W_l
    Right:  dC/dW_l = delta_l^T a_(l-1) / B + (lmbda / n) W_l

    Invisible with lmbda = 0. With a realistic lmbda / n (Nielsen: 5 / 50000 =
    1e-4) the L2 term is a small part of the gradient, so the error is small: a
    check with a loose tolerance (1e-2, or even 1e-3) passes it.
    """
    return _backprop(
        net, X, Y, lmbda, n,
        regularize=lambda gW, gb, W, b, lam, n: (gW + (lam / (2 * n)) * W, gb),
    )


def sign_flip(net, X, Y, lmbda=0.0, n=None):
    """Takes the output error the wrong way round (the gradient of -C: ascent).

    Wrong:  delta_L = y - a_L
    Right:  delta_L = a_L - y

    Every data gradient changes sign: relative error exactly 1 on every entry.
    Any check catches it; training with it drives the cost up.
    """
    return _backprop(net, X, Y, lmbda, n, output_error=lambda net, z, a, Y: -_output_error(net, z, a, Y))


def factor_of_two(net, X, Y, lmbda=0.0, n=None):
    """Doubles the output error, as when (1/2)||a - y||^2 is differentiated as if
    it were ||a - y||^2.

    Wrong:  delta_L = 2 (a_L - y) ...
    Right:  delta_L = (a_L - y) ...

    Every data gradient is twice too large: relative error |2g - g| / (|2g| + |g|)
    = 1/3 ("wrong"). Training still works with a halved learning rate, which is
    why such a bug survives when nobody checks.
    """
    return _backprop(net, X, Y, lmbda, n, output_error=lambda net, z, a, Y: 2 * _output_error(net, z, a, Y))


def output_derivative_kept(net, X, Y, lmbda=0.0, n=None):
    """Multiplies the cross-entropy output error by the output derivative a (1 - a),
    the quadratic cost's formula applied to the wrong cost.

    Wrong:  delta_L = (a_L - y) * a_L (1 - a_L)
    Right:  delta_L = a_L - y            (sigma'(z) cancels, Nielsen ch. 3)

    A conceptual bug, not a typo; every check catches it (a(1 - a) <= 1/4).
    """
    return _backprop(
        net, X, Y, lmbda, n,
        output_error=lambda net, z, a, Y: _output_error(net, z, a, Y) * a * (1.0 - a),
    )


def derivative_of_output(net, X, Y, lmbda=0.0, n=None):
    """Evaluates the activation's derivative at a = f(z) instead of at z.

    Wrong:  delta_(l-1) = (delta_l W_l) * f'(a_(l-1))
    Right:  delta_(l-1) = (delta_l W_l) * f'(z_(l-1))

    Masked where f(z) = z nearly: for tanh, tanh(z) = z - z^3/3 + ..., so
    f'(tanh z) - f'(z) is about (2/3) z^4, under 1e-7 for the small pre-activations
    of a small initialization (std 0.01): the check passes there and fails at a
    realistic scale. For ReLU it is no bug at all (relu(z) > 0 exactly when z > 0).
    """
    return _backprop(
        net, X, Y, lmbda, n,
        propagate=lambda net, d, W, z, a: (d @ W) * net.activation.prime(a, net.activation.fn(a)),
    )


def off_by_one_last_unit(net, X, Y, lmbda=0.0, n=None):
    """Fills the weight gradient row by row in a loop that stops one unit short.

    Wrong:  for j in range(n_l - 1): dW[j] = delta[:, j] @ a_prev / B
    Right:  for j in range(n_l):     ...  (or, better, no loop: delta^T a_prev / B)

    Only the last row of each dW is wrong (zero). A check of a few random entries
    usually misses it (in W1 of [784, 30, 10], 1 row in 30); a full check and a
    directional check, which moves every entry at once, catch it.
    """

    def weight_grad(delta, a_prev, B):
        gW = np.zeros((delta.shape[1], a_prev.shape[1]), dtype=delta.dtype)
        for j in range(delta.shape[1] - 1):
            gW[j] = delta[:, j] @ a_prev / B
        return gW

    return _backprop(net, X, Y, lmbda, n, weight_grad=weight_grad)


#: Every planted bug by name, in the order of the notebook's table.
BUGS = {
    f.__name__: f
    for f in (
        missing_activation_derivative,
        transposed_weights,
        bias_not_summed,
        double_batch_average,
        missing_l2_gradient,
        l2_on_biases,
        l2_half_factor,
        sign_flip,
        factor_of_two,
        output_derivative_kept,
        derivative_of_output,
        off_by_one_last_unit,
    )
}


# ------------------------------------------------------------------ which check catches what
@dataclass(frozen=True)
class CheckSetup:
    """One way to run a gradient check.

    Fields:
      name:         a short label for the table.
      sizes:        layer widths of the network checked.
      batch:        examples in the batch checked (B).
      lmbda, n:     the L2 strength and the training-set size in its term.
      init:         weight initializer (a name, or a float std).
      train_steps:  full-batch SGD steps (learning rate ``eta``, same lmbda, n) taken
                    on the batch before the check, so the parameters have moved.
      mode, num_checks, h: passed to :func:`check_gradients`.
      formula:      the relative error used, a name in ``RELATIVE_ERRORS``
                    ("cs231n" elementwise, "norm" per array, "maxabs").
      tol:          the check "catches" a bug when the worst per-parameter error >= tol.
    """

    name: str
    sizes: tuple = (6, 4, 4, 4)
    batch: int = 8
    lmbda: float = 0.0
    n: int | None = None
    init: object = "xavier_normal"
    train_steps: int = 0
    eta: float = 0.5
    mode: str = "full"
    num_checks: int = 10
    h: float = 1e-5
    formula: str = "cs231n"
    tol: float = 1e-7


@dataclass
class CatchResult:
    """The outcome of one (bug, setup) check."""

    bug: str
    setup: str
    rel_error: float
    tol: float
    error: str | None = None

    @property
    def caught(self):
        """True when the check flagged the bug: error >= tol, or the code raised."""
        return self.error is not None or not (self.rel_error < self.tol)


def _prepared_net(setup, activation, cost, rng):
    net = Network(list(setup.sizes), activation=activation, cost=cost, init=setup.init, rng=rng)
    X = rng.standard_normal((setup.batch, setup.sizes[0]))
    y = rng.integers(0, setup.sizes[-1], size=setup.batch)
    for _ in range(setup.train_steps):
        gW, gb = net.gradients(X, y, lmbda=setup.lmbda, n=setup.n)
        for W, b, dW, db in zip(net.weights, net.biases, gW, gb):
            W -= setup.eta * dW
            b -= setup.eta * db
    return net, X, y


def catch_table(bugs, setups, *, activation="tanh", cost="log_likelihood", seed=0):
    """Check every bug under every setup.

    Inputs:
      bugs:       {name: backward function}, e.g. :data:`BUGS`.
      setups:     a list of :class:`CheckSetup`.
      activation, cost: the network's hidden activation and cost.
      seed:       each setup builds its network and data from
                  ``np.random.default_rng(seed)``, the same for every bug, so a
                  row compares bugs on identical checks.
    Returns: {bug name: [CatchResult, one per setup]}.

    A bug whose code raises (a shape error) counts as caught, with the message kept.
    """
    table = {name: [] for name in bugs}
    for setup in setups:
        net, X, y = _prepared_net(setup, activation, cost, np.random.default_rng(seed))

        def check(backward):
            return check_gradients(
                net, X, y, lmbda=setup.lmbda, n=setup.n, mode=setup.mode, num_checks=setup.num_checks,
                h=setup.h, rng=np.random.default_rng(seed + 1), backward=backward,
            )

        # The finite differences do not depend on the backprop checked: compute them
        # once per setup and compare every bug's gradient with them (same numbers as
        # one check_gradients call per bug, a tenth of the cost).
        base = None if setup.mode == "directional" else check(correct_backward)
        for name, bug in bugs.items():
            try:
                if base is None:
                    report = check(bug)
                else:
                    report = base.compare_with(*bug(net, X, as_targets(y, setup.batch, net.sizes[-1]),
                                                    setup.lmbda, setup.n))
            except ValueError as exc:
                table[name].append(CatchResult(name, setup.name, np.nan, setup.tol, error=str(exc)))
                continue
            table[name].append(CatchResult(name, setup.name, report.max_error(setup.formula), setup.tol))
    return table


def format_catch_table(table, setups, *, width=11):
    """The table as text: one row per bug, one column per setup; each cell is the
    worst relative error and a mark, ``x`` caught (>= the setup's tol), ``.`` missed,
    ``shape`` for code that raised."""
    name_w = max([len("bug")] + [len(name) for name in table]) + 1
    head = f"{'bug':<{name_w}}" + "".join(f"{s.name[:width - 1]:>{width}}" for s in setups)
    tols = f"{'(caught if >=)':<{name_w}}" + "".join(f"{s.tol:>{width}.0e}" for s in setups)
    lines = [head, tols, "-" * len(head)]
    for name, row in table.items():
        cells = []
        for r in row:
            cells.append(f"{'shape x':>{width}}" if r.error else f"{r.rel_error:>{width - 2}.0e} {'x' if r.caught else '.'}")
        lines.append(f"{name:<{name_w}}" + "".join(cells))
    return "\n".join(lines)
