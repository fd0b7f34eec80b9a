"""Tests for course_lib.viz.train_widget: settings, training on a tiny subset, and the widget
driven without a browser (button.click() runs the handler in this process)."""
import math

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_lib.viz import train_widget as tw  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def subset():
    rng = np.random.default_rng(11)
    prototypes = (rng.random((10, 784)) < 0.15).astype(float)

    def draw(m):
        y = rng.integers(0, 10, m)
        return np.clip(prototypes[y] + rng.normal(0, 0.3, (m, 784)), 0, 1), y

    return draw(300), draw(100)


def test_settings_validate_their_ranges():
    tw.TrainSettings(init="custom", std=0.0)  # std 0 is legal (symmetric start)
    tw.TrainSettings(hidden_layers=tw.MAX_HIDDEN_LAYERS, width=tw.MAX_WIDTH, epochs=tw.MAX_EPOCHS)
    for kwargs, word in [(dict(std=-1.0), "std"), (dict(std=float("nan")), "std"), (dict(hidden_layers=0), "hidden_layers"),
                         (dict(hidden_layers=tw.MAX_HIDDEN_LAYERS + 1), "hidden_layers"), (dict(width=0), "width"),
                         (dict(epochs=0), "epochs"), (dict(init="bogus"), "init"), (dict(bias_init="ones"), "bias_init"),
                         (dict(width=2.5), "width")]:
        with pytest.raises(ValueError, match=word):
            tw.TrainSettings(**kwargs)


def test_first_layer_std_closed_forms():
    assert tw.TrainSettings(init="nielsen_large").first_layer_std() == 1.0
    assert math.isclose(tw.TrainSettings(init="nielsen_default").first_layer_std(), 1 / 28)  # 1/sqrt(784)
    assert math.isclose(tw.TrainSettings(init="he_normal").first_layer_std(), math.sqrt(2 / 784))
    assert math.isclose(tw.TrainSettings(init="xavier_normal", width=30).first_layer_std(), math.sqrt(2 / 814))
    custom = tw.TrainSettings(init="custom", std=0.3)
    assert custom.weight_init == 0.3 and custom.first_layer_std() == 0.3
    assert tw.TrainSettings(hidden_layers=3, width=20).sizes() == [784, 20, 20, 20, 10]


def test_train_subset_is_deterministic_and_calls_back_each_epoch(subset):
    train, val = subset
    seen = []
    s = tw.TrainSettings(epochs=3, width=10)
    a = tw.train_subset(s, train, val, seed=1, on_epoch=lambda run: seen.append(run.epochs))
    b = tw.train_subset(s, train, val, seed=1)
    assert seen == [0, 1, 2, 3]
    assert a.accuracy == b.accuracy and a.cost == b.cost
    assert a.finished and not a.stopped_early and len(a.accuracy) == 4
    assert a.accuracy[-1] > 50  # learns the 10 prototypes (chance: 10%)


def test_time_budget_stops_between_epochs(subset):
    train, val = subset
    run = tw.train_subset(tw.TrainSettings(epochs=5, width=10), train, val, time_budget=1e-6)
    assert run.stopped_early and run.epochs == 1 and not run.finished
    with pytest.raises(ValueError, match="time_budget"):
        tw.train_subset(tw.TrainSettings(), train, val, time_budget=0)


def test_extreme_settings_run_quietly_with_finite_costs(subset):
    """std 100 and depth 8 saturate everything; it must still run (RuntimeWarnings are errors
    in pytest) and report large but finite costs."""
    train, val = subset
    run = tw.train_subset(tw.TrainSettings(init="custom", std=100.0, hidden_layers=8, width=10, epochs=2),
                          train, val)
    assert np.all(np.isfinite(run.cost)) and run.cost[0] > 10
    zero = tw.train_subset(tw.TrainSettings(init="custom", std=0.0, epochs=1, width=10), train, val)
    assert np.all(np.isfinite(zero.cost))


