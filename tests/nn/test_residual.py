"""DeepMLP (batch norm, residual blocks): every gradient against centred differences, and the scalings."""
import math

import numpy as np
import pytest

from course_lib import numerical_gradient
from course_lib.nn.residual import DeepMLP, train_deep

CONFIGS = [
    dict(),
    dict(batchnorm=True),
    dict(residual=True),
    dict(residual=True, residual_scale="1/sqrt(depth)"),
    dict(residual=True, batchnorm=True),
    dict(residual=True, zero_init_residual=True),
]


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()) or "plain")
def test_gradients_match_centred_differences(config, activation, rng):
    net = DeepMLP(3, 5, 3, 4, activation=activation, init="xavier_normal", rng=rng, **config)
    # move every parameter off its special start (zeros, ones) so no entry is trivially right
    for _, p in net.parameters():
        p += rng.normal(0, 0.3, p.shape)
    X = rng.normal(0, 1, (6, 3))
    y = rng.integers(0, 4, 6)
    _, grads = net.gradients(X, y)
    running = [dict(r) for r in net.running]

    def cost():
        return net.gradients(X, y)[0]

    for name, p in net.parameters():
        num = numerical_gradient(cost, p)
        if config.get("batchnorm") and name[0] == "b" and name[1:].isdigit():
            # A bias added before batch norm is removed by its mean subtraction: no gradient,
            # analytic 0 to round-off (1e-17) and numerical 0 to the difference's (1e-11).
            assert np.abs(grads[name]).max() < 1e-12 and np.abs(num).max() < 1e-9, name
            continue
        # error relative to the largest entry: tiny entries carry the difference's round-off
        scale = max(np.abs(num).max(), 1e-12)
        assert np.abs(grads[name] - num).max() / scale < 1e-6, name
    for before, after in zip(running, net.running):      # gradients() is not a training step
        assert before["mean"] is after["mean"]


def test_zero_init_residual_blocks_start_as_the_identity(rng):
    net = DeepMLP(2, 8, 6, 3, residual=True, zero_init_residual=True, rng=rng)
    X = rng.normal(0, 1, (10, 2))
    _, _, hiddens = net.forward(X)
    for h in hiddens[1:]:
        np.testing.assert_array_equal(h, hiddens[0])
    _, g = net.gradients(X, rng.integers(0, 3, 10))
    assert all(np.abs(g[f"V{l}"]).max() > 0 for l in range(1, 7))      # ...and still learn
    assert all(np.abs(g[f"W{l}"]).max() == 0 for l in range(1, 7))     # W waits for V to move


def test_residual_scale_values(rng):
    assert DeepMLP(2, 4, 16, 2, residual=True, residual_scale="1/sqrt(depth)", rng=rng).alpha == 0.25
    assert DeepMLP(2, 4, 16, 2, residual=True, rng=rng).alpha == 1.0
    assert DeepMLP(2, 4, 16, 2, residual=True, residual_scale=0.5, rng=rng).alpha == 0.5


def test_unnormalized_residual_second_moment_follows_the_closed_form():
    # ReLU branches with He weights: E[F(h)^2] = 2 E[h^2] and E[h F(h)] = 0, so each block
    # multiplies E[h^2] by (1 + 2 alpha^2): 3^30 = 2e14 with alpha = 1, e^2 ~ 6.9 with alpha = 1/sqrt(30).
    X = np.random.default_rng(0).normal(0, 1, (256, 16))
    for scale, alpha in (("1", 1.0), ("1/sqrt(depth)", 1 / math.sqrt(30))):
        predicted = (1 + 2 * alpha ** 2) ** 30
        ratios = []
        for seed in range(3):
            net = DeepMLP(16, 64, 30, 2, activation="relu", init="he_normal", residual=True,
                          residual_scale=scale, rng=np.random.default_rng(seed))
            _, _, hiddens = net.forward(X)
            ratios.append(np.mean(hiddens[-1] ** 2) / np.mean(hiddens[0] ** 2))
        # measured over seeds 0-2: 5.8e13-5.1e14 (alpha 1) and 6.3-8.4 (alpha 1/sqrt 30)
        if alpha == 1.0:
            assert abs(math.log10(np.median(ratios) / predicted)) < 1
        else:
            assert 0.7 < np.median(ratios) / predicted < 1.4


def test_batchnorm_makes_the_forward_scale_independent_of_the_init(rng):
    X = rng.normal(0, 1, (128, 4))
    stds = []
    for std in (0.01, 1.0, 100.0):
        net = DeepMLP(4, 32, 10, 2, activation="tanh", init=std, batchnorm=True, rng=np.random.default_rng(1))
        _, _, hiddens = net.forward(X)
        stds.append(hiddens[-1].std())
    # equal up to eps = 1e-5 in sqrt(var + eps): with std 0.01 weights var ~ 1e-4 per unit,
    # so the normalized std is 0.15% low there (measured); rtol 1%
    np.testing.assert_allclose(stds, stds[-1], rtol=1e-2)


def test_train_deep_lowers_the_loss_and_bad_arguments_are_named(rng):
    X = rng.normal(0, 1, (60, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    net = DeepMLP(2, 16, 4, 2, activation="tanh", init="xavier_normal", batchnorm=True, residual=True, rng=rng)
    losses = train_deep(net, X, y, epochs=30, batch_size=10, eta=0.1, rng=np.random.default_rng(2))
    assert losses.shape == (31,) and losses[-1] < 0.6 * losses[0]
    with pytest.raises(ValueError, match="eta"):
        train_deep(net, X, y, epochs=1, batch_size=10, eta=0.0, rng=rng)
    with pytest.raises(ValueError, match="batch_size"):
        train_deep(net, X, y, epochs=1, batch_size=1, eta=0.1, rng=rng)
    with pytest.raises(ValueError, match="residual_scale"):
        DeepMLP(2, 4, 3, 2, residual=True, residual_scale="sqrt", rng=rng)
    with pytest.raises(ValueError, match="zero_init_residual"):
        DeepMLP(2, 4, 3, 2, zero_init_residual=True, rng=rng)
    with pytest.raises(ValueError, match="depth"):
        DeepMLP(2, 4, 0, 2, rng=rng)
