"""Tests for course_lib.lessons.trainability_map: the stacked trainer against Network's own
backprop, and the maps (the mean-field theory is tested in tests/diagnostics/test_mean_field.py)."""
import math

import numpy as np
import pytest

from course_lib import Network
from course_lib.data.synthetic import spiral
from course_lib.lessons.trainability_map import (
    init_stack,
    minibatch_indices,
    signal_propagation_map,
    stack_loss,
    train_stack,
    trainability_map,
)


# ------------------------------------------------------------ stacked training
def test_minibatch_indices_cover_each_epoch_once(rng):
    idx = minibatch_indices(10, 3, 7, rng)
    assert idx.shape == (7, 3)
    first_epoch = idx[:3].ravel()
    assert len(set(first_epoch)) == 9  # 3 batches of 3 from a permutation, 1 row dropped
    with pytest.raises(ValueError, match="batch_size"):
        minibatch_indices(10, 11, 1, rng)


def test_init_stack_draws_gain_over_sqrt_fan_in(rng):
    W, b = init_stack([400, 300, 3], [0.5, 2.0], rng=rng, dtype=np.float64)
    assert W[0].shape == (2, 300, 400) and b[0].shape == (2, 300)
    assert W[0][0].std() == pytest.approx(0.5 / 20, rel=0.02)
    assert W[0][1].std() == pytest.approx(2.0 / 20, rel=0.02)
    assert not np.any(b[1])


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_train_stack_matches_network_sgd_step_by_step(rng, activation):
    """Two stacked networks trained together end with the same weights as two
    course Networks trained one by one on the same minibatches with their own backprop."""
    X, y = spiral(n_per_class=20, n_classes=3, rng=rng)
    sizes = [2, 7, 5, 3]
    W, b = init_stack(sizes, [0.8, 2.5], rng=rng, dtype=np.float64)
    for Wl, bl in zip(W, b):
        bl += 0.1 * rng.standard_normal(bl.shape)  # nonzero biases exercise the bias update too
    nets = []
    for s in range(2):
        net = Network(sizes, activation=activation, cost="log_likelihood", init="zeros", rng=rng)
        net.weights = [Wl[s].copy() for Wl in W]
        net.biases = [bl[s].copy() for bl in b]
        nets.append(net)
    final = train_stack(W, b, X, y, activation, steps=15, batch_size=8, eta=0.3, rng=np.random.default_rng(7))
    batches = minibatch_indices(len(y), 8, 15, np.random.default_rng(7))
    for s, net in enumerate(nets):
        for rows in batches:
            gW, gb = net.gradients(X[rows], y[rows])
            for l in range(net.depth):
                net.weights[l] -= 0.3 * gW[l]
                net.biases[l] -= 0.3 * gb[l]
        for l in range(net.depth):
            np.testing.assert_allclose(W[l][s], net.weights[l], rtol=1e-10, atol=1e-12)
            np.testing.assert_allclose(b[l][s], net.biases[l], rtol=1e-10, atol=1e-12)
        assert final[s] == pytest.approx(net.loss(X, y), rel=1e-10)


def test_init_stack_with_several_generators_is_their_stacks_end_to_end(rng):
    """R generators give R blocks of len(gains) networks, block r the stack rng[r] alone draws."""
    seeds = rng.spawn(3)
    W, b = init_stack([2, 5, 3], [0.5, 2.0], rng=seeds)
    assert W[0].shape == (6, 5, 2) and b[1].shape == (6, 3)
    for r in range(3):
        alone, _ = init_stack([2, 5, 3], [0.5, 2.0], rng=np.random.default_rng(seeds[r].bit_generator.seed_seq))
        for l in range(2):
            np.testing.assert_array_equal(W[l][2 * r: 2 * r + 2], alone[l])