def test_widget_button_trains_and_draws_the_curve(subset):
    train, val = subset
    reference = [tw.train_subset(tw.TrainSettings(epochs=2, width=10), train, val, label="new (reference)")]
    w = tw.train_widget(train, val, reference=reference, time_budget=30)
    assert w.button.description == "Train"
    assert "train-curve" in w.curve._dom_classes
    assert w.std.disabled  # custom std only matters for "custom"
    before = bytes(w.curve.value)
    assert before.startswith(PNG)
    # Var[z] = sigma_w^2 E||x||^2 + Var[b], sigma_w^2 = 1/784 for the new scheme
    mean_sq = float(np.mean(np.sum(train[0][:500] ** 2, axis=1)))
    assert "std 0.0357" in w.std_info.value
    assert f"about {math.sqrt(mean_sq / 784 + 1):.3g}" in w.std_info.value
    w.bias.value = "zeros"
    assert f"about {math.sqrt(mean_sq / 784):.3g}" in w.std_info.value
    w.bias.value = "standard_normal"
    w.init.value = "custom"
    assert not w.std.disabled
    w.std.value = 0.5
    w.depth.value = 2
    w.width.value = 10
    w.epochs.value = 3
    w.button.click()
    w.wait(60)
    run = w.last_run
    assert run is not None and run.settings == tw.TrainSettings(init="custom", std=0.5, hidden_layers=2,
                                                                width=10, epochs=3)
    assert w.progress.value == w.progress.max == 3
    assert bytes(w.curve.value).startswith(PNG) and bytes(w.curve.value) != before
    assert "done" in w.status.value and f"{run.accuracy[-1]:.1f}%" in w.status.value
    assert not w.button.disabled


def test_widget_redraws_are_throttled(subset, monkeypatch):
    train, val = subset
    w = tw.TrainWidget(train, val, redraw_interval=1e9, time_budget=30)
    calls = []
    original = w._live.update
    monkeypatch.setattr(w._live, "update",
                        lambda run, epochs: calls.append(run.epochs if run else "kept") or original(run, epochs))
    w.epochs.value = 4
    w.width.value = 10
    w.train()
    assert calls == [0, "kept"]  # the untrained start and the end (the run kept), nothing between
    assert w._live.kept[0][0] is w.last_run and len(w._live.kept[0][1].get_xdata()) == 4


def test_plot_subset_runs_draws_runs_and_references(subset):
    train, val = subset
    run = tw.train_subset(tw.TrainSettings(epochs=2, width=10), train, val)
    fig = tw.plot_subset_runs([run], reference=[run], epochs=5)
    ax_acc, ax_cost = fig.axes
    assert len(ax_acc.get_lines()) == 2 and len(ax_cost.get_lines()) == 2
    assert ax_cost.get_yscale() == "log" and ax_acc.get_xlim() == (0.5, 5.5)
    np.testing.assert_allclose(ax_acc.get_lines()[1].get_ydata(), run.accuracy[1:])
    assert tw.figure_png(fig).startswith(PNG)


def test_recorded_cost_is_the_cross_entropy_without_l2(subset):
    """train_subset records the plain cross-entropy: epoch 0 equals the loss of the same
    network, rebuilt from the same seed, with lmbda = 0."""
    from course_lib import Network

    train, val = subset
    run = tw.train_subset(tw.TrainSettings(init="nielsen_large", epochs=1, width=10), train, val, seed=4)
    init_rng = np.random.default_rng(4).spawn(2)[0]
    net = Network([784, 10, 10], init="nielsen_large", bias_init="standard_normal", rng=init_rng, dtype=np.float32)
    X_val = val[0].astype(np.float32)
    assert math.isclose(run.cost[0], net.loss(X_val, val[1]), rel_tol=1e-6)
    assert run.cost[0] < net.loss(X_val, val[1], lmbda=5.0, n=len(train[0]))


@pytest.mark.parametrize("epochs", [1, 2, 7, 20])
def test_epoch_axes_have_whole_epoch_ticks_only(epochs):
    """A 1-epoch range (0.5, 1.5) used to fall back to ticks 0.5, 0.6, ..., 1.5; the live
    curve and the static figure must tick whole epochs for every epochs setting."""
    def visible_ticks(ax):
        lo, hi = ax.get_xlim()
        return [t for t in ax.get_xticks() if lo <= t <= hi]

    for axes in (tw.plot_subset_runs([], epochs=epochs).axes, tw.LiveCurve(epochs=epochs).axes):
        for ax in axes:
            ticks = visible_ticks(ax)
            assert ticks and all(float(t).is_integer() for t in ticks), (epochs, ticks)
    assert visible_ticks(tw.LiveCurve(epochs=1).axes[0]) == [1.0]


