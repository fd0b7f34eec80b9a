"""Notebook 02's experiments (course_lib.lessons.histograms) against closed forms, Monte Carlo and
course_lib.diagnostics."""
import math
import warnings

import numpy as np
import pytest

from course_lib import layer_statistics
from course_lib.lessons.histograms import (
    gaussian_moments,
    hidden_forward,
    layer_table,
    predict_layer_stats,
    scaled_forward,
    standard_weights,
)


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
