"""course_lib.viz.depth_explorer: notebook 05's depth slider, its callback tested without a browser."""
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest

from course_lib.diagnostics.gradient_flow import deep_network, measure_gradient_flow
from course_lib.lessons.depth import DEEP_NET_INITS
from course_lib.viz.depth_explorer import DepthExplorer


@pytest.fixture
def explorer(rng):
    X = rng.random((64, 20))
    y = rng.integers(0, 10, 64)
    return DepthExplorer(X, y, width=24, seed=5)


def test_explorer_update_draws_and_caches(explorer):
    fig = explorer.update(depth=12, activation="relu", init="he_normal")
    assert fig is explorer.figure and explorer.calls == 1
    left, right, _ = fig._gradient_flow_axes
    assert "relu, He, 12 layers" in left.get_title()
    assert len(right.lines) == 2 and len(right.lines[0].get_xdata()) == 12  # 12 hidden layers
    again = explorer.update(depth=30, activation="tanh", init="small")
    assert again is fig and len(right.lines) == 2 and len(right.lines[0].get_xdata()) == 30
    assert explorer.flow(12, "relu", "he_normal") is explorer.flow(12, "relu", "he_normal")
    plt.close(fig)


def test_explorer_agrees_with_measure_gradient_flow(explorer):
    flow = explorer.flow(8, "tanh", "small")
    net = deep_network(8, 24, n_in=20, n_out=10, activation="tanh", init=DEEP_NET_INITS["small"],
                       rng=np.random.default_rng(5))
    np.testing.assert_allclose(flow.bias_rms, measure_gradient_flow(net, explorer.X, explorer.y).bias_rms)
    assert flow.gain_per_layer() == pytest.approx(0.01 * math.sqrt(24), rel=0.15)  # only 24 units: loose


def test_explorer_shows_vanishing_and_exploding(explorer):
    assert explorer.flow(30, "relu", "small").bias_gain() < 1e-20
    assert explorer.flow(30, "relu", "large").bias_gain() > 1e15
    assert 0.1 < explorer.flow(30, "relu", "he_normal").bias_gain() < 10
    fig = explorer.update(50, "relu", "large")  # extreme but legal: draws, no warnings
    plt.close(fig)


def test_explorer_rejects_bad_settings(explorer):
    with pytest.raises(ValueError, match="depth"):
        explorer.flow(51, "tanh", "he_normal")
    with pytest.raises(ValueError, match="activation"):
        explorer.flow(10, "sigmoid", "he_normal")
    with pytest.raises(ValueError, match="init"):
        explorer.flow(10, "tanh", "glorot")


def test_depth_widget_drives_the_explorer_without_a_browser(explorer):
    from course_lib.viz.widgets import build_depth_widget

    box = build_depth_widget(explorer, depth=10, activation="tanh", init="he_normal")
    first = box.image.value
    assert first[:8] == b"\x89PNG\r\n\x1a\n"
    assert explorer.setting == dict(depth=10, activation="tanh", init="he_normal")
    box.controls["depth"].value = 40
    assert explorer.setting["depth"] == 40 and box.image.value != first
    box.controls["init"].value = "large"
    box.controls["activation"].value = "relu"
    assert explorer.setting == dict(depth=40, activation="relu", init="large")
    assert [label for label, _ in box.controls["init"].options][0] == "std 0.01"
    plt.close(explorer.figure)


def test_gain_init_is_the_same_net_rescaled(explorer):
    """init='gain': W ~ N(0, g^2 / fan_in). g = 1 is LeCun's init drawn from the same numbers
    (identical gradients), g = sqrt(2) He's; other gains rescale the same draws."""
    lecun = explorer.flow(10, "tanh", "lecun_normal")
    np.testing.assert_allclose(explorer.flow(10, "tanh", "gain", 1.0).bias_rms, lecun.bias_rms, rtol=1e-12)
    he = explorer.flow(10, "relu", "he_normal")
    np.testing.assert_allclose(explorer.flow(10, "relu", "gain", math.sqrt(2)).bias_rms, he.bias_rms, rtol=1e-4)  # gain kept to 6 digits
    # For tanh the gradient through 30 layers grows with g, through the critical value.
    gains = [explorer.flow(30, "tanh", "gain", g).bias_gain() for g in (0.7, 1.0, 1.3, 2.0)]
    assert gains == sorted(gains) and gains[0] < 0.1 and gains[-1] > 10, gains


def test_summary_reports_the_ratio_the_exercise_asks_for(explorer):
    explorer.update(depth=20, activation="tanh", init="gain", gain=1.2)
    flow = explorer.flow(20, "tanh", "gain", 1.2)
    assert explorer.setting == dict(depth=20, activation="tanh", init="gain", gain=1.2)
    assert "std 1.2/sqrt(n)" in explorer.summary
    assert f"= {flow.bias_gain():.3g}" in explorer.summary
    assert f"({flow.bias_gain() ** (1 / 19):.4f} per layer)" in explorer.summary
    plt.close(explorer.figure)


@pytest.mark.parametrize("gain", [0.05, 11.0, float("nan"), "1", True])
def test_gain_out_of_range_is_refused(explorer, gain):
    with pytest.raises(ValueError, match="gain"):
        explorer.flow(10, "tanh", "gain", gain)
    explorer.flow(10, "tanh", "he_normal", gain)  # the gain counts only for init='gain'


def test_depth_widget_gain_slider_selects_the_gain_init_with_one_redraw(explorer):
    from course_lib.viz.widgets import build_depth_widget

    box = build_depth_widget(explorer, depth=12, activation="tanh", init="he_normal")
    assert "1/sqrt(n)" in dict((v, k) for k, v in box.controls["init"].options)["gain"]
    calls, first = explorer.calls, box.image.value
    box.controls["gain"].value = 1.7
    assert explorer.calls == calls + 1                      # the init menu's re-sync does not redraw again
    assert explorer.setting == dict(depth=12, activation="tanh", init="gain", gain=1.7)
    assert box.controls["init"].value == "gain" and box.image.value != first
    assert "std 1.7/sqrt(n)" in box.summary.value and "per layer" in box.summary.value
    box.controls["init"].value = "he_normal"                 # back to a named init: the gain is ignored
    assert explorer.setting == dict(depth=12, activation="tanh", init="he_normal")
    plt.close(explorer.figure)
