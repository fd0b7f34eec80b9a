"""Networks, initializers and losses under arbitrary arguments (see contract.py)."""
import math

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from course_lib import INITIALIZERS, LOSSES, Network, get_initializer, get_loss
from course_lib.nn import initializers as inits

from .contract import arrays, finite_or_inf, honest, inputs, junk, numbers, targets

NET_ARGS = ("sizes", "activation", "output", "cost", "init", "bias_init", "rng", "dtype")

sizes = st.one_of(junk, st.lists(st.one_of(st.integers(-1, 6), st.sampled_from([2.0, 2.5, True, "3", 10**9])),
                                 max_size=4))


@given(sizes=sizes,
       activation=st.one_of(junk, st.sampled_from(["sigmoid", "tanh", "relu", "softmax", "bogus"])),
       output=st.one_of(st.none(), st.sampled_from(["sigmoid", "softmax", "identity", "tanh", "x"]), junk),
       cost=st.one_of(st.sampled_from(list(LOSSES) + ["mse"]), junk),
       init=st.one_of(st.sampled_from(list(INITIALIZERS) + ["old", "nope"]), numbers, junk),
       dtype=st.one_of(st.sampled_from([np.float64, np.float32, np.int32, np.float16, "float32", None]), junk))
def test_network_constructor_builds_a_finite_net_or_names_the_argument(sizes, activation, output, cost, init, dtype):
    net = honest(lambda: Network(sizes, activation=activation, output=output, cost=cost, init=init,
                                 rng=np.random.default_rng(0), dtype=dtype), *NET_ARGS)
    if net is not None:
        assert all(np.isfinite(W).all() for W in net.weights)
        assert all(W.dtype == net.dtype for W in net.weights) and net.dtype.kind == "f"
        if net.output.name == "softmax":
            assert net.sizes[-1] >= 2


CONFIGS = [
    dict(sizes=[3, 4, 2], activation="sigmoid", cost="cross_entropy"),
    dict(sizes=[3, 4, 3], activation="tanh", cost="log_likelihood"),
    dict(sizes=[3, 5, 1], activation="tanh", cost="cross_entropy"),
    dict(sizes=[3, 4, 1], activation="relu", output="identity", cost="quadratic"),
    dict(sizes=[3, 4, 4, 2], activation="relu", cost="quadratic", dtype=np.float32),
]


@st.composite
def net_and_data(draw):
    config = draw(st.sampled_from(CONFIGS))
    init = draw(st.sampled_from(["nielsen_default", "he_normal", 1.0, 100.0, 1e6, "zeros"]))
    net = Network(init=init, rng=np.random.default_rng(draw(st.integers(0, 3))), **config)
    X = draw(inputs(net.sizes[0]))
    batch = len(X) if isinstance(X, np.ndarray) and X.ndim == 2 else draw(st.integers(0, 4))
    y = draw(targets(batch, net.sizes[-1]))
    return net, X, y


@given(net_and_data())
def test_loss_is_finite_or_overflowed_never_nan(case):
    net, X, y = case
    value = honest(lambda: net.loss(X, y), "X", "y")
    if value is not None:
        assert finite_or_inf(value), value
        if net.cost.name != "quadratic":
            assert value >= -1e-9  # bounded below: no target outside the cost's range got in


@given(net_and_data())
def test_accuracy_is_a_fraction_or_nan_for_a_network_that_overflowed(case):
    net, X, y = case
    value = honest(lambda: net.accuracy(X, y), "X", "y")
    if value is not None:
        if math.isnan(value):
            with np.errstate(all="ignore"):
                assert np.isnan(net.feedforward(X)).any()  # NaN means: the outputs are NaN
        else:
            assert 0.0 <= value <= 1.0


@given(case=net_and_data(), lmbda=st.one_of(st.just(0.0), numbers, junk), n=st.one_of(st.none(), numbers, junk))
def test_gradients_are_arrays_shaped_like_the_parameters(case, lmbda, n):
    net, X, y = case
    grads = honest(lambda: net.gradients(X, y, lmbda=lmbda, n=n), "X", "y", "lmbda", "n (the")
    if grads is not None:
        for g, W in zip(grads[0], net.weights):
            assert g.shape == W.shape and g.dtype == net.dtype


@given(net_and_data())
def test_predict_gives_classes_in_range(case):
    net, X, _ = case
    pred = honest(lambda: net.predict(X), "X")
    if pred is not None:
        assert pred.dtype.kind == "i" and pred.min() >= 0 and pred.max() <= max(1, net.sizes[-1] - 1)


INIT_ARGS = ("shape", "fan_in", "dtype", "rng", "std", "limit", "gain", "value", "mode", "init", "draws")


@given(name=st.sampled_from(sorted(INITIALIZERS)),
       shape=st.one_of(st.tuples(st.integers(-1, 5), st.integers(-1, 5)), st.just((2.5, 3)), st.just((4,)),
                       st.just((10**5, 10**5)), junk),
       fan_in=st.one_of(st.none(), st.integers(-1, 5), junk),
       dtype=st.one_of(st.sampled_from([np.float64, np.float32, np.int32, np.uint8, "float64"]), junk))
def test_every_initializer_draws_finite_arrays_or_names_the_argument(name, shape, fan_in, dtype):
    init = INITIALIZERS[name]
    W = honest(lambda: init(shape, np.random.default_rng(0), fan_in=fan_in, dtype=dtype), *INIT_ARGS)
    if W is not None:
        assert W.dtype.kind == "f" and np.isfinite(W).all()
        assert W.shape == (tuple(shape) if not isinstance(shape, int) else (shape,))


@given(factory=st.sampled_from([inits.normal, inits.uniform, inits.orthogonal, inits.constant, get_initializer]),
       scale=st.one_of(numbers, junk), dtype=st.sampled_from([np.float64, np.float32]))
@example(factory=inits.normal, scale=1e300, dtype=np.float32)      # draws beyond float32's range
@example(factory=inits.uniform, scale=1e308, dtype=np.float64)     # 2 * limit overflows in numpy's uniform
def test_scaled_initializers_refuse_strings_and_overflow(factory, scale, dtype):
    init = honest(lambda: factory(scale), *INIT_ARGS)
    if init is not None:
        assert not isinstance(scale, str)
        W = honest(lambda: init((3, 4), np.random.default_rng(0), dtype=dtype), *INIT_ARGS)
        if W is not None:
            assert np.isfinite(W).all() and W.dtype == dtype


@given(spec=st.one_of(st.sampled_from(list(LOSSES)), junk))
def test_get_loss_returns_a_loss_or_names_cost(spec):
    loss = honest(lambda: get_loss(spec), "cost")
    if loss is not None:
        assert loss.name in LOSSES


@pytest.mark.parametrize("name", sorted(LOSSES))
@given(z=arrays(shape=(3, 2), dtype=np.float64))
def test_loss_values_on_legal_targets_are_finite_or_inf(name, z):
    """Each loss's value on one-hot targets, at any finite or huge z: never NaN."""
    loss = LOSSES[name]
    if not np.isfinite(z).all():
        return  # z comes from a checked forward pass, which never hands a loss NaN inputs
    from course_lib.nn.activations import SOFTMAX, get_activation

    out = SOFTMAX if loss.output == "softmax" else get_activation(loss.output or "sigmoid")
    y = np.eye(2)[[0, 1, 0]]
    with np.errstate(all="raise"):
        try:
            a = out.fn(z)
            value = loss.value(z, a, y)
        except FloatingPointError:
            return  # overflow inside is allowed (the network silences it); NaN out is not
    assert not math.isnan(value)
