"""Figure helpers: the numbers they compute and the figures they return."""
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_lib.nn.activations import sigmoid_prime  # noqa: E402
from course_lib.lessons.histograms import hidden_forward  # noqa: E402
from course_lib.lessons.saturation import saturated_fraction  # noqa: E402
from course_lib.viz.plotting import (  # noqa: E402
    INIT_COLORS,
    activation_histogram,
    histogram_range,
    init_color,
    log10_sigmoid_prime,
    nice_ceil,
    plot_activation_functions,
    plot_cost_curves,
    plot_layer_histograms,
    plot_sigmoid_prime_cdf,
    plot_std_vs_depth,
    plot_z_histogram,
    select_layers,
)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_init_color_is_fixed_per_initializer():
    assert init_color("he_normal") == INIT_COLORS["he_normal"]
    assert init_color("kaiming") == INIT_COLORS["he_normal"]          # alias
    assert init_color("something else") == INIT_COLORS["custom"]


@pytest.mark.parametrize("value, expected", [(0.03, 0.05), (0.05, 0.05), (0.051, 0.1), (7, 10), (120, 200),
                                             (1e35, 1e35), (0, 1.0), (math.inf, 1.0)])
def test_nice_ceil(value, expected):
    assert nice_ceil(value) == pytest.approx(expected)


def test_nice_ceil_custom_steps():
    assert nice_ceil(0.26, steps=(1, 1.5, 2, 3, 5, 7.5)) == pytest.approx(0.3)


def test_select_layers():
    assert select_layers(5) == [1, 2, 3, 4, 5]
    assert select_layers(10) == list(range(1, 11))
    chosen = select_layers(50)
    assert len(chosen) == 10 and chosen[0] == 1 and chosen[-1] == 50
    assert all(b > a for a, b in zip(chosen, chosen[1:]))
    with pytest.raises(ValueError, match="depth"):
        select_layers(0)


def test_histogram_range():
    assert histogram_range("sigmoid", []) == (0.0, 1.0)
    assert histogram_range("tanh", []) == (-1.0, 1.0)
    rng = np.random.default_rng(0)
    lo, hi = histogram_range("relu", [np.abs(rng.normal(0, 3, 10_000)), np.array([np.inf])])
    assert lo == 0 and hi == 10                       # 99.5th pct of |N(0, 9)| = 8.4 -> 10; inf ignored
    assert histogram_range("identity", [rng.normal(0, 0.01, 1000)]) == (-0.05, 0.05)


def test_activation_histogram_matches_numpy(rng):
    a = rng.uniform(0, 1, 5000)
    edges = np.linspace(0, 1, 21)
    h = activation_histogram(a, "sigmoid", edges)
    np.testing.assert_allclose(h, np.histogram(a, bins=edges)[0] / a.size)
    assert h.sum() == pytest.approx(1.0)


def test_activation_histogram_clips_and_drops_relu_zeros(rng):
    a = np.concatenate([np.zeros(600), rng.uniform(0.1, 0.9, 300), np.full(100, 5.0)]).astype(np.float32)
    h = activation_histogram(a, "relu", np.linspace(0, 1, 11))
    assert h.sum() == pytest.approx(0.4)              # the 60% zeros are left out
    assert h[-1] >= 0.1                               # values beyond the edge land in the last bin
    assert activation_histogram(np.array([1.0, np.nan]), "relu", np.linspace(0, 1, 3)) is None


def test_log10_sigmoid_prime():
    z = np.array([-30.0, -3.0, 0.0, 2.0, 30.0])
    reference = np.log10(np.exp(-z) / (1 + np.exp(-z)) ** 2)
    np.testing.assert_allclose(log10_sigmoid_prime(z), reference, rtol=1e-9)
    assert log10_sigmoid_prime(1e4) == pytest.approx(-1e4 / math.log(10), rel=1e-9)   # no underflow


def test_plot_activation_functions():
    fig = plot_activation_functions()
    assert len(fig.axes) == 3
    assert all(ax.get_title() and ax.get_xlabel() and ax.get_ylabel() for ax in fig.axes)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["sigmoid", "tanh", "relu"]


