"""Gradient checking: compare backprop's gradient with finite differences.

Centred differences. For a scalar function f of an array x and one entry x_i,

    df/dx_i ~ (f(x + h e_i) - f(x - h e_i)) / (2h),

whose truncation error is O(h^2) (the forward difference (f(x+h) - f(x))/h is
only O(h)); round-off adds about eps_machine |f| / h, so the total is smallest
near h = 1e-5 in float64.

Relative error. Two gradients a and b agree when

    rel_error(a, b) = max_i |a_i - b_i| / max(eps, |a_i| + |b_i|)

is small: dividing by the size of the numbers makes the same threshold mean the
same thing for a gradient of 1e3 and one of 1e-3. Two other formulas are in common
use (see :data:`RELATIVE_ERRORS`): deeplearning.ai's whole-vector
||a - b|| / (||a|| + ||b||) (:func:`relative_error_norm`), which large entries
dominate, and the textbook max_i |a_i - b_i| / max(|a_i|, |b_i|)
(:func:`relative_error_maxabs`), within a factor 2 of the one above. The bands (CS231n):

    < 1e-7          good
    1e-7 .. 1e-4    acceptable only where the function has kinks (ReLU)
    1e-4 .. 1e-2    suspicious
    > 1e-2          wrong

Three ways to check a network, by cost:

* ``mode="full"``: every parameter, two forward passes each (about 24,000 x 2 for
  [784, 30, 10]): the reference, for small nets;
* ``mode="subset"``: ``num_checks`` random entries of each parameter array;
* ``mode="directional"``: for each parameter array, ``num_checks`` random unit
  directions d: (f(theta + h d) - f(theta - h d)) / 2h against grad . d. Two
  forward passes per direction check *every* entry of the array at once.

Kinks. For ReLU (kink at 0) or hardtanh (at +-1), a unit whose z crosses the kink
between theta - h and theta + h makes the finite difference disagree with the
(one-sided) derivative: a false alarm, not a bug. Each check records how many of
its evaluations crossed a kink, and its worst error over the evaluations that did
not (``rel_error_without_kinks``): a large error that vanishes there is a kink.

:func:`h_sweep` computes the error of a finite difference for a range of steps h,
the experiment that shows truncation (falls as h^2) against round-off (grows as 1/h).

What a finite difference cannot see: round-off
----------------------------------------------
The cost C is computed to within a few units in its last place, ulp(C) ~ eps |C|
(eps = 2.2e-16 in float64, 1.2e-7 in float32). The centred difference divides
that rounding by 2h, so it carries an absolute error of about ulp(C) / h, whatever
the true derivative is. Two consequences:

* float32. With |C| ~ 2.3 and h = 1e-5, ulp(C) / h = 2.4e-7 / 1e-5 ~ 2e-2: as
  large as typical gradient entries (1e-3..1e-1), so the relative error is ~1 for
  a perfectly correct backprop. A float32 network is therefore checked on a
  float64 copy of its parameters (same values, same code; the report says so):
  the float32 cost simply cannot resolve h = 1e-5, and a larger h would trade
  the round-off for truncation error.
* Saturation. Where an entry's true derivative g is so small that the step
  changes the cost by less than half a unit in its last place,
  |g| 2h < ulp(C) / 2, C(theta + h) and C(theta - h) round to the *same* float:
  the centred difference is exactly 0 while backprop (correctly) says 1e-11, a
  relative error of exactly 1. With std 100 weights on MNIST, C ~ 1,300 and
  ulp(C) = 2.3e-13, so every |g| below ~1e-8 vanishes this way.

So each entry's disagreement |analytic - numeric| is compared with the round-off
bound ``ROUNDOFF_ULPS * ulp(C) / h`` (the cost at the unperturbed parameters).
An entry the bands would call "suspicious" or "wrong" (error >= 1e-4) but that
disagrees by less than that is *below resolution*: the finite difference cannot judge it, so it is counted
(``ParamCheck.below_resolution``) and left out of the verdict, which is taken
over the resolved entries (``rel_error_resolved``); if no entry is resolved the
verdict says "below resolution". Healthy nets have no such entries, and their
report is unchanged. A bug is not hidden by this: it makes |analytic - numeric|
as large as the gradient itself, far above ulp(C) / h unless the gradient is
itself too small for any finite difference to see.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..checks import check_int, check_real, check_rng
from .network import _QUIET, Network, _check_l2, as_targets, check_inputs

__all__ = [
    "numerical_gradient",
    "relative_error",
    "relative_error_norm",
    "relative_error_maxabs",
    "RELATIVE_ERRORS",
    "h_sweep",
    "verdict",
    "BANDS",
    "ParamCheck",
    "GradCheckReport",
    "check_gradients",
]

#: (upper bound, verdict) in increasing order; the CS231n bands.
BANDS = (
    (1e-7, "good"),
    (1e-4, "ok only with kinks"),
    (1e-2, "suspicious"),
    (np.inf, "wrong"),
)

KINKS = {"relu": (0.0,), "leaky_relu": (0.0,), "hardtanh": (-1.0, 1.0)}

#: How many units in the last place of the cost its rounding may be: a centred
#: difference then errs by up to ROUNDOFF_ULPS * ulp(C) / h (measured: under 1 ulp / h
#: for [784, 30, 10] nets on 20 MNIST rows with std 1/sqrt(n) .. 1e6; 4 leaves a margin).
ROUNDOFF_ULPS = 4.0


def verdict(rel_err: float) -> str:
    """The CS231n band of a relative error ('good', ..., 'wrong'); NaN is 'wrong'."""
    if not np.isfinite(rel_err):
        return "wrong"
    for bound, word in BANDS:
        if rel_err < bound:
            return word
    return "wrong"


def relative_error(a, b, eps=1e-12) -> float:
    """max_i |a_i - b_i| / max(eps, |a_i| + |b_i|).

    ``eps`` only guards the case where both entries are zero (then the error is 0).
    """
    a, b = _same_shape(a, b)
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(eps, np.abs(a) + np.abs(b))))


def relative_error_norm(a, b, eps=1e-12) -> float:
    """||a - b|| / max(eps, ||a|| + ||b||), Euclidean norms over all entries.

    The formula of deeplearning.ai's gradient-checking lab. One number for the
    whole vector: entries with large gradients dominate it, so an error confined to
    a few small entries (one layer's biases, say) is diluted, while round-off on
    tiny entries, which inflates the elementwise formulas, is harmless.
    """
    a, b = _same_shape(a, b)
    if a.size == 0:
        return 0.0
    return float(np.linalg.norm(a - b) / max(eps, np.linalg.norm(a) + np.linalg.norm(b)))


def relative_error_maxabs(a, b, eps=1e-12) -> float:
    """max_i |a_i - b_i| / max(eps, |a_i|, |b_i|): the textbook relative error.

    Since max(|a_i|, |b_i|) <= |a_i| + |b_i| <= 2 max(|a_i|, |b_i|), it lies between
    :func:`relative_error` and twice it; a sign flip gives 2 here, 1 there.
    """
    a, b = _same_shape(a, b)
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(eps, np.maximum(np.abs(a), np.abs(b)))))


def _same_shape(a, b):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {a.shape} and {b.shape}")
    return a, b


#: The relative-error formulas in common use: CS231n's elementwise one (the default
#: here), deeplearning.ai's whole-vector norm ratio, the textbook elementwise one.
RELATIVE_ERRORS = {
    "cs231n": relative_error,
    "norm": relative_error_norm,
    "maxabs": relative_error_maxabs,
}


def h_sweep(f, x, exact, hs, *, index=None, method="centred", error="abs"):
    """The error of a finite-difference derivative for each step in ``hs``.

    Inputs:
      f, x:    as in :func:`numerical_gradient` (``f()`` reads the array ``x``).
      exact:   the true derivative: a number (with ``index``) or an array like x.
      hs:      the steps to try, each > 0 (e.g. ``np.logspace(-1, -12, 45)``).
      index:   one entry of x (a flat index or a tuple); default every entry.
      method:  "centred" or "forward".
      error:   "abs" (max |numeric - exact|) or a name in :data:`RELATIVE_ERRORS`.
    Returns: a float array, one error per h.

    For a smooth f the centred error is about |f'''| h^2 / 6 (truncation) plus
    eps_machine |f| / h (round-off), the forward error |f''| h / 2 + 2 eps |f| / h.
    """
    hs = np.asarray(hs, dtype=np.float64)
    if hs.ndim != 1 or hs.size == 0 or not (np.isfinite(hs).all() and (hs > 0).all()):
        raise ValueError(f"hs must be a non-empty 1-D list of finite numbers > 0, got {hs!r}")
    if error != "abs" and error not in RELATIVE_ERRORS:
        raise ValueError(f"error must be 'abs' or one of {sorted(RELATIVE_ERRORS)}, got {error!r}")
    indices = None if index is None else [index]
    exact = np.asarray(exact, dtype=np.float64).reshape(-1)
    out = np.empty(hs.size)
    for k, h in enumerate(hs):
        numeric = np.asarray(numerical_gradient(f, x, h=h, indices=indices, method=method)).reshape(-1)
        if numeric.shape != exact.shape:
            raise ValueError(f"exact must have {numeric.size} entries, got {exact.size}")
        if error == "abs":
            out[k] = float(np.max(np.abs(numeric - exact)))
        else:
            out[k] = RELATIVE_ERRORS[error](numeric, exact)
    return out


def numerical_gradient(f, x, h=1e-5, indices=None, method="centred"):
    """Finite-difference gradient of the scalar function ``f()`` with respect to ``x``.

    Inputs:
      f:        a function of no arguments that reads ``x`` (an array changed in
                place here, entry by entry, and restored exactly afterwards).
      x:        the float array to perturb.
      h:        the step, > 0.
      indices:  optional list of index tuples (or flat indices) to check; default all.
      method:   "centred" (f(x+h) - f(x-h)) / 2h, or "forward" (f(x+h) - f(x)) / h.
    Returns: an array like x (all entries) or a 1-D array of len(indices).
    """
    h = check_real(h, "h", "> 0", lambda v: v > 0)
    if method not in ("centred", "forward"):
        raise ValueError(f"method must be 'centred' or 'forward', got {method!r}")
    all_entries = indices is None
    if all_entries:
        indices = list(np.ndindex(x.shape))
    else:
        indices = [np.unravel_index(i, x.shape) if np.isscalar(i) else tuple(i) for i in indices]
    f0 = f() if method == "forward" else None
    out = np.empty(len(indices))
    for k, i in enumerate(indices):
        old = x[i]
        x[i] = old + h
        fp = f()
        if method == "centred":
            x[i] = old - h
            fm = f()
            out[k] = (fp - fm) / (2 * h)
        else:
            out[k] = (fp - f0) / h
        x[i] = old
    return out.reshape(x.shape) if all_entries else out


@dataclass
class ParamCheck:
    """One parameter array's check: how many entries or directions, the worst error.

    ``rel_error_without_kinks`` is the worst error over the entries (or directions)
    whose two evaluations saw no unit cross a kink: equal to ``rel_error`` when
    none crossed, 0.0 when all did. ``numeric`` and ``analytic`` keep the compared
    values (1-D, one per entry or direction checked), ``crossed`` which of them
    crossed a kink and ``indices`` the flat indices of the entries checked (None
    for directions), so that :meth:`error` can apply any formula of
    :data:`RELATIVE_ERRORS` to the same numbers.
    """

    name: str
    shape: tuple
    checked: int
    rel_error: float
    max_abs_error: float
    kink_crossings: int = 0
    rel_error_without_kinks: float | None = None
    numeric: np.ndarray | None = field(default=None, repr=False)
    analytic: np.ndarray | None = field(default=None, repr=False)
    crossed: np.ndarray | None = field(default=None, repr=False)
    indices: np.ndarray | None = field(default=None, repr=False)
    roundoff: float | None = None  # ROUNDOFF_ULPS ulp(C) / h: what the finite difference cannot resolve

    def _unresolved(self):
        """Entries the bands would call 'suspicious' or 'wrong' (error >= 1e-4) although they
        disagree by less than the round-off bound. (Entries in the 'ok only with kinks'
        band are left as they are: that verdict already says "not a bug by itself".)"""
        if self.roundoff is None or self.numeric is None or self.numeric.size == 0:
            return np.zeros(0 if self.numeric is None else self.numeric.size, dtype=bool)
        a, b = self.analytic, self.numeric
        with np.errstate(invalid="ignore"):
            diff = np.abs(a - b)
            not_good = diff >= BANDS[1][0] * np.maximum(1e-12, np.abs(a) + np.abs(b))
            return not_good & (diff <= self.roundoff)

    @property
    def below_resolution(self):
        """How many entries (or directions) the finite difference cannot judge (see the module docstring)."""
        return int(self._unresolved().sum())

    @property
    def rel_error_resolved(self):
        """The worst error over the entries the finite difference can resolve (None if none)."""
        unresolved = self._unresolved()
        if not unresolved.any():
            return self.rel_error
        if unresolved.all():
            return None
        return relative_error(self.numeric[~unresolved], self.analytic[~unresolved])

    @property
    def verdict(self):
        if not self.below_resolution:
            return verdict(self.rel_error)
        resolved = self.rel_error_resolved
        return "below resolution" if resolved is None else verdict(resolved)

    def error(self, formula="cs231n", *, without_kinks=False):
        """This parameter's error by ``formula`` (a name in :data:`RELATIVE_ERRORS`),
        optionally over the evaluations that crossed no kink only."""
        if formula not in RELATIVE_ERRORS:
            raise ValueError(f"formula must be one of {sorted(RELATIVE_ERRORS)}, got {formula!r}")
        if self.numeric is None:
            raise ValueError(f"{self.name}: this check kept no values (numeric/analytic are None)")
        keep = slice(None) if not without_kinks or self.crossed is None else ~self.crossed
        return RELATIVE_ERRORS[formula](self.numeric[keep], self.analytic[keep])


@dataclass
class GradCheckReport:
    """The per-parameter result of :func:`check_gradients`."""

    mode: str
    h: float
    params: list = field(default_factory=list)
    dtype: str = "float64"  # the network's; a float32 one is checked on a float64 copy

    @property
    def max_rel_error(self):
        return max((p.rel_error for p in self.params), default=0.0)

    @property
    def kink_crossings(self):
        return sum(p.kink_crossings for p in self.params)

    @property
    def max_rel_error_without_kinks(self):
        """The worst error once the evaluations that crossed a kink are set aside."""
        return max(
            (p.rel_error if p.rel_error_without_kinks is None else p.rel_error_without_kinks
             for p in self.params),
            default=0.0,
        )

    def max_error(self, formula="cs231n", *, without_kinks=False):
        """The worst per-parameter error by ``formula`` (see :meth:`ParamCheck.error`)."""
        return max((p.error(formula, without_kinks=without_kinks) for p in self.params), default=0.0)

    def overall_error(self, formula="norm"):
        """One error for all parameters together, their checked values concatenated
        into one vector (deeplearning.ai's way: a bug in a small parameter array
        is diluted by the large ones)."""
        if not self.params:
            return 0.0
        numeric = np.concatenate([p.numeric for p in self.params])
        analytic = np.concatenate([p.analytic for p in self.params])
        return RELATIVE_ERRORS[formula](numeric, analytic)

    def compare_with(self, grads_W, grads_b):
        """The same finite differences against other analytic gradients.

        Returns a new report whose numeric values (and kink crossings) are this
        one's and whose analytic values are read from ``grads_W``, ``grads_b`` at the
        entries this check looked at: no new cost evaluation, so checking ten
        candidate backprops costs one numerical gradient. Not for directional checks.
        """
        if self.mode == "directional":
            raise ValueError("compare_with needs a 'full' or 'subset' report; a directional one kept no entries")
        grads = []
        for gW, gb in zip(grads_W, grads_b):
            grads += [np.asarray(gW, dtype=np.float64), np.asarray(gb, dtype=np.float64)]
        if len(grads) != len(self.params):
            raise ValueError(f"expected gradients for {len(self.params)} parameter arrays, got {len(grads)}")
        other = GradCheckReport(mode=self.mode, h=self.h, dtype=self.dtype)
        for p, g in zip(self.params, grads):
            if g.shape != p.shape:
                raise ValueError(f"the gradient of {p.name} has shape {g.shape}, but {p.name} has shape {p.shape}")
            analytic = g.reshape(-1)[p.indices]
            keep = ~p.crossed
            other.params.append(ParamCheck(
                name=p.name, shape=p.shape, checked=p.checked,
                rel_error=relative_error(p.numeric, analytic),
                max_abs_error=float(np.max(np.abs(p.numeric - analytic))) if p.checked else 0.0,
                kink_crossings=p.kink_crossings,
                rel_error_without_kinks=relative_error(p.numeric[keep], analytic[keep]),
                numeric=p.numeric, analytic=analytic, crossed=p.crossed, indices=p.indices,
                roundoff=p.roundoff,
            ))
        return other

    def passed(self, tol=1e-7):
        """True when every parameter's relative error is below ``tol``."""
        return all(p.rel_error < tol for p in self.params)

    @property
    def below_resolution(self):
        """Entries (or directions) too small for the finite difference to judge, all parameters."""
        return sum(p.below_resolution for p in self.params)

    def __str__(self):
        lines = [f"gradient check ({self.mode}, h={self.h:g}); bands: <1e-7 good, >1e-2 wrong"]
        if self.dtype != "float64":
            lines.append(f"{self.dtype} network: checked on a float64 copy of its parameters (a {self.dtype} "
                         f"cost cannot resolve h={self.h:g}; see the gradcheck module docstring)")
        unresolved = self.below_resolution
        header = f"{'param':<6} {'shape':<12} {'checked':>8} {'rel. error':>11} {'kinks':>6}"
        lines.append(header + (f" {'unresolved':>10} {'resolved':>9}" if unresolved else "") + "  verdict")
        for p in self.params:
            row = f"{p.name:<6} {str(p.shape):<12} {p.checked:>8} {p.rel_error:>11.2e} {p.kink_crossings:>6}"
            if unresolved:
                resolved = p.rel_error_resolved
                row += f" {p.below_resolution:>10} {'-' if resolved is None else f'{resolved:.2e}':>9}"
            lines.append(row + f"  {p.verdict}")
        if unresolved:
            bound = max((p.roundoff or 0.0) for p in self.params)
            lines.append(f"unresolved: {unresolved} {'entry differs' if unresolved == 1 else 'entries differ'} from backprop by less than round-off in the "
                         f"cost can explain ({ROUNDOFF_ULPS:g} ulp(C) / h = {bound:.1e}): the finite difference "
                         f"cannot judge them (saturated units, or a float32 cost: check in float64), so the verdict uses "
                         f"the resolved ones, or says 'below resolution' where none is")
        return "\n".join(lines)

    def _repr_pretty_(self, printer, cycle):
        printer.text(str(self))


def _kink_signature(cache, kinks):
    """Which side of each kink every hidden unit's z lies on (a hashable summary)."""
    return [np.searchsorted(kinks, z) for z in cache.zs[:-1]]


def check_gradients(
    net: Network,
    X,
    y,
    *,
    lmbda=0.0,
    n=None,
    mode="subset",
    num_checks=10,
    h=1e-5,
    rng=None,
    backward=None,
    precision="float64",
):
    """Check ``net``'s backprop gradient (or ``backward``'s) against finite differences.

    Inputs:
      net, X, y:   the network and a (small) batch; the cost is ``net.loss(X, y, lmbda, n)``.
      mode:        "full", "subset" or "directional" (see the module docstring).
      num_checks:  entries ("subset") or directions ("directional") per parameter array.
      h:           finite-difference step.
      rng:         numpy.random.Generator, needed for "subset" and "directional".
      backward:    optional function (net, X, y, lmbda, n) -> (grads_W, grads_b) to
                   check instead of the network's own backprop (e.g. a student's).
      precision:   "float64" (default): a float32 network is checked on a float64
                   copy of its parameters, backprop and cost alike, because a float32
                   cost cannot resolve h = 1e-5 (module docstring); "network": in the
                   network's own dtype, to see that failure for yourself.
    Returns: a :class:`GradCheckReport`, one row per parameter W1, b1, W2, ...
    """
    if mode not in ("full", "subset", "directional"):
        raise ValueError(f"mode must be 'full', 'subset' or 'directional', got {mode!r}")
    if mode != "full":
        check_rng(rng)  # mode "full" perturbs every entry and needs none
    num_checks = check_int(num_checks, "num_checks", 1)
    h = check_real(h, "h", "> 0", lambda v: v > 0)
    if not isinstance(net, Network):
        raise ValueError(f"net must be a Network, got {type(net).__name__}")
    if backward is not None and not callable(backward):
        raise ValueError(f"backward must be None or a function (net, X, y, lmbda, n) -> (grads_W, grads_b), "
                         f"got {backward!r}")
    if precision not in ("float64", "network"):
        raise ValueError(f"precision must be 'float64' or 'network', got {precision!r}")
    checked_dtype = net.dtype.name if precision == "float64" else "float64"
    if net.dtype != np.float64 and precision == "float64":
        net = _float64_copy(net)  # see the module docstring: a float32 cost cannot resolve h
    X = check_inputs(X, net.sizes[0], dtype=net.dtype)
    Y = as_targets(y, X.shape[0], net.sizes[-1], dtype=net.dtype, cost=net.cost)
    _check_l2(lmbda, n, X.shape[0])
    if backward is None:
        grads_W, grads_b = net.backward(net.forward(X)[1], Y, lmbda=lmbda, n=n)
    else:
        grads_W, grads_b = backward(net, X, Y, lmbda, n)
    analytic = []
    for gW, gb in zip(grads_W, grads_b):
        # copies: a backward that returns a live parameter array must not see it perturbed
        analytic += [np.array(gW, dtype=np.float64), np.array(gb, dtype=np.float64)]
    for (name, param), grad in zip(net.parameters(), analytic):
        if grad.shape != param.shape:
            raise ValueError(f"the gradient of {name} has shape {grad.shape}, but {name} has shape {param.shape}")

    kinks = np.array(KINKS.get(net.activation.name, ()))
    lmbda_n = 0.0 if not lmbda else lmbda / (n if n is not None else X.shape[0])

    def cost():
        with np.errstate(**_QUIET):
            out, cache = net._forward(X)
            value = net.cost.value(cache.zs[-1], out, Y)
            if lmbda_n:
                value += 0.5 * lmbda_n * sum(float(np.sum(W * W)) for W in net.weights)
        if kinks.size:
            cost.signatures.append(_kink_signature(cache, kinks))
        return value

    cost.signatures = []
    at_theta = cost()
    if not np.isfinite(at_theta):
        raise ValueError(
            "net and X give an overflowed cost (inf) before any perturbation: the forward pass left float "
            "range, so no finite difference can be taken; check with smaller inputs X or smaller weights"
        )
    roundoff = ROUNDOFF_ULPS * float(np.spacing(net.dtype.type(abs(at_theta)))) / h  # ulp in the cost's dtype

    report = GradCheckReport(mode=mode, h=h, dtype=checked_dtype)
    for (name, param), grad in zip(net.parameters(), analytic):
        crossed = []
        if mode == "directional":
            numeric, exact = [], []
            for _ in range(num_checks):
                d = rng.standard_normal(param.shape)
                d /= np.sqrt(np.sum(d * d))  # not np.linalg.norm: BLAS threads cost more than they save here
                saved = param.copy()
                cost.signatures = []
                param += h * d
                fp = cost()
                param[...] = saved - h * d
                fm = cost()
                param[...] = saved
                crossed.append(_crossed(cost.signatures) if kinks.size else 0)
                numeric.append((fp - fm) / (2 * h))
                exact.append(float(np.sum(grad * d)))
            numeric, exact = np.array(numeric), np.array(exact)
            checked = num_checks
        else:
            if mode == "full":
                idx = list(np.ndindex(param.shape))
                flat = np.arange(param.size)
            else:
                flat = rng.choice(param.size, size=min(num_checks, param.size), replace=False)
                idx = [np.unravel_index(i, param.shape) for i in flat]
            numeric = np.empty(len(idx))
            for k, i in enumerate(idx):
                cost.signatures = []
                numeric[k] = numerical_gradient(cost, param, h=h, indices=[i])[0]
                crossed.append(_crossed(cost.signatures) if kinks.size else 0)
            exact = np.array([grad[i] for i in idx])
            checked = len(idx)
        crossed = np.array(crossed, dtype=bool)
        crossings = int(crossed.sum())
        report.params.append(
            ParamCheck(
                name=name,
                shape=tuple(param.shape),
                checked=checked,
                rel_error=relative_error(numeric, exact),
                max_abs_error=float(np.max(np.abs(numeric - exact))) if checked else 0.0,
                kink_crossings=crossings,
                rel_error_without_kinks=relative_error(numeric[~crossed], exact[~crossed]),
                numeric=np.asarray(numeric, dtype=np.float64),
                indices=None if mode == "directional" else np.asarray(flat, dtype=np.intp),
                analytic=np.asarray(exact, dtype=np.float64),
                crossed=crossed,
                roundoff=roundoff,
            )
        )
    return report


def _float64_copy(net):
    """The same network with its parameters cast (exactly) to float64."""
    other = net.copy()
    other.dtype = np.dtype(np.float64)
    other.weights = [W.astype(np.float64) for W in net.weights]
    other.biases = [b.astype(np.float64) for b in net.biases]
    return other


def _crossed(signatures):
    """1 if the two evaluations of a centred difference saw any unit on different kink sides."""
    if len(signatures) < 2:
        return 0
    a, b = signatures[0], signatures[1]
    return int(any(not np.array_equal(x, y) for x, y in zip(a, b)))
