"""Notebook 01/02 experiments against closed forms, Monte Carlo and the Network class."""
import math
import warnings

import numpy as np
import pytest

from course_lib import Network, layer_statistics
from course_lib.nn.activations import sigmoid_prime
from course_lib.lessons.saturation import (
    Z_SATURATED,
    check_neuron_std,
    neuron_z_std,
    sample_neuron_z,
    saturated_fraction,
    train_neurons,
)
from course_lib.lessons.histograms import (
    gaussian_moments,
    hidden_forward,
    layer_table,
    predict_layer_stats,
    scaled_forward,
    standard_weights,
)


def nielsen_input(n_inputs=1000, n_active=500):
    x = np.zeros(n_inputs)
    x[:n_active] = 1.0
    return x


# ------------------------------------------------------------------ saturation
def test_z_saturated_is_where_sigmoid_prime_is_one_percent():
    assert sigmoid_prime(Z_SATURATED) == pytest.approx(0.01, rel=1e-9)
    assert Z_SATURATED == pytest.approx(4.5849, abs=1e-4)
    assert sigmoid_prime(Z_SATURATED + 0.01) < 0.01 < sigmoid_prime(Z_SATURATED - 0.01)


def test_neuron_z_std_matches_nielsen():
    # Nielsen ch. 3: sqrt(501) = 22.4 with N(0, 1) weights; sqrt(3/2) = 1.22 with N(0, 1/1000).
    assert neuron_z_std(500, 1.0, 1.0) == pytest.approx(math.sqrt(501))
    assert neuron_z_std(500, 1 / math.sqrt(1000), 1.0) == pytest.approx(math.sqrt(1.5))
    assert neuron_z_std(0, 5.0, 0.0) == 0.0


def test_sampled_z_matches_prediction_and_gaussian_saturation(rng):
    for w_std in (1.0, 1 / math.sqrt(1000)):
        z = sample_neuron_z(8_000, 1000, 500, w_std, 1.0, rng=rng)
        s = neuron_z_std(500, w_std, 1.0)
        assert np.std(z) == pytest.approx(s, rel=0.03)
        assert abs(np.mean(z)) < 4 * s / math.sqrt(len(z))
        # P(|z| > 4.585) for z ~ N(0, s^2) = erfc(4.585 / (s sqrt 2))
        expected = math.erfc(Z_SATURATED / (s * math.sqrt(2)))
        assert saturated_fraction(z) == pytest.approx(expected, abs=0.015)
    assert expected < 0.001                       # new init: essentially never saturated


def test_sample_neuron_z_draws_real_weights(rng):
    """With n_active = 0 only the bias is left; with no bias and unit weights z is a sum of 500 normals."""
    z_bias = sample_neuron_z(5000, 10, 0, 3.0, 0.5, rng=rng)
    assert np.std(z_bias) == pytest.approx(0.5, rel=0.05)
    z = sample_neuron_z(3, 1000, 500, 1.0, 0.0, rng=np.random.default_rng(7))
    g = np.random.default_rng(7).normal(0.0, 1.0, size=(3, 1000))
    np.testing.assert_allclose(z, g[:, :500].sum(axis=1), rtol=1e-12)


def test_saturated_fraction_validates():
    with pytest.raises(ValueError, match="z"):
        saturated_fraction([])
    assert saturated_fraction([0.0, 10.0, -10.0, 4.0]) == 0.5


# --------------------------------------------------------------- train_neurons
def _network_costs(x, y, w, b, cost, eta, epochs):
    """Reference: the course's Network with one sigmoid output, trained by its own backward."""
    net = Network([len(x), 1], cost=cost, output="sigmoid", init="zeros", rng=np.random.default_rng(0))
    net.weights[0][:] = w[None, :]
    net.biases[0][:] = b
    costs = []
    for _ in range(epochs + 1):
        costs.append(net.loss(x[None, :], np.array([y])))
        gW, gb = net.gradients(x[None, :], np.array([y]))
        net.weights[0] -= eta * gW[0]
        net.biases[0] -= eta * gb[0]
    return np.array(costs)