def test_text_lines_of_the_widget_take_the_full_width(subset):
    """The std note and the status line each fill a row, so they can never share a line."""
    train, val = subset
    w = tw.TrainWidget(train, val)
    assert "train-status" in w.status._dom_classes and "train-std-note" in w.std_info._dom_classes
    assert w.status.layout.width == w.std_info.layout.width == "100%"
    rows = w.box.children
    assert rows.index(w.std_info) < rows.index(w.status)
    # the two control columns wrap onto two rows in a narrow notebook instead of overlapping
    assert rows[0].layout.flex_flow == "row wrap" and len(rows[0].children) == 2


def test_a_double_click_starts_one_run(subset, monkeypatch):
    """The button trains in a thread and returns at once, so the second click of a
    double-click arrives during the run and is ignored; so is Clear."""
    import threading

    train, val = subset
    w = tw.TrainWidget(train, val, time_budget=30)
    w.epochs.value = 1
    w.width.value = 10
    started, release = [], threading.Event()
    original = tw.train_subset

    def held_run(*a, **k):                              # a run that lasts until the test lets it go
        started.append(1)
        assert release.wait(30)
        return original(*a, **k)

    monkeypatch.setattr(tw, "train_subset", held_run)
    w.button.click()
    w.button.click()                                    # the double-click's second click: ignored
    assert w.running and w.train() is None              # a direct call is refused too
    w.clear_button.click()                              # Clear waits for the run
    release.set()
    w.wait(60)
    assert len(started) == 1 and len(w.runs) == 1 and w.ignored_clicks == 3 and w.error is None
    assert "done: run 1," in w.status.value and not w.button.disabled and not w.running
    w.button.click()                                    # a later click: the second run
    w.wait(60)
    assert len(started) == 2 and len(w.runs) == 2 and "done: run 2," in w.status.value
    assert "2 runs on the plot" in w.status.value


def test_an_error_in_the_thread_is_shown_and_frees_the_button(subset, monkeypatch):
    train, val = subset
    w = tw.TrainWidget(train, val)
    monkeypatch.setattr(tw, "train_subset", lambda *a, **k: 1 / 0)
    w.button.click()
    w.wait(60)
    assert isinstance(w.error, ZeroDivisionError) and "error: ZeroDivisionError" in w.status.value
    assert not w.running and not w.button.disabled and w.runs == []


def test_runs_are_kept_for_comparison_until_clear(subset):
    """'Compare std 0.01 ... 100' in the widget: each run stays on the plot in a colour of its
    own (all are custom stds); Clear removes them and keeps the references."""
    train, val = subset
    reference = [tw.train_subset(tw.TrainSettings(epochs=1, width=10), train, val, label="new (reference)")]
    w = tw.TrainWidget(train, val, reference=reference, time_budget=30)
    w.init.value = "custom"
    w.epochs.value = 2
    w.width.value = 10
    stds = [0.01, 1.0, 100.0]
    for std in stds:
        w.std.value = std
        w.button.click()
        w.wait(60)
    assert [r.settings.std for r in w.runs] == pytest.approx(stds)
    ax_acc, ax_cost = w._live.axes
    kept = w._live.kept
    assert [r for r, _, _ in kept] == w.runs
    colors = [acc.get_color() for _, acc, _ in kept]
    assert colors[0] == tw.init_color("custom") and len(set(colors)) == 3
    for run, acc, cost in kept:
        np.testing.assert_allclose(acc.get_ydata(), run.accuracy[1:])
        np.testing.assert_allclose(cost.get_ydata(), np.where(np.isfinite(run.cost), run.cost, np.nan))
    legend = [t.get_text() for t in ax_acc.get_legend().get_texts()]
    assert legend == ["reference: new (reference)"] + [r.label for r in w.runs]
    assert [f"std {s:g}" in text for s, text in zip(stds, legend[1:])] == [True] * 3
    with_runs = bytes(w.curve.value)
    w.clear_button.click()
    assert w.runs == [] and w._live.kept == [] and "Cleared" in w.status.value
    assert [t.get_text() for t in ax_acc.get_legend().get_texts()] == ["reference: new (reference)"]
    assert len(ax_acc.get_lines()) == 2 and len(ax_acc.get_lines()[1].get_xdata()) == 0  # reference + empty live
    assert bytes(w.curve.value) != with_runs
    w.button.click()
    w.wait(60)
    assert "done: run 1," in w.status.value and w._live.kept[0][1].get_color() == tw.init_color("custom")
