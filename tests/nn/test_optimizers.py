"""course_lib.nn.optimizers: each update rule against steps worked out by hand.

The hand-worked net is one linear unit, a = w x + b, with the quadratic cost
C = (a - y)^2 / 2 on one example (x, y) = (2, 3), so dC/dw = e x and dC/db = e with
e = w x + b - y. With batch_size 1 each epoch is one step, and the expected values
are computed below with plain Python floats from the formulas alone.
"""
import math

import numpy as np
import pytest

from course_lib import Network, sgd
from course_lib.nn.optimizers import OPTIMIZERS, SGD, Adam, Momentum, RMSProp, get_optimizer

from .test_train import blobs, max_relative_difference

X1, Y1, W0, B0 = 2.0, 3.0, 0.5, 0.0


def linear_unit():
    net = Network([1, 1], output="identity", cost="quadratic", rng=np.random.default_rng(0))
    net.weights[0][...] = W0
    net.biases[0][...] = B0
    return net


def train_unit(optimizer, steps, eta, lmbda=0.0):
    net = linear_unit()
    sgd(net, np.array([[X1]]), np.array([Y1]), epochs=steps, batch_size=1, eta=eta, lmbda=lmbda,
        rng=np.random.default_rng(1), monitor=(), optimizer=optimizer)
    return float(net.weights[0][0, 0]), float(net.biases[0][0])


def unit_gradients(w, b, lmbda=0.0):
    e = w * X1 + b - Y1
    return e * X1 + lmbda * w, e          # n = 1: the L2 term is lmbda w


# --------------------------------------------------------------------------- hand-computed steps
def test_sgd_and_heavy_ball_momentum_two_steps_by_hand():
    # Step 1: e = 0.5*2 - 3 = -2, g_w = -4, g_b = -2. SGD (eta 0.1): w = 0.9, b = 0.2.
    assert train_unit("sgd", 1, 0.1) == pytest.approx((0.9, 0.2), abs=1e-15)
    # Momentum, mu 0.9: step 1 is SGD's, v = (0.4, 0.2). Step 2: e = 0.9*2 + 0.2 - 3 = -1,
    # g = (-2, -1), v = 0.9 (0.4, 0.2) + 0.1 (2, 1) = (0.56, 0.28): w = 1.46, b = 0.48.
    assert train_unit("momentum", 2, 0.1) == pytest.approx((1.46, 0.48), abs=1e-14)


def test_nesterov_two_steps_by_hand():
    # v <- mu v - eta g; theta <- theta + mu v - eta g. Step 1: v = (0.4, 0.2),
    # w = 0.5 + 0.9*0.4 + 0.4 = 1.26, b = 0 + 0.18 + 0.2 = 0.38. Step 2: e = 2.52 + 0.38 - 3 = -0.1,
    # g = (-0.2, -0.1), v = (0.36 + 0.02, 0.18 + 0.01) = (0.38, 0.19),
    # w = 1.26 + 0.342 + 0.02 = 1.622, b = 0.38 + 0.171 + 0.01 = 0.561.
    assert train_unit("nesterov", 2, 0.1) == pytest.approx((1.622, 0.561), abs=1e-14)


def reference(rule, steps, eta, lmbda=0.0, **h):
    """The rules of the module docstring, on the two scalars (w, b), in plain floats."""
    theta = [W0, B0]
    state = [[0.0, 0.0] for _ in range(2)]       # (first, second) moment per parameter
    for t in range(1, steps + 1):
        g = unit_gradients(*theta, lmbda=lmbda)
        for i in range(2):
            m, v = state[i]
            if rule == "rmsprop":
                v = h["rho"] * v + (1 - h["rho"]) * g[i] ** 2
                theta[i] -= eta * g[i] / (math.sqrt(v) + h["eps"])
            elif rule == "adam":
                m = h["beta1"] * m + (1 - h["beta1"]) * g[i]
                v = h["beta2"] * v + (1 - h["beta2"]) * g[i] ** 2
                m_hat, v_hat = m / (1 - h["beta1"] ** t), v / (1 - h["beta2"] ** t)
                theta[i] -= eta * m_hat / (math.sqrt(v_hat) + h["eps"])
            state[i] = [m, v]
    return tuple(theta)


