"""Train on demand: pick an initialization (or a std) and a depth, press Train, watch it learn.

The widget of notebook 04. It trains a sigmoid network with the cross-entropy
cost on a subset of MNIST (Nielsen's eta 0.1, lmbda 5.0, minibatch 10) and
draws the validation accuracy and cost after every epoch, beside reference
runs (by default the old and new schemes of the notebook's static figure).

What the controls change
------------------------
* the weight initializer: Nielsen's old N(0, 1), his new N(0, 1/n_in), Xavier,
  He, or a custom std sigma for every layer, W ~ N(0, sigma^2);
* the biases: N(0, 1) as in Nielsen's schemes, or zeros;
* the depth (number of hidden layers) and the width of each hidden layer.

A hidden unit fed by n_in inputs a_j has z = sum_j w_j a_j + b with
Var[z] = n_in Var[w] E[a^2] + Var[b]: with a std of 1 and n_in = 784 that is
hundreds, z sits far out on the sigmoid's flat tails, sigma'(z) is about 0 and
the unit hardly learns; with Var[w] = 1/n_in it is about E[a^2] + 1 and it
learns at once. Deeper sigmoid stacks add the vanishing-gradient problem on top.

Design
------
Training runs only when the button is pressed (never on a slider move). The
work is done by plain functions you can call and test without a browser:
:func:`train_subset` (settings in, a :class:`SubsetRun` out, ``on_epoch`` called
after each epoch) and :func:`plot_subset_runs` (runs in, a figure out). The
:class:`TrainWidget` only wires controls to them: its :meth:`TrainWidget.train`
is the button's handler (description "Train"), and the live curve is an
``ipywidgets.Image`` with the CSS class ``train-curve`` (the status line has
``train-status``), PNG bytes rendered with matplotlib's Agg canvas, so no
interactive backend is needed. A run stops early, between epochs, if going on
would exceed ``time_budget`` seconds.
"""
from __future__ import annotations

import html as _html
import io
import math
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from ..blas import single_blas_thread
from ..checks import check_array, check_callable, check_float_dtype, check_int
from ..nn.initializers import get_initializer
from ..nn.network import Network, as_labels, check_inputs
from .plotting import init_color
from ..nn.train import sgd

__all__ = [
    "INIT_CHOICES",
    "BIAS_CHOICES",
    "TrainSettings",
    "SubsetRun",
    "train_subset",
    "plot_subset_runs",
    "figure_png",
    "COMPARISON_COLORS",
    "TrainWidget",
    "train_widget",
]

#: (label shown in the dropdown, initializer name); "custom" uses the std slider.
INIT_CHOICES = (
    ("old: N(0, 1)", "nielsen_large"),
    ("new: N(0, 1/n_in)", "nielsen_default"),
    ("Xavier: N(0, 2/(n_in+n_out))", "xavier_normal"),
    ("He: N(0, 2/n_in)", "he_normal"),
    ("custom std", "custom"),
)

#: (label, bias initializer name).
BIAS_CHOICES = (("N(0, 1) (Nielsen)", "standard_normal"), ("zeros", "zeros"))

MAX_HIDDEN_LAYERS = 8
MAX_WIDTH = 300
MAX_EPOCHS = 50


