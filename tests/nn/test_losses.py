import numpy as np
import pytest

from course_lib.nn.activations import ACTIVATIONS, SOFTMAX
from course_lib.nn.losses import LOSSES, get_loss


def numeric_dC_dz(loss, output, z, y, h=1e-6):
    """Per-example dC_x/dz by centred differences (C summed over the batch, so no 1/B)."""
    grad = np.zeros_like(z)
    B = len(z)
    for idx in np.ndindex(z.shape):
        zp, zm = z.copy(), z.copy()
        zp[idx] += h
        zm[idx] -= h
        grad[idx] = B * (loss.value(zp, output.fn(zp), y) - loss.value(zm, output.fn(zm), y)) / (2 * h)
    return grad


@pytest.mark.parametrize(
    "cost, output",
    [("quadratic", "sigmoid"), ("quadratic", "tanh"), ("quadratic", "identity"),
     ("cross_entropy", "sigmoid"), ("log_likelihood", "softmax")],
)
def test_delta_matches_numerical_derivative(cost, output, rng):
    loss = LOSSES[cost]
    out = SOFTMAX if output == "softmax" else ACTIVATIONS[output]
    z = rng.normal(0, 2, size=(4, 3))
    y = np.eye(3)[rng.integers(0, 3, 4)]
    delta = loss.delta(z, out.fn(z), y, out)
    np.testing.assert_allclose(delta, numeric_dC_dz(loss, out, z, y), rtol=1e-6, atol=1e-9)


def test_values_against_closed_forms():
    # a uniform guess over 10 classes costs ln 10
    z = np.zeros((5, 10))
    y = np.eye(10)[[0, 3, 5, 7, 9]]
    assert LOSSES["log_likelihood"].value(z, SOFTMAX.fn(z), y) == pytest.approx(np.log(10))
    # a sigmoid output of 0.5 costs ln 2 per unit under cross-entropy
    z = np.zeros((2, 3))
    y = np.array([[1, 0, 1], [0, 0, 1]], dtype=float)
    assert LOSSES["cross_entropy"].value(z, 0.5 + z, y) == pytest.approx(3 * np.log(2))
    # quadratic: 1/2 ||a - y||^2 averaged over the batch
    a = np.array([[0.2, 0.9], [1.0, 0.0]])
    y = np.array([[0.0, 1.0], [0.0, 1.0]])
    assert LOSSES["quadratic"].value(None, a, y) == pytest.approx(0.5 * (0.04 + 0.01 + 1 + 1) / 2)


def test_costs_stay_finite_for_huge_logits():
    z = np.array([[1e4, -1e4, 3e3]])
    y = np.array([[0.0, 1.0, 0.0]])
    for name, out in [("cross_entropy", ACTIVATIONS["sigmoid"]), ("log_likelihood", SOFTMAX)]:
        value = LOSSES[name].value(z, out.fn(z), y)
        assert np.isfinite(value)
    # log-likelihood of the wrong class at margin 2e4 is exactly that margin
    assert LOSSES["log_likelihood"].value(z, SOFTMAX.fn(z), y) == pytest.approx(2e4)
    # cross-entropy: softplus(1e4) + softplus(-1e4) - (-1e4) + softplus(3e3) = 1e4 + 1e4 + 3e3
    assert LOSSES["cross_entropy"].value(z, ACTIVATIONS["sigmoid"].fn(z), y) == pytest.approx(2.3e4)


def test_unknown_cost():
    with pytest.raises(ValueError, match=r"cost must be one of \['cross_entropy', 'log_likelihood', 'quadratic'\]"):
        get_loss("hinge")
