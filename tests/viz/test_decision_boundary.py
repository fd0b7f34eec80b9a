"""Tests for the decision-boundary helpers of course_lib.viz.plotting (notebook 06)."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from course_lib import Network
from course_lib.viz.plotting import decision_grid, plot_decision_boundary, plot_points


def _half_plane_net(rng):
    """A softmax classifier [2, 2] built by hand: class 1 exactly where x1 > 0.5."""
    net = Network([2, 2], cost="log_likelihood", init="zeros", rng=rng)
    net.weights[0][:] = [[-1.0, 0.0], [1.0, 0.0]]
    net.biases[0][:] = [0.5, -0.5]
    return net


def test_decision_grid_matches_the_known_boundary(rng):
    net = _half_plane_net(rng)
    X = np.array([[-1.0, -2.0], [2.0, 3.0]])
    xs, ys, labels = decision_grid(net.predict, X, resolution=41, padding=0.0)
    np.testing.assert_allclose(xs, np.linspace(-1, 2, 41))
    np.testing.assert_allclose(ys, np.linspace(-2, 3, 41))
    assert labels.shape == (41, 41)
    # rows are y, columns are x: the label depends on the column only
    expected = (xs > 0.5).astype(int)
    np.testing.assert_array_equal(labels, np.broadcast_to(expected, (41, 41)))


def test_decision_grid_padding_widens_the_box(rng):
    net = _half_plane_net(rng)
    xs, ys, _ = decision_grid(net.predict, np.array([[0.0, 0.0], [1.0, 2.0]]), resolution=5, padding=0.5)
    assert (xs[0], xs[-1], ys[0], ys[-1]) == (-0.5, 1.5, -1.0, 3.0)


def test_decision_grid_rejects_non_2d_data(rng):
    net = _half_plane_net(rng)
    with pytest.raises(ValueError, match=r"X must have shape \(N, 2\)"):
        decision_grid(net.predict, np.zeros((5, 3)))
    with pytest.raises(ValueError, match="resolution"):
        decision_grid(net.predict, np.zeros((5, 2)), resolution=1)


def test_plot_decision_boundary_reports_the_accuracy(rng):
    net = _half_plane_net(rng)
    X = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    y = np.array([0, 1, 0, 0])  # 3 of 4 on the right side
    fig = plot_decision_boundary(net, X, y, title="half plane")
    title = fig.axes[0].get_title()
    assert title.startswith("half plane") and "75.0%" in title
    plt.close(fig)


def test_plot_decision_boundary_of_a_constant_classifier_draws_no_contour_quietly(rng, recwarn):
    """A zero-initialized net predicts one class everywhere: no boundary line, no warning."""
    net = Network([2, 2], cost="log_likelihood", init="zeros", rng=rng)
    X = rng.standard_normal((10, 2))
    fig = plot_decision_boundary(net, X, np.arange(10) % 2)
    assert "50.0%" in fig.axes[0].get_title()
    assert not [w for w in recwarn if "contour" in str(w.message).lower()]
    plt.close(fig)


def test_plot_points_one_scatter_per_class(rng):
    X = rng.standard_normal((30, 2))
    fig = plot_points(X, np.arange(30) % 3)
    assert len(fig.axes[0].collections) == 3
    plt.close(fig)
