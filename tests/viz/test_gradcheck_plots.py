"""Tests of course_lib.viz.gradcheck_plots: the figures hold what they claim."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import to_rgb  # noqa: E402

from course_lib.lessons.gradient_checking import CatchResult, CheckSetup  # noqa: E402
from course_lib.viz.gradcheck_plots import OUTCOME_COLORS, plot_catch_table, plot_h_sweep  # noqa: E402


def test_plot_h_sweep_draws_every_curve_on_log_axes():
    hs = np.logspace(-1, -6, 6)
    fig = plot_h_sweep(hs, {"a": hs**2, "b": np.zeros(6)}, references={"ref": hs},
                       hlines={"tol": (1e-7, "green")})
    ax = fig.axes[0]
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels == ["a", "b", "ref", "tol"]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert ax.xaxis_inverted()
    assert np.all(ax.get_lines()[1].get_ydata() == 1e-18)       # zeros drawn at the floor
    plt.close(fig)


def test_plot_catch_table_colours_outcomes():
    setups = [CheckSetup("s1"), CheckSetup("s2", tol=1e-3)]
    table = {
        "(no bug)": [CatchResult("(no bug)", "s1", 1e-9, 1e-7), CatchResult("(no bug)", "s2", 1e-2, 1e-3)],
        "bug": [CatchResult("bug", "s1", 0.5, 1e-7), CatchResult("bug", "s2", 1e-5, 1e-3)],
    }
    fig = plot_catch_table(table, setups)
    ax = fig.axes[0]
    grid = ax.get_images()[0].get_array()
    assert np.allclose(grid[0, 0], to_rgb(OUTCOME_COLORS["passed"]))
    assert np.allclose(grid[0, 1], to_rgb(OUTCOME_COLORS["false alarm"]))
    assert np.allclose(grid[1, 0], to_rgb(OUTCOME_COLORS["caught"]))
    assert np.allclose(grid[1, 1], to_rgb(OUTCOME_COLORS["missed"]))
    texts = [t.get_text() for t in ax.texts]
    assert texts == ["1e-09\npassed", "1e-02\nfalse alarm", "5e-01\ncaught", "1e-05\nMISSED"]
    plt.close(fig)
