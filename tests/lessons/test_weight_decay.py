"""Tests for course_lib.lessons.weight_decay (Nielsen's weight-decay Problem) and its figure."""
import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_lib.lessons import weight_decay as wd  # noqa: E402
from course_lib.viz.weight_decay_plots import plot_weight_scales  # noqa: E402


def test_decay_factor_closed_forms():
    # Nielsen's setting: exp(-0.1 * 5 / 10) = exp(-0.05).
    assert wd.decay_factor_per_epoch(0.1, 5.0, 10) == pytest.approx(math.exp(-0.05), rel=1e-15)
    # Exact: (1 - eta lambda / n)^(n/m) with n = 50,000, m = 10: 5,000 steps.
    assert wd.decay_factor_exact(0.1, 5.0, 10, 50_000) == pytest.approx((1 - 0.5 / 50_000) ** 5_000, rel=1e-15)
    # The two agree to O(eta^2 lambda^2 / (n m)) = 5e-7 relative here.
    assert wd.decay_factor_exact(0.1, 5.0, 10, 50_000) == pytest.approx(math.exp(-0.05), rel=1e-6)
    # A last partial minibatch still counts as a step: 11 examples, m = 10 -> 2 steps.
    assert wd.decay_factor_exact(1.0, 1.0, 10, 11) == pytest.approx((1 - 1 / 11) ** 2, rel=1e-15)
    assert wd.decay_factor_per_epoch(0.1, 0.0, 10) == 1.0


def test_weight_count_and_equilibrium_scale():
    assert wd.weight_count([784, 30, 10]) == 784 * 30 + 30 * 10 == 23_820
    assert wd.equilibrium_scale([784, 30, 10]) == pytest.approx(1 / math.sqrt(23_820), rel=1e-15)


@pytest.mark.parametrize("call", [
    lambda: wd.decay_factor_per_epoch(-0.1, 5.0, 10),
    lambda: wd.decay_factor_per_epoch(0.1, float("nan"), 10),
    lambda: wd.decay_factor_per_epoch(0.1, 5.0, 0),
    lambda: wd.decay_factor_exact(10.0, 10.0, 10, 50),
    lambda: wd.weight_count([784]),
    lambda: wd.weight_count([784, 0, 10]),
])
def test_bad_arguments_are_named(call):
    with pytest.raises(ValueError, match="eta|lmbda|batch_size|sizes"):
        call()


def test_zero_inputs_make_w1_decay_exactly_as_predicted():
    # With x = 0 the gradient of W1 is delta^T x = 0, so only decay moves W1:
    # each epoch multiplies it by (1 - eta lambda / n)^steps, exactly (to rounding).
    rng = np.random.default_rng(3)
    n, n_val = 60, 20
    train = (np.zeros((n, 784)), rng.integers(0, 10, n))
    validation = (np.zeros((n_val, 784)), rng.integers(0, 10, n_val))
    run = wd.run_weight_scales(train, validation, scheme="old", lmbda=5.0, seed=1, epochs=3, batch_size=10,
                               eta=0.5, dtype=np.float64)
    expected = wd.decay_factor_exact(0.5, 5.0, 10, n)
    np.testing.assert_allclose(wd.epoch_ratios(run)[:, 0], expected, rtol=1e-12)
    assert run.epochs == 3 and run.rms.shape == (4, 2)
    assert run.sizes == [784, 30, 10]


