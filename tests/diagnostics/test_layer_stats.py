import warnings

import numpy as np
import pytest

from course_lib import Network, format_layer_statistics, gradient_norms, layer_statistics


def test_statistics_of_known_arrays():
    a1 = np.array([[0.0, 0.01, 0.5], [0.99, 0.0, 0.3]])   # sigmoid-like outputs
    stats = layer_statistics([a1], "sigmoid", tol=0.02)
    s = stats[0]
    assert s.layer == 1
    assert s.mean == pytest.approx(a1.mean()) and s.std == pytest.approx(a1.std())
    assert s.saturated == pytest.approx(4 / 6)        # 0, 0.01, 0.99, 0 are within 0.02 of 0 or 1
    assert s.zero == pytest.approx(2 / 6)
    assert s.dead == 0.0                               # no column is zero for every example
    relu_like = np.array([[0.0, 1.0, 0.0], [0.0, 2.0, 3.0]])
    r = layer_statistics([relu_like], "relu")[0]
    assert r.saturated is None and r.dead == pytest.approx(1 / 3) and r.zero == pytest.approx(0.5)
    t = layer_statistics([np.array([[-0.99, 0.0, 0.985, 0.5]])], "tanh")[0]
    assert t.saturated == pytest.approx(0.5)


def test_cache_uses_hidden_layers_only(rng):
    net = Network([10, 8, 6, 3], activation="tanh", rng=rng)
    _, cache = net.forward(rng.normal(size=(20, 10)))
    stats = layer_statistics(cache, "tanh")
    assert [s.layer for s in stats] == [1, 2]
    assert stats[1].std == pytest.approx(cache.activations[2].std())


def test_sigmoid_std_1_saturates_and_relu_tiny_std_does_not_die(rng):
    """The classic experiment in miniature: 500 samples, 100 units, 5 layers."""
    X = rng.normal(size=(500, 100))
    net = Network([100] * 6 + [10], activation="sigmoid", init=1.0, bias_init="zeros", rng=rng)
    _, cache = net.forward(X)
    assert layer_statistics(cache, "sigmoid")[4].saturated > 0.5
    net = Network([100] * 6 + [10], activation="sigmoid", init="lecun_normal", rng=rng)
    _, cache = net.forward(X)
    assert layer_statistics(cache, "sigmoid")[4].saturated < 0.01


def test_overflow_is_reported_not_warned(rng):
    net = Network([50] * 40 + [2], activation="relu", init=100.0, bias_init="zeros", rng=rng,
                  dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, cache = net.forward(rng.normal(size=(5, 50)))
        stats = layer_statistics(cache, "relu")
        text = format_layer_statistics(stats)
    assert stats[0].finite and not stats[-1].finite
    assert "overflow" in text


def test_gradient_norms(rng):
    assert gradient_norms([np.array([3.0, 4.0]), np.ones((2, 2))]) == [5.0, 2.0]


def test_bad_tolerance():
    with pytest.raises(ValueError, match=r"tol must be a finite number in \(0, 0.5\)"):
        layer_statistics([np.zeros((2, 2))], "sigmoid", tol=0.7)