@dataclass(frozen=True)
class TrainSettings:
    """What the widget's controls choose.

    init:          an initializer name, or "custom" to use ``std`` for every layer.
    std:           the custom weight std (0 <= std <= 1000), used when init == "custom".
    bias_init:     "standard_normal" (Nielsen) or "zeros".
    hidden_layers: number of hidden layers, 1..MAX_HIDDEN_LAYERS.
    width:         units per hidden layer, 1..MAX_WIDTH.
    epochs:        passes over the training subset, 1..MAX_EPOCHS.
    """

    init: str = "nielsen_default"
    std: float = 1.0
    bias_init: str = "standard_normal"
    hidden_layers: int = 1
    width: int = 30
    epochs: int = 10

    def __post_init__(self):
        if self.init != "custom":
            get_initializer(self.init, argument="init")
        if isinstance(self.std, bool) or not isinstance(self.std, (int, float, np.number)) \
                or not math.isfinite(self.std) or not 0 <= self.std <= 1000:
            raise ValueError(f"std must be a number in [0, 1000], got {self.std!r}")
        if not isinstance(self.bias_init, str) or self.bias_init not in dict((v, k) for k, v in BIAS_CHOICES):
            raise ValueError(f"bias_init must be one of {[v for _, v in BIAS_CHOICES]}, got {self.bias_init!r}")
        for name, high in (("hidden_layers", MAX_HIDDEN_LAYERS), ("width", MAX_WIDTH), ("epochs", MAX_EPOCHS)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 1 <= value <= high:
                raise ValueError(f"{name} must be an integer in 1..{high}, got {value!r}")

    @property
    def weight_init(self):
        """What Network(init=...) gets: the initializer name, or the custom std."""
        return float(self.std) if self.init == "custom" else self.init

    @property
    def color_name(self):
        """The name whose course colour this run is drawn in."""
        return "custom" if self.init == "custom" else self.init

    def sizes(self, n_in=784, n_out=10):
        return [n_in] + [self.width] * self.hidden_layers + [n_out]

    def first_layer_std(self, n_in=784):
        """Std of the first layer's weights (e.g. 1/sqrt(784) = 0.0357 for the new scheme)."""
        return get_initializer(self.weight_init).std(n_in, self.width)

    def label(self):
        init = f"std {self.std:g}" if self.init == "custom" else dict((v, k) for k, v in INIT_CHOICES).get(
            self.init, self.init)
        bias = "" if self.bias_init == "standard_normal" else ", b = 0"
        return f"{init}{bias}, {self.hidden_layers} x {self.width} hidden"


@dataclass
class SubsetRun:
    """A run of :func:`train_subset`: validation accuracy (%) and cross-entropy after epochs 0..E."""

    settings: TrainSettings
    accuracy: list = field(default_factory=list)
    cost: list = field(default_factory=list)
    seconds: float = 0.0
    stopped_early: bool = False
    label: str = ""

    @property
    def epochs(self):
        return len(self.accuracy) - 1

    @property
    def finished(self):
        return self.epochs == self.settings.epochs


def train_subset(settings, train, validation, *, seed=0, eta=0.1, lmbda=5.0, batch_size=10,
                 time_budget=8.0, on_epoch=None, label=None, dtype=np.float32):
    """Train a sigmoid/cross-entropy network with these settings; return a :class:`SubsetRun`.

    The recorded cost is the validation cross-entropy alone: the L2 term
    (lmbda / 2n) sum ||W||^2 is left out, since on a subset (small n) it would
    dominate the curve for large initial weights and hide how well the
    network classifies.

    Inputs:
      settings:     a :class:`TrainSettings`.
      train, validation:  (X, y) pairs (rows in [0, 1], integer labels 0..9).
      seed:         the run is a deterministic function of it (parameters and shuffling).
      time_budget:  seconds; training stops between epochs when one more epoch would
                    likely exceed it (``stopped_early`` is then True). None: no limit.
      on_epoch:     on_epoch(run) after epoch 0 (untrained) and after each epoch.
    """
    if not isinstance(settings, TrainSettings):
        raise ValueError(f"settings must be a TrainSettings, got {type(settings).__name__}")
    if time_budget is not None and (isinstance(time_budget, bool) or not isinstance(time_budget, (int, float))
                                    or not time_budget > 0):
        raise ValueError(f"time_budget must be a number of seconds > 0 or None, got {time_budget!r}")
    seed = check_int(seed, "seed", 0)
    dtype = check_float_dtype(dtype)
    check_callable(on_epoch, "on_epoch", "on_epoch(run)")
    X, y = _pair(train, "train")
    X_val, y_val = _pair(validation, "validation")
    X = np.ascontiguousarray(X, dtype=dtype)
    X_val = np.ascontiguousarray(check_inputs(X_val, X.shape[1], dtype=dtype, argument="validation X"))
    as_labels(y_val, X_val.shape[0], 10, argument="validation y")
    init_rng, shuffle_rng = np.random.default_rng(seed).spawn(2)
    net = Network(settings.sizes(X.shape[1], 10), activation="sigmoid", cost="cross_entropy",
                  init=settings.weight_init, bias_init=settings.bias_init, rng=init_rng, dtype=dtype)
    run = SubsetRun(settings, label=label or settings.label())
    start = time.perf_counter()

    def record():
        run.accuracy.append(100.0 * float(np.mean(net.predict(X_val) == y_val)))
        run.cost.append(float(net.loss(X_val, y_val)))  # cross-entropy only, without the L2 term
        run.seconds = time.perf_counter() - start
        if on_epoch is not None:
            on_epoch(run)

    record()

    def after_epoch(epoch, history, net_):
        record()
        if time_budget is not None and epoch < settings.epochs:
            per_epoch = run.seconds / epoch
            if run.seconds + per_epoch > time_budget:
                run.stopped_early = True
                return True
        return False

    with single_blas_thread():
        sgd(net, X, y, epochs=settings.epochs, batch_size=batch_size, eta=eta, lmbda=lmbda, rng=shuffle_rng,
            monitor=(), callback=after_epoch, progress=False)
    return run


def _pair(data, name):
    """(X, y) of a ``train`` or ``validation`` argument, X a 2-D array of examples (rows)."""
    try:
        X, y = data
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a pair (X, y), got {type(data).__name__}") from None
    X = check_array(X, f"{name} X")
    if X.ndim != 2 or X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"{name} X must be a 2-D array (examples, pixels), one image per row, got shape {X.shape}")
    return X, y


