"""Gradient flow: per-example errors against backprop and finite differences, the
per-layer gain against closed forms, notebook 05's comparison and its figures
(the depth slider's callback is tested in tests/viz/test_depth_explorer.py)."""
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest

from course_lib import Network
from course_lib.nn.gradcheck import numerical_gradient
from course_lib.lessons.depth import gradient_flows
from course_lib.diagnostics.gradient_flow import (
    bias_gradient_norms,
    bias_gradient_norms_over_inits,
    deep_network,
    error_signals,
    gradient_norms_while_training,
    measure_gradient_flow,
)
from course_lib.viz.plotting import (
    log10_gradient_histograms,
    plot_accuracy_curves,
    plot_bias_gradient_norms,
    plot_gradient_profiles,
    plot_gradient_heatmap_grid,
    plot_speeds_during_training,
)


def _data(rng, n=40, n_in=12, n_out=4):
    return rng.random((n, n_in)), rng.integers(0, n_out, n)


@pytest.mark.parametrize("activation, cost", [("sigmoid", "cross_entropy"), ("relu", "log_likelihood"),
                                              ("tanh", "quadratic")])
def test_error_signals_average_to_backprop_bias_gradient(rng, activation, cost):
    X, y = _data(rng)
    net = Network([12, 9, 7, 4], activation=activation, cost=cost, rng=rng)
    deltas = error_signals(net, X, y)
    _, grads_b = net.gradients(X, y)
    assert [d.shape for d in deltas] == [(40, 9), (40, 7), (40, 4)]
    for d, g in zip(deltas, grads_b):
        np.testing.assert_allclose(d.mean(axis=0), g, rtol=1e-12, atol=1e-15)


def test_each_row_is_that_example_bias_gradient_by_finite_differences(rng):
    X, y = _data(rng, n=3)
    net = Network([12, 6, 5, 4], activation="tanh", rng=rng)
    deltas = error_signals(net, X, y)
    for i in range(3):
        for l, b in enumerate(net.biases):
            numeric = numerical_gradient(lambda: net.loss(X[i:i + 1], y[i:i + 1]), b)
            np.testing.assert_allclose(deltas[l][i], numeric, rtol=1e-6, atol=1e-9)


def test_bias_gradient_norms_two_reductions(rng):
    X, y = _data(rng)
    net = Network([12, 9, 7, 4], rng=rng)
    _, grads_b = net.gradients(X, y)
    mean_gradient = bias_gradient_norms(net, X, y)
    np.testing.assert_allclose(mean_gradient, [np.linalg.norm(g) for g in grads_b[:-1]], rtol=1e-12)
    mean_norm = bias_gradient_norms(net, X, y, reduce="mean_norm")
    by_loop = [np.mean([np.linalg.norm(net.gradients(X[i:i + 1], y[i:i + 1])[1][l]) for i in range(40)])
               for l in range(2)]
    np.testing.assert_allclose(mean_norm, by_loop, rtol=1e-10)
    assert np.all(mean_norm > mean_gradient)  # triangle inequality, strict for non-parallel gradients
    assert len(bias_gradient_norms(net, X, y, hidden_only=False)) == 3
    with pytest.raises(ValueError, match="reduce"):
        bias_gradient_norms(net, X, y, reduce="median")


def test_sigmoid_layers_learn_about_five_times_slower_per_layer(rng):
    # Nielsen ch. 5's effect on MNIST-sized random inputs: each earlier hidden layer's
    # bias gradient is smaller by about 1 / rms(sigma'(z)), 4-6 for z ~ N(0, ~1.2^2).
    X = (rng.random((300, 784)) < 0.2) * rng.random((300, 784))
    y = rng.integers(0, 10, 300)
    norms = bias_gradient_norms_over_inits([784, 30, 30, 30, 30, 10], X, y, n_nets=12, rng=rng)
    assert norms.shape == (12, 4)
    ratios = np.exp(np.mean(np.log(norms[:, 1:] / norms[:, :-1]), axis=0))
    assert np.all((ratios > 3.5) & (ratios < 6.5)), ratios


