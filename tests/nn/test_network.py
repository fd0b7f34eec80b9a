import warnings

import numpy as np
import pytest

from course_lib import Network, check_gradients, relative_error

CASES = [
    # sizes, activation, cost
    ([5, 3], "sigmoid", "cross_entropy"),
    ([5, 4, 3], "sigmoid", "quadratic"),
    ([5, 4, 3], "tanh", "log_likelihood"),
    ([5, 6, 4, 3], "softsign", "cross_entropy"),
    ([5, 6, 4, 4, 3], "tanh", "quadratic"),
    ([5, 7, 6, 5, 4, 3], "sigmoid", "log_likelihood"),
    ([5, 6, 4, 3], "relu", "log_likelihood"),
    ([5, 6, 4, 3], "leaky_relu", "cross_entropy"),
    ([5, 6, 4, 3], "hardtanh", "quadratic"),
    ([5, 6, 4, 3], "identity", "quadratic"),
]


def five_point_gradient(f, x, h=1e-3):
    """(f(x-2h) - 8 f(x-h) + 8 f(x+h) - f(x+2h)) / 12h per entry: truncation error O(h^4), so a
    large h keeps round-off (eps |f| / h) near 1e-13 and even tiny gradient entries are exact
    enough for a 1e-7 relative-error test."""
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        values = []
        for step in (-2, -1, 1, 2):
            x[i] = old + step * h
            values.append(f())
        x[i] = old
        grad[i] = (values[0] - 8 * values[1] + 8 * values[2] - values[3]) / (12 * h)
    return grad


def full_numerical_gradients(net, X, y, lmbda, n):
    f = lambda: net.loss(X, y, lmbda=lmbda, n=n)
    return [five_point_gradient(f, p) for _, p in net.parameters()]


# Where the activation (or, for softsign, its second derivative: the five-point stencil assumes
# smoothness) is not smooth.
KINKS = {"relu": [0.0], "leaky_relu": [0.0], "hardtanh": [-1.0, 1.0], "softsign": [0.0]}


def kink_free(net, X, margin=0.03):
    """True when no hidden pre-activation lies within `margin` of a kink of the activation."""
    kinks = KINKS.get(net.activation.name, [])
    _, cache = net.forward(X)
    return all(np.abs(z - k).min() > margin for z in cache.zs[:-1] for k in kinks)


@pytest.mark.parametrize("sizes, activation, cost", CASES)
@pytest.mark.parametrize("lmbda", [0.0, 0.7])
def test_backprop_matches_numerical_gradient(sizes, activation, cost, lmbda):
    rng = np.random.default_rng(sum(sizes) + len(activation))
    net = Network(sizes, activation=activation, cost=cost, init="xavier_normal", bias_init=0.1, rng=rng)
    for _ in range(2000):  # a kink-free batch for ReLU-like units
        X = rng.normal(size=(4, sizes[0]))
        if kink_free(net, X):
            break
    else:
        pytest.fail("no kink-free batch found")
    y = rng.integers(0, sizes[-1], 4)
    grads_W, grads_b = net.gradients(X, y, lmbda=lmbda, n=50)
    analytic = [g for pair in zip(grads_W, grads_b) for g in pair]
    # Round-off floor of the five-point stencil: each loss value is off by about eps |C| (how
    # many ulps depends on the BLAS kernel's summation order), and the stencil weighs four of
    # them by (1 + 8 + 8 + 1) / 12h, so a numerical entry is uncertain by floor = 1.5 eps |C| / h
    # (3.5e-13 for |C| = 1, h = 1e-3), whatever its size. Only entries with |num| > 10 floor / 1e-7
    # (3.5e-5 for |C| = 1) can be held to a 1e-7 relative error: there round-off adds at most
    # c / 20 of the tolerance if it is c floors. Measured on Haswell, SkylakeX and Sandybridge
    # kernels: |a - num| <= 9.4 floor for the smooth activations (so c < 10), worst relative error
    # over those entries 2.4e-9, and at least 14% of every array's entries qualify. The others
    # (an entry of 4e-7 in the 6-layer sigmoid net's W1 scored 1.4e-7 on Sandybridge kernels:
    # 1.2e-13 = 0.3 floor) are held to the absolute 1e-11 of assert_allclose below, which
    # also bounds the truncation error (largest for softsign, 9.2e-12, the same on every kernel).
    floor = 1.5 * np.finfo(float).eps * abs(net.loss(X, y, lmbda=lmbda, n=50)) / 1e-3
    for (name, _), a, num in zip(net.parameters(), analytic, full_numerical_gradients(net, X, y, lmbda, 50)):
        meaningful = np.abs(num) > 10 * floor / 1e-7
        assert meaningful.mean() > 0.1, name
        assert relative_error(a[meaningful], num[meaningful]) < 1e-7, name
        np.testing.assert_allclose(a, num, rtol=1e-7, atol=1e-11, err_msg=name)


