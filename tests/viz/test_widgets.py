"""The live widgets, driven without a browser: explorers, their PNG frames and tables, the sliders."""
import io
import math
import warnings

import numpy as np
import pytest
from PIL import Image

from course_lib.lessons.saturation import Z_SATURATED, neuron_z_std
from course_lib.viz.widgets import (
    HistogramExplorer,
    NeuronExplorer,
    build_histogram_widget,
    build_neuron_widget,
)


def pixels(png):
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


@pytest.fixture(scope="module")
def explorer():
    """One explorer shared by the read-only tests (building one costs ~0.3 s)."""
    return HistogramExplorer(rng=np.random.default_rng(0))


def test_default_explorer_is_the_classic_sigmoid_std1(explorer):
    p = explorer.params
    assert (p["activation"], p["init"], p["std"], p["depth"], p["width"]) == ("sigmoid", "custom", 1.0, 5, 100)
    assert explorer.X.shape == (1000, 100)
    assert [s.layer for s in explorer.stats] == [1, 2, 3, 4, 5]
    # U-shape: more than half of the last layer within 0.02 of 0 or 1.
    assert explorer.stats[-1].saturated > 0.4
    assert pixels(explorer.png).shape[1] == 880


def test_update_changes_figure_and_table():
    ex = HistogramExplorer(rng=np.random.default_rng(1), n_samples=200)
    png, html = ex.png, ex.html
    stats = ex.update(std=0.01)
    assert ex.params["init"] == "custom" and ex.params["std"] == 0.01
    assert ex.png != png and ex.html != html
    assert "std 0.01" in ex.html
    # Collapse to 0.5: tiny spread, nothing saturated.
    assert all(abs(s.mean - 0.5) < 0.01 and s.std < 0.03 and s.saturated == 0 for s in stats)
    before = pixels(ex.png)
    ex.update(depth=8)
    assert "depth 8" in ex.html and len(ex.stats) == 8
    assert pixels(ex.png).shape[0] > before.shape[0]        # two rows of panels now


def test_frames_do_not_depend_on_history():
    """The blitted frame after a series of updates equals a fresh explorer's frame."""
    a = HistogramExplorer(rng=np.random.default_rng(2), n_samples=200)
    for std in (0.3, 0.5, 2.0, 0.7):
        a.update(std=std)
    b = HistogramExplorer(rng=np.random.default_rng(2), n_samples=200, std=0.7)
    assert a._live.full_redraws >= 2
    np.testing.assert_array_equal(pixels(a.png), pixels(b.png))
    assert a.html == b.html


def test_same_network_at_every_std():
    """Moving the std rescales one fixed draw: with identity activations the layer-1
    signal is exactly proportional to the std."""
    ex = HistogramExplorer(rng=np.random.default_rng(3), n_samples=100, activation="identity", std=1.0, depth=3)
    z1 = ex.signals.activations[0].copy()
    ex.update(depth=7)                        # deeper first, then back: same first layers
    ex.update(std=0.5, depth=3)
    np.testing.assert_allclose(ex.signals.activations[0], 0.5 * z1, rtol=1e-6)


def test_named_initializer_sets_the_std_per_layer():
    ex = HistogramExplorer(rng=np.random.default_rng(4), n_samples=100, activation="relu", init="he_normal")
    assert ex.params["std"] == pytest.approx(math.sqrt(2 / 100))
    ex.update(width=200)
    np.testing.assert_allclose(ex.layer_stds(), [math.sqrt(2 / 100)] + [math.sqrt(2 / 200)] * 4)
    ex.update(std=0.3)
    assert ex.params["init"] == "custom"


def test_claims_of_notebook_02():
    ex = HistogramExplorer(rng=np.random.default_rng(5), activation="relu", init="he_normal", depth=5)
    # He: the std stays within a factor 1.5 over 5 layers, and near the prediction 0.83.
    assert ex.stds.max() / ex.stds.min() < 1.5
    np.testing.assert_allclose(ex.predicted["a_std"], 0.8256, rtol=1e-3)
    ex.update(init="custom", std=1.0, depth=5)
    growth = ex.stds[1:] / ex.stds[:-1]
    np.testing.assert_allclose(growth, math.sqrt(50), rtol=0.25)   # sqrt(n Var[W] / 2) = 7.07


def test_depth_50_shows_ten_panels_and_all_stds(explorer):
    ex = HistogramExplorer(rng=np.random.default_rng(6), n_samples=200, depth=50, activation="tanh",
                           init="lecun_normal")
    assert len(ex.stats) == 10 and ex.stats[0].layer == 1 and ex.stats[-1].layer == 50
    assert ex.stds.shape == (50,) and np.isfinite(ex.stds).all()
    assert ex.html.count("<tr>") == 11