@pytest.mark.parametrize("cost", ["quadratic", "cross_entropy"])
def test_train_neurons_matches_network_backprop(rng, cost):
    x = nielsen_input(50, 25)
    w = rng.normal(0, 0.3, size=(2, 50))
    b = rng.normal(size=2)
    ours = train_neurons(x, 0.0, w, b, cost=cost, eta=0.05, epochs=5)
    assert ours.shape == (6, 2)
    for k in range(2):
        np.testing.assert_allclose(ours[:, k], _network_costs(x, 0.0, w[k], b[k], cost, 0.05, 5), rtol=1e-10)


def test_saturated_neuron_stalls_with_quadratic_cost_not_with_cross_entropy():
    # Nielsen ch. 3: a neuron that is saturated and wrong (z = 10, target 0).
    x = nielsen_input()
    w = np.full((1, 1000), 10.0 / 500)
    b = np.zeros(1)
    quad = train_neurons(x, 0.0, w, b, cost="quadratic", eta=0.002, epochs=100)[:, 0]
    ce = train_neurons(x, 0.0, w, b, cost="cross_entropy", eta=0.002, epochs=100)[:, 0]
    assert quad[0] == pytest.approx(0.5 * (1 / (1 + math.exp(-10))) ** 2)
    assert quad[-1] > 0.99 * quad[0]              # stalled: sigma'(10) = 4.5e-5
    assert ce[-1] < 0.05                          # cross-entropy: dC/dz = a - y, no sigma'
    assert np.all(np.diff(ce) <= 1e-12)


def test_train_neurons_validates():
    x = nielsen_input(4, 2)
    with pytest.raises(ValueError, match="cost"):
        train_neurons(x, 0, np.zeros((1, 4)), np.zeros(1), cost="hinge")
    with pytest.raises(ValueError, match="w must have shape"):
        train_neurons(x, 0, np.zeros((1, 3)), np.zeros(1))
    with pytest.raises(ValueError, match="y must"):
        train_neurons(x, 2.0, np.zeros((1, 4)), np.zeros(1))
    with pytest.raises(ValueError, match="eta"):
        train_neurons(x, 0, np.zeros((1, 4)), np.zeros(1), eta=-1)


def test_check_neuron_std_messages():
    assert check_neuron_std(None).startswith("Not answered")
    assert check_neuron_std(math.sqrt(1.5)).startswith("Correct")
    assert "variance" in check_neuron_std(1.5)
    assert check_neuron_std(22.4).startswith("Not quite")
    assert "number" in check_neuron_std("abc")


# -------------------------------------------------------------- hidden_forward
def test_hidden_forward_matches_a_plain_loop():
    X = np.random.default_rng(1).standard_normal((50, 20))
    sig = hidden_forward(X, 3, 8, "tanh", "he_normal", rng=np.random.default_rng(2), dtype=np.float64)
    gen = np.random.default_rng(2)
    a = X
    for l, n_in in enumerate([20, 8, 8]):
        W = gen.normal(0.0, math.sqrt(2 / n_in), size=(8, n_in))
        a = np.tanh(a @ W.T)
        np.testing.assert_allclose(sig.activations[l], a, rtol=1e-12)
        np.testing.assert_allclose(np.tanh(sig.zs[l]), a, rtol=1e-12)
    assert sig.depth == 3


def test_hidden_forward_dtype_and_determinism(rng):
    X = rng.standard_normal((30, 10))
    a = hidden_forward(X, 2, 5, "relu", 0.3, rng=np.random.default_rng(3))
    b = hidden_forward(X, 2, 5, "relu", 0.3, rng=np.random.default_rng(3))
    assert a.activations[-1].dtype == np.float32 and a.activations[-1].shape == (30, 5)
    np.testing.assert_array_equal(a.activations[-1], b.activations[-1])


