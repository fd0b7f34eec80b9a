"""course_lib.nn.dropout: the mask keeps the mean, raises the second moment by 1/(1-p),
and backprop through a fixed mask is the exact gradient of the masked network."""
import math

import numpy as np
import pytest

from course_lib import Network, numerical_gradient, sgd
from course_lib.nn.dropout import dropout_backward, dropout_forward, dropout_masks
from course_lib.nn.network import as_targets

from .test_train import blobs


@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
def test_the_mask_keeps_the_mean_and_the_variance_follows_the_closed_form(p):
    # a = relu(z), z ~ N(0, 1): E[a] = 1/sqrt(2 pi), E[a^2] = 1/2. Masked, a m/(1-p) has
    # mean E[a] and variance E[a^2]/(1-p) - E[a]^2. 400,000 samples: standard errors
    # ~0.002 or less; the tolerances are 5 of them.
    rng = np.random.default_rng(0)
    N = 400_000
    net = Network([3, N, 1], rng=np.random.default_rng(1))       # one hidden layer of N units
    a = np.maximum(rng.standard_normal((1, N)), 0.0)
    (mask,) = dropout_masks(net, 1, p, rng=rng)
    assert set(np.unique(mask)) == {0.0, 1 / (1 - p)}
    x = a * mask
    mean, second = 1 / math.sqrt(2 * math.pi), 0.5
    var = second / (1 - p) - mean ** 2
    se_mean = math.sqrt(var / N)
    assert abs(x.mean() - mean) < 5 * se_mean
    assert abs(x.var() - var) < 5 * math.sqrt(np.var((x - x.mean()) ** 2) / N)
    assert abs(np.mean(mask == 0) - p) < 5 * math.sqrt(p * (1 - p) / N)
    assert x.var() > a.var() * 1.1          # the variance did grow (by far more than the noise)


def test_rate_zero_is_the_plain_forward_pass(rng):
    net = Network([4, 6, 5, 3], activation="tanh", rng=rng)
    X = rng.standard_normal((7, 4))
    masks = dropout_masks(net, 7, 0.0, rng=rng)
    assert all(np.all(m == 1.0) for m in masks) and [m.shape for m in masks] == [(7, 6), (7, 5)]
    out, _ = dropout_forward(net, X, masks)
    np.testing.assert_allclose(out, net.feedforward(X), rtol=1e-14)


@pytest.mark.parametrize("activation, cost", [("tanh", "cross_entropy"), ("relu", "log_likelihood"),
                                              ("sigmoid", "quadratic")])
def test_gradients_through_a_fixed_mask_match_numerical_gradients(activation, cost, rng):
    net = Network([3, 6, 5, 4], activation=activation, cost=cost, init="xavier_normal",
                  bias_init="standard_normal", rng=rng)
    X, labels = rng.standard_normal((8, 3)), rng.integers(0, 4, 8)
    Y = as_targets(labels, 8, 4)
    masks = dropout_masks(net, 8, 0.5, rng=rng)
    lmbda, n = 0.3, 20
    grads_W, grads_b = dropout_backward(net, dropout_forward(net, X, masks)[1], masks, Y, lmbda, n)

    def cost_of_masked_net():
        out, cache = dropout_forward(net, X, masks)
        return net.cost.value(cache.zs[-1], out, Y) + 0.5 * lmbda / n * sum(np.sum(W * W) for W in net.weights)

    for W, gW, b, gb in zip(net.weights, grads_W, net.biases, grads_b):
        for param, exact in ((W, gW), (b, gb)):
            numeric = numerical_gradient(cost_of_masked_net, param, h=1e-6)
            assert np.max(np.abs(numeric - exact)) < 1e-7 * max(1.0, np.max(np.abs(exact)))
    # a dropped unit passes no gradient: its incoming weights get zero gradient from those examples
    dropped_everywhere = np.all(masks[0] == 0, axis=0)
    assert np.all(grads_W[0][dropped_everywhere] == (lmbda / n) * net.weights[0][dropped_everywhere])


def test_sgd_with_dropout_is_the_masked_step(rng):
    # One full-batch step of sgd(dropout=p) equals W <- W - eta g with g the masked net's
    # gradient, masks drawn from the same generator right after the epoch's permutation.
    X, y = blobs(rng, n=12)
    net = Network([4, 6, 3], activation="relu", init="he_normal", rng=rng)
    expected = net.copy()
    shadow = np.random.default_rng(5)
    order = shadow.permutation(12)
    masks = dropout_masks(expected, 12, 0.3, rng=shadow)
    Y = as_targets(y[order], 12, 3)
    grads_W, grads_b = dropout_backward(expected, dropout_forward(expected, X[order], masks)[1], masks, Y)
    for W, gW, b, gb in zip(expected.weights, grads_W, expected.biases, grads_b):
        W -= 0.2 * gW
        b -= 0.2 * gb
    sgd(net, X, y, epochs=1, batch_size=12, eta=0.2, rng=np.random.default_rng(5), monitor=(), dropout=0.3)
    for (_, p), (_, q) in zip(net.parameters(), expected.parameters()):
        np.testing.assert_allclose(p, q, rtol=1e-12, atol=1e-15)


def test_dropout_trains_and_the_trained_net_uses_no_mask(rng):
    X, y = blobs(rng, n=90)
    net = Network([4, 30, 3], activation="relu", cost="log_likelihood", init="he_normal", rng=rng)
    start = net.loss(X, y)
    history = sgd(net, X, y, epochs=15, batch_size=10, eta=0.1, rng=rng, dropout=0.5,
                  monitor=("train_cost",))
    assert history.train_cost[-1] < 0.3 * start
    assert history.train_cost[-1] == pytest.approx(net.loss(X, y), rel=1e-12)   # evaluated without masks
    np.testing.assert_array_equal(net.feedforward(X), net.feedforward(X))      # deterministic at test time


@pytest.mark.parametrize("rate", [1.0, -0.1, float("nan"), "0.5", True])
def test_a_bad_rate_is_a_clear_error(rate, rng):
    X, y = blobs(rng, n=20)
    with pytest.raises(ValueError, match=r"dropout must be a finite number in \[0, 1\)"):
        sgd(Network([4, 5, 3], rng=rng), X, y, epochs=1, batch_size=5, eta=0.1, rng=rng, dropout=rate)
    with pytest.raises(ValueError, match="rate"):
        dropout_masks(Network([4, 5, 3], rng=rng), 3, rate, rng=rng)
