"""course_lib.lessons.optimizers: notebook 11's measurements, on cases with known answers."""
import math

import numpy as np
import pytest

from course_lib import Network
from course_lib.lessons.optimizers import (
    SEEDS, check_adam_first_step, check_dropout_he_std, dead_units, dropout_z_std, first_step_sizes,
    input_dependence, logit_spread, median_final, predicted_dropout_z_std, row_spread, spiral_data,
    tanh_prime_zero_fraction, train_over_seeds, train_run)


def test_first_step_sizes_are_the_gradient_for_sgd_and_eta_for_adam(rng):
    X, y = rng.standard_normal((40, 3)), rng.integers(0, 2, 40)
    net = Network([3, 8, 2], activation="tanh", cost="log_likelihood", init="xavier_normal", rng=rng)
    grads_W, _ = net.gradients(X, y)
    sizes = first_step_sizes(net, X, y, eta=1e-3)
    np.testing.assert_allclose(sizes["sgd"], [np.median(np.abs(g)) for g in grads_W], rtol=1e-9)
    # Adam's first step is eta |g| / (|g| + eps) per entry: 1 to 1e-6 for gradients > 1e-2.
    assert min(np.abs(g).min() for g in grads_W) > 0
    expected = [np.median(np.abs(g) / (np.abs(g) + 1e-8)) for g in grads_W]
    np.testing.assert_allclose(sizes["adam"], expected, rtol=1e-9)
    W_before = [W.copy() for W in net.weights]
    assert all(np.array_equal(W, V) for W, V in zip(net.weights, W_before))   # the net is not changed


def test_tanh_prime_zero_fraction_counts_exact_zeros(rng):
    net = Network([2, 50, 50, 3], activation="tanh", cost="log_likelihood", init=30.0, rng=rng)
    X = rng.standard_normal((60, 2))
    fractions = tanh_prime_zero_fraction(net, X)
    _, cache = net.forward(X)
    for f, z in zip(fractions, cache.zs[:-1]):
        assert f == np.mean(np.abs(np.tanh(z)) == 1.0)      # tanh'(z) = 0.0 exactly where tanh(z) = +-1.0
    assert fractions[1] > 0.5 and tanh_prime_zero_fraction(Network([2, 50, 3], activation="tanh",
                                                                   init="xavier_normal", rng=rng), X) == [0.0]


def test_dead_units_row_spread_and_logit_spread_on_built_cases(rng):
    net = Network([2, 4, 3], activation="relu", cost="log_likelihood", init="he_normal", rng=rng)
    net.biases[0][:] = [-100.0, 0.0, -100.0, 100.0]          # units 0 and 2 are off for |x| < 10
    X = rng.uniform(-1, 1, (30, 2))
    assert dead_units(net, X).tolist() == [True, False, True, False]
    assert row_spread(np.tile([1.0, -2.0, 3.0], (5, 1))) == 0.0 and row_spread(np.zeros((3, 2))) == 0.0
    assert row_spread(np.array([[1.0, 2.0], [1.0, 4.0]])) == pytest.approx(0.5)
    net.weights[-1][:] = 0.0                                 # the logits are the output biases alone
    assert logit_spread(net, X) == 0.0
    net.weights[-1][:] = 1.0
    assert logit_spread(net, X) > 1e-3          # unit 1 carries the input to the logits (unit 3 adds 100)


def test_input_dependence_is_one_for_a_centred_linear_unit_and_zero_for_a_constant(rng):
    X = rng.standard_normal((50, 3))
    X -= X.mean(axis=0)
    net = Network([3, 1], output="identity", cost="quadratic", rng=rng)
    net.biases[0][:] = 0.0
    assert input_dependence(net, X) == pytest.approx([1.0], rel=1e-12)   # z has mean 0: std = rms
    net.weights[0][:] = 0.0
    net.biases[0][:] = 2.0
    assert input_dependence(net, X).tolist() == [0.0]


