"""sgd: minibatch SGD with L2 decay, checked against a step written out plainly."""
import warnings

import numpy as np
import pytest

from course_lib import History, Network, sgd
from course_lib.nn.train import MONITORS


# --------------------------------------------------------------------------- helpers
def blobs(rng, n=60, n_in=4, n_classes=3, spread=0.3):
    """Gaussian blobs around random centres: a learnable classification set."""
    centres = rng.standard_normal((n_classes, n_in)) * 2
    labels = np.arange(n) % n_classes
    return centres[labels] + spread * rng.standard_normal((n, n_in)), labels


def reference_sgd(net, X, y, *, epochs, batch_size, eta, lmbda, rng):
    """Nielsen's update written out plainly, one minibatch at a time, on a copy of net.

    For each minibatch of m rows (in the order of rng.permutation(n) each epoch):
        forward   z_l = a_(l-1) W_l^T + b_l,  a_l = f(z_l)
        output    delta_L = dC/dz_L per row (a - y for cross-entropy/log-likelihood)
        backward  delta_(l-1) = (delta_l W_l) * f'(z_(l-1))
        update    W_l <- (1 - eta lmbda / n) W_l - (eta / m) delta_l^T a_(l-1)
                  b_l <- b_l - (eta / m) sum_rows delta_l
    """
    net = net.copy()
    n = len(X)
    Y = np.eye(net.sizes[-1])[y] if np.ndim(y) == 1 else np.asarray(y, dtype=float)
    hidden, output = net.activation, net.output
    for _ in range(epochs):
        order = rng.permutation(n)
        for k in range(0, n, batch_size):
            rows = order[k:k + batch_size]
            m = len(rows)
            acts, zs = [X[rows]], []
            for l, (W, b) in enumerate(zip(net.weights, net.biases)):
                zs.append(acts[-1] @ W.T + b)
                f = output if l == net.depth - 1 else hidden
                acts.append(f.fn(zs[-1]))
            if net.cost.name == "quadratic":
                delta = (acts[-1] - Y[rows]) * output.prime(zs[-1], acts[-1])
            else:
                delta = acts[-1] - Y[rows]
            grads = []
            for l in range(net.depth - 1, -1, -1):
                grads.append((l, delta.T @ acts[l], delta.sum(axis=0)))
                if l:
                    delta = (delta @ net.weights[l]) * hidden.prime(zs[l - 1], acts[l])
            for l, gW, gb in grads:
                net.weights[l] = (1 - eta * lmbda / n) * net.weights[l] - (eta / m) * gW
                net.biases[l] = net.biases[l] - (eta / m) * gb
    return net


def max_relative_difference(net_a, net_b):
    return max(
        float(np.max(np.abs(p - q)) / max(1e-300, np.max(np.abs(q))))
        for (_, p), (_, q) in zip(net_a.parameters(), net_b.parameters())
    )


