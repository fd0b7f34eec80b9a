"""Layer Jacobians against finite differences; their singular values against the
quarter-circle law, the orthogonal closed form and Glorot & Bengio (2010)."""
import math

import numpy as np
import pytest

from course_lib import Network
from course_lib.nn.initializers import orthogonal, pytorch_default
from course_lib.diagnostics.jacobians import (
    QUARTER_CIRCLE_MEAN,
    input_output_jacobian,
    jacobian_singular_values,
    layer_jacobians,
    mean_jacobian_singular_values,
    quarter_circle_mean,
)


def _hidden(net, x):
    """Activations a_1..a_(L-1) of one example (a list of 1-D arrays)."""
    _, cache = net.forward(x[None, :])
    return [a[0] for a in cache.activations[1:-1]]


def _finite_difference_jacobian(net, x, layer, h=1e-6):
    """d a_layer / d a_(layer-1) by centred differences, feeding a_(layer-1) directly."""
    a_prev = x if layer == 1 else _hidden(net, x)[layer - 2]
    W, b, f = net.weights[layer - 1], net.biases[layer - 1], net.activation.fn
    J = np.empty((W.shape[0], W.shape[1]))
    for j in range(W.shape[1]):
        e = np.zeros_like(a_prev)
        e[j] = h
        J[:, j] = (f(W @ (a_prev + e) + b) - f(W @ (a_prev - e) + b)) / (2 * h)
    return J


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "softsign"])
def test_layer_jacobians_match_finite_differences(rng, activation):
    net = Network([6, 7, 5, 4, 3], activation=activation, rng=rng)
    X = rng.standard_normal((3, 6))
    jacobians = layer_jacobians(net, X)
    assert sorted(jacobians) == [1, 2, 3]
    assert jacobians[2].shape == (3, 5, 7)
    for i in range(3):
        for l in (1, 2, 3):
            np.testing.assert_allclose(jacobians[l][i], _finite_difference_jacobian(net, X[i], l),
                                       rtol=1e-6, atol=1e-9)


def test_input_output_jacobian_is_the_chain_rule(rng):
    net = Network([5, 6, 6, 6, 2], activation="tanh", rng=rng)
    x = rng.standard_normal(5)
    J = input_output_jacobian(net, x, first=1, last=3)
    h = 1e-6
    numeric = np.empty((6, 5))
    for j in range(5):
        e = np.zeros(5)
        e[j] = h
        numeric[:, j] = (_hidden(net, x + e)[2] - _hidden(net, x - e)[2]) / (2 * h)
    np.testing.assert_allclose(J, numeric, rtol=1e-6, atol=1e-9)
    with pytest.raises(ValueError, match="one example"):
        input_output_jacobian(net, np.ones((2, 5)))
    with pytest.raises(ValueError, match="first must be <= last"):
        input_output_jacobian(net, x, first=3, last=2)


def test_quarter_circle_mean_of_a_gaussian_matrix(rng):
    n, std = 600, 0.03
    s = np.linalg.svd(rng.normal(0, std, (n, n)), compute_uv=False)
    assert QUARTER_CIRCLE_MEAN == pytest.approx(0.8488, abs=1e-4)
    assert s.mean() == pytest.approx(quarter_circle_mean(n, std ** 2), rel=0.01)
    assert s.max() == pytest.approx(2 * std * math.sqrt(n), rel=0.02)  # edge of the law
    with pytest.raises(ValueError, match="variance"):
        quarter_circle_mean(10, -1.0)


def test_identity_activation_jacobian_is_the_weight_matrix(rng):
    net = Network([4, 8, 8, 3], activation="identity", cost="quadratic", rng=rng)
    J = layer_jacobians(net, rng.standard_normal((2, 4)), layers=[2])[2]
    np.testing.assert_array_equal(J[0], net.weights[1])
    np.testing.assert_array_equal(J[1], net.weights[1])
    with pytest.raises(ValueError, match="hidden-layer numbers"):
        layer_jacobians(net, np.zeros((1, 4)), layers=[3])


def test_orthogonal_jacobian_singular_values_are_the_slopes(rng):
    # J = diag(f'(z)) gain Q with Q orthogonal: its singular values are gain |f'(z)|.
    gain = 1.3
    net = Network([30, 40, 40, 40, 5], activation="tanh", init=orthogonal(gain), bias_init="zeros", rng=rng)
    np.testing.assert_allclose(np.linalg.svd(net.weights[1], compute_uv=False), gain, rtol=1e-12)
    X = rng.standard_normal((4, 30))
    s = jacobian_singular_values(net, X, layers=[2, 3])
    _, cache = net.forward(X)
    for l in (2, 3):
        slopes = 1 - cache.activations[l] ** 2
        np.testing.assert_allclose(s[l], -np.sort(-gain * slopes, axis=1), rtol=1e-10)


@pytest.mark.parametrize("init, published, closed_form", [
    (pytorch_default(), 0.5, QUARTER_CIRCLE_MEAN / math.sqrt(3)),   # standard: n Var[W] = 1/3
    ("xavier_uniform", 0.8, QUARTER_CIRCLE_MEAN),                   # normalized: n Var[W] = 1
])
def test_glorot_bengio_mean_singular_values(init, published, closed_form):
    # Glorot & Bengio (2010), sec. 4.2.2, tanh nets at initialization: mean singular
    # value of the layer Jacobians about 0.8 (normalized) vs 0.5 (standard init). Our
    # setting: 5 tanh layers of 200 units, zero biases, sparse inputs in [0, 1) like
    # MNIST pixels (80% zeros). The value depends on the input scale through tanh'
    # (0.67-0.83 for the normalized init with other inputs): a tolerance, not a match.
    rng = np.random.default_rng(0)
    net = Network([100] + [200] * 5 + [10], activation="tanh", init=init, bias_init="zeros", rng=rng)
    X = (rng.random((4, 100)) < 0.2) * rng.random((4, 100))
    means = mean_jacobian_singular_values(net, X, layers=[2, 3, 4, 5])
    for m in means.values():
        assert m == pytest.approx(published, abs=0.06)
        assert m <= closed_form * 1.02  # tanh' <= 1 can only shrink W's singular values
    assert means[5] == pytest.approx(closed_form, rel=0.08)  # deep layers: small z, tanh' ~ 1


def test_extreme_weights_run_quietly(rng):
    net = Network([3, 4, 4, 2], activation="relu", init=1e200, rng=rng)  # z overflows to inf
    s = jacobian_singular_values(net, np.ones((2, 3)))  # RuntimeWarnings are errors in pytest
    assert s[1].shape == (2, 3) and s[2].shape == (2, 4)


def test_singular_value_figure(rng):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from course_lib.viz.plotting import plot_singular_values

    spectra = {"a": rng.random(50), "b": 10.0 ** rng.uniform(-8, 0, 50)}
    for logx in (False, True):
        fig = plot_singular_values(spectra, colors={"a": "red"}, logx=logx)
        ax = fig.axes[0]
        assert ax.get_xscale() == ("log" if logx else "linear")
        label = ax.get_legend().get_texts()[1].get_text()
        centre = np.median(spectra["b"]) if logx else np.mean(spectra["b"])
        assert label == f"b: {'median' if logx else 'mean'} {centre:.2g}"
        assert ax.get_ylabel() == ("fraction of singular values" if logx else "density")
        fig.canvas.draw()
        plt.close(fig)
