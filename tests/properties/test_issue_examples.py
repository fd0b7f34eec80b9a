"""The bad inputs issue 14 reproduced, one by one: each now gets a clear error naming the
argument and what is accepted, or an honest result (a diverged net says so)."""
import math

import numpy as np
import pytest

from course_lib import Network, layer_statistics, sgd
from course_lib.nn import initializers as inits
from course_lib.viz.plotting import activation_histogram, plot_layer_histograms
from course_lib.viz.train_widget import TrainSettings, train_subset
from course_lib.viz.widgets import HistogramExplorer

RNG = np.random.default_rng(0)
X3 = RNG.standard_normal((6, 3))
y3 = np.arange(6) % 3


def net3(**kwargs):
    return Network([3, 4, 3], cost="log_likelihood", rng=np.random.default_rng(0), **kwargs)


def test_a_one_unit_softmax_is_refused():
    with pytest.raises(ValueError, match=r"sizes\[-1\] must be >= 2 for a softmax output"):
        Network([3, 1], activation="tanh", cost="log_likelihood", rng=RNG)


@pytest.mark.parametrize("y, match", [
    ([3] * 6, r"labels must lie in 0..2, got min 3"), ([-1] * 6, r"labels must lie in 0..2"),
    ([1.5] * 6, r"integer class labels 0..2, got 1.5"), ([np.nan] * 6, r"integer class labels 0..2, got nan"),
    ([1e10] * 6, r"labels must lie in 0..2"), (["a"] * 6, r"y must hold real numbers, got strings"),
    ([0, 1], r"y must have one entry per example of X \(6\), got 2"),
])
def test_accuracy_checks_its_labels_like_loss_does(y, match):
    for method in (net3().accuracy, net3().loss):
        with pytest.raises(ValueError, match=match):
            method(X3, y)


@pytest.mark.parametrize("y, match", [(np.full((6, 1), 2.0), r"must lie in \[0, 1\] for the cross_entropy cost"),
                                      (np.full(6, -1.0), r"must lie in \[0, 1\]")])
def test_targets_where_the_cost_is_unbounded_below_are_refused(y, match):
    net = Network([3, 5, 1], activation="tanh", rng=RNG)
    with pytest.raises(ValueError, match=match):
        net.loss(X3, y)
    with pytest.raises(ValueError, match=match):
        sgd(net, X3, y, epochs=1, batch_size=2, eta=0.1, rng=RNG)


def test_log_likelihood_targets_must_be_distributions():
    with pytest.raises(ValueError, match="rows must each sum to 1 for the log_likelihood cost"):
        net3().loss(X3, np.full((6, 3), 0.5))


def test_a_diverged_network_reports_nan_accuracy_and_history_says_diverged():
    net = net3()
    for W in net.weights:
        W.fill(np.nan)
    assert math.isnan(net.accuracy(X3, y3))          # not the 1/3 that argmax would give
    assert net.loss(X3, y3) == math.inf              # overflowed, not NaN
    history = sgd(net, X3, y3, epochs=3, batch_size=2, eta=0.1, rng=RNG, validation=(X3, y3))
    assert history.diverged == 1 and history.epochs == 1
    assert math.isnan(history.validation_accuracy[0]) and history.validation_cost[0] == math.inf


@pytest.mark.parametrize("X, match", [(X3 + 1j, "got complex numbers"), (X3.astype(str), "got strings"),
                                      (X3.astype(object), "got Python objects"), ([[1, 2], [3]], "ragged")])
def test_X_is_checked_before_it_is_converted(X, match):
    with _no_warning():
        with pytest.raises(ValueError, match=f"X must .*{match}"):
            net3().loss(X, y3)


class _no_warning:
    """Assert that no warning (ComplexWarning, ...) escapes the block."""

    def __enter__(self):
        import warnings

        self._catch = warnings.catch_warnings(record=True)
        self.caught = self._catch.__enter__()
        warnings.simplefilter("always")

    def __exit__(self, *exc):
        self._catch.__exit__(*exc)
        assert not self.caught, [str(w.message) for w in self.caught]


def test_float64_X_beyond_float32_range_is_refused_by_a_float32_net():
    with pytest.raises(ValueError, match="X must lie within the range of float32"):
        net3(dtype=np.float32).loss(np.full((2, 3), 1e300), [0, 1])


@pytest.mark.parametrize("call, match", [
    (lambda: inits.he_normal()((3, 4), RNG, dtype=np.int32), "dtype must be float32 or float64"),
    (lambda: inits.he_normal()((2.5, 3), RNG), "shape must be a non-empty tuple of integers"),
    (lambda: inits.normal("1"), "std must be a finite number >= 0, got '1'"),
    (lambda: inits.uniform("1"), "limit must be a finite number >= 0"),
    (lambda: inits.orthogonal("1"), "gain must be a finite number >= 0"),
    (lambda: inits.constant("1"), "value must be a finite number"),
    (lambda: inits.normal(1e300)((3, 4), RNG, dtype=np.float32), "must keep every draw within the range of float32"),
    (lambda: inits.he_normal()((10**5, 10**5), RNG), "more than the 1e\\+08"),
    (lambda: HistogramExplorer(rng=RNG, n_samples=10, n_features=4, depth=2, width=3).update(std="1"), "std must be"),
])
def test_initializers_refuse_what_they_used_to_accept(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize("kwargs, match", [(dict(lmbda="1"), "lmbda must be a finite number >= 0"),
                                           (dict(lmbda=None), "lmbda must be"),
                                           (dict(callback=3), "callback must be None or a function"),
                                           (dict(monitor=5), "monitor must be a sequence")])
def test_sgd_refuses_bad_settings_before_the_first_epoch(kwargs, match):
    net = net3()
    before = [W.copy() for W in net.weights]
    with pytest.raises(ValueError, match=match):
        sgd(net, X3, y3, epochs=1, batch_size=2, eta=0.1, rng=RNG, **kwargs)
    assert all(np.array_equal(a, b) for a, b in zip(before, net.weights))  # not one step was taken


def test_plotting_and_widget_arguments_are_checked():
    acts = [RNG.random((5, 4)), RNG.random((5, 4))]
    with pytest.raises(ValueError, match="bins must be an integer >= 1, got 0"):
        plot_layer_histograms(acts, "sigmoid", bins=0)
    with pytest.raises(ValueError, match="layers .* must be an integer in 1..2, got 7"):
        plot_layer_histograms(acts, "sigmoid", layers=[7])
    with pytest.raises(ValueError, match="edges must be at least 2 finite, strictly increasing"):
        activation_histogram(acts[0], "sigmoid", [1, 1])
    settings = TrainSettings(width=3, epochs=1)
    images = np.zeros((2, 784))
    with pytest.raises(ValueError, match=r"train X must be a 2-D array .* got shape \(784,\)"):
        train_subset(settings, (np.zeros(784), [0]), (images, [0, 1]))
    with pytest.raises(ValueError, match="seed must be an integer >= 0, got -1"):
        train_subset(settings, (images, [0, 1]), (images, [0, 1]), seed=-1)
    with pytest.raises(ValueError, match="statistics of an empty batch are undefined"):
        layer_statistics([np.zeros((0, 4))], "sigmoid")
