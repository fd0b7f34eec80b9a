"""Notebook 01's experiments (course_lib.lessons.saturation) against closed forms, Monte Carlo and
the Network class."""
import math

import numpy as np
import pytest

from course_lib import Network
from course_lib.nn.activations import sigmoid_prime
from course_lib.lessons.saturation import (
    Z_SATURATED,
    check_neuron_std,
    neuron_z_std,
    sample_neuron_z,
    saturated_fraction,
    train_neurons,
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
    for rounded in (1.22, 1.225, 1.2247):            # the text's 1.22 and other 3-4 digit roundings
        assert check_neuron_std(rounded).startswith("Correct"), rounded
    for wrong in (math.sqrt(2), math.sqrt(0.5), 1.2, 1.25, math.sqrt(501)):
        assert check_neuron_std(wrong).startswith("Not quite"), wrong
    assert "variance" in check_neuron_std(1.5)
    assert check_neuron_std(22.4).startswith("Not quite")
    assert "number" in check_neuron_std("abc")
