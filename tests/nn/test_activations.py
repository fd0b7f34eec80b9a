import warnings

import numpy as np
import pytest

from course_lib.nn.activations import ACTIVATIONS, SOFTMAX, get_activation, sigmoid, softmax


def numerical_derivative(f, z, h=1e-6):
    return (f(z + h) - f(z - h)) / (2 * h)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_derivative_matches_numerical(name, rng):
    act = ACTIVATIONS[name]
    z = rng.uniform(-3, 3, size=200)
    # keep clear of kinks (0 for relu/leaky, +-1 for hardtanh) so the numerical derivative is exact
    z = z[(np.abs(z) > 1e-3) & (np.abs(np.abs(z) - 1) > 1e-3)]
    a = act.fn(z)
    np.testing.assert_allclose(act.prime(z, a), numerical_derivative(act.fn, z), rtol=1e-6, atol=1e-9)
    # the derivative computed from z alone agrees with the one given a
    np.testing.assert_allclose(act.prime(z), act.prime(z, a), rtol=1e-12)


def test_sigmoid_closed_form_and_extremes():
    z = np.array([-1e6, -50.0, -1.0, 0.0, 1.0, 50.0, 1e6])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = sigmoid(z)
    expected = np.array([0.0, 1.0 / (1.0 + np.exp(50.0)), 1 / (1 + np.e), 0.5, 1 / (1 + np.exp(-1)), 1.0, 1.0])
    np.testing.assert_allclose(s, expected, rtol=1e-9, atol=1e-21)
    assert ACTIVATIONS["sigmoid"].prime(np.array(0.0)) == pytest.approx(0.25)


def test_known_values():
    z = np.array([-2.0, -0.5, 0.0, 0.5, 2.0])
    np.testing.assert_allclose(ACTIVATIONS["relu"].fn(z), [0, 0, 0, 0.5, 2])
    np.testing.assert_allclose(ACTIVATIONS["leaky_relu"].fn(z), [-0.02, -0.005, 0, 0.5, 2])
    np.testing.assert_allclose(ACTIVATIONS["hardtanh"].fn(z), [-1, -0.5, 0, 0.5, 1])
    np.testing.assert_allclose(ACTIVATIONS["softsign"].fn(z), [-2 / 3, -1 / 3, 0, 1 / 3, 2 / 3])
    np.testing.assert_allclose(ACTIVATIONS["tanh"].prime(np.array(0.0)), 1.0)


def test_softmax_is_stable_and_normalised():
    z = np.array([[1000.0, 1000.0, -1000.0], [1.0, 2.0, 3.0]])
    p = softmax(z)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    np.testing.assert_allclose(p[0], [0.5, 0.5, 0.0])
    e = np.exp([1.0, 2.0, 3.0])
    np.testing.assert_allclose(p[1], e / e.sum())
    with pytest.raises(ValueError, match="log_likelihood"):
        SOFTMAX.prime(z)


def test_unknown_name_is_a_clear_error():
    with pytest.raises(ValueError, match=r"activation must be one of .*'relu'.*got 'rellu'"):
        get_activation("rellu")
    assert get_activation("tanh") is ACTIVATIONS["tanh"]
