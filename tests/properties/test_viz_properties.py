"""Plotting helpers, widget explorers and the train widget under arbitrary arguments."""
import functools
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from course_lib.viz.plotting import (  # noqa: E402
    activation_histogram, histogram_range, nice_ceil, plot_layer_histograms, select_layers,
)
from course_lib.viz.train_widget import TrainSettings, train_subset  # noqa: E402
from course_lib.viz.widgets import HistogramExplorer, NeuronExplorer  # noqa: E402

from .contract import arrays, honest, junk, numbers  # noqa: E402


@functools.lru_cache(maxsize=None)
def explorer(kind):
    """One explorer per kind for the whole module: building one draws a figure, the slow part."""
    if kind == "histogram":
        return HistogramExplorer(rng=np.random.default_rng(0), n_samples=20, n_features=5, depth=2, width=4)
    return NeuronExplorer(rng=np.random.default_rng(0), n_draws=50)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@given(a=st.one_of(junk, arrays(max_side=4)), activation=st.one_of(st.sampled_from(["sigmoid", "relu", "tanh"]), junk),
       edges=st.one_of(junk, st.just([1, 1]), st.just([0.0, 0.5, 1.0]), st.just([1.0, 0.0]), st.just([0, np.nan]),
                       st.lists(st.floats(-2, 2), max_size=4)))
def test_activation_histogram_is_fractions_or_none_for_overflow(a, activation, edges):
    h = honest(lambda: activation_histogram(a, activation, edges), "a", "edges", "activation")
    if h is not None:
        assert np.isfinite(h).all() and h.min() >= 0 and h.sum() <= 1 + 1e-9


@given(value=st.one_of(numbers, junk))
def test_nice_ceil_and_select_layers(value):
    v = honest(lambda: nice_ceil(value), "value")
    if v is not None:
        assert math.isfinite(v) and v > 0
    layers = honest(lambda: select_layers(value, 4), "depth", "max_panels")
    if layers is not None:
        assert layers[0] == 1 and layers[-1] == value and len(layers) <= 4


@settings(max_examples=10)
@given(bins=st.one_of(st.integers(-1, 50), junk), layers=st.one_of(st.none(), st.just([7]), st.just([1, 2]),
                                                                   st.just([0]), st.just([1.5]), junk),
       scale=st.sampled_from([1.0, 1e30, np.inf]), activation=st.sampled_from(["sigmoid", "relu", "tanh"]))
def test_plot_layer_histograms_draws_or_names_bins_and_layers(bins, layers, scale, activation):
    rng = np.random.default_rng(0)
    acts = [rng.random((20, 5)), rng.random((20, 5)) * scale]
    fig = honest(lambda: plot_layer_histograms(acts, activation, bins=bins, layers=layers),
                 "bins", "layers", "activations")
    if fig is not None:
        assert len(fig.axes) >= 1


@given(activation=st.one_of(st.sampled_from(["sigmoid", "relu"]), junk), layers=st.lists(arrays(max_side=3), max_size=2))
def test_histogram_range_is_finite(activation, layers):
    r = honest(lambda: histogram_range(activation, layers), "activation", "a")
    if r is not None:
        assert all(math.isfinite(v) for v in r) and r[0] < r[1]


@settings(max_examples=8)
@given(changes=st.dictionaries(st.sampled_from(["std", "depth", "width", "activation", "init", "bogus"]),
                               st.one_of(numbers, junk, st.sampled_from(["he_normal", "relu", "custom"])), max_size=3))
def test_histogram_explorer_updates_or_names_the_control(changes):
    histograms = explorer("histogram")
    stats = honest(lambda: histograms.update(**changes), "std", "depth", "width", "activation", "init", "update()")
    if stats is not None:
        assert all(s.finite or not math.isfinite(histograms.stds[s.layer - 1]) for s in stats)
        assert histograms.png


@settings(max_examples=8)
@given(std=st.one_of(numbers, junk), n_inputs=st.one_of(st.integers(-1, 3000), junk))
def test_neuron_explorer_updates_or_names_the_control(std, n_inputs):
    result = honest(lambda: explorer("neuron").update(std=std, n_inputs=n_inputs), "std", "n_inputs")
    if result is not None:
        assert math.isfinite(result["predicted_std"]) or math.isinf(result["predicted_std"])
        assert 0 <= result["saturated"] <= 1


@given(kwargs=st.fixed_dictionaries({}, optional={
    "init": st.one_of(st.sampled_from(["custom", "nielsen_default", "x"]), junk), "std": st.one_of(numbers, junk),
    "hidden_layers": st.one_of(st.integers(-1, 5), junk), "width": st.one_of(st.integers(-1, 5), junk),
    "epochs": st.one_of(st.integers(-1, 3), junk), "bias_init": st.one_of(st.sampled_from(["zeros"]), junk)}))
def test_train_settings_validate_every_control(kwargs):
    s = honest(lambda: TrainSettings(**kwargs), *TrainSettings.__dataclass_fields__)
    if s is not None:
        assert s.sizes()[0] == 784


@settings(max_examples=10)
@given(X=st.one_of(junk, arrays(max_side=4), st.just(np.zeros(12)), st.just(np.zeros((12, 6)))),
       seed=st.one_of(st.integers(-2, 3), junk), eta=st.one_of(st.just(0.1), numbers, junk),
       std=st.sampled_from([1.0, 100.0, 1000.0]))
def test_train_subset_trains_or_names_the_argument(X, seed, eta, std):
    rng = np.random.default_rng(0)
    X_val, y_val = rng.random((5, 6)), np.arange(5) % 10
    y = np.arange(len(X)) % 10 if isinstance(X, np.ndarray) and X.ndim >= 1 else [0]
    settings_ = TrainSettings(init="custom", std=std, width=3, epochs=1)
    run = honest(lambda: train_subset(settings_, (X, y), (X_val, y_val), seed=seed, eta=eta, time_budget=None),
                 "train", "validation", "seed", "eta", "X", "y")
    if run is not None:
        assert all(0 <= a <= 100 or math.isnan(a) for a in run.accuracy)
        assert all(not math.isnan(c) for c in run.cost)