def test_same_seed_pairs_schemes_and_lambdas():
    rng = np.random.default_rng(4)
    X = rng.uniform(0, 1, (50, 784))
    y = rng.integers(0, 10, 50)
    kw = dict(epochs=1, batch_size=10, eta=0.1, dtype=np.float64, seed=2)
    old5 = wd.run_weight_scales((X, y), (X, y), scheme="old", lmbda=5.0, **kw)
    old0 = wd.run_weight_scales((X, y), (X, y), scheme="old", lmbda=0.0, **kw)
    new5 = wd.run_weight_scales((X, y), (X, y), scheme="new", lmbda=5.0, **kw)
    assert old5.weight_rms[0] == old0.weight_rms[0]           # same draws at epoch 0
    # new = old / sqrt(n_in) draw for draw, so the initial RMS scales by 1/sqrt(784) = 1/28
    assert new5.weight_rms[0][0] == pytest.approx(old5.weight_rms[0][0] / 28, rel=1e-12)
    again = wd.run_weight_scales((X, y), (X, y), scheme="old", lmbda=5.0, **kw)
    assert again.weight_rms == old5.weight_rms                # same seed, same bits


def test_run_rejects_bad_settings():
    X = np.zeros((10, 784))
    y = np.zeros(10, dtype=int)
    with pytest.raises(ValueError, match="scheme"):
        wd.run_weight_scales((X, y), (X, y), scheme="xavier")
    with pytest.raises(ValueError, match="lmbda"):
        wd.run_weight_scales((X, y), (X, y), lmbda=-1.0)
    with pytest.raises(ValueError, match="seed"):
        wd.run_weight_scales((X, y), (X, y), seed=-1)


def test_shipped_measurement_and_what_notebook_10_reads_from_it():
    results = wd.load_scales()
    assert results["setup"]["n_train"] == 50_000 and results["setup"]["epochs"] == 30
    for scheme in ("old", "new"):
        for lmbda in (5.0, 0.0):
            runs = wd.select_scale_runs(results, scheme, lmbda)
            assert [r.seed for r in runs] == [0, 1, 2]
            assert all(r.epochs == 30 for r in runs)
    old5 = wd.select_scale_runs(results, "old", 5.0)
    first = np.array([wd.epoch_ratios(r)[:5, 0] for r in old5])
    assert np.all(np.abs(first - wd.decay_factor_per_epoch(0.1, 5.0, 10)) < 0.002)


def test_save_and_load_round_trip(tmp_path):
    rng = np.random.default_rng(5)
    X = rng.uniform(0, 1, (20, 784))
    y = rng.integers(0, 10, 20)
    results = wd.measure_weight_scales((X, y), (X, y), seeds=(0,), schemes=("old",), lmbdas=(5.0,), epochs=1,
                                       batch_size=10, dtype=np.float64)
    path = wd.save_scales(results, tmp_path / "scales.json")
    back = wd.load_scales(path)
    np.testing.assert_allclose(back["runs"][0].rms, results["runs"][0].rms, rtol=1e-5)
    assert not list(tmp_path.glob(".*.tmp"))


def test_plot_weight_scales_draws_every_config_and_the_prediction():
    results = wd.load_scales()
    fig = plot_weight_scales(results, layer=0)
    ax = fig.axes[0]
    labels = [line.get_label() for line in ax.get_lines()]
    assert sum("median of 3 seeds" in label for label in labels) == 4
    assert any(label.startswith("pure decay") for label in labels)
    assert ax.get_yscale() == "log"
    plt.close(fig)
    with pytest.raises(ValueError, match="configs"):
        plot_weight_scales(results, configs=(("old", 1.0),))


def test_exercise_checks_accept_right_answers_and_hint_otherwise(capsys):
    exact = 10 * math.log(784) / (2 * 0.1 * 5.0)      # 66.65 epochs
    assert wd.check_epochs_to_new_scale(exact) and wd.check_epochs_to_new_scale(67)
    assert wd.check_epochs_to_new_scale(66.7)
    assert not wd.check_epochs_to_new_scale(30)
    assert "Not quite" in capsys.readouterr().out
    assert wd.check_factor_for_batch(math.exp(-0.005)) and wd.check_factor_for_batch(0.995)
    assert not wd.check_factor_for_batch(0.951)
    with pytest.raises(TypeError, match="answer"):
        wd.check_factor_for_batch("a lot")
