"""course_lib.viz.flower: each figure draws what it is given (notebook 08)."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from course_lib import flower  # noqa: E402
from course_lib.viz import flower as viz  # noqa: E402


def test_figures_draw_what_they_are_given():
    X, y = flower(rng=np.random.default_rng(0))
    fig = viz.plot_flower(X, y)
    assert len(fig.axes[0].collections) == 2                      # one scatter per class
    t = np.array([0.1, 1.0, 10.0])
    fig = viz.plot_search({"a": [t], "b": [t, t]}, {"a": [t], "b": [t, 2 * t]}, {"a": ["x"], "b": ["y", "z"]},
                          {"a": 0.1, "b": 0.2}, marks={"best": 1.0})
    assert [len(ax.get_lines()) for ax in fig.axes] == [1 + 1 + 1, 2 + 1 + 1]
    printed = np.tile(np.linspace(0.7, 0.3, 10), (3, 1))
    fig = viz.plot_reproduction({"a": printed[0]}, {"a": ("run", printed)})
    np.testing.assert_allclose(fig.axes[0].get_lines()[0].get_ydata(), printed[0])
    stds = np.array([0.01, 0.1])
    fig = viz.plot_scaling(stds, {1: (stds ** 2, np.c_[stds, stds])})
    assert len(fig.axes[0].get_lines()) == 2
    fig = viz.plot_escape({"one": (stds, [[3, 4], [1, 2]]), "two": (stds, [[30, 40], [3, 4]])},
                          {"one": (stds, [3.5, 1.5])})
    assert [len(ax.get_lines()) for ax in fig.axes] == [2, 2]
    plt.close("all")
