"""sgd, check_gradients and the diagnostics under arbitrary arguments (see contract.py)."""
import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from course_lib import Network, check_gradients, format_layer_statistics, gradient_norms, layer_statistics, sgd
from course_lib.nn.gradcheck import numerical_gradient

from .contract import arrays, finite_or_inf, honest, inputs, junk, numbers, targets

SGD_ARGS = ("epochs", "batch_size", "eta", "lmbda", "rng", "validation", "monitor", "callback", "progress", "X", "y")


def small_net(seed=0, init="nielsen_default", cost="cross_entropy", sizes=(3, 4, 2)):
    return Network(list(sizes), cost=cost, init=init, rng=np.random.default_rng(seed))


def _data(n=8, n_in=3, n_out=2, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, n_in)), np.arange(n) % n_out


@given(epochs=st.one_of(st.integers(-1, 3), junk), batch_size=st.one_of(st.integers(-1, 10), junk),
       eta=st.one_of(st.sampled_from([0.1, 1.0, 1e3, 1e30]), numbers, junk),
       lmbda=st.one_of(st.just(0.0), numbers, junk),
       monitor=st.one_of(st.none(), st.sampled_from([("train_cost",), ("train_accuracy", "train_cost"), "train_cost",
                                                      ("validation_cost",), ("bogus",), (3,)]), junk),
       callback=st.one_of(st.none(), st.just(lambda e, h, n: False), junk),
       progress=st.one_of(st.sampled_from([None, False]), junk),
       init=st.sampled_from(["nielsen_default", 100.0, 1e6]))
def test_sgd_returns_a_history_that_is_finite_or_says_diverged(epochs, batch_size, eta, lmbda, monitor, callback,
                                                               progress, init):
    net = small_net(init=init)
    X, y = _data()
    history = honest(lambda: sgd(net, X, y, epochs=epochs, batch_size=batch_size, eta=eta, lmbda=lmbda,
                                 rng=np.random.default_rng(1), monitor=monitor, callback=callback, progress=progress),
                     *SGD_ARGS)
    if history is None:
        return
    assert 1 <= history.epochs <= epochs
    for value in history.train_cost:
        assert finite_or_inf(value)
    for value in history.train_accuracy:
        assert (0 <= value <= 1) or (math.isnan(value) and history.diverged is not None)
    if history.diverged is None:
        assert all(np.isfinite(W).all() for W in net.weights)


@given(X=inputs(3), validation=st.one_of(st.none(), junk, st.tuples(inputs(3), targets(4, 2))))
def test_sgd_checks_its_data_up_front(X, validation):
    net = small_net()
    y = np.arange(len(X)) % 2 if isinstance(X, np.ndarray) and X.ndim >= 1 else [0]
    history = honest(lambda: sgd(net, X, y, epochs=1, batch_size=2, eta=0.1, rng=np.random.default_rng(0),
                                 validation=validation), "X", "y", "validation")
    if history is not None:
        for value in history.validation_accuracy:
            assert 0 <= value <= 1 or history.diverged is not None


GC_ARGS = ("mode", "rng", "num_checks", "h", "X", "y", "lmbda", "n (the", "precision", "net", "backward")


@given(mode=st.one_of(st.sampled_from(["full", "subset", "directional"]), junk),
       num_checks=st.one_of(st.integers(-1, 4), junk), h=st.one_of(st.sampled_from([1e-5, 1e-3, 1e-12]), numbers, junk),
       lmbda=st.one_of(st.just(0.0), numbers, junk), n=st.one_of(st.none(), st.integers(-1, 5), junk),
       init=st.sampled_from(["nielsen_default", 100.0, 1e6, "zeros"]),
       dtype=st.sampled_from([np.float64, np.float32]),
       precision=st.one_of(st.sampled_from(["float64", "network"]), junk),
       rng=st.one_of(st.just(np.random.default_rng(2)), junk))
def test_check_gradients_gives_a_verdict_for_every_parameter(mode, num_checks, h, lmbda, n, init, dtype, precision,
                                                             rng):
    net = Network([3, 4, 2], init=init, rng=np.random.default_rng(0), dtype=dtype)
    X, y = _data(4)
    report = honest(lambda: check_gradients(net, X, y, mode=mode, num_checks=num_checks, h=h, lmbda=lmbda, n=n,
                                            rng=rng, precision=precision), *GC_ARGS)
    if report is not None:
        assert len(report.params) == 4
        for p in report.params:
            assert p.verdict in ("good", "ok only with kinks", "suspicious", "wrong", "below resolution")
            assert not math.isnan(p.rel_error)
        str(report)


@given(X=inputs(3), y=targets(4, 2), backward=st.one_of(st.none(), junk))
def test_check_gradients_checks_data_and_backward(X, y, backward):
    net = small_net()
    report = honest(lambda: check_gradients(net, X, y, mode="full", backward=backward), *GC_ARGS)
    if report is not None:
        assert all(p.verdict == "good" for p in report.params) or report.below_resolution


@given(h=st.one_of(numbers, junk), method=st.one_of(st.sampled_from(["centred", "forward"]), junk))
def test_numerical_gradient_names_h_and_method(h, method):
    x = np.array([1.0, 2.0])
    g = honest(lambda: numerical_gradient(lambda: float(np.sum(x * x)), x, h=h, method=method), "h", "method")
    if g is not None:
        assert np.isfinite(g).all() or h > 1e150  # (x + h)^2 overflows only for absurd h
        np.testing.assert_array_equal(x, [1.0, 2.0])  # restored


@given(layers=st.one_of(junk, st.lists(arrays(max_side=4), max_size=3)),
       activation=st.one_of(st.sampled_from(["sigmoid", "relu", "tanh"]), junk),
       tol=st.one_of(st.just(0.02), numbers, junk))
def test_layer_statistics_are_fractions_or_report_overflow(layers, activation, tol):
    stats = honest(lambda: layer_statistics(layers, activation, tol=tol),
                   "layer", "activation", "tol", "cache_or_activations")
    if stats is not None:
        for s in stats:
            assert 0 <= s.zero <= 1 and 0 <= s.dead <= 1
            assert s.saturated is None or 0 <= s.saturated <= 1
            if s.finite:
                assert math.isfinite(s.mean) and math.isfinite(s.std)
            else:
                assert "overflow" in format_layer_statistics([s])
        format_layer_statistics(stats)


@given(grads=st.one_of(junk, st.lists(arrays(max_side=4), max_size=3)))
def test_gradient_norms_are_norms(grads):
    norms = honest(lambda: gradient_norms(grads), "grads")
    if norms is not None:
        assert all(v >= 0 or math.isnan(v) for v in norms)