def test_plot_z_histogram_reports_saturation(rng):
    z = rng.normal(0, 22.4, 4000)
    fig, ax = plt.subplots()
    assert plot_z_histogram(z, 22.4, ax=ax) is fig
    texts = " ".join(t.get_text() for t in ax.texts)
    assert f"{100 * saturated_fraction(z):.1f}%" in texts
    assert ax.get_xlabel() and ax.get_ylabel() == "density"
    # The drawn curve is the N(0, 22.4^2) density.
    x, y = ax.lines[0].get_data()
    np.testing.assert_allclose(y, np.exp(-0.5 * (x / 22.4) ** 2) / (22.4 * math.sqrt(2 * math.pi)))


def test_plot_sigmoid_prime_cdf_legend_gives_share_below_one_percent(rng):
    z_old, z_new = rng.normal(0, 22.4, 3000), rng.normal(0, 1.22, 3000)
    fig = plot_sigmoid_prime_cdf({"old": z_old, "new": z_new})
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend[0] == f"old: {100 * np.mean(sigmoid_prime(z_old) < 0.01):.0f}% below 0.01"
    assert legend[1] == "new: 0% below 0.01"


def test_plot_cost_curves():
    fig = plot_cost_curves({"a": [1.0, 0.5, 0.1], "b": [1.0, 0.9, 0.8]}, colors={"a": "red"})
    ax = fig.axes[0]
    assert ax.get_yscale() == "log" and len(ax.lines) == 2
    assert matplotlib.colors.to_hex(ax.lines[0].get_color()) == "#ff0000"


def test_plot_layer_histograms_titles_carry_statistics(rng):
    X = rng.standard_normal((300, 50))
    sig = hidden_forward(X, 3, 50, "sigmoid", 1.0, rng=rng)
    fig = plot_layer_histograms(sig, "sigmoid", title="sigmoid, std 1")
    axes = [ax for ax in fig.axes]
    assert len(axes) == 3
    for l, ax in enumerate(axes, start=1):
        std = float(np.std(sig.activations[l - 1], dtype=np.float64))
        assert ax.get_title().startswith(f"layer {l}\nstd {std:.3g}")
        assert "sat" in ax.get_title()
    # Both axes shared: one x range, one y range for every panel.
    assert {ax.get_xlim() for ax in axes} == {(0.0, 1.0)}
    assert len({ax.get_ylim() for ax in axes}) == 1


def test_plot_layer_histograms_shows_overflow(rng):
    X = rng.standard_normal((100, 100))
    sig = hidden_forward(X, 20, 100, "relu", 100.0, rng=rng)
    fig = plot_layer_histograms(sig, "relu", layers=[1, 20])
    assert "overflow" in fig.axes[1].get_title()
    assert any("overflow" in t.get_text() for t in fig.axes[1].texts)


def test_plot_std_vs_depth_skips_zero_and_overflow():
    fig = plot_std_vs_depth({"x": np.array([1.0, 0.1, 0.0, np.inf])}, {"x": np.array([1.0, 0.1, 0.01, 1e-3])})
    ax = fig.axes[0]
    measured, predicted = ax.lines
    y = measured.get_ydata()
    assert np.isnan(y[2]) and np.isnan(y[3]) and y[1] == 0.1
    assert ax.get_yscale() == "log" and ax.get_xlabel() == "layer"


def test_plot_std_vs_depth_ticks_whole_layers():
    fig = plot_std_vs_depth({"x": np.geomspace(1.0, 1e-3, 20)})
    ticks = [t for t in fig.axes[0].get_xticks() if 1 <= t <= 20]
    assert ticks and all(float(t).is_integer() for t in ticks)
    plt.close(fig)


def test_plot_layer_histograms_into_given_axes_shares_them(rng):
    X = rng.standard_normal((300, 50))
    fig, axes = plt.subplots(2, 3)
    for row, std in zip(axes, (1.0, 0.01)):
        assert plot_layer_histograms(hidden_forward(X, 3, 50, "sigmoid", std, rng=rng), "sigmoid", axes=row,
                                     title=f"std {std}") is fig
    for row, std in zip(axes, (1.0, 0.01)):
        assert len({ax.get_ylim() for ax in row}) == 1
        assert row[0].get_ylabel().startswith(f"std {std}")
    assert axes[0][0].get_ylim() != axes[1][0].get_ylim()       # rows keep their own scale
    with pytest.raises(ValueError, match="axes"):
        plot_layer_histograms(hidden_forward(X, 3, 50, "sigmoid", 1.0, rng=rng), "sigmoid", axes=axes[0][:2])