def test_train_stack_with_several_generators_trains_each_block_on_its_own_minibatches(rng):
    """Seed r's block ends where training it alone with rng[r] would; blocks differ."""
    X, y = spiral(n_per_class=20, n_classes=3, rng=rng)
    sizes, gains = [2, 8, 8, 3], [0.7, 1.5]
    init = rng.spawn(2)
    W, b = init_stack(sizes, gains, rng=init, dtype=np.float64)
    W_alone = [[w[2 * r: 2 * r + 2].copy() for w in W] for r in range(2)]
    b_alone = [[v[2 * r: 2 * r + 2].copy() for v in b] for r in range(2)]
    final = train_stack(W, b, X, y, "tanh", steps=40, batch_size=10, eta=0.3,
                        rng=[np.random.default_rng(1), np.random.default_rng(2)])
    for r in range(2):
        alone = train_stack(W_alone[r], b_alone[r], X, y, "tanh", steps=40, batch_size=10, eta=0.3,
                            rng=np.random.default_rng(1 + r))
        np.testing.assert_allclose(final[2 * r: 2 * r + 2], alone, rtol=1e-12)
        for l in range(3):
            np.testing.assert_allclose(W[l][2 * r: 2 * r + 2], W_alone[r][l], rtol=1e-12, atol=1e-14)
    with pytest.raises(ValueError, match="equal blocks"):
        train_stack(W, b, X, y, "tanh", steps=1, batch_size=10, eta=0.3, rng=rng.spawn(3))
    with pytest.raises(TypeError, match="Generator"):
        train_stack(W, b, X, y, "tanh", steps=1, batch_size=10, eta=0.3, rng=[1, 2])


def test_train_stack_rejects_a_bad_budget(rng):
    X, y = spiral(n_per_class=5, rng=rng)
    W, b = init_stack([2, 4, 3], [1.0], rng=rng)
    with pytest.raises(ValueError, match="steps"):
        train_stack(W, b, X, y, "tanh", steps=0, batch_size=5, eta=0.1, rng=rng)
    with pytest.raises(ValueError, match="eta"):
        train_stack(W, b, X, y, "tanh", steps=3, batch_size=5, eta=float("nan"), rng=rng)
    with pytest.raises(ValueError, match="batch_size"):
        train_stack(W, b, X, y, "tanh", steps=3, batch_size=16, eta=0.1, rng=rng)


def test_train_stack_records_loss_curves(rng):
    X, y = spiral(n_per_class=20, rng=rng)
    W, b = init_stack([2, 16, 3], [1.0], rng=rng, dtype=np.float64)
    start = stack_loss(W, b, X, y, "tanh")
    final, (steps, curve) = train_stack(W, b, X, y, "tanh", steps=50, batch_size=10, eta=0.5, rng=rng,
                                        record_every=10)
    assert list(steps) == [0, 10, 20, 30, 40, 50]
    assert curve.shape == (6, 1)
    assert curve[0, 0] == pytest.approx(start[0])
    assert curve[-1, 0] == final[0] < start[0]


def test_a_diverging_network_gives_nan_quietly_and_spares_the_others(rng):
    """ReLU with gain 40 over 10 layers: outputs ~ (40^2/2)^5 = 3e14 times the input;
    SGD with eta 1 blows it up to inf/NaN. The gain-1.4 neighbour trains normally.
    pytest turns RuntimeWarnings into errors, so this also checks nothing warns."""
    X, y = spiral(n_per_class=20, rng=rng)
    W, b = init_stack([2] + [16] * 10 + [3], [1.4, 40.0], rng=rng)
    final = train_stack(W, b, X, y, "relu", steps=20, batch_size=10, eta=1.0, rng=rng)
    assert np.isfinite(final[0])
    assert np.isnan(final[1])


# ------------------------------------------------------------------------ maps
def test_trainability_map_separates_a_trainable_from_a_stuck_cell(rng):
    """Depth 1 at gain 1 learns the spiral within 300 steps; depth 6 tanh at gain
    0.1 cannot: its signal shrinks 10x per layer, and its loss stays at ln 3."""
    X, y = spiral(n_per_class=30, rng=rng)
    X = (X - X.mean(0)) / X.std(0)
    m = trainability_map(X, y, activations=("tanh",), depths=[1, 6], gains=[0.1, 1.5], width=16, steps=300,
                         batch_size=15, eta=0.2, rng=rng)
    assert m.loss.shape == (1, 2, 2)
    assert m.chance == pytest.approx(math.log(3))
    assert m.relative[0, 0, 1] < 0.8
    assert m.relative[0, 1, 0] == pytest.approx(1.0, abs=0.01)
    assert m.trainable(0.8)[0, 0, 1] and not m.trainable(0.8)[0, 1, 0]
    np.testing.assert_allclose(m.stds, [0.1 / 4, 1.5 / 4])