def test_over_inits_depends_on_rng_only(rng):
    X, y = _data(rng)
    a = bias_gradient_norms_over_inits([12, 8, 8, 4], X, y, n_nets=3, rng=np.random.default_rng(7))
    b = bias_gradient_norms_over_inits([12, 8, 8, 4], X, y, n_nets=3, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(a, b)
    assert len(np.unique(a[:, 0])) == 3  # three different networks
    with pytest.raises(ValueError, match="n_nets"):
        bias_gradient_norms_over_inits([12, 8, 4], X, y, n_nets=0, rng=rng)


def test_gradient_norms_while_training(rng):
    X, y = _data(rng, n=60)
    net = Network([12, 10, 10, 4], rng=rng)
    before = bias_gradient_norms(net, X, y)
    W0 = net.weights[0].copy()
    norms, history = gradient_norms_while_training(net, X, y, epochs=3, batch_size=10, eta=0.5,
                                                   rng=np.random.default_rng(1))
    assert norms.shape == (4, 2) and history.epochs == 3
    np.testing.assert_allclose(norms[0], before)
    np.testing.assert_allclose(norms[-1], bias_gradient_norms(net, X, y))
    assert not np.allclose(net.weights[0], W0)


def test_deep_network_shape_and_errors(rng):
    net = deep_network(5, 16, n_in=8, n_out=3, activation="relu", init="he_normal", rng=rng)
    assert net.sizes == [8, 16, 16, 16, 16, 16, 3] and net.depth == 6
    assert all(np.all(b == 0) for b in net.biases)
    for bad in (0, 2.5, True):
        with pytest.raises(ValueError, match="depth"):
            deep_network(bad, 16, n_in=8, n_out=3, activation="relu", init="he_normal", rng=rng)


def test_measure_gradient_flow_matches_backprop(rng):
    X, y = _data(rng, n=30)
    net = deep_network(4, 10, n_in=12, n_out=4, activation="tanh", init="xavier_normal", rng=rng)
    flow = measure_gradient_flow(net, X, y)
    grads_W, grads_b = net.gradients(X, y)
    for g, h in zip(flow.weight_gradients, grads_W):
        np.testing.assert_allclose(g, h, rtol=1e-12, atol=1e-15)
    for d, g in zip(flow.bias_gradients, grads_b):
        np.testing.assert_allclose(d.mean(axis=0), g, rtol=1e-12, atol=1e-15)
    assert flow.depth == 5 and flow.finite
    assert flow.predicted_bias_rms[-1] == flow.bias_rms[-1]


@pytest.mark.parametrize("activation, init, gain", [
    ("relu", "he_normal", 1.0),                    # n Var = 2, half the units pass: sqrt(2/2)
    ("relu", "lecun_normal", math.sqrt(0.5)),      # n Var = 1: sqrt(1/2)
    ("relu", 0.01, 0.01 * math.sqrt(400 / 2)),     # std 0.01, n = 400: 0.0707
    ("tanh", 0.01, 0.01 * math.sqrt(400)),         # tanh'(z) = 1 for tiny z: 0.2
])
def test_gain_per_layer_matches_closed_form(activation, init, gain):
    rng = np.random.default_rng(3)
    X = rng.standard_normal((100, 50))
    y = rng.integers(0, 10, 100)
    net = deep_network(12, 400, n_in=50, n_out=10, activation=activation, init=init, rng=rng)
    flow = measure_gradient_flow(net, X, y)
    assert flow.gain_per_layer() == pytest.approx(gain, rel=0.04)
    # The mean-field prediction from measured weights and slopes: a few % per layer.
    ratio = flow.bias_rms[:-1] / flow.predicted_bias_rms[:-1]
    assert np.all((ratio > 0.6) & (ratio < 1.6)), ratio


def test_extreme_settings_run_quietly(rng):
    X, y = _data(rng, n=20)
    net = deep_network(50, 30, n_in=12, n_out=4, activation="relu", init=100.0, rng=rng)
    flow = measure_gradient_flow(net, X, y)  # RuntimeWarnings are errors under pytest
    assert flow.depth == 51 and flow.bias_gain() > 1e100  # std 100: a factor ~390 per layer
    net = deep_network(50, 30, n_in=12, n_out=4, activation="relu", init=1e6, rng=rng)
    assert not measure_gradient_flow(net, X, y).finite  # past float range: inf/NaN, quietly


def test_log10_histograms_count_nonzero_entries():
    g = [np.array([[0.0, 1e-3, 1e-3, 10.0]]), np.array([1e-30, np.inf])]
    H = log10_gradient_histograms(g, edges=np.linspace(-4, 2, 7))
    np.testing.assert_allclose(H.sum(axis=1), [0.75, 0.5])  # zeros and inf are not counted
    assert H[0, 1] == 0.5 and H[0, 5] == 0.25 and H[1, 0] == 0.5  # out-of-range values pile at the ends


def test_figures_render(rng):
    X, y = rng.random((32, 10)), rng.integers(0, 10, 32)
    flows = gradient_flows(X, y, depth=6, width=16, inits={"small": 0.01, "he_normal": "he_normal"})
    assert set(flows) == {("tanh", "small"), ("tanh", "he_normal"), ("relu", "small"), ("relu", "he_normal")}
    fig = plot_gradient_heatmap_grid(flows, ["tanh", "relu"], ["small", "he_normal"])
    assert len(fig.axes) == 5  # four panels and a colorbar
    norms = {"a": rng.random((5, 2)), "b": rng.random((5, 3))}
    fig2 = plot_bias_gradient_norms(norms, published={"a": [0.5, 0.5]})
    fig3 = plot_speeds_during_training(rng.random((4, 3)), cost=[3.0, 2.0, 1.0], cost_ylim=(0, 4))
    assert fig3.axes[1].get_ylim() == (0, 4)
    fig4 = plot_gradient_profiles({"he": flows[("relu", "he_normal")]}, ylim=(1e-3, 1e3))
    assert len(fig4.axes[0].lines) == 2  # measured and predicted
    fig5 = plot_accuracy_curves({"he": [0.2, 0.4]}, chance=0.1)
    for f in (fig, fig2, fig3, fig4, fig5):
        f.canvas.draw()
        plt.close(f)