def plot_subset_runs(runs, *, reference=(), epochs=None, axes=None):
    """Validation accuracy (left) and cost (right, log scale) per epoch.

    ``runs`` are drawn solid in their initializer's colour, ``reference`` runs
    dashed; ``epochs`` fixes the x range (so a live curve grows into it).
    Returns the figure.
    """
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    if axes is None:
        fig = Figure(figsize=(10, 3.8), layout="constrained")
        axes = fig.subplots(1, 2)
    fig = axes[0].figure
    ax_acc, ax_cost = axes
    for style, group in (("--", reference), ("-", runs)):
        for run in group:
            color = init_color(run.settings.color_name)
            e = np.arange(len(run.accuracy))
            kw = dict(color=color, ls=style, lw=1.3 if style == "--" else 2.2,
                      label=("reference: " if style == "--" else "") + run.label)
            if len(e) > 1:
                ax_acc.plot(e[1:], run.accuracy[1:], marker="o" if style == "-" else None, ms=3, **kw)
            cost = np.asarray(run.cost, dtype=float)
            ax_cost.plot(e, np.where(np.isfinite(cost), cost, np.nan), **kw)
    longest = max([len(r.accuracy) - 1 for r in list(runs) + list(reference)] + [1])
    last = max(epochs or 0, longest)
    ax_acc.set_xlim(0.5, last + 0.5)
    ax_cost.set_xlim(-0.2, last + 0.2)
    ax_acc.set_title("validation accuracy")
    ax_acc.set_xlabel("epoch")
    ax_acc.set_ylabel("accuracy (%)")
    ax_cost.set_title("validation cost (cross-entropy, without the L2 term)")
    ax_cost.set_xlabel("epoch (0 = before training)")
    ax_cost.set_ylabel("cost (log scale)")
    _log_axis_plain_labels(ax_cost)
    for ax in axes:
        # Whole epochs only: min_n_ticks=1 keeps a single tick (epoch 1) for a 1-epoch range
        # instead of falling back to fractional ticks 0.5, 0.6, ... 1.5.
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
    for ax in axes:
        ax.grid(alpha=0.3)
    if any(True for _ in ax_acc.get_lines()):
        ax_acc.legend(fontsize=8, loc="best")
    return fig


def _log_axis_plain_labels(ax):
    """Log scale on y with tick labels such as 2, 5, 10, 1e+05 instead of 2 x 10^0."""
    from matplotlib.ticker import LogFormatter

    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(LogFormatter(labelOnlyBase=False))
    ax.yaxis.set_minor_formatter(LogFormatter(labelOnlyBase=False, minor_thresholds=(1, 0.4)))