def test_trainability_map_reads_each_cell_through_the_median_of_its_seeds(rng):
    """seed_losses keeps every run; loss, relative and trainable use the median over seeds,
    a diverged run counting as +inf (so a cell is black only if most of its runs diverged)."""
    X, y = spiral(n_per_class=15, rng=rng)
    m = trainability_map(X, y, activations=("relu",), depths=[1], gains=[1.0, 2.0], width=8, steps=5,
                         batch_size=15, seeds=3, rng=rng)
    assert m.seed_losses.shape == (1, 1, 2, 3) and m.seeds == 3 and m.loss.shape == (1, 1, 2)
    np.testing.assert_allclose(m.loss, np.median(m.seed_losses, axis=-1))
    # one of three runs diverged: the median is the larger finite one; two of three: NaN (inf)
    m.seed_losses[0, 0] = [[0.2, np.nan, 0.9], [np.nan, 0.1, np.nan]]
    np.testing.assert_allclose(m.relative[0, 0, 0], 0.9 / m.chance)
    assert np.isinf(m.relative[0, 0, 1]) and np.isnan(m.loss[0, 0, 1])
    np.testing.assert_allclose(m.diverged[0, 0], [1 / 3, 2 / 3])
    assert np.isinf(m.seed_relative[0, 0, 0, 1])
    with pytest.raises(ValueError, match="seeds"):
        trainability_map(X, y, depths=[1], gains=[1.0], seeds=0, rng=rng)


def test_trainability_map_rejects_bad_grids(rng):
    X, y = spiral(n_per_class=5, rng=rng)
    with pytest.raises(ValueError, match="depths"):
        trainability_map(X, y, depths=[0, 2], gains=[1.0], rng=rng)
    with pytest.raises(ValueError, match="gains"):
        trainability_map(X, y, depths=[2], gains=[-1.0], rng=rng)


def test_signal_map_follows_the_mean_field_prediction(rng):
    """The backward error shrinks or grows by chi_1^(1/2) per layer: measured and
    predicted log10 ratios agree within 0.6 (a factor 4) where the prediction is
    within 10 decades, at width 64."""
    X, y = spiral(n_per_class=40, rng=rng)
    X = (X - X.mean(0)) / X.std(0)
    m = signal_propagation_map(X, y, depths=[1, 4, 12], gains=[0.5, 1.0, 1.41, 2.0, 4.0, 12.0], width=64, rng=rng)
    pred = m.predicted_log10_gradient_ratio()
    assert np.all(m.log10_gradient_ratio[:, 0] == 0)  # depth 1: first = last hidden layer
    close = np.abs(pred) < 10
    assert close.sum() > 40
    assert np.max(np.abs(m.log10_gradient_ratio - pred)[close]) < 0.6
    # ReLU: the forward signal changes by (g^2/2)^(1/2) per layer too
    relu = m.activations.index("relu")
    expected = 0.5 * (m.depths[:, None] - 1) * np.log10(m.gains**2 / 2)[None, :]
    assert np.max(np.abs(m.log10_signal_ratio[relu] - expected)) < 0.6


# ---------------------------------------------------------------------- figures
def test_phase_diagram_figures_draw_the_critical_lines(rng):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from course_lib.viz.trainability_plots import plot_loss_curves, plot_signal_map, plot_trainability_map

    X, y = spiral(n_per_class=10, rng=rng)
    tmap = trainability_map(X, y, activations=("tanh", "relu"), depths=[1, 3], gains=[0.5, 1.0, 2.0], width=8,
                            steps=5, batch_size=10, rng=rng)
    fig = plot_trainability_map(tmap)
    panels = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title().split(":")[0] for ax in panels] == ["tanh", "relu"]
    for ax, gain in zip(panels, (1.0, math.sqrt(2))):
        xs = {round(line.get_xdata()[0], 6) for line in ax.get_lines()}
        assert round(gain / math.sqrt(8), 6) in xs
    plt.close(fig)

    smap = signal_propagation_map(X, y, activations=("relu",), depths=[1, 2, 4], gains=[0.5, 1.0, 2.0, 4.0], width=8,
                                  rng=rng)
    fig = plot_signal_map(smap)
    assert fig.axes[0].get_title().startswith("relu")
    plt.close(fig)

    fig = plot_loss_curves({"a": [3.0, 2.0, 1.0]}, chance=math.log(3), ylim=(0, 2.5))
    labels = [line.get_label() for line in fig.axes[0].get_lines()]
    assert labels[0] == "a (starts at 3, off the top)" and labels[1].startswith("chance: ln 3")
    plt.close(fig)

    fig = plot_loss_curves({"median": ([0, 10], [1.0, 0.5])}, bands={"median": ([0.9, 0.2], [1.1, 0.8])})
    (band,) = fig.axes[0].collections
    ys = band.get_paths()[0].vertices[:, 1]
    assert ys.min() == pytest.approx(0.2) and ys.max() == pytest.approx(1.1)
    plt.close(fig)