def test_predicted_dropout_std_closed_form():
    np.testing.assert_allclose(predicted_dropout_z_std(3, 0.5), math.sqrt(2) * np.array([1, math.sqrt(2), 2]))
    np.testing.assert_allclose(predicted_dropout_z_std(4, 0.5, gain2=1.0), np.ones(4))
    np.testing.assert_allclose(predicted_dropout_z_std(3, 0.5, gain2=1.0, test_time=True), [1, 0.5 ** 0.5, 0.5])
    np.testing.assert_allclose(predicted_dropout_z_std(3, 0.0), [math.sqrt(2)] * 3)


@pytest.mark.parametrize("rate, gain2, test_time", [(0.0, 2.0, False), (0.5, 2.0, False), (0.3, 1.4, False),
                                                    (0.5, 1.0, True)])
def test_measured_dropout_std_follows_the_closed_form(rate, gain2, test_time):
    # Median over 3 seeds of the per-layer growth factor of std(z) over 6 layers of 400
    # units: measured within 1.5% of the closed form (finite-width noise); tolerance 4%.
    depth = 6
    growth = np.median([
        (lambda s: (s[-1] / s[0]) ** (1 / (depth - 1)))(
            dropout_z_std(depth, 400, rate, gain2=gain2, batch=400, rng=np.random.default_rng(seed), test_time=test_time))
        for seed in range(3)])
    p = predicted_dropout_z_std(depth, rate, gain2=gain2, test_time=test_time)
    assert growth == pytest.approx((p[-1] / p[0]) ** (1 / (depth - 1)), rel=0.04)
    first = dropout_z_std(depth, 400, rate, gain2=gain2, batch=400, rng=np.random.default_rng(9), test_time=test_time)[0]
    assert first == pytest.approx(math.sqrt(gain2), rel=0.05)       # layer 1 sees the unit-variance input


def test_train_run_records_the_initial_net_and_the_first_bias(rng):
    X, y = spiral_data()
    run = train_run([2, 20, 3], X, y, init="he_normal", optimizer="adam", eta=1e-2, seed=3, epochs=3, first_bias=-0.5)
    assert np.all(run.initial.biases[0] == -0.5) and not np.all(run.net.biases[0] == -0.5)
    assert len(run.curve) == 4 and run.curve[0] == pytest.approx(run.initial.loss(X, y))
    assert run.final_loss == pytest.approx(run.net.loss(X, y)) and run.accuracy == run.net.accuracy(X, y)
    again = train_run([2, 20, 3], X, y, init="he_normal", optimizer="adam", eta=1e-2, seed=3, epochs=3, first_bias=-0.5)
    np.testing.assert_array_equal(again.curve, run.curve)          # same seed, same bits


def test_train_over_seeds_and_median_final():
    X, y = spiral_data()
    runs = train_over_seeds(None, X, y, init="he_normal", optimizer="sgd", eta=0.1, deep=(3, 10), epochs=2)
    assert len(runs) == len(SEEDS) and all(r.net.sizes == [2, 10, 10, 10, 3] for r in runs)
    accuracies = sorted(r.accuracy for r in runs)
    assert median_final(runs) == (accuracies[1], accuracies[0], accuracies[2])
    assert median_final(runs, "loss")[0] == sorted(r.final_loss for r in runs)[1]


def test_check_adam_first_step():
    assert check_adam_first_step(None).startswith("Not answered")
    assert check_adam_first_step(1e-3 * 1e-6 / (1e-6 + 1e-8)).startswith("Correct")
    assert check_adam_first_step(9.9e-4).startswith("Correct")                # the rounded value
    assert check_adam_first_step(-9.9e-4).startswith("Correct")               # as a signed step
    assert "SGD" in check_adam_first_step(1e-9)
    assert "eps" in check_adam_first_step(1e-3)
    assert check_adam_first_step(0.5).startswith("Not quite") and check_adam_first_step("x").startswith("Your answer")


def test_check_dropout_he_std():
    assert check_dropout_he_std(0.1).startswith("Correct")                    # sqrt(2 * 0.5 / 100)
    assert check_dropout_he_std(math.sqrt(0.01)).startswith("Correct")
    assert "He's std without dropout" in check_dropout_he_std(math.sqrt(2 / 100))
    assert "other way" in check_dropout_he_std(0.2)
    assert "variance" in check_dropout_he_std(0.01)
    assert check_dropout_he_std(None).startswith("Not answered") and check_dropout_he_std(0.3).startswith("Not quite")