def test_forward_cache_shapes_and_values(rng):
    net = Network([4, 3, 2], activation="tanh", cost="quadratic", output="identity", rng=rng)
    X = rng.normal(size=(5, 4))
    out, cache = net.forward(X)
    assert [z.shape for z in cache.zs] == [(5, 3), (5, 2)]
    assert cache.activations[0] is not None and len(cache.activations) == 3
    W1, b1 = net.weights[0], net.biases[0]
    np.testing.assert_allclose(cache.zs[0], X @ W1.T + b1)
    np.testing.assert_allclose(cache.activations[1], np.tanh(X @ W1.T + b1))
    np.testing.assert_allclose(out, cache.activations[1] @ net.weights[1].T + net.biases[1])


def test_same_seed_same_bits_and_float32(rng):
    a = Network([8, 5, 3], rng=np.random.default_rng(3))
    b = Network([8, 5, 3], rng=np.random.default_rng(3))
    assert all(x.tobytes() == y.tobytes() for (_, x), (_, y) in zip(a.parameters(), b.parameters()))
    f = Network([8, 5, 3], rng=np.random.default_rng(3), dtype=np.float32)
    out = f.feedforward(rng.normal(size=(4, 8)))
    assert out.dtype == np.float32 and all(p.dtype == np.float32 for _, p in f.parameters())


def test_nielsen_schemes_and_bias_choice(rng):
    net = Network([1000, 200, 10], init="nielsen_large", rng=rng)
    assert net.weights[0].std() == pytest.approx(1.0, rel=0.02)
    assert net.biases[0].std() == pytest.approx(1.0, rel=0.15)
    net = Network([1000, 200, 10], init="nielsen_default", rng=rng)
    assert net.weights[0].std() == pytest.approx(1 / np.sqrt(1000), rel=0.02)
    net = Network([1000, 200, 10], init="nielsen_default", bias_init="zeros", rng=rng)
    assert not net.biases[0].any()
    net = Network([1000, 200, 10], init="he_normal", rng=rng)
    assert not net.biases[0].any()


def test_predict_accuracy_and_labels(rng):
    net = Network([2, 3], cost="log_likelihood", init="zeros", rng=rng)
    net.biases[0][:] = [0.0, 5.0, 1.0]  # always predicts class 1
    X = rng.normal(size=(4, 2))
    assert list(net.predict(X)) == [1, 1, 1, 1]
    assert net.accuracy(X, np.array([1, 0, 1, 2])) == 0.5
    assert net.accuracy(X, np.eye(3)[[1, 1, 1, 2]]) == 0.75