def test_extreme_setting_shows_overflow_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # ...but for what matplotlib says about its own dependencies: at the declared floor, 3.7, it
        # calls pyparsing names that pyparsing 3.3 deprecates (make test-min). Python shows a student
        # no DeprecationWarning raised inside a library; the course's own warnings stay errors.
        warnings.filterwarnings("ignore", category=DeprecationWarning, module="matplotlib")
        ex = HistogramExplorer(rng=np.random.default_rng(7), n_samples=200, activation="relu", std=100.0, depth=50)
    assert 10 <= ex.overflow_layer <= 16
    assert "overflow" in ex.html
    assert any("overflow" in t.get_text() for t in ex.figure.texts + [t for ax in ex.figure.axes for t in ax.texts])


@pytest.mark.parametrize(
    "changes, argument",
    [(dict(std=-1.0), "std"), (dict(std=float("nan")), "std"), (dict(depth=0), "depth"), (dict(depth=51), "depth"),
     (dict(width=0), "width"), (dict(activation="swish"), "activation"), (dict(init="glorious"), "init"),
     (dict(speed=3), "speed")],
)
def test_update_rejects_bad_values_and_keeps_state(explorer, changes, argument):
    before = dict(explorer.params)
    with pytest.raises(ValueError, match=argument):
        explorer.update(**changes)
    assert explorer.params == before


def test_explorer_needs_a_generator():
    with pytest.raises(ValueError, match="rng"):
        HistogramExplorer(rng=0)


def test_histogram_widget_sliders_drive_the_explorer():
    box = build_histogram_widget(rng=np.random.default_rng(8), n_samples=200)
    c = box.controls
    assert c["std"].description == "std" and c["depth"].description == "depth"
    assert "layer-stats" in box.table._dom_classes
    png, html = box.image.value, box.table.value
    c["std"].value = 0.1
    assert box.image.value != png and box.table.value != html
    assert box.explorer.params["std"] == pytest.approx(0.1)
    html = box.table.value
    c["depth"].value = 20
    assert "depth 20" in box.table.value and box.table.value != html
    # A named initializer moves the std slider but stays selected ...
    c["activation"].value = "relu"
    c["init"].value = "he_normal"
    assert c["std"].value == pytest.approx(math.sqrt(2 / 100), rel=1e-6)
    assert c["init"].value == "he_normal" and box.explorer.params["init"] == "he_normal"
    # ... and moving the std slider by hand switches to 'custom'.
    c["std"].value = 1.0
    assert c["init"].value == "custom" and box.explorer.params["std"] == 1.0


def test_build_widget_needs_an_explorer_or_rng():
    with pytest.raises(ValueError, match="rng"):
        build_histogram_widget()
    with pytest.raises(ValueError, match="rng"):
        build_neuron_widget()


# ------------------------------------------------------------------ notebook 01
@pytest.fixture(scope="module")
def neuron():
    return NeuronExplorer(rng=np.random.default_rng(9))


def test_neuron_explorer_default_is_nielsens_saturated_neuron(neuron):
    r = neuron.update(std=1.0, n_inputs=1000)
    assert r["n_active"] == 500
    assert r["predicted_std"] == pytest.approx(math.sqrt(501))
    assert r["sampled_std"] == pytest.approx(math.sqrt(501), rel=0.05)
    assert r["saturated"] == pytest.approx(math.erfc(Z_SATURATED / (math.sqrt(501) * math.sqrt(2))), abs=0.03)
    assert "22.4" in neuron.html


def test_neuron_explorer_new_init_is_not_saturated(neuron):
    png = neuron.png
    r = neuron.update(std=1 / math.sqrt(1000))
    assert r["predicted_std"] == pytest.approx(math.sqrt(1.5))
    assert r["sampled_std"] == pytest.approx(math.sqrt(1.5), rel=0.05)
    assert r["saturated"] < 0.005
    assert neuron.png != png


def test_neuron_explorer_n_inputs(neuron):
    r = neuron.update(std=0.1, n_inputs=200)
    assert r["n_active"] == 100 and r["predicted_std"] == pytest.approx(neuron_z_std(100, 0.1, 1.0))
    for changes, argument in [(dict(n_inputs=1), "n_inputs"), (dict(n_inputs=5000), "n_inputs"),
                              (dict(std=-2), "std"), (dict(bias=1), "bias")]:
        with pytest.raises(ValueError, match=argument):
            neuron.update(**changes)


def test_neuron_widget(neuron):
    box = build_neuron_widget(neuron)
    assert "neuron-stats" in box.table._dom_classes
    html = box.table.value
    box.controls["std"].value = 0.01
    assert box.table.value != html and neuron.params["std"] == pytest.approx(0.01)
    box.controls["n_inputs"].value = 100
    assert neuron.result["n_active"] == 50


def test_update_leaves_blas_threads_as_they_were(explorer):
    threadpoolctl = pytest.importorskip("threadpoolctl")
    before = [i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]
    explorer.update(std=0.9)
    explorer.update(std=1.0)
    assert [i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"] == before