# --------------------------------------------------------------------------- the maths
def test_l2_decay_matches_the_closed_form_when_the_data_gradient_is_zero(rng):
    # With every input 0, dC/dW = delta^T X = 0 exactly: only the decay moves W, by
    # (1 - eta lmbda / n) per step, so after `steps` steps W = (1 - eta lmbda / n)^steps W0.
    n, batch, epochs, eta, lmbda = 30, 7, 4, 0.5, 3.0
    net = Network([5, 3], rng=rng)
    W0, b0 = net.weights[0].copy(), net.biases[0].copy()
    sgd(net, np.zeros((n, 5)), rng.integers(0, 3, n), epochs=epochs, batch_size=batch, eta=eta,
        lmbda=lmbda, rng=rng, monitor=())
    steps = epochs * -(-n // batch)  # 5 steps an epoch (4 of 7 rows, 1 of 2)
    np.testing.assert_allclose(net.weights[0], (1 - eta * lmbda / n) ** steps * W0, rtol=1e-13)
    assert not np.allclose(net.biases[0], b0)  # the biases did learn (no decay on them)


def test_one_step_by_hand(rng):
    # batch_size = n: one step over the whole (shuffled) set, compared with the formula
    # W <- (1 - eta lmbda / n) W - eta dC0/dW, dC0/dW from Network.gradients (backprop).
    X, y = blobs(rng, n=12, n_in=4)
    net = Network([4, 5, 3], rng=rng)
    eta, lmbda = 0.7, 1.5
    grads_W, grads_b = net.gradients(X, y)
    expected_W = [(1 - eta * lmbda / 12) * W - eta * gW for W, gW in zip(net.weights, grads_W)]
    expected_b = [b - eta * gb for b, gb in zip(net.biases, grads_b)]
    sgd(net, X, y, epochs=1, batch_size=12, eta=eta, lmbda=lmbda, rng=rng, monitor=())
    for W, b, eW, eb in zip(net.weights, net.biases, expected_W, expected_b):
        np.testing.assert_allclose(W, eW, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(b, eb, rtol=1e-12, atol=1e-15)


# --------------------------------------------------------------------------- learning
def test_the_loss_decreases(rng):
    X, y = blobs(rng, n=90)
    net = Network([4, 10, 3], rng=rng)
    initial = net.loss(X, y)
    history = sgd(net, X, y, epochs=8, batch_size=10, eta=0.5, rng=rng)
    cost = np.array(history.train_cost)
    assert cost[-1] == pytest.approx(net.loss(X, y), rel=1e-12)  # the recorded cost is the net's
    assert cost[0] < initial and cost[-1] < 0.3 * initial
    assert np.all(np.diff(cost) < 1e-3)  # blobs are easy: no epoch makes it clearly worse


def test_can_overfit_a_tiny_data_set(rng):
    # 12 points with random labels: no pattern to learn, so only memorization gets 100%.
    X = rng.standard_normal((12, 5))
    y = rng.integers(0, 3, 12)
    net = Network([5, 40, 3], cost="log_likelihood", init="xavier_normal", rng=rng)
    history = sgd(net, X, y, epochs=300, batch_size=4, eta=0.5, rng=rng, monitor=("train_cost", "train_accuracy"))
    assert history.train_accuracy[-1] == 1.0
    assert history.train_cost[-1] < 0.05


def test_same_seed_same_bits(rng):
    X, y = blobs(rng)
    runs = []
    for _ in range(2):
        net = Network([4, 7, 3], rng=np.random.default_rng(3))
        history = sgd(net, X, y, epochs=3, batch_size=8, eta=0.4, lmbda=0.5, rng=np.random.default_rng(4),
                      monitor=MONITORS, validation=(X[:20], y[:20]))
        runs.append((net, history))
    (a, ha), (b, hb) = runs
    for (_, p), (_, q) in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(p, q)
    for name in MONITORS:
        assert getattr(ha, name) == getattr(hb, name)


def test_float32_path(rng):
    X, y = blobs(rng, n=50)
    n64 = Network([4, 8, 3], rng=np.random.default_rng(1))
    n32 = Network([4, 8, 3], rng=np.random.default_rng(1), dtype=np.float32)
    for W32, W64 in zip(n32.weights, n64.weights):
        W32[...] = W64
    for b32, b64 in zip(n32.biases, n64.biases):
        b32[...] = b64
    h64 = sgd(n64, X, y, epochs=3, batch_size=10, eta=0.5, rng=np.random.default_rng(2))
    h32 = sgd(n32, X, y, epochs=3, batch_size=10, eta=0.5, rng=np.random.default_rng(2))
    assert all(p.dtype == np.float32 for _, p in n32.parameters())
    assert max_relative_difference(n32, n64) < 1e-4  # float32 rounding, ~1e-7 a step
    np.testing.assert_allclose(h32.train_cost, h64.train_cost, rtol=1e-4)
    assert h32.train_cost[-1] < h32.train_cost[0]


def test_batch_larger_than_the_data_is_one_step_per_epoch(rng):
    X, y = blobs(rng, n=9)
    net = Network([4, 5, 3], rng=rng)
    expected = reference_sgd(net, X, y, epochs=2, batch_size=9, eta=0.2, lmbda=0.0, rng=np.random.default_rng(5))
    sgd(net, X, y, epochs=2, batch_size=100, eta=0.2, rng=np.random.default_rng(5), monitor=())
    assert max_relative_difference(net, expected) < 1e-12


def test_inputs_are_left_alone(rng):
    X, y = blobs(rng)
    X_before, y_before = X.copy(), y.copy()
    sgd(Network([4, 5, 3], rng=rng), X, y, epochs=1, batch_size=7, eta=0.1, rng=rng)
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(y, y_before)


# --------------------------------------------------------------------------- History, callback, divergence
def test_history_contents(rng):
    X, y = blobs(rng, n=60)
    X_val, y_val = blobs(np.random.default_rng(9), n=30)
    net = Network([4, 6, 3], rng=rng)
    history = sgd(net, X, y, epochs=4, batch_size=10, eta=0.5, lmbda=1.0, rng=rng,
                  validation=(X_val, y_val), monitor=MONITORS)
    assert isinstance(history, History)
    assert history.epochs == 4 and history.diverged is None
    for name in MONITORS:
        assert len(getattr(history, name)) == 4
    assert all(t > 0 for t in history.epoch_seconds)
    # The last entries are the trained net's metrics, computed by the public API.
    assert history.train_cost[-1] == pytest.approx(net.loss(X, y, lmbda=1.0, n=60), rel=1e-12)
    assert history.validation_cost[-1] == pytest.approx(net.loss(X_val, y_val, lmbda=1.0, n=60), rel=1e-12)
    assert history.train_accuracy[-1] == net.accuracy(X, y)
    assert history.validation_accuracy[-1] == net.accuracy(X_val, y_val)
    assert set(history.as_dict()) == set(MONITORS) | {"epoch_seconds"}


def test_default_monitor(rng):
    X, y = blobs(rng)
    net = Network([4, 5, 3], rng=rng)
    plain = sgd(net, X, y, epochs=2, batch_size=10, eta=0.1, rng=rng)
    assert len(plain.train_cost) == 2 and plain.validation_cost == [] and plain.train_accuracy == []
    with_val = sgd(net, X, y, epochs=2, batch_size=10, eta=0.1, rng=rng, validation=(X, y))
    assert len(with_val.validation_cost) == 2 and len(with_val.validation_accuracy) == 2 and with_val.train_cost == []
    silent = sgd(net, X, y, epochs=2, batch_size=10, eta=0.1, rng=rng, monitor=())
    assert silent.epochs == 2 and all(getattr(silent, m) == [] for m in MONITORS)


def test_accuracy_of_a_single_output_unit(rng):
    # One sigmoid output: class 1 where the output exceeds 0.5, for targets given as
    # labels (n,) or as a column (n, 1).
    X = rng.standard_normal((40, 2))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    net = Network([2, 4, 1], rng=rng)
    for targets in (y, y[:, None].astype(float)):
        history = sgd(net, X, targets, epochs=5, batch_size=8, eta=1.0, rng=rng,
                      validation=(X, targets), monitor=("train_accuracy", "validation_accuracy"))
        assert history.train_accuracy[-1] == net.accuracy(X, y) == history.validation_accuracy[-1]
    assert history.train_accuracy[-1] > 0.8


def test_callback_sees_each_epoch_and_can_stop(rng):
    X, y = blobs(rng)
    seen = []

    def callback(epoch, history, net):
        seen.append((epoch, history.epochs, len(history.train_cost), isinstance(net, Network)))
        return epoch == 3

    history = sgd(Network([4, 5, 3], rng=rng), X, y, epochs=10, batch_size=10, eta=0.1, rng=rng, callback=callback)
    assert seen == [(1, 1, 1, True), (2, 2, 2, True), (3, 3, 3, True)]
    assert history.epochs == 3


def test_divergence_is_recorded_without_warnings(rng):
    # ReLU with huge weights and a huge step: activations overflow to inf, then NaN.
    X, y = blobs(rng)
    net = Network([4, 20, 20, 3], activation="relu", cost="quadratic", output="identity", init=100.0, rng=rng)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        history = sgd(net, X, y, epochs=20, batch_size=5, eta=1e3, rng=rng)
    assert history.diverged is not None and 1 <= history.diverged < 20
    assert history.epochs == history.diverged  # training stopped there
    assert not all(np.isfinite(W).all() for W in net.weights)


# --------------------------------------------------------------------------- argument checks
@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(epochs=0), "epochs"),
        (dict(epochs=2.5), "epochs"),
        (dict(epochs=True), "epochs"),
        (dict(batch_size=0), "batch_size"),
        (dict(batch_size=3.0), "batch_size"),
        (dict(eta=0.0), "eta"),
        (dict(eta=-0.1), "eta"),
        (dict(eta=float("nan")), "eta"),
        (dict(eta="0.1"), "eta"),
        (dict(lmbda=-1.0), "lmbda"),
        (dict(lmbda=float("inf")), "lmbda"),
        (dict(rng=0), "rng"),
        (dict(rng=None), "rng"),
        (dict(monitor=("train_loss",)), "monitor"),
        (dict(monitor=("validation_cost",)), "validation"),
        (dict(validation=([1.0, 2.0, 3.0, 4.0],)), "validation"),
        (dict(validation=(np.zeros((3, 5)), [0, 1, 2])), "validation X"),
        (dict(validation=(np.zeros((3, 4)), [0, 1, 7])), "validation y"),
    ],
)
def test_bad_arguments_are_clear_errors(kwargs, match, rng):
    X, y = blobs(rng, n=20)
    args = dict(epochs=1, batch_size=5, eta=0.1, rng=rng)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        sgd(Network([4, 5, 3], rng=rng), X, y, **args)