def test_scaled_forward_is_std_times_standard_weights(rng):
    X = rng.standard_normal((40, 6))
    G = standard_weights(6, 3, 7, rng=np.random.default_rng(5), dtype=np.float64)
    assert [g.shape for g in G] == [(7, 6), (7, 7), (7, 7)]
    stds = [0.5, 0.2, 0.1]
    sig = scaled_forward(X, G, stds, "sigmoid")
    a = X
    for g, s in zip(G, stds):
        a = 1 / (1 + np.exp(-(a @ (s * g).T)))
    np.testing.assert_allclose(sig.activations[-1], a, rtol=1e-10)
    one = scaled_forward(X, G, 0.3, "relu")
    np.testing.assert_allclose(one.activations[0], np.maximum(X @ (0.3 * G[0]).T, 0), rtol=1e-12)


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        (dict(depth=0), "depth"),
        (dict(width=0), "width"),
        (dict(depth=2.5), "depth"),
        (dict(activation="swish"), "activation"),
        (dict(init=-1.0), "init"),
        (dict(init="glorious"), "init"),
        (dict(dtype=np.int32), "dtype"),
    ],
)
def test_hidden_forward_rejects_bad_arguments(rng, kwargs, argument):
    args = dict(depth=2, width=4, activation="tanh", init=0.1, dtype=np.float32)
    args.update(kwargs)
    with pytest.raises(ValueError, match=argument):
        hidden_forward(np.ones((3, 4)), rng=rng, **args)


def test_hidden_forward_rejects_bad_X_and_rng(rng):
    with pytest.raises(ValueError, match="X"):
        hidden_forward(np.ones(4), 2, 4, rng=rng)
    with pytest.raises(ValueError, match="X"):
        hidden_forward(np.array([[np.nan, 1.0]]), 2, 4, rng=rng)
    with pytest.raises(ValueError, match="rng"):
        hidden_forward(np.ones((3, 4)), 2, 4, rng=0)


def test_extreme_settings_overflow_quietly(rng):
    X = rng.standard_normal((100, 100))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sig = hidden_forward(X, 50, 100, "relu", 100.0, rng=rng)
        stats = layer_statistics(sig.activations, "relu")
        pred = predict_layer_stats(50, 100, "relu", 100.0)
    assert stats[0].finite and not stats[-1].finite
    # float32 tops out at 3.4e38: the std grows by 100 sqrt(50) = 707 per layer, so
    # overflow comes after about 38 / log10(707) = 13 layers.
    first_bad = next(s.layer for s in stats if not s.finite)
    assert 11 <= first_bad <= 16
    assert np.isfinite(pred["a_std"]).all() and pred["a_std"][-1] > 1e130


# ------------------------------------------------------------ variance theory
def test_gaussian_moments_closed_forms_and_monte_carlo():
    m1, m2 = gaussian_moments("relu", 2.0)
    assert m1 == pytest.approx(2 / math.sqrt(2 * math.pi)) and m2 == pytest.approx(2.0)
    m1, m2 = gaussian_moments("sigmoid", 0.0)
    assert m1 == pytest.approx(0.5) and m2 == pytest.approx(0.25)
    u = np.random.default_rng(0).standard_normal(2_000_000)
    sig = lambda z: 0.5 * (1 + np.tanh(z / 2))
    for name, f, s in [("sigmoid", sig, 1.0), ("tanh", np.tanh, 0.7), ("sigmoid", sig, 22.4),
                       ("tanh", np.tanh, 0.01), ("softsign", lambda z: z / (1 + abs(z)), 3.0)]:
        m1, m2 = gaussian_moments(name, s)
        assert m1 == pytest.approx(np.mean(f(s * u)), abs=2e-3)
        assert m2 == pytest.approx(np.mean(f(s * u) ** 2), rel=3e-3)
    # Closed form for a huge std: E[sigma(1 - sigma)] = (1/(s sqrt(2 pi))) int sigma'(z) dz = 1/(s sqrt(2 pi)).
    s = 1e4
    assert gaussian_moments("sigmoid", s)[1] == pytest.approx(0.5 - 1 / (s * math.sqrt(2 * math.pi)), abs=1e-7)
    # Infinite std: a sigmoid unit is 0 or 1 with equal odds; tanh is +-1; relu overflows to inf.
    assert gaussian_moments("sigmoid", np.inf)[1] == pytest.approx(0.5, abs=1e-9)
    assert gaussian_moments("tanh", np.inf)[1] == pytest.approx(1.0, abs=1e-9)
    assert gaussian_moments("relu", np.inf)[1] == np.inf
    with pytest.raises(ValueError, match="z_std"):
        gaussian_moments("tanh", -1.0)


