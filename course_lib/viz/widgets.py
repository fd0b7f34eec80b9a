"""Live widgets of the course: sliders -> a figure and a table that update at once.

Each widget is split in two so that it can be tested without a browser:

* an *explorer* (:class:`HistogramExplorer`, :class:`NeuronExplorer`): a plain
  object whose ``update(std=..., depth=...)`` recomputes the experiment, updates
  its matplotlib figure in place and returns the statistics; ``png`` holds the
  rendered figure and ``html`` the statistics table;
* a ``build_..._widget()`` function that wires ipywidgets sliders to ``update``
  and shows ``png`` in an ``ipywidgets.Image`` and ``html`` in an
  ``ipywidgets.HTML`` (CSS classes ``layer-stats`` / ``neuron-stats``).

Why PNG in an Image widget: ipympl is not installed, and re-displaying an inline
figure on every slider step flickers. Rendering is kept fast by
:class:`~course_lib.viz.live_figure.LiveFigure`:
the axes, ticks and labels are drawn once and cached as a background; an update
redraws only the artists that change (histogram steps, lines, a few texts), and the
axes are redrawn only when their limits move to another "nice" step. Measured on the
2-core development machine: about 3x faster than redrawing the whole figure, see
``benchmarks/bench_widgets.py``.
"""
from __future__ import annotations

import dataclasses
import html as _html
import math

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import LogLocator, MaxNLocator, NullLocator

from ..blas import single_blas_thread
from ..checks import check_float_dtype, check_int, check_real, check_rng
from ..nn.activations import get_activation
from ..diagnostics.layer_stats import SATURATION_TOL, layer_statistics
from ..lessons.histograms import predict_layer_stats, scaled_forward
from ..lessons.saturation import Z_SATURATED, _check_std, neuron_z_std
from ..nn.initializers import ALIASES, INITIALIZERS, get_initializer
from .live_figure import LiveFigure
from .plotting import activation_histogram, histogram_range, init_color, log10_sigmoid_prime, nice_ceil, select_layers

__all__ = [
    "HistogramExplorer",
    "build_histogram_widget",
    "NeuronExplorer",
    "build_neuron_widget",
    "WIDGET_INITIALIZERS",
    "WIDGET_ACTIVATIONS",
]

#: Initializer choices of the histogram widget: (label, value). 'custom' uses the std slider.
WIDGET_INITIALIZERS = [
    ("custom std (slider)", "custom"),
    ("N(0, 1) (Nielsen's old)", "nielsen_large"),
    ("LeCun 1/sqrt(n)", "lecun_normal"),
    ("Xavier sqrt(2/(n_in+n_out))", "xavier_normal"),
    ("He sqrt(2/n)", "he_normal"),
]
WIDGET_ACTIVATIONS = ["sigmoid", "tanh", "relu"]

_TEXT = dict(fontsize=8)


def _init_value(init):
    """'custom' or a known initializer name (aliases resolved)."""
    if init in (None, "custom"):
        return "custom"
    if isinstance(init, str):
        get_initializer(init)                       # raises a clear ValueError
        return ALIASES.get(init, init)
    raise ValueError(f"init must be 'custom' or an initializer name from {sorted(INITIALIZERS)}, got {init!r}")


def _fmt(v):
    if not math.isfinite(v):
        return "overflow"
    return f"{v:.3g}" if v == 0 or 1e-3 <= abs(v) < 1e4 else f"{v:.2e}"


def _decades(values, floor=1e-300):
    """(10^a, 10^b) spanning the finite positive values, at least two decades wide."""
    v = np.asarray([x for x in values if math.isfinite(x) and x > floor])
    if v.size == 0:
        return 1e-2, 1.0
    lo = math.floor(math.log10(v.min()))
    hi = math.ceil(math.log10(v.max()))
    if hi - lo < 2:
        lo, hi = lo - (2 - (hi - lo)) // 2 - (2 - (hi - lo)) % 2, hi + (2 - (hi - lo)) // 2
    return 10.0**lo, 10.0**hi


class _RenderedExplorer:
    """What both explorers share: a :class:`LiveFigure` in ``self._live`` whose last
    rendering is ``self.png``."""

    @property
    def figure(self):
        """The live matplotlib Figure (not managed by pyplot)."""
        return self._live.figure

    def image(self):
        """The current figure as an IPython Image: a static copy for notebooks read on GitHub."""
        from IPython.display import Image

        return Image(data=self.png, format="png")