@pytest.mark.parametrize(
    "X, y, match",
    [
        (np.zeros((20, 3)), np.zeros(20, int), r"X must have shape \(batch, 4\)"),
        (np.full((20, 4), np.nan), np.zeros(20, int), "NaN or inf"),
        (np.zeros((20, 4)), np.zeros(19, int), "got 19"),
        (np.zeros((20, 4)), np.full(20, 3), r"labels must lie in 0..2"),
    ],
)
def test_bad_data_are_clear_errors(X, y, match, rng):
    with pytest.raises(ValueError, match=match):
        sgd(Network([4, 5, 3], rng=rng), X, y, epochs=1, batch_size=5, eta=0.1, rng=rng)


# --------------------------------------------------------------------------- the evaluation hot paths
@pytest.mark.parametrize("activation, cost", [("sigmoid", "cross_entropy"), ("tanh", "log_likelihood"),
                                              ("relu", "log_likelihood"), ("softsign", "quadratic")])
def test_forward_and_feedforward_compute_the_library_activations_bit_for_bit(activation, cost, rng):
    # Network computes sigmoid/tanh/relu/softmax in place; the bits must be those of
    # course_lib.nn.activations applied to the same z.
    net = Network([6, 9, 8, 4], activation=activation, cost=cost, init=3.0, rng=rng)
    X = rng.standard_normal((25, 6))
    out, cache = net.forward(X)
    for l, (z, a) in enumerate(zip(cache.zs, cache.activations[1:])):
        f = net.output if l == net.depth - 1 else net.activation
        np.testing.assert_array_equal(a, f.fn(z))
        assert a is not z or f.name == "identity"  # the cache keeps z and a apart
    np.testing.assert_array_equal(net.feedforward(X), out)


def test_data_check_accepts_huge_finite_values_and_rejects_nan_and_inf():
    from course_lib.nn.network import check_inputs

    huge = np.full((4, 3), 1e308)  # its sum overflows, yet every entry is finite
    assert check_inputs(huge, 3) is huge
    for bad in (np.nan, np.inf, -np.inf):
        X = np.ones((4, 3))
        X[2, 1] = bad
        with pytest.raises(ValueError, match="NaN or inf"):
            check_inputs(X, 3)
    X = np.full((4, 3), 1e308)
    X[0, 0] = np.inf
    with pytest.raises(ValueError, match="NaN or inf"):
        check_inputs(X, 3)
