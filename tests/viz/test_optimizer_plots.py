"""course_lib.viz.optimizer_plots: the figures draw what they are given."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from course_lib.viz.optimizer_plots import OPTIMIZER_COLORS, plot_first_steps, plot_runs, plot_runs_grid  # noqa: E402


def test_plot_runs_draws_the_median_and_the_range():
    curves = [np.array([1.1, 0.9, 0.5]), np.array([1.1, 1.0, 0.7]), np.array([1.1, 0.8, 0.2])]
    fig = plot_runs({"adam": curves}, chance=np.log(3), colors=OPTIMIZER_COLORS)
    ax = fig.axes[0]
    median = ax.lines[0]
    np.testing.assert_allclose(median.get_ydata(), [1.1, 0.9, 0.5])
    assert median.get_color() == OPTIMIZER_COLORS["adam"] and "median of 3" in median.get_label()
    band = ax.collections[0].get_paths()[0].vertices[:, 1]
    assert band.min() == 0.2 and band.max() == 1.1
    assert ax.lines[1].get_ydata()[0] == np.log(3)                      # the chance line
    plt.close(fig)


def test_plot_runs_log_axis_and_clipping():
    fig = plot_runs({"sgd": [np.array([500.0, 5.0, 0.5])]}, logy=True, ylim=(1e-2, 1e3))
    assert fig.axes[0].get_yscale() == "log" and fig.axes[0].get_ylim() == (1e-2, 1e3)
    plt.close(fig)
    fig = plot_runs({"sgd": [np.array([500.0, 5.0, 0.5])]}, ylim=(0, 2))
    assert fig.axes[0].lines[0].get_ydata().max() == 2                  # clipped at the top
    plt.close(fig)


def test_plot_runs_grid_shares_the_axis_and_hides_spare_panels():
    runs = {"sgd": [np.ones(4)]}
    fig = plot_runs_grid({"a": runs, "b": runs, "c": runs}, logy=True)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(fig.axes) == 4 and len(visible) == 3
    assert [ax.get_title() for ax in visible] == ["a", "b", "c"] and all(ax.get_yscale() == "log" for ax in visible)
    plt.close(fig)


def test_plot_first_steps_one_line_per_label():
    fig = plot_first_steps({"sgd": [1e-6, 1e-7], "adam": [1.0, 0.9]}, styles={"adam": dict(color="red")})
    ax = fig.axes[0]
    assert [l.get_label() for l in ax.lines[:2]] == ["sgd", "adam"] and ax.get_yscale() == "log"
    np.testing.assert_allclose(ax.lines[1].get_ydata(), [1.0, 0.9])
    assert ax.lines[1].get_color() == "red"
    plt.close(fig)