class HistogramExplorer(_RenderedExplorer):
    """The classic experiment as a live figure: per-layer histograms of the activations.

    A fixed batch of ``n_samples`` examples with ``n_features`` standard-normal features
    goes through ``depth`` hidden layers of ``width`` units (no biases), with normal
    weights of std ``std`` (init 'custom') or of the std a named initializer gives each
    layer (e.g. 'he_normal': sqrt(2 / fan_in)). The weights are one fixed standard-normal
    draw per width, rescaled by the std, so moving the std slider shows the *same*
    network at another scale.

    ``update(**changes)`` accepts std, depth, activation, init, width; passing ``std``
    alone switches init to 'custom'. It returns the :class:`~course_lib.diagnostics.LayerStats`
    of the drawn layers and refreshes ``png`` (the figure), ``html`` (the table),
    ``stds`` (measured std of every layer) and ``predicted`` (from the variance
    propagation, :func:`~course_lib.lessons.histograms.predict_layer_stats`).

    At most ``max_panels`` layers get a histogram (evenly spaced, first and last
    included); the bottom panel shows the std of every layer against depth.
    """

    MAX_DEPTH = 50
    MAX_WIDTH = 1000

    def __init__(self, *, rng, activation="sigmoid", init="custom", std=1.0, depth=5, width=100,
                 n_samples=1000, n_features=100, max_panels=10, bins=40, dtype=np.float32):
        check_rng(rng)
        self.n_samples = check_int(n_samples, "n_samples", 1)
        self.n_features = check_int(n_features, "n_features", 1)
        self.max_panels = check_int(max_panels, "max_panels", 2)
        self.bins = check_int(bins, "bins", 2)
        self.dtype = check_float_dtype(dtype)
        self.X = rng.standard_normal((self.n_samples, self.n_features), dtype=self.dtype)
        self._seed = int(rng.integers(2**63))
        self._weights = {}                          # width -> (generator, standard-normal matrices)
        self.params = dict(activation="sigmoid", init="custom", std=1.0, depth=5, width=100)
        self._figures = {}                          # rows of panels -> (LiveFigure, artists)
        self._live = None
        self.update(activation=activation, init=init, std=std, depth=depth, width=width)

    # ------------------------------------------------------------------ compute
    def _unit_weights(self, width, depth):
        """The first ``depth`` standard-normal matrices for this width, drawn once, in layer order."""
        if width not in self._weights:
            # One generator per width, drawing layer after layer: layer l is the same
            # matrix whatever depth was asked for first.
            self._weights[width] = (np.random.default_rng([self._seed, width]), [])
        gen, stack = self._weights[width]
        while len(stack) < depth:
            fan_in = self.n_features if not stack else width
            stack.append(gen.standard_normal((width, fan_in), dtype=self.dtype))
        return stack[:depth]

    def layer_stds(self, params=None):
        """The weight std of each layer for these parameters (custom: the same for all)."""
        p = self.params if params is None else params
        if p["init"] == "custom":
            return np.full(p["depth"], p["std"])
        init = get_initializer(p["init"])
        fans = [self.n_features] + [p["width"]] * (p["depth"] - 1)
        return np.array([init.std(f, p["width"]) for f in fans])

    def _validated(self, changes):
        unknown = set(changes) - set(self.params)
        if unknown:
            raise ValueError(f"update() arguments must be among {sorted(self.params)}, got unknown {sorted(unknown)}")
        p = dict(self.params)
        if "std" in changes and "init" not in changes:
            p["init"] = "custom"
        for name, value in changes.items():
            if value is None:
                continue
            if name == "std":
                top = float(np.finfo(self.dtype).max)  # the weights are std * W in self.dtype
                p["std"] = check_real(value, "std", f"in [0, {top:.3g}]", lambda v: 0 <= v <= top)
            elif name == "depth":
                p["depth"] = check_int(value, "depth", 1, self.MAX_DEPTH)
            elif name == "width":
                p["width"] = check_int(value, "width", 1, self.MAX_WIDTH)
            elif name == "activation":
                p["activation"] = get_activation(value).name
            elif name == "init":
                p["init"] = _init_value(value)
        if p["init"] != "custom":
            p["std"] = float(self.layer_stds(p)[-1])
        return p

    def update(self, **changes):
        """Apply the changes, recompute, redraw; return the LayerStats of the drawn layers."""
        p = self._validated(changes)
        self.params = p
        stds = self.layer_stds(p)
        with single_blas_thread():
            self.signals = scaled_forward(self.X, self._unit_weights(p["width"], p["depth"]), stds, p["activation"])
        acts = self.signals.activations
        with np.errstate(over="ignore", invalid="ignore"):
            self.stds = np.array([float(np.std(a, dtype=np.float64)) if np.isfinite(a).all() else math.inf
                                  for a in acts])
        self.predicted = predict_layer_stats(p["depth"], p["width"], p["activation"], stds, n_in=self.n_features)
        self.layers = select_layers(p["depth"], self.max_panels)
        self.stats = layer_statistics([acts[l - 1] for l in self.layers], p["activation"])
        self.stats = [dataclasses.replace(s, layer=l) for s, l in zip(self.stats, self.layers)]
        self._draw()
        self.html = self._table()
        return self.stats

    @property
    def overflow_layer(self):
        """First layer (1-based) whose activations overflowed to inf/NaN, or None."""
        bad = np.flatnonzero(~np.isfinite(self.stds))
        return int(bad[0]) + 1 if bad.size else None

    # --------------------------------------------------------------------- draw
    PANELS_PER_ROW = 5

    def _build(self, rows):
        """The figure for ``rows`` rows of 5 histogram panels (unused ones hidden) above
        the std-vs-depth panel. Built once per row count and then only updated."""
        cols = self.PANELS_PER_ROW
        height = 1.9 + 2.05 * rows
        live = LiveFigure(figsize=(11, height))
        fig = live.figure
        gs = fig.add_gridspec(rows + 1, cols, height_ratios=[1.0] * rows + [1.05], hspace=0.62, wspace=0.12,
                              left=0.08, right=0.985, top=1 - 0.45 / height, bottom=0.45 / height)
        axes, steps, overflow, covers = [], [], [], []
        edges = np.linspace(0, 1, self.bins + 1)
        for i in range(rows * cols):
            ax = fig.add_subplot(gs[i // cols, i % cols], sharey=axes[0] if axes else None)
            ax.tick_params(labelsize=7, labelleft=(i % cols == 0), left=(i % cols == 0))
            if i % cols == 0:
                ax.set_ylabel("fraction of\nactivations", **_TEXT)
            axes.append(ax)
            steps.append(live.animate(ax.stairs(np.zeros(self.bins), edges, fill=True, alpha=0.85)))
            overflow.append(live.animate(ax.text(0.5, 0.5, "overflow\n(inf/NaN)", transform=ax.transAxes,
                                                 ha="center", va="center", color="#d62728", **_TEXT)))
        # A panel the depth does not use is covered by a patch of the figure's colour (panel,
        # tick labels and title), drawn on every frame (a rectangle costs little): up to depth 10
        # panel i always shows layer i, so a depth step there blits instead of redrawing the axes.
        for ax in axes:
            pos = ax.get_position()
            margin = 0.12 / 11                                         # inches -> figure fraction
            covers.append(live.animate(fig.add_artist(Rectangle(
                (pos.x0 - margin, pos.y0 - 0.35 / height), pos.width + 2 * margin, pos.height + 0.6 / height,
                transform=fig.transFigure, facecolor=fig.get_facecolor(), edgecolor="none", visible=False))))
        line_ax = fig.add_subplot(gs[rows, :])
        line_ax.set_yscale("log")
        line_ax.yaxis.set_major_locator(LogLocator(numticks=6))
        line_ax.yaxis.set_minor_locator(NullLocator())
        line_ax.xaxis.set_major_locator(MaxNLocator(nbins=10, integer=True))
        line_ax.set_xlabel("layer", **_TEXT)
        line_ax.set_ylabel("std of activations\n(log scale)", **_TEXT)
        line_ax.tick_params(labelsize=7)
        line_ax.grid(alpha=0.3, which="major")
        measured, = line_ax.plot([], [], "o-", markersize=3, linewidth=2, label="measured")
        predicted, = line_ax.plot([], [], "k--", linewidth=1, label="predicted (variance propagation)")
        marks, = line_ax.plot([], [], "o", markersize=7, markerfacecolor="none", markeredgecolor="#555555",
                              label="layers shown above")
        live.animate(measured, predicted, marks)
        # Legend entries drawn once, in neutral grey: the measured line takes the initializer's colour.
        line_ax.legend([Line2D([], [], color="#777777", marker="o", markersize=3, linewidth=2), predicted, marks],
                       ["measured", "predicted (variance propagation)", "layers shown above"],
                       loc="lower right", bbox_to_anchor=(1.0, 1.0), fontsize=7, ncol=3, frameon=False)
        note = live.animate(line_ax.text(0.01, 0.95, "", transform=line_ax.transAxes, ha="left", va="top",
                                         color="#d62728", **_TEXT))
        return live, dict(axes=axes, steps=steps, overflow=overflow, covers=covers, line_ax=line_ax,
                          measured=measured, predicted=predicted, marks=marks, note=note)

    def _draw(self):
        p = self.params
        n_panels = len(self.layers)
        rows = math.ceil(n_panels / self.PANELS_PER_ROW)
        if rows not in self._figures:
            self._figures[rows] = self._build(rows)
        self._live, art = self._figures[rows]
        acts = self.signals.activations
        shown = [acts[l - 1] for l in self.layers]
        lo, hi = histogram_range(p["activation"], shown)
        edges = np.linspace(lo, hi, self.bins + 1)
        color = init_color(p["init"])
        if p["init"] == "custom":                   # a plain std: the course colours of std 1 and of tiny stds
            color = init_color("nielsen_large" if math.isclose(p["std"], 1.0, rel_tol=0.03)
                               else "small" if p["std"] < 0.05 else "custom")
        top = 0.0
        for i, (step, over) in enumerate(zip(art["steps"], art["overflow"])):
            if i >= n_panels:
                step.set_visible(False)
                over.set_visible(False)
                continue
            h = activation_histogram(shown[i], p["activation"], edges)
            over.set_visible(h is None)
            step.set_visible(True)
            step.set_data(np.zeros(self.bins) if h is None else h, edges)
            step.set_color(color)
            if h is not None:
                top = max(top, float(h.max()))
        ylim = nice_ceil(top * 1.05, steps=(1, 1.5, 2, 3, 5, 7.5)) if top > 0 else 1.0
        depth = p["depth"]
        layers = np.arange(1, depth + 1)
        m = np.where((self.stds > 0) & np.isfinite(self.stds), self.stds, np.nan)
        a_std = self.predicted["a_std"]
        pr = np.where((a_std > 0) & np.isfinite(a_std), a_std, np.nan)
        art["measured"].set_data(layers, m)
        art["measured"].set_color(color)
        art["predicted"].set_data(layers, pr)
        art["marks"].set_data(np.array(self.layers), m[np.array(self.layers) - 1])
        y_lo, y_hi = _decades(list(m[np.isfinite(m)]) + list(pr[np.isfinite(pr)]))
        bad = self.overflow_layer
        art["note"].set_text("" if bad is None else f"float32 overflow from layer {bad} on (inf/NaN: not drawn)")
        x_max = nice_ceil(depth)
        for i, cover in enumerate(art["covers"]):
            cover.set_visible(i >= n_panels)
        # A covered panel keeps the title of its layer at depth <= 10 (layer i + 1), so the
        # background is the same for every depth up to 10.
        titles = tuple(f"layer {self.layers[i] if i < n_panels else i + 1}" for i in range(len(art["axes"])))
        key = (lo, hi, ylim, titles, p["activation"] == "relu", x_max, y_lo, y_hi)
        if key != self._live._key:
            ticks = [lo, (lo + hi) / 2, hi] if hi < 1000 else [lo, hi]
            for i, ax in enumerate(art["axes"]):
                ax.set_xlim(lo, hi)
                ax.set_xticks(ticks, [f"{t:.3g}" for t in ticks])
                ax.set_title(titles[i], fontsize=9, pad=4)
            art["axes"][0].set_ylim(0, ylim)
            art["axes"][0].set_yticks([0, ylim], ["0", f"{ylim:g}"])
            last_row = len(art["axes"]) // self.PANELS_PER_ROW - 1
            for i, ax in enumerate(art["axes"]):
                below = i // self.PANELS_PER_ROW == last_row and i % self.PANELS_PER_ROW == 2
                ax.set_xlabel(("activation a" + (" (> 0; exact zeros left out)" if p["activation"] == "relu" else ""))
                              if below else "", **_TEXT)
            art["line_ax"].set_xlim(0.5, x_max + 0.5)
            art["line_ax"].set_ylim(y_lo, y_hi)
        self.png = self._live.render(key)

    # -------------------------------------------------------------------- table
    def _table(self):
        p = self.params
        sat = get_activation(p["activation"]).saturation_band is not None
        last = "saturated" if sat else "zero / dead"
        rows = []
        for s in self.stats:
            pred = self.predicted["a_std"][s.layer - 1]
            if sat:
                tail = "-" if not s.finite else f"{100 * s.saturated:.1f}%"
            else:
                tail = f"{100 * s.zero:.1f}% / {100 * s.dead:.1f}%"
            rows.append(
                f"<tr><td>{s.layer}</td><td>{_fmt(s.mean) if s.finite else 'overflow'}</td>"
                f"<td>{_fmt(s.std) if s.finite else 'overflow'}</td><td>{_fmt(pred)}</td><td>{tail}</td></tr>"
            )
        caption = (f"{p['activation']}, init {p['init']}, std {_fmt(p['std'])}, depth {p['depth']}, "
                   f"width {p['width']}")
        note = "" if self.overflow_layer is None else f"<br><b>overflow</b> from layer {self.overflow_layer} on"
        sat_note = f"saturated: within {SATURATION_TOL} of an asymptote" if sat else \
            "zero: inactive units; dead: units at 0 for every example"
        return (
            "<table class='layer-stats-table' style='font-family:monospace;font-size:12px;text-align:right'>"
            f"<caption style='text-align:left'>{_html.escape(caption)}{note}</caption>"
            f"<tr><th>layer</th><th>mean</th><th>std</th><th>predicted std</th><th>{last}</th></tr>"
            + "".join(rows)
            + f"</table><div style='font-size:11px;color:#555'>{_html.escape(sat_note)}</div>"
        )


def build_histogram_widget(explorer=None, *, rng=None, **defaults):
    """Sliders (std on a log scale, depth 1-50, width), activation and initializer
    menus wired to a :class:`HistogramExplorer`; returns an ``ipywidgets.VBox``.

    Choosing a named initializer moves the std slider to that initializer's std for
    the current width; moving the std slider switches the initializer to 'custom'.
    The figure is an ``ipywidgets.Image`` and the statistics an ``ipywidgets.HTML``
    with CSS class ``layer-stats``. The box has attributes ``explorer`` and
    ``controls`` (dict of the control widgets by name) for tests and notebooks.
    """
    import ipywidgets as w

    if explorer is None:
        if rng is None:
            raise ValueError("pass an explorer or rng= (a numpy Generator) to build one")
        explorer = HistogramExplorer(rng=rng, **defaults)
    p = explorer.params
    style = {"description_width": "70px"}
    controls = {
        "std": w.FloatLogSlider(value=max(p["std"], 1e-3), base=10, min=-3, max=2, step=0.05, description="std",
                                readout_format=".3g", continuous_update=True, style=style),
        "depth": w.IntSlider(value=p["depth"], min=1, max=explorer.MAX_DEPTH, description="depth",
                             continuous_update=True, style=style),
        "width": w.IntSlider(value=p["width"], min=10, max=500, step=10, description="width",
                             continuous_update=False, style=style),
        "activation": w.Dropdown(options=WIDGET_ACTIVATIONS, value=p["activation"], description="activation",
                                 style=style),
        "init": w.Dropdown(options=WIDGET_INITIALIZERS, value=p["init"], description="init", style=style),
    }
    image = w.Image(value=explorer.png, format="png", layout=w.Layout(width="880px"))
    table = w.HTML(value=explorer.html)
    table.add_class("layer-stats")
    busy = {"syncing": False}

    def refresh(**changes):
        explorer.update(**changes)
        image.value = explorer.png
        table.value = explorer.html
        if explorer.params["init"] != "custom":
            busy["syncing"] = True
            try:
                controls["std"].value = max(explorer.params["std"], 1e-3)
            finally:
                busy["syncing"] = False

    def on_std(change):
        if not busy["syncing"]:
            busy["syncing"] = True
            try:
                controls["init"].value = "custom"
            finally:
                busy["syncing"] = False
            refresh(std=change["new"], init="custom")

    controls["std"].observe(on_std, names="value")
    controls["depth"].observe(lambda c: refresh(depth=c["new"]), names="value")
    controls["width"].observe(lambda c: refresh(width=c["new"]), names="value")
    controls["activation"].observe(lambda c: refresh(activation=c["new"]), names="value")

    def on_init(change):
        if not busy["syncing"]:
            refresh(init=change["new"], std=controls["std"].value)

    controls["init"].observe(on_init, names="value")
    box = w.VBox([
        w.HBox([controls["activation"], controls["init"]]),
        w.HBox([controls["std"], controls["depth"], controls["width"]]),
        image,
        table,
    ])
    box.explorer = explorer
    box.controls = controls
    box.image = image
    box.table = table
    return box


# ------------------------------------------------------------------ notebook 01
_NEURON_STEPS = (1, 1.5, 2, 3, 5, 7.5)


def _step_below(q, steps=_NEURON_STEPS):
    """The step of ``steps`` x 10^k just below q (q itself one of them): 1.5 -> 1, 1 -> 0.75."""
    k = math.floor(math.log10(q) + 1e-9)
    m = q / 10.0**k
    i = min(range(len(steps)), key=lambda j: abs(steps[j] - m))
    return steps[i - 1] * 10.0**k if i > 0 else steps[-1] * 10.0 ** (k - 1)


class NeuronExplorer(_RenderedExplorer):
    """Nielsen's neuron as a live figure: the distribution of z = w.x + b.

    ``n_inputs`` inputs, half of them 1 (the rest 0), weights N(0, std^2) and bias
    N(0, bias_std^2) (1 by default, as in the book). ``n_draws`` neurons are sampled
    once as standard normals; a new std rescales the same draws:
    z = std * (sum of the active standard-normal weights) + bias_std * b0.

    ``update(std=..., n_inputs=...)`` returns a dict with ``predicted_std``
    (sqrt(n_active std^2 + bias_std^2)), ``sampled_std`` and ``saturated``
    (fraction with |z| > 4.6, where sigma'(z) < 0.01), and refreshes ``png`` and ``html``.
    """

    MAX_INPUTS = 2000

    def __init__(self, *, rng, std=1.0, n_inputs=1000, bias_std=1.0, n_draws=4000, bins=60):
        check_rng(rng)
        self.n_draws = check_int(n_draws, "n_draws", 10)
        self.bias_std = _check_std(bias_std, "bias_std")
        self.bins = check_int(bins, "bins", 2)
        max_active = self.MAX_INPUTS // 2
        # Column k of the running sum: the sum of the first k+1 active weights, per draw.
        self._sums = np.concatenate(
            [np.zeros((self.n_draws, 1)), np.cumsum(rng.standard_normal((self.n_draws, max_active)), axis=1)], axis=1)
        self._bias = rng.standard_normal(self.n_draws)
        self.params = dict(std=1.0, n_inputs=1000)
        self._live = None
        self.update(std=std, n_inputs=n_inputs)

    def update(self, **changes):
        unknown = set(changes) - set(self.params)
        if unknown:
            raise ValueError(f"update() arguments must be among {sorted(self.params)}, got unknown {sorted(unknown)}")
        p = dict(self.params)
        if changes.get("std") is not None:
            p["std"] = _check_std(changes["std"], "std")
        if changes.get("n_inputs") is not None:
            p["n_inputs"] = check_int(changes["n_inputs"], "n_inputs", 2, self.MAX_INPUTS)
        self.params = p
        n_active = p["n_inputs"] // 2
        self.z = p["std"] * self._sums[:, n_active] + self.bias_std * self._bias
        pred = neuron_z_std(n_active, p["std"], self.bias_std)
        self.result = dict(
            n_active=n_active,
            predicted_std=pred,
            sampled_std=float(np.std(self.z)),
            saturated=float(np.mean(np.abs(self.z) > Z_SATURATED)),
        )
        self._draw()
        self.html = self._table()
        return self.result

    @property
    def color(self):
        """Red for N(0, 1) weights (Nielsen's old scheme), blue for N(0, 1/n_inputs)
        (his new one), the 'custom' colour otherwise: the course's initializer colours."""
        std, n = self.params["std"], self.params["n_inputs"]
        if math.isclose(std, 1.0, rel_tol=0.03):
            return init_color("nielsen_large")
        if math.isclose(std, 1.0 / math.sqrt(n), rel_tol=0.03):
            return init_color("nielsen_default")
        return init_color("custom")

    def _build(self):
        live = LiveFigure(figsize=(11, 3.8))
        fig = live.figure
        ax_z, ax_d = fig.subplots(1, 2, gridspec_kw=dict(left=0.07, right=0.98, top=0.84, bottom=0.16, wspace=0.22))
        ax_z.axvspan(-Z_SATURATED, Z_SATURATED, color="#2ca02c", alpha=0.12, linewidth=0,
                     label=f"|z| < {Z_SATURATED:.1f}: σ'(z) ≥ 0.01")
        edges = np.linspace(-1, 1, self.bins + 1)
        hist = live.animate(ax_z.stairs(np.zeros(self.bins), edges, fill=True, alpha=0.6,
                                        color=init_color("custom"), label="sampled z"))
        curve, = ax_z.plot([], [], "k-", linewidth=1.5, label="predicted Gaussian")
        live.animate(curve)
        ax_z.set_xlabel("z = w·x + b", **_TEXT)
        ax_z.set_ylabel("density", **_TEXT)
        band = ax_z.patches[0]
        ax_z.legend([band, Patch(color="#999999", alpha=0.6), curve],
                    [band.get_label(), "sampled z (colour: red at std 1, blue at 1/sqrt(n))", "predicted Gaussian"],
                    loc="upper left", fontsize=7)
        sat_text = live.animate(ax_z.text(0.98, 0.96, "", transform=ax_z.transAxes, ha="right", va="top", **_TEXT))
        dhist = live.animate(ax_d.stairs(np.zeros(self.bins), edges, fill=True, alpha=0.6,
                                         color=init_color("custom")))
        ax_d.axvline(-2, color="#d62728", linestyle="--", linewidth=1)
        ax_d.text(-2, 0.98, "σ' = 0.01 ", color="#d62728", transform=ax_d.get_xaxis_transform(), ha="right",
                  va="top", **_TEXT)
        ax_d.set_xlabel("log10 σ'(z)   (at most log10 0.25 = -0.6)", **_TEXT)
        ax_d.set_ylabel("fraction of draws", **_TEXT)
        ax_d.set_title("The factor σ'(z) that every weight gradient carries", **_TEXT)
        for ax in (ax_z, ax_d):
            ax.tick_params(labelsize=7)
        heading = live.animate(fig.text(0.01, 0.975, "", ha="left", va="top", fontsize=10))
        self._live = live
        self._artists = dict(ax_z=ax_z, ax_d=ax_d, hist=hist, curve=curve, sat_text=sat_text, dhist=dhist,
                             heading=heading)

    def _z_for_std(self, z_std):
        """The explorer's draws rescaled to a predicted std(z) of ``z_std`` (at least the bias's)."""
        n_active = self.params["n_inputs"] // 2
        std = math.sqrt(max(z_std * z_std - self.bias_std**2, 0.0) / max(n_active, 1))
        return std * self._sums[:, n_active] + self.bias_std * self._bias

    def _log_slope_fractions(self, z, edges):
        logd = np.clip(log10_sigmoid_prime(z), edges[0], None)
        counts, _ = np.histogram(logd, bins=edges)
        return counts / z.size

    def _draw(self):
        if self._live is None:
            self._build()
        art, p, r = self._artists, self.params, self.result
        s = r["predicted_std"]
        # Every axis limit is a function of one number, std(z) rounded up to a step of
        # _NEURON_STEPS (q; std(z) lies in (q_lo, q], the band below it), so the limits all
        # move at the same slider steps, about one step in four, and the other steps blit
        # instead of redrawing the axes (a full redraw costs about 5 times as much). The
        # limits fit the whole band.
        q = nice_ceil(s, steps=_NEURON_STEPS)
        q_lo = _step_below(q)
        x_max = max(nice_ceil(4 * q, steps=_NEURON_STEPS), 10.0)
        edges = np.linspace(-x_max, x_max, self.bins + 1)
        counts, _ = np.histogram(np.clip(self.z, -x_max, x_max), bins=edges)
        density = counts / (self.z.size * (edges[1] - edges[0]))
        art["hist"].set_data(density, edges)
        art["hist"].set_color(self.color)
        art["dhist"].set_color(self.color)
        grid = np.linspace(-x_max, x_max, 400)
        pdf = np.exp(-0.5 * (grid / max(s, 1e-12)) ** 2) / (max(s, 1e-12) * math.sqrt(2 * math.pi))
        art["curve"].set_data(grid, pdf)
        y_max = nice_ceil(1.3 / (max(q_lo, self.bias_std, 1e-12) * math.sqrt(2 * math.pi)), steps=_NEURON_STEPS)
        art["sat_text"].set_text(f"saturated (|z| > {Z_SATURATED:.1f}):\n{100 * r['saturated']:.1f}% of draws")
        # log10 sigma'(z) ~ -|z| / ln 10 for large |z|; the largest |z| of a few thousand
        # draws is about 4 std(z), and rarer ones are clipped into the first bin.
        d_lo = -max(nice_ceil(4 * q / math.log(10), steps=_NEURON_STEPS), 5.0)
        d_edges = np.linspace(d_lo, math.log10(0.25), self.bins + 1)
        dfrac = self._log_slope_fractions(self.z, d_edges)
        art["dhist"].set_data(dfrac, d_edges)
        ends = [self._log_slope_fractions(self._z_for_std(v), d_edges).max() for v in (q_lo, q)]
        d_top = nice_ceil(1.15 * float(max(ends)), steps=_NEURON_STEPS)
        art["heading"].set_text(
            f"Nielsen's neuron: {p['n_inputs']} inputs ({r['n_active']} of them 1), weights N(0, {_fmt(p['std'])}²), "
            f"bias N(0, {_fmt(self.bias_std)}²): std(z) predicted {_fmt(s)}, sampled {_fmt(r['sampled_std'])}"
        )
        key = (x_max, y_max, d_lo, d_top)
        if key != self._live._key:
            art["ax_z"].set_xlim(-x_max, x_max)
            art["ax_z"].set_ylim(0, y_max)
            art["ax_d"].set_xlim(d_lo, 0)
            art["ax_d"].set_ylim(0, d_top)
            art["ax_z"].set_title(f"Sampled z ({self.n_draws:,} neurons) and the predicted N(0, std(z)²)", **_TEXT)
        self.png = self._live.render(key)

    def _table(self):
        p, r = self.params, self.result
        return (
            "<table class='neuron-stats-table' style='font-family:monospace;font-size:12px;text-align:right'>"
            f"<tr><th>weight std</th><td>{_fmt(p['std'])}</td></tr>"
            f"<tr><th>inputs (active)</th><td>{p['n_inputs']} ({r['n_active']})</td></tr>"
            f"<tr><th>std(z) predicted</th><td>{_fmt(r['predicted_std'])}</td></tr>"
            f"<tr><th>std(z) sampled</th><td>{_fmt(r['sampled_std'])}</td></tr>"
            f"<tr><th>saturated (|z| &gt; {Z_SATURATED:.1f})</th><td>{100 * r['saturated']:.1f}%</td></tr>"
            "</table>"
        )


def build_neuron_widget(explorer=None, *, rng=None, **defaults):
    """A std slider (log scale) and an inputs slider wired to a :class:`NeuronExplorer`;
    returns an ``ipywidgets.VBox`` (attributes ``explorer``, ``controls``, ``image``,
    ``table``; the statistics HTML has CSS class ``neuron-stats``)."""
    import ipywidgets as w

    if explorer is None:
        if rng is None:
            raise ValueError("pass an explorer or rng= (a numpy Generator) to build one")
        explorer = NeuronExplorer(rng=rng, **defaults)
    p = explorer.params
    style = {"description_width": "70px"}
    controls = {
        "std": w.FloatLogSlider(value=max(p["std"], 1e-3), base=10, min=-3, max=1, step=0.05, description="std",
                                readout_format=".3g", continuous_update=True, style=style),
        "n_inputs": w.IntSlider(value=p["n_inputs"], min=10, max=explorer.MAX_INPUTS, step=10,
                                description="inputs", continuous_update=True, style=style),
    }
    image = w.Image(value=explorer.png, format="png", layout=w.Layout(width="880px"))
    table = w.HTML(value=explorer.html)
    table.add_class("neuron-stats")

    def refresh(**changes):
        explorer.update(**changes)
        image.value = explorer.png
        table.value = explorer.html

    controls["std"].observe(lambda c: refresh(std=c["new"]), names="value")
    controls["n_inputs"].observe(lambda c: refresh(n_inputs=c["new"]), names="value")
    box = w.VBox([w.HBox([controls["std"], controls["n_inputs"]]), image, table])
    box.explorer = explorer
    box.controls = controls
    box.image = image
    box.table = table
    return box


# ------------------------------------------------------------------ notebook 05
__all__ += ["build_depth_widget"]


def build_depth_widget(explorer, *, depth=30, activation="relu", init="xavier_normal", gain=1.0):
    """A depth slider (2-50), activation and initializer menus and a gain slider wired to a
    :class:`course_lib.viz.depth_explorer.DepthExplorer`; returns an ``ipywidgets.VBox``
    with attributes ``explorer``, ``controls``, ``image`` (the figure as PNG) and
    ``summary`` (an HTML line, CSS class ``depth-stats``: rms dC/dz of the first hidden
    layer over the last, in all and per layer).

    The gain slider sets the std to gain / sqrt(n) in every layer (init "gain x
    1/sqrt(n)"); moving it selects that init, so one move is one redraw. The sliders
    update on release (each setting is a new network); settings already seen come from
    the explorer's cache."""
    import ipywidgets as w
    import matplotlib.pyplot as plt

    from ..lessons.depth import INIT_LABELS

    GAIN_INIT = explorer.GAIN_INIT          # from the explorer, so that widgets.py imports no explorer module
    explorer.update(depth=depth, activation=activation, init=init, gain=gain)
    plt.close(explorer.figure)  # shown through the Image widget only, not again below the cell
    style = {"description_width": "70px"}
    low, high = explorer.DEPTHS
    labels = dict(INIT_LABELS, **{GAIN_INIT: "gain x 1/sqrt(n) (slider)"})
    controls = {
        "depth": w.IntSlider(value=depth, min=low, max=high, description="depth", continuous_update=False,
                             style=style),
        "activation": w.Dropdown(options=list(explorer.activations), value=activation, description="activation",
                                 style=style),
        "init": w.Dropdown(options=[(labels.get(k, k), k) for k in explorer.inits], value=init,
                           description="init", style=style),
        "gain": w.FloatSlider(value=gain, min=0.5, max=2.5, step=0.01, description="gain", readout_format=".2f",
                              continuous_update=False, style=style),
    }
    image = w.Image(value=explorer.png, format="png", layout=w.Layout(width="880px"))
    summary = w.HTML(value=_html.escape(explorer.summary))
    summary.add_class("depth-stats")
    syncing = {"on": False}

    def refresh(_change=None):
        if syncing["on"]:
            return
        explorer.update(**{name: c.value for name, c in controls.items()})
        image.value = explorer.png
        summary.value = _html.escape(explorer.summary)

    def on_gain(_change):
        if controls["init"].value != GAIN_INIT:
            syncing["on"] = True                    # one redraw, not one per changed control
            try:
                controls["init"].value = GAIN_INIT
            finally:
                syncing["on"] = False
        refresh()

    for name, c in controls.items():
        c.observe(on_gain if name == "gain" else refresh, names="value")
    box = w.VBox([w.HBox([controls["depth"], controls["activation"]]), w.HBox([controls["init"], controls["gain"]]),
                  image, summary])
    box.explorer = explorer
    box.controls = controls
    box.image = image
    box.summary = summary
    return box