def test_rmsprop_three_steps_by_hand():
    # Step 1 by hand: s = 0.1 g^2, step = eta g / (sqrt(0.1) |g| + eps) = eta / sqrt(0.1) = 3.162 eta
    # (eps = 1e-8 against sqrt(0.1) |g| >= 0.63: 2e-8 relative).
    w1, b1 = train_unit("rmsprop", 1, 0.01)
    assert (w1 - W0, b1 - B0) == pytest.approx((0.01 / math.sqrt(0.1),) * 2, rel=3e-8)
    expected = reference("rmsprop", 3, 0.01, rho=0.9, eps=1e-8)
    assert train_unit("rmsprop", 3, 0.01) == pytest.approx(expected, rel=1e-13)
    expected = reference("rmsprop", 3, 0.01, rho=0.5, eps=1e-3)
    assert train_unit(RMSProp(rho=0.5, eps=1e-3), 3, 0.01) == pytest.approx(expected, rel=1e-13)


def test_adam_three_steps_by_hand():
    # Step 1: m_hat = g, v_hat = g^2, so each parameter moves by eta g / (|g| + eps):
    # eta in the direction of -g, whatever |g| is (here 4 for w, 2 for b).
    w1, b1 = train_unit("adam", 1, 0.1)
    assert (w1, b1) == pytest.approx((0.6, 0.1), rel=1e-8)
    expected = reference("adam", 3, 0.1, beta1=0.9, beta2=0.999, eps=1e-8)
    assert train_unit("adam", 3, 0.1) == pytest.approx(expected, rel=1e-13)
    # (Without the bias correction, step 1 would have been eta 0.1 g / (sqrt(0.001) |g|) = 3.16 eta.)


def test_l2_enters_as_a_gradient_term_for_adam_and_momentum():
    # lambda = 0.5, n = 1: g_w = e x + 0.5 w (Adam with L2, not AdamW); biases not decayed.
    expected = reference("adam", 3, 0.1, lmbda=0.5, beta1=0.9, beta2=0.999, eps=1e-8)
    assert train_unit("adam", 3, 0.1, lmbda=0.5) == pytest.approx(expected, rel=1e-13)
    assert train_unit("adam", 3, 0.1, lmbda=0.5) != pytest.approx(train_unit("adam", 3, 0.1), rel=1e-6)
    # Momentum's step 1 with lambda 0.5: g_w = -4 + 0.25, w = 0.5 + 0.1 * 3.75 = 0.875, b = 0.2.
    assert train_unit("momentum", 1, 0.1, lmbda=0.5) == pytest.approx((0.875, 0.2), abs=1e-15)


def test_readable_path_with_zero_momentum_equals_the_fast_sgd_with_weight_decay(rng):
    # Momentum(mu=0) is plain SGD on Network's backprop: the same minibatches and Nielsen's
    # W <- (1 - eta lambda / n) W - eta g as the tuned kernel, to rounding.
    X, y = blobs(rng, n=47)
    a = Network([4, 6, 5, 3], activation="tanh", rng=np.random.default_rng(3))
    b = a.copy()
    sgd(a, X, y, epochs=3, batch_size=10, eta=0.3, lmbda=2.0, rng=np.random.default_rng(7), monitor=())
    sgd(b, X, y, epochs=3, batch_size=10, eta=0.3, lmbda=2.0, rng=np.random.default_rng(7), monitor=(),
        optimizer=Momentum(mu=0.0))
    assert max_relative_difference(a, b) < 1e-12


# --------------------------------------------------------------------------- properties the notebook uses
def test_adam_and_rmsprop_steps_do_not_depend_on_the_gradient_scale(rng):
    # Multiplying every gradient by c leaves the steps unchanged (up to eps): the reason
    # a too-small init does not slow them down. SGD's steps scale by c.
    grads = [rng.choice([-1.0, 1.0], shape) * rng.uniform(1.0, 3.0, shape) for shape in ((5, 4), (5,))]
    for optimizer in (Adam(), RMSProp()):
        moves = []
        for c in (1.0, 1e-4):
            params = [np.zeros((5, 4)), np.zeros(5)]
            state = optimizer.start(params)
            for _ in range(3):
                optimizer.step(params, [c * g for g in grads], state, 0.01)
            moves.append(params)
        # The only difference is eps = 1e-8 beside sqrt(v) >= sqrt(0.1) c |g| >= 3e-5 (RMSProp's
        # first step, |g| >= 1): at most 3.2e-4 relative.
        for p, q in zip(*moves):
            np.testing.assert_allclose(q, p, rtol=1e-3)
    params = [np.zeros(5)]
    state = SGD().start(params)
    SGD().step(params, [1e-4 * grads[1]], state, 0.01)
    np.testing.assert_allclose(params[0], -0.01 * 1e-4 * grads[1])


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_a_zero_gradient_moves_nothing(name):
    # Where g is exactly 0 (a dead ReLU), every optimizer's state stays 0 and the step is 0.
    optimizer = get_optimizer(name)
    params = [np.full((3, 2), 0.7)]
    state = optimizer.start(params)
    for _ in range(5):
        optimizer.step(params, [np.zeros((3, 2))], state, 0.1)
    assert np.array_equal(params[0], np.full((3, 2), 0.7))
    assert state["t"] == 5