def figure_png(fig, dpi=80):
    """PNG bytes of a matplotlib figure (Agg canvas: works with any backend)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


#: Colours of kept runs whose initializer's colour is already on the plot (e.g. a second
#: custom std): tab10 without the colours the course gives initializers.
COMPARISON_COLORS = ("#ff7f0e", "#8c564b", "#e377c2", "#7f7f7f", "#17becf", "#000000", "#9467bd",
                     "#2ca02c", "#1f77b4", "#d62728")


class LiveCurve:
    """One figure redrawn in place: reference runs fixed, the current run's lines updated,
    earlier runs kept for comparison.

    Re-using the figure and its artists makes a redraw about twice as fast as
    drawing a new figure (a few tenths of a second here); :meth:`update` returns
    the PNG bytes for an Image widget. :meth:`keep` turns the current run into a kept
    one (its own lines, in its initializer's colour, or the first unused colour of
    :data:`COMPARISON_COLORS` when that colour is taken, e.g. by a second custom std);
    :meth:`clear` removes the kept runs (the references stay).
    """

    def __init__(self, reference=(), epochs=10):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self.fig = Figure(figsize=(10, 3.8))
        FigureCanvasAgg(self.fig)
        self.axes = self.fig.subplots(1, 2)
        # Fixed margins: a layout engine would redo the layout on every redraw.
        self.fig.subplots_adjust(left=0.07, right=0.98, bottom=0.14, top=0.91, wspace=0.22)
        self.reference = list(reference)
        plot_subset_runs([], reference=self.reference, epochs=epochs, axes=self.axes)
        self.acc_line, = self.axes[0].plot([], [], lw=2.2, marker="o", ms=3)
        self.cost_line, = self.axes[1].plot([], [], lw=2.2)
        self.kept = []                       # (run, accuracy line, cost line), oldest first
        self.run = None

    def color_for(self, run):
        """The run's initializer colour, unless a kept run already has it."""
        taken = {line.get_color() for _, line, _ in self.kept}
        own = init_color(run.settings.color_name)
        if own not in taken:
            return own
        return next((c for c in COMPARISON_COLORS if c not in taken), own)

    def _set(self, acc_line, cost_line, run, color):
        e = np.arange(len(run.accuracy))
        cost = np.asarray(run.cost, dtype=float)
        acc_line.set_data(e[1:], run.accuracy[1:])
        cost_line.set_data(e, np.where(np.isfinite(cost), cost, np.nan))
        for line in (acc_line, cost_line):
            line.set_color(color)
            line.set_label(run.label)

    def keep(self, run):
        """Keep ``run`` on the plot (its own pair of lines) and empty the live lines."""
        color = self.acc_line.get_color() if run is self.run else self.color_for(run)
        acc, = self.axes[0].plot([], [], lw=1.8, marker="o", ms=2.5)
        cost, = self.axes[1].plot([], [], lw=1.8)
        self._set(acc, cost, run, color)
        self.kept.append((run, acc, cost))
        self._empty_live()

    def _empty_live(self):
        self.run = None
        for line in (self.acc_line, self.cost_line):
            line.set_data([], [])
            line.set_label("_live")

    def clear(self):
        """Remove the kept runs (and the live one); the references stay."""
        for _, acc, cost in self.kept:
            acc.remove()
            cost.remove()
        self.kept = []
        self._empty_live()

    def update(self, run=None, epochs=None):
        """Show ``run`` (a SubsetRun, or None for none yet) and return the figure as PNG bytes."""
        ax_acc, ax_cost = self.axes
        if run is not None:
            if run is not self.run:
                self.run = run
                self._live_color = self.color_for(run)
            self._set(self.acc_line, self.cost_line, run, self._live_color)
        runs = self.reference + [r for r, _, _ in self.kept] + ([self.run] if self.run is not None else [])
        longest = max([len(r.accuracy) - 1 for r in runs] + [1])
        last = max(epochs or 0, longest)
        ax_acc.set_xlim(0.5, last + 0.5)
        ax_cost.set_xlim(-0.2, last + 0.2)
        for ax in self.axes:
            ax.relim()
            ax.autoscale_view(scalex=False)
        if any(line.get_label() and not line.get_label().startswith("_") for line in ax_acc.get_lines()):
            ax_acc.legend(fontsize=8, loc="best")
        elif ax_acc.get_legend() is not None:
            ax_acc.get_legend().remove()
        return figure_png(self.fig)