def test_initial_cost_of_uniform_guess_is_ln10(rng):
    net = Network([784, 30, 10], cost="log_likelihood", init="zeros", bias_init="zeros", rng=rng)
    X = rng.uniform(size=(50, 784))
    assert net.loss(X, rng.integers(0, 10, 50)) == pytest.approx(np.log(10))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(sizes=[784]), r"sizes must list at least 2 layer widths"),
        (dict(sizes=[]), r"sizes must list at least 2"),
        (dict(sizes=[784, 0, 10]), r"sizes must all be integers >= 1"),
        (dict(sizes=[784, 2.5, 10]), r"sizes must all be integers >= 1"),
        (dict(sizes=[4, 3], init=-1.0), r"init \(a std\) must be a finite number >= 0"),
        (dict(sizes=[4, 3], init=float("nan")), r"must be a finite number >= 0, got nan"),
        (dict(sizes=[4, 3], init="glorious"), r"init must be .* got 'glorious'"),
        (dict(sizes=[4, 3], bias_init="nope"), r"bias_init must be"),
        (dict(sizes=[4, 3], activation="swish"), r"activation must be one of"),
        (dict(sizes=[4, 3], cost="log_likelihood", output="sigmoid"), r"output must be 'softmax'"),
        (dict(sizes=[4, 3], cost="quadratic", output="softmax"), r"needs cost 'log_likelihood'"),
        (dict(sizes=[4, 3], dtype=np.int32), r"dtype must be float32 or float64"),
    ],
)
def test_bad_construction_is_a_clear_error(kwargs, match, rng):
    with pytest.raises(ValueError, match=match):
        Network(rng=rng, **kwargs)


def test_rng_must_be_a_generator():
    with pytest.raises(ValueError, match="rng must be a numpy.random.Generator"):
        Network([3, 2], rng=0)


def test_bad_inputs_are_clear_errors(rng):
    net = Network([4, 3, 2], rng=rng)
    X = rng.normal(size=(5, 4))
    with pytest.raises(ValueError, match=r"X must have shape \(batch, 4\).*got \(5, 3\)"):
        net.forward(X[:, :3])
    bad = X.copy()
    bad[2, 1] = np.nan
    with pytest.raises(ValueError, match="X contains NaN"):
        net.forward(bad)
    with pytest.raises(ValueError, match=r"y must have one entry per example of X \(5\), got 4"):
        net.loss(X, np.array([0, 1, 1, 0]))
    with pytest.raises(ValueError, match=r"y labels must lie in 0..1"):
        net.loss(X, np.array([0, 1, 2, 0, 1]))
    with pytest.raises(ValueError, match="lmbda must be a finite number >= 0"):
        net.loss(X, np.array([0, 1, 1, 0, 1]), lmbda=-1)


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_extreme_but_legal_settings_run_quietly(activation, rng):
    """std 100 and depth 50: no warnings, no crash; the cost reports what happened."""
    sizes = [100] + [100] * 49 + [10]
    net = Network(sizes, activation=activation, cost="log_likelihood", init=100.0, rng=rng)
    X = rng.normal(size=(20, 100))
    y = rng.integers(0, 10, 20)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out, cache = net.forward(X)
        grads_W, _ = net.backward(cache, y)
        cost = net.loss(X, y)
    assert len(cache.zs) == 50
    if activation != "relu":
        assert np.isfinite(cost) and cost > 10  # saturated and confidently wrong: large but finite
    else:
        assert not np.isfinite(cache.zs[-1]).all() or cost > 1e10  # the signal explodes past float range


def test_cost_finite_under_std_100_shallow(rng):
    net = Network([784, 30, 10], activation="sigmoid", cost="cross_entropy", init=100.0, rng=rng)
    X = rng.uniform(size=(10, 784))
    assert np.isfinite(net.loss(X, rng.integers(0, 10, 10)))


def test_gradient_checker_on_a_tiny_net_passes(rng):
    net = Network([6, 5, 4], activation="tanh", cost="log_likelihood", rng=rng)
    X = rng.normal(size=(3, 6))
    report = check_gradients(net, X, rng.integers(0, 4, 3), mode="full", lmbda=0.5, n=10)
    assert report.passed(1e-7) and [p.name for p in report.params] == ["W1", "b1", "W2", "b2"]