def test_every_optimizer_learns_the_blobs(rng):
    X, y = blobs(rng, n=90)
    for name, eta in (("momentum", 0.05), ("nesterov", 0.05), ("rmsprop", 0.01), ("adam", 0.01)):
        net = Network([4, 10, 3], rng=np.random.default_rng(2))
        start = net.loss(X, y)
        history = sgd(net, X, y, epochs=10, batch_size=10, eta=eta, rng=np.random.default_rng(3), optimizer=name)
        assert history.train_cost[-1] < 0.3 * start, name


def test_a_fresh_state_for_every_run(rng):
    # The same Optimizer object can train two nets: sgd starts its state anew each time.
    X, y = blobs(rng)
    adam = Adam(beta1=0.5)
    nets = [Network([4, 5, 3], rng=np.random.default_rng(1)) for _ in range(2)]
    for net in nets:
        sgd(net, X, y, epochs=2, batch_size=10, eta=0.01, rng=np.random.default_rng(2), monitor=(), optimizer=adam)
    for (_, p), (_, q) in zip(nets[0].parameters(), nets[1].parameters()):
        np.testing.assert_array_equal(p, q)


# --------------------------------------------------------------------------- argument checks
@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: Momentum(mu=1.0), r"mu must be a finite number in \[0, 1\)"),
        (lambda: Momentum(mu=-0.1), "mu"),
        (lambda: Momentum(nesterov="yes"), "nesterov must be True or False"),
        (lambda: RMSProp(rho=1.5), "rho"),
        (lambda: RMSProp(eps=0.0), r"eps must be a finite number > 0"),
        (lambda: Adam(beta1=1.0), r"beta1 must be a finite number in \[0, 1\)"),
        (lambda: Adam(beta2=float("nan")), "beta2"),
        (lambda: Adam(eps=-1e-8), "eps"),
        (lambda: get_optimizer("adamw"), r"optimizer must be one of \['adam', 'momentum', 'nesterov'"),
        (lambda: get_optimizer(None), "optimizer"),
    ],
)
def test_bad_hyperparameters_are_clear_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize("kwargs, match", [(dict(optimizer="Adam"), "optimizer must be one of"),
                                           (dict(optimizer=0.9), "optimizer")])
def test_sgd_names_a_bad_optimizer(kwargs, match, rng):
    X, y = blobs(rng, n=20)
    with pytest.raises(ValueError, match=match):
        sgd(Network([4, 5, 3], rng=rng), X, y, epochs=1, batch_size=5, eta=0.1, rng=rng, **kwargs)


def test_plain_sgd_still_runs_the_fast_kernel_and_the_others_do_not(rng, monkeypatch):
    # optimizer="sgd" (or SGD()) without dropout must stay on fast_step's kernel, so every
    # earlier result is unchanged bit for bit; the other rules and dropout take the readable step.
    from course_lib.nn import fast_step

    calls = []
    original = fast_step._Minibatch.run
    monkeypatch.setattr(fast_step._Minibatch, "run", lambda self, *a: calls.append(1) or original(self, *a))
    X, y = blobs(rng, n=30)
    runs = {}
    for label, kwargs in (("default", {}), ("sgd", dict(optimizer="sgd")), ("SGD()", dict(optimizer=SGD())),
                          ("adam", dict(optimizer="adam")), ("dropout", dict(dropout=0.2))):
        calls.clear()
        net = Network([4, 6, 3], rng=np.random.default_rng(1))
        sgd(net, X, y, epochs=2, batch_size=10, eta=0.1, rng=np.random.default_rng(2), monitor=(), **kwargs)
        runs[label] = (len(calls), net)
    assert [runs[k][0] for k in runs] == [2, 2, 2, 0, 0]            # one kernel call per epoch
    for label in ("sgd", "SGD()"):
        for (_, p), (_, q) in zip(runs[label][1].parameters(), runs["default"][1].parameters()):
            np.testing.assert_array_equal(p, q)