class TrainWidget:
    """Controls, a Train button, a progress bar and a live learning curve.

    Display it as the last expression of a cell. ``train()`` is the button's
    handler: it reads the controls, trains with :func:`train_subset` and redraws
    the curve (``self.curve``, an Image widget with CSS class ``train-curve``)
    after every epoch. ``self.last_run`` keeps the last :class:`SubsetRun` and
    ``self.runs`` every run since the last **Clear** (``clear()``, the Clear
    button's handler): they stay on the plot, so runs at std 0.01, 0.1, 1, 10 and
    100 can be compared in one figure.

    One run at a time. The kernel handles the button's messages one after the other:
    had the handler trained in place, the second click of a double-click (sent before
    the browser heard that the button is disabled) would wait in the kernel's queue
    and start a second run when the first ends. So the button starts the run in a
    background thread (the pattern of ipywidgets' "Asynchronous widgets" docs; the
    widgets' updates are sent from it) and returns at once; a click that arrives while
    ``self.running`` is ignored (``self.ignored_clicks`` counts them), and so is Clear.
    :meth:`wait` joins the thread; :meth:`train` runs in the caller's thread.
    """

    def __init__(self, train, validation, *, reference=(), settings=None, seed=0, time_budget=8.0,
                 redraw_interval=0.5):
        import ipywidgets as w

        self.train_data, self.validation_data = train, validation
        self.reference = list(reference)
        self.seed, self.time_budget = check_int(seed, "seed", 0), time_budget
        s = settings or TrainSettings()
        self.last_run = None
        self.runs = []
        self.running = False
        self.ignored_clicks = 0
        self.error = None
        self._thread = None
        style = {"description_width": "9em"}
        wide = w.Layout(width="26em")
        self.init = w.Dropdown(options=list(INIT_CHOICES), value=s.init, description="weights",
                               style=style, layout=wide)
        self.std = w.FloatLogSlider(value=max(s.std, 1e-3), base=10, min=-3, max=2, step=0.1,
                                    description="custom std", readout_format=".3g", style=style, layout=wide)
        self.bias = w.Dropdown(options=list(BIAS_CHOICES), value=s.bias_init, description="biases",
                               style=style, layout=wide)
        self.depth = w.IntSlider(value=s.hidden_layers, min=1, max=MAX_HIDDEN_LAYERS, description="hidden layers",
                                 style=style, layout=wide)
        self.width = w.IntSlider(value=s.width, min=10, max=200, step=10, description="width",
                                 style=style, layout=wide)
        self.epochs = w.IntSlider(value=s.epochs, min=1, max=20, description="epochs", style=style, layout=wide)
        self.button = w.Button(description="Train", button_style="primary", icon="play",
                               tooltip="train on the subset with these settings")
        self.clear_button = w.Button(description="Clear", icon="eraser",
                                     tooltip="remove the earlier runs from the plot (the references stay)")
        self.progress = w.IntProgress(value=0, min=0, max=s.epochs, description="progress", style=style)
        # Each text line spans the whole width, so no renderer can put two of them side by side.
        line = dict(width="100%", margin="2px 0 2px 0")
        self.status = w.HTML(value="Choose the settings, then press <b>Train</b>.", layout=w.Layout(**line))
        self.status.add_class("train-status")
        self.std_info = w.HTML(layout=w.Layout(**line))
        self.std_info.add_class("train-std-note")
        self.curve = w.Image(format="png", layout=w.Layout(width="100%", max_width="900px"))
        self.curve.add_class("train-curve")
        self.init.observe(self._on_settings_change, names="value")
        self.std.observe(self._on_settings_change, names="value")
        self.width.observe(self._on_settings_change, names="value")
        self.bias.observe(self._on_settings_change, names="value")
        self.button.on_click(self._on_train_click)
        self.clear_button.on_click(lambda _button: self.clear())
        self._on_settings_change()
        self.redraw_interval = redraw_interval
        self._last_draw = 0.0
        self._live = LiveCurve(self.reference, epochs=s.epochs)
        self._draw(None, epochs=s.epochs)
        left = w.VBox([self.init, self.std, self.bias])
        right = w.VBox([self.depth, self.width, self.epochs])
        run_row = w.HBox([self.button, self.clear_button, self.progress])
        # The two columns wrap onto two rows when the notebook is narrower than both (instead of
        # the right column's sliders being drawn over the left column's dropdowns).
        controls = w.HBox([left, right], layout=w.Layout(flex_flow="row wrap"))
        run_row.layout.flex_flow = "row wrap"
        self.box = w.VBox([controls, self.std_info, run_row, self.status, self.curve])
        self.box.add_class("train-widget")

    def settings(self):
        """The :class:`TrainSettings` the controls show now."""
        return TrainSettings(init=self.init.value, std=float(self.std.value), bias_init=self.bias.value,
                             hidden_layers=int(self.depth.value), width=int(self.width.value),
                             epochs=int(self.epochs.value))

    def _on_settings_change(self, change=None):
        self.std.disabled = self.init.value != "custom"
        s = self.settings()
        n_in = np.asarray(self.train_data[0]).shape[1]
        sd = s.first_layer_std(n_in)
        # Var[z] of a first-layer unit ~ n_in Var[w] E[x^2] + Var[b] (E[x^2] of the data).
        ex2 = float(np.mean(np.square(np.asarray(self.train_data[0][:500], dtype=float))))
        var_b = 1.0 if s.bias_init == "standard_normal" else 0.0
        z_std = math.sqrt(n_in * sd * sd * ex2 + var_b)
        self.std_info.value = (f"<div><small>first-layer weight std {sd:.3g}: a hidden unit's z has std "
                               f"about {z_std:.3g}</small></div>")

    def _draw(self, run=None, epochs=None, force=True):
        """Redraw the curve, at most every ``redraw_interval`` seconds unless forced."""
        now = time.perf_counter()
        if not force and now - self._last_draw < self.redraw_interval:
            return
        self.curve.value = self._live.update(run, epochs)
        self._last_draw = time.perf_counter()

    def _on_train_click(self, _button=None):
        """The Train button: start a run in a background thread, unless one is going on."""
        if self.running:
            self.ignored_clicks += 1
            return
        self.running = True                          # before the thread starts: the next click sees it
        self._thread = threading.Thread(target=self._run_in_background, name="train-widget", daemon=True)
        self._thread.start()

    def wait(self, timeout=None):
        """Wait until the run the button started has ended (for tests and scripts)."""
        if self._thread is not None:
            self._thread.join(timeout)

    def _run_in_background(self):
        try:
            self._train()
        except Exception as exc:                     # shown to the student, kept for a test
            self.error = exc
            self.status.value = f"error: {_html.escape(repr(exc))}"

    def clear(self):
        """The Clear button: forget the earlier runs and take them off the plot (not during a run)."""
        if self.running:
            self.ignored_clicks += 1
            return
        self.runs = []
        self._live.clear()
        self._draw(None, epochs=int(self.epochs.value))
        self.status.value = "Cleared: earlier runs removed (the references stay). Press <b>Train</b>."

    def train(self):
        """Train with the current settings, here and now (the button does the same in a
        thread), updating the progress bar and the curve each epoch.

        Returns the :class:`SubsetRun`, or None (and changes nothing) while another run is
        going on. The run is kept on the plot after it ends."""
        if self.running:
            self.ignored_clicks += 1
            return None
        self.running = True
        return self._train()

    def _train(self):
        """The run itself; ``self.running`` is already True and is reset at the end."""
        try:
            s = self.settings()
            self.button.disabled = self.clear_button.disabled = True
            self.progress.max = s.epochs
            self.progress.value = 0
            self.progress.bar_style = ""
            number = len(self.runs) + 1
            self.status.value = f"run {number}: training {s.label()} ..."

            def on_epoch(run):
                self.progress.value = run.epochs
                self.status.value = (f"run {number}, epoch {run.epochs}/{s.epochs}: validation accuracy "
                                     f"{run.accuracy[-1]:.1f}%, {run.seconds:.1f} s")
                self._draw(run, epochs=s.epochs, force=run.epochs == 0)

            run = train_subset(s, self.train_data, self.validation_data, seed=self.seed,
                               time_budget=self.time_budget, on_epoch=on_epoch)
            self.last_run = run
            self.runs.append(run)
            self._live.keep(run)                     # the finished run, all epochs, in its colour
            self._draw(None, epochs=s.epochs)
            self.progress.bar_style = "success" if run.finished else "warning"
            note = (f" (stopped after {run.epochs} of {s.epochs} epochs to stay under {self.time_budget:g} s)"
                    if run.stopped_early else "")
            kept = f"; {len(self.runs)} runs on the plot (Clear removes them)" if len(self.runs) > 1 else ""
            self.status.value = (f"done: run {number}, {run.label}: validation accuracy {run.accuracy[-1]:.1f}% "
                                 f"after {run.epochs} epochs, {run.seconds:.1f} s{note}{kept}")
            return run
        finally:
            self.button.disabled = self.clear_button.disabled = False
            self.running = False

    def _repr_mimebundle_(self, **kwargs):
        return self.box._repr_mimebundle_(**kwargs)


def train_widget(train, validation, *, reference=(), settings=None, seed=0, time_budget=8.0):
    """Build a :class:`TrainWidget` (display it as a cell's last expression): Train adds a
    run to the plot, Clear removes the earlier ones."""
    return TrainWidget(train, validation, reference=reference, settings=settings, seed=seed,
                       time_budget=time_budget)