def test_predict_layer_stats_closed_forms():
    he = predict_layer_stats(6, 100, "relu", math.sqrt(2 / 100))
    # Var[z] = 2 in every layer; a = relu(z) has std sqrt(2 (1/2 - 1/(2 pi))) = 0.8256.
    np.testing.assert_allclose(he["z_std"], math.sqrt(2))
    np.testing.assert_allclose(he["a_std"], math.sqrt(2 * (0.5 - 1 / (2 * math.pi))), rtol=1e-12)
    big = predict_layer_stats(5, 100, "relu", 1.0)
    np.testing.assert_allclose(big["z_std"][1:] / big["z_std"][:-1], math.sqrt(50))
    small = predict_layer_stats(5, 100, "sigmoid", 0.01)
    np.testing.assert_allclose(small["a_mean"], 0.5)
    assert small["a_std"][-1] < 0.02
    with pytest.raises(ValueError, match="weight_std"):
        predict_layer_stats(3, 10, "tanh", -0.1)
    with pytest.raises(ValueError, match="depth"):
        predict_layer_stats(0, 10, "tanh", 0.1)


@pytest.mark.parametrize("activation, init", [("sigmoid", "lecun_normal"), ("tanh", "lecun_normal"),
                                              ("relu", "he_normal"), ("tanh", 0.05), ("sigmoid", 1.0)])
def test_prediction_matches_measured_std(activation, init):
    """Variance propagation against the real forward pass, averaged over 8 networks
    (one network of width 100 fluctuates by ~10-20% per layer around the prediction)."""
    from course_lib import get_initializer

    rng = np.random.default_rng(11)
    X = rng.standard_normal((500, 100))
    variances = [[a.var() for a in hidden_forward(X, 5, 100, activation, init, rng=rng, dtype=np.float64).activations]
                 for _ in range(8)]
    measured = np.sqrt(np.mean(variances, axis=0))
    predicted = predict_layer_stats(5, 100, activation, get_initializer(init).std(100, 100))["a_std"]
    np.testing.assert_allclose(measured, predicted, rtol=0.1)


def test_layer_table_shows_small_numbers_and_predictions(rng):
    X = rng.standard_normal((200, 50))
    sig = hidden_forward(X, 4, 50, "relu", 0.01, rng=rng, dtype=np.float64)
    stats = layer_statistics(sig.activations, "relu")
    pred = predict_layer_stats(4, 50, "relu", 0.01, n_in=50)["a_std"]
    lines = layer_table(stats, pred).splitlines()
    assert lines[0].split() == ["layer", "mean", "std", "predicted", "zero", "dead"]
    last = lines[-1].split()
    assert float(last[2]) == pytest.approx(stats[-1].std, rel=5e-3)      # 3 significant digits, not 0.0000
    assert float(last[3]) == pytest.approx(pred[-1], rel=5e-3)
    assert stats[-1].std < 1e-4
    sat = layer_statistics(hidden_forward(X, 2, 50, "sigmoid", 1.0, rng=rng).activations, "sigmoid")
    table = layer_table(sat)
    assert "saturated" in table and "predicted" not in table
    assert table.splitlines()[1].endswith(f"{100 * sat[0].saturated:.1f}%")
