"""Tests for course_lib.diagnostics.mean_field: the quadrature, mean-field closed forms and a
Monte Carlo check of chi_1."""
import math

import numpy as np
import pytest

from course_lib.diagnostics.mean_field import (
    chi1,
    critical_gain,
    critical_std,
    gaussian_expectation,
    length_map_fixed_point,
)


# ----------------------------------------------------------------- quadrature
@pytest.mark.parametrize("q", [1e-6, 0.3, 3.0, 400.0])
def test_gaussian_expectation_matches_gaussian_moments(q):
    assert gaussian_expectation(lambda z: z * z, q) == pytest.approx(q, rel=1e-9)
    assert gaussian_expectation(lambda z: z**4, q) == pytest.approx(3 * q * q, rel=1e-9)
    assert gaussian_expectation(np.cos, q) == pytest.approx(math.exp(-q / 2), rel=1e-9, abs=1e-12)


def test_gaussian_expectation_is_exact_for_relu():
    # E[relu(z)^2] = q/2 and E[relu'(z)^2] = 1/2: no node at 0, nodes in pairs
    assert gaussian_expectation(lambda z: np.maximum(z, 0) ** 2, 2.5) == pytest.approx(1.25, rel=1e-12)
    assert gaussian_expectation(lambda z: (z > 0) * 1.0, 2.5) == pytest.approx(0.5, rel=1e-12)


def test_gaussian_expectation_rejects_negative_variance():
    with pytest.raises(ValueError, match="q"):
        gaussian_expectation(np.cos, -1.0)


# ------------------------------------------------------------ mean-field theory
@pytest.mark.parametrize("gain", [0.3, 0.7, 0.95])
def test_tanh_below_critical_has_a_dead_signal_and_chi1_equals_gain_squared(gain):
    assert length_map_fixed_point("tanh", gain) == 0.0
    assert chi1("tanh", gain) == pytest.approx(gain**2, rel=1e-6)


@pytest.mark.parametrize("gain", [0.5, 1.0, 1.3, 2.0, 5.0])
def test_relu_chi1_is_gain_squared_over_two(gain):
    assert chi1("relu", gain) == pytest.approx(gain**2 / 2, rel=1e-9)
    q = length_map_fixed_point("relu", gain)
    assert q == (0.0 if gain < math.sqrt(2) else math.inf)


def test_critical_gains_closed_forms_and_sigmoid():
    assert critical_gain("tanh") == pytest.approx(1.0, abs=1e-6)
    assert critical_gain("relu") == pytest.approx(math.sqrt(2), abs=1e-6)
    g = critical_gain("sigmoid")
    assert 9.5 < g < 11.0
    assert chi1("sigmoid", g) == pytest.approx(1.0, abs=1e-6)
    assert critical_std("relu", 50) == pytest.approx(math.sqrt(2 / 50), rel=1e-6)


def test_fixed_point_and_chi1_match_a_wide_random_network(rng):
    """Monte Carlo: push 200 inputs through 30 tanh layers of width 1500 with gain 2;
    the pre-activation variance settles at q* and g^2 mean(tanh'(z)^2) at chi_1."""
    gain, n = 2.0, 1500
    q_star = length_map_fixed_point("tanh", gain)
    assert q_star == pytest.approx(gain**2 * gaussian_expectation(lambda z: np.tanh(z) ** 2, q_star), rel=1e-7)
    a = rng.standard_normal((200, n))
    for _ in range(30):
        z = a @ (gain / math.sqrt(n) * rng.standard_normal((n, n)))
        a = np.tanh(z)
    assert np.var(z) == pytest.approx(q_star, rel=0.03)
    assert gain**2 * np.mean((1 - a * a) ** 2) == pytest.approx(chi1("tanh", gain), rel=0.03)


def test_bad_gain_is_a_clear_error():
    with pytest.raises(ValueError, match="gain"):
        chi1("tanh", -1.0)
    with pytest.raises(ValueError, match="width"):
        critical_std("tanh", 0)
