"""Figure helpers shared by the notebooks. Each takes ``ax=None`` and returns the figure.

Colours are fixed per initializer across the whole course, so "He" is the same
colour in every notebook: use :func:`init_color`.
"""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np

from ..checks import check_array, check_int

__all__ = ["INIT_COLORS", "init_color"]

#: One colour per initializer name, used in every figure of the course (tab10 palette).
INIT_COLORS = {
    "nielsen_large": "#d62728",    # red: the old, too-large scheme
    "standard_normal": "#d62728",
    "nielsen_default": "#1f77b4",  # blue: Nielsen's new scheme
    "lecun_normal": "#17becf",
    "xavier_normal": "#2ca02c",    # green: Glorot/Xavier
    "xavier_uniform": "#98df8a",
    "he_normal": "#9467bd",        # purple: He/Kaiming
    "he_uniform": "#c5b0d5",
    "orthogonal": "#8c564b",
    "pytorch_default": "#e377c2",
    "zeros": "#7f7f7f",
    "small": "#ff7f0e",            # orange: a too-small custom std such as 0.01
    "custom": "#bcbd22",
}


def init_color(name: str) -> str:
    """The course colour of an initializer (or 'custom' for anything unknown)."""
    from ..nn.initializers import ALIASES

    return INIT_COLORS.get(ALIASES.get(name, name), INIT_COLORS["custom"])


def _axes(ax, **subplot_kw):
    """(fig, ax): a new figure when ax is None, else ax's figure."""
    if ax is None:
        fig, ax = plt.subplots(**subplot_kw)
        return fig, ax
    return ax.figure, ax


# --------------------------------------------------------------------------------------
# Saturation and activation-histogram figures (notebooks 01 and 02, and their widgets).
# --------------------------------------------------------------------------------------
__all__ += [
    "nice_ceil",
    "select_layers",
    "histogram_range",
    "activation_histogram",
    "log10_sigmoid_prime",
    "plot_activation_functions",
    "plot_z_histogram",
    "plot_sigmoid_prime_cdf",
    "plot_cost_curves",
    "plot_layer_histograms",
    "plot_std_vs_depth",
    "plot_hidden_unit_changes",
]

#: How the three activations of notebook 01 are drawn (colour is kept for initializers).
ACTIVATION_STYLES = {
    "sigmoid": dict(color="#222222", linestyle="-"),
    "tanh": dict(color="#777777", linestyle="--"),
    "relu": dict(color="#222222", linestyle=":"),
}

#: Tone of the band where a sigmoid unit counts as saturated.
SATURATED_SHADE = dict(color="#d62728", alpha=0.08, linewidth=0)
#: Tone of the band |z| < 4.6 where a sigmoid unit still learns.
LEARNING_SHADE = dict(color="#2ca02c", alpha=0.12, linewidth=0)


def nice_ceil(value, steps=(1, 2, 5)):
    """The smallest of s x 10^k (s in ``steps``) that is >= value (1 for 0, NaN or inf):
    axis limits that move in steps, so a slider redraws the axes only when a step is crossed."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"value must be a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value) or value <= 0:
        return 1.0
    k = math.floor(math.log10(value))
    for m in tuple(steps) + (10.0,):
        if m * 10.0**k >= value * (1 - 1e-12):
            return m * 10.0**k
    return 10.0 ** (k + 1)


def select_layers(depth, max_panels=10):
    """Layer numbers (1-based) to draw: all of them up to ``max_panels``, else
    ``max_panels`` evenly spaced ones including the first and the last."""
    depth = check_int(depth, "depth", 1)
    max_panels = check_int(max_panels, "max_panels", 2)
    if depth <= max_panels:
        return list(range(1, depth + 1))
    return sorted({int(round(x)) for x in np.linspace(1, depth, max_panels)})


def histogram_range(activation, activations):
    """x range (lo, hi) shared by the per-layer histogram panels of one setting.

    A bounded activation uses its range (sigmoid (0, 1), tanh (-1, 1)); otherwise the
    range reaches the largest 99.5th percentile of |a| over the finite layers, rounded
    up by :func:`nice_ceil`, so a layer whose signal shrinks shows as a spike at 0 and
    one that grows fills the axis."""
    from ..nn.activations import get_activation

    act = get_activation(activation)
    if act.saturation_band is not None:
        return tuple(float(v) for v in act.saturation_band)
    top = 0.0
    with np.errstate(over="ignore", invalid="ignore"):
        for a in activations:
            a = check_array(a, "a (each layer's activations)")
            if a.size and np.isfinite(a).all():
                top = max(top, float(np.percentile(np.abs(a), 99.5)))
    hi = nice_ceil(top) if top > 0 else 1.0
    lo = 0.0 if act.name == "relu" else -hi
    return lo, hi


def activation_histogram(a, activation, edges):
    """Fraction of the entries of ``a`` in each bin of the uniformly spaced ``edges``
    (None if ``a`` overflowed to inf/NaN). Values beyond the edges count in the end bins.

    For ReLU the exact zeros (inactive units) are left out, so the bars show how the
    *active* units spread; they then sum to 1 - (fraction of zeros), which the
    statistics report. Computed with one bincount (no sort), fast enough for a slider."""
    from ..nn.activations import get_activation

    act = get_activation(activation)
    a = check_array(a, "a").ravel()
    if a.dtype.kind != "f":
        a = a.astype(np.float64)
    edges = check_array(edges, "edges").astype(np.float64)
    if edges.ndim != 1 or edges.size < 2 or not np.isfinite(edges).all() or not np.all(np.diff(edges) > 0):
        raise ValueError(f"edges must be at least 2 finite, strictly increasing bin edges, got {edges!r}")
    if not np.isfinite(a).all():
        return None
    n = len(edges) - 1
    lo, hi = edges[0], edges[-1]
    with np.errstate(over="ignore", invalid="ignore"):
        index = (a - a.dtype.type(lo)) * a.dtype.type(n / (hi - lo))
    index = np.clip(index, 0, n - 1, out=index).astype(np.intp)
    counts = np.bincount(index, minlength=n).astype(np.float64)
    if act.name == "relu" and lo <= 0 < edges[1]:
        counts[0] -= a.size - np.count_nonzero(a)
    return counts / max(a.size, 1)


def log10_sigmoid_prime(z):
    """log10 sigma'(z), without underflow: ln sigma'(z) = -|z| - 2 ln(1 + e^-|z|)."""
    z = np.abs(np.asarray(z, dtype=np.float64))
    return (-z - 2.0 * np.log1p(np.exp(-z))) / math.log(10.0)


def _axes_row(axes, n, figsize, **kw):
    if axes is None:
        fig, axes = plt.subplots(1, n, figsize=figsize, **kw)
        return fig, np.atleast_1d(axes)
    axes = np.atleast_1d(axes)
    if len(axes) != n:
        raise ValueError(f"axes must hold {n} axes, got {len(axes)}")
    return axes[0].figure, axes


def plot_activation_functions(names=("sigmoid", "tanh", "relu"), z_max=8.0, axes=None):
    """Three panels: the activations f(z); their derivatives f'(z); and sigma'(z),
    tanh'(z) on a log scale with the band |z| > 4.6 where sigma'(z) < 0.01 shaded."""
    from ..nn.activations import get_activation
    from ..lessons.saturation import Z_SATURATED

    fig, axes = _axes_row(axes, 3, (13, 3.8))
    z = np.linspace(-z_max, z_max, 801)
    for name in names:
        act = get_activation(name)
        a = act.fn(z)
        style = ACTIVATION_STYLES.get(name, {})
        axes[0].plot(z, a, label=name, **style)
        axes[1].plot(z, act.prime(z, a), label=f"{name}'", **style)
        if act.saturation_band is not None:
            axes[2].semilogy(z, act.prime(z, a), label=f"{name}'", **style)
    axes[0].set(title="Activations f(z)", xlabel="z", ylabel="f(z)", ylim=(-1.2, 2.2))
    axes[1].set(title="Derivatives f'(z)", xlabel="z", ylabel="f'(z)", ylim=(-0.05, 1.1))
    for ax in axes[1:]:
        for side in (-1, 1):
            lo, hi = sorted((side * Z_SATURATED, side * z_max))
            ax.axvspan(lo, hi, **SATURATED_SHADE)
    axes[2].axhline(0.01, color="#d62728", linewidth=1, linestyle="--")
    axes[2].text(0, 0.012, "0.01", color="#d62728", ha="center", va="bottom")
    axes[2].set(title="$\\sigma'(z) < 0.01$ beyond |z| = 4.6 (shaded)", xlabel="z",
                ylabel="f'(z) (log scale)", ylim=(1e-4, 2))
    for ax in axes:
        ax.axvline(0, color="#cccccc", linewidth=0.8, zorder=0)
        ax.legend(loc="upper left", fontsize=9)
    fig.tight_layout()
    return fig


def plot_z_histogram(z, predicted_std, ax=None, color=None, label=None, bins=80, x_max=None):
    """Density histogram of sampled pre-activations z with the predicted
    N(0, predicted_std^2) curve over it. The band |z| < 4.6, where sigma'(z) >= 0.01
    and the neuron can learn, is shaded green; the share of draws outside it (the
    saturated ones) is printed."""
    from ..lessons.saturation import Z_SATURATED, saturated_fraction

    fig, ax = _axes(ax, figsize=(6, 3.8))
    z = np.asarray(z, dtype=np.float64)
    color = color or INIT_COLORS["custom"]
    x_max = x_max or max(nice_ceil(4 * predicted_std), 10.0)
    ax.axvspan(-Z_SATURATED, Z_SATURATED, **LEARNING_SHADE, label=f"|z| < {Z_SATURATED:.1f}: $\\sigma'(z) \\geq 0.01$")
    ax.hist(np.clip(z, -x_max, x_max), bins=bins, range=(-x_max, x_max), density=True,
            color=color, alpha=0.6, label=f"sampled z ({len(z):,} draws)")
    grid = np.linspace(-x_max, x_max, 600)
    s = max(float(predicted_std), 1e-12)
    ax.plot(grid, np.exp(-0.5 * (grid / s) ** 2) / (s * math.sqrt(2 * math.pi)), color="black",
            linewidth=1.5, label=f"predicted N(0, {predicted_std:.3g}$^2$)")
    frac = saturated_fraction(z)
    ax.text(0.98, 0.97, f"saturated\n(|z| > {Z_SATURATED:.1f}):\n{100 * frac:.1f}% of draws",
            transform=ax.transAxes, ha="right", va="top", fontsize=9)
    ax.set(xlim=(-x_max, x_max), xlabel="z = w·x + b", ylabel="density",
           title=label or f"std(z) = {predicted_std:.3g}")
    ax.set_ylim(0, ax.get_ylim()[1] * 1.25)
    ax.legend(loc="upper left", fontsize=9)
    return fig


def plot_sigmoid_prime_cdf(z_by_label, colors=None, ax=None):
    """For each set of sampled z (dict label -> z): the fraction of draws whose
    sigma'(z) is at most x, against x on a log axis. Every weight gradient of the
    unit carries the factor sigma'(z); the dashed line marks 0.01 and the legend
    gives the share of draws below it."""
    fig, ax = _axes(ax, figsize=(6, 3.8))
    colors = colors or {}
    lowest = -2.0
    for label, z in z_by_label.items():
        v = np.sort(log10_sigmoid_prime(z))
        lowest = min(lowest, float(v[0]))
        below = float(np.mean(v < -2))
        ax.step(10.0 ** v, np.arange(1, v.size + 1) / v.size, where="post", color=colors.get(label),
                linewidth=2, label=f"{label}: {100 * below:.0f}% below 0.01")
    ax.set_xscale("log")
    ax.axvline(0.01, color="#d62728", linestyle="--", linewidth=1)
    ax.set(xlim=(10.0 ** -nice_ceil(-lowest), 0.5), ylim=(0, 1.02), xlabel="$\\sigma'(z)$ (log scale; at most 0.25)",
           ylabel="fraction of draws with $\\sigma'$ $\\leq$ x",
           title="How small is the factor $\\sigma'(z)$?")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=9)
    return fig


def plot_cost_curves(curves, colors=None, ax=None, title=None, ylabel="cost", logy=True):
    """Cost per epoch for each run (dict label -> array of length epochs + 1)."""
    fig, ax = _axes(ax, figsize=(6, 3.8))
    colors = colors or {}
    for label, c in curves.items():
        c = np.asarray(c, dtype=np.float64)
        ax.plot(np.arange(len(c)), c, color=colors.get(label), label=label, linewidth=2)
    if logy:
        ax.set_yscale("log")
    ax.set(xlabel="epoch", ylabel=ylabel + (" (log scale)" if logy else ""), title=title or "Cost per epoch")
    ax.legend(fontsize=9)
    ax.grid(alpha=0.3)
    return fig


def _stat_line(s, activation):
    from ..nn.activations import get_activation

    if not s.finite:
        return "overflow"
    if get_activation(activation).saturation_band is not None:
        return f"std {s.std:.3g}\nsat {100 * s.saturated:.0f}%"
    return f"std {s.std:.3g}\nzero {100 * s.zero:.0f}%"


def plot_layer_histograms(activations, activation, axes=None, color=None, title=None, layers=None, bins=40):
    """One histogram panel per hidden layer (a row), with each layer's std and
    % saturated (bounded activations) or % zero (ReLU) above it.

    Inputs: ``activations`` a list of (B, n) arrays a_1..a_L (or a LayerSignals);
    ``layers`` the 1-based layer numbers to draw (default: :func:`select_layers`).
    The panels share both axes, so a shrinking signal shows as a narrowing spike.
    Given ``axes`` (a row of a larger figure), the title labels the row's y axis."""
    from ..diagnostics.layer_stats import layer_statistics

    acts = list(getattr(activations, "activations", activations))
    if not acts:
        raise ValueError("activations must hold at least one layer's (B, n) array, got none")
    bins = check_int(bins, "bins", 1)
    if layers is None or (isinstance(layers, (list, tuple)) and not layers):
        layers = select_layers(len(acts))
    try:
        layers = [check_int(l, f"layers (1-based layer numbers, at most {len(acts)})", 1, len(acts))
                  for l in layers]
    except TypeError:
        raise ValueError(f"layers must be a list of layer numbers in 1..{len(acts)}, got {layers!r}") from None
    own_figure = axes is None
    fig, axes = _axes_row(axes, len(layers), (2.4 * len(layers) + 0.6, 2.9), sharex=True, sharey=True)
    if not own_figure:
        for ax in axes[1:]:
            ax.sharex(axes[0])
            ax.sharey(axes[0])
    for ax in axes[1:]:
        ax.tick_params(labelleft=False)
    shown = [acts[l - 1] for l in layers]
    lo, hi = histogram_range(activation, shown)
    edges = np.linspace(lo, hi, bins + 1)
    color = color or INIT_COLORS["custom"]
    stats = layer_statistics(shown, activation)
    top = 0.0
    for ax, l, a, s in zip(axes, layers, shown, stats):
        h = activation_histogram(a, activation, edges)
        if h is None:
            ax.text(0.5, 0.5, "overflow\n(inf / NaN)", transform=ax.transAxes, ha="center", va="center",
                    color="#d62728")
        else:
            ax.stairs(h, edges, fill=True, color=color, alpha=0.8)
            top = max(top, float(h.max()))
        ax.set_title(f"layer {l}\n{_stat_line(s, activation)}", fontsize=9)
        ax.set_xlim(lo, hi)
        ticks = [lo, (lo + hi) / 2, hi] if hi < 1000 else [lo, hi]
        ax.set_xticks(ticks, [f"{t:.3g}" for t in ticks])
    axes[0].set_ylim(0, nice_ceil(top * 1.05) if top > 0 else 1)
    axes[0].set_ylabel("fraction of activations" if own_figure or not title else f"{title}\nfraction")
    for ax in axes:
        ax.set_xlabel("a" if activation != "relu" else "a (> 0)")
    if own_figure:
        if title:
            fig.suptitle(title, fontsize=11, x=0.01, ha="left")
        fig.tight_layout()
    return fig


def plot_std_vs_depth(measured, predicted=None, colors=None, ax=None, title=None, ylabel="std of activations"):
    """Per-layer std (log scale) against the layer number: measured values as dots
    joined by a line, the variance-propagation prediction as a dashed line of the same
    colour. ``measured`` and ``predicted`` map a label to an array (layer 1 first);
    zeros and overflow (inf/NaN) are left out of the log plot."""
    fig, ax = _axes(ax, figsize=(7, 4))
    colors = colors or {}
    for label, m in measured.items():
        m = np.asarray(m, dtype=np.float64)
        layers = np.arange(1, len(m) + 1)
        ax.plot(layers, np.where((m > 0) & np.isfinite(m), m, np.nan), "o-", color=colors.get(label), label=label,
                markersize=4, linewidth=1.5)
        if predicted is not None and label in predicted:
            p = np.asarray(predicted[label], dtype=np.float64)
            ax.plot(layers, np.where((p > 0) & np.isfinite(p), p, np.nan), "--", color=colors.get(label),
                    linewidth=1.2, alpha=0.9)
    ax.set_yscale("log")
    ax.set(xlabel="layer", ylabel=ylabel + " (log scale)", title=title or "Per-layer std: measured (dots), predicted (dashed)")
    ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True, steps=[1, 2, 5, 10]))   # whole layers: 5, 10, 15
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8, loc="best")
    return fig


def plot_hidden_unit_changes(z_before, z_change, colors=None, ax=None, title=None):
    """How far each hidden unit's pre-activation moved during training, against where
    it started: one dot per unit, |z_after - z_before| on a log axis. ``z_before`` and
    ``z_change`` map a label to arrays of the same shape. Units that started in the
    saturated zone |z| > 4.6 (outside the green band) hardly move."""
    from ..lessons.saturation import Z_SATURATED

    fig, ax = _axes(ax, figsize=(7, 4))
    colors = colors or {}
    lo = np.inf
    for label, z0 in z_before.items():
        z0 = np.ravel(z0)
        dz = np.maximum(np.abs(np.ravel(z_change[label])), 1e-16)
        lo = min(lo, float(dz.min()))
        ax.scatter(z0, dz, s=14, alpha=0.7, color=colors.get(label), label=label, edgecolors="none")
    ax.axvspan(-Z_SATURATED, Z_SATURATED, **LEARNING_SHADE, label=f"|z| < {Z_SATURATED:.1f}: $\\sigma'(z) \\geq 0.01$")
    ax.set_yscale("log")
    ax.set_ylim(max(lo / 3, 1e-17), None)
    ax.set(xlabel="pre-activation z of the hidden unit before training",
           ylabel="|change of z| during training (log scale)",
           title=title or "Saturated hidden units do not move")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower left")
    return fig


# --------------------------------------------------------------------------------------
# Gradient flow and layer Jacobians (notebook 05 and its depth slider).
# --------------------------------------------------------------------------------------
__all__ += [
    "plot_bias_gradient_norms",
    "plot_speeds_during_training",
    "log10_gradient_histograms",
    "plot_gradient_heatmap",
    "plot_gradient_heatmap_grid",
    "plot_gradient_flow",
    "plot_singular_values",
    "plot_gradient_profiles",
    "plot_accuracy_curves",
]

#: One colour per hidden layer for the speed-of-learning plots (layer 1 darkest).
LAYER_COLORS = ["#08306b", "#2171b5", "#6baed6", "#fd8d3c", "#d94801", "#7f2704"]


def plot_bias_gradient_norms(norms_by_net, published=None, ax=None, title=None, band=(10, 90)):
    """Nielsen's speed of learning of each hidden layer, across random initializations.

    ``norms_by_net`` maps a label (e.g. "[784, 30, 30, 10]") to an array
    (n_nets, hidden layers) of bias-gradient norms; each is drawn as its median
    (dots joined by a line) with a band between the ``band`` percentiles.
    ``published`` maps the same labels to published values (black crosses)."""
    fig, ax = _axes(ax, figsize=(7, 4.2))
    for k, (label, norms) in enumerate(norms_by_net.items()):
        norms = np.asarray(norms, dtype=np.float64)
        layers = np.arange(1, norms.shape[1] + 1) + 0.08 * (k - 1)
        color = LAYER_COLORS[(2 * k + 1) % len(LAYER_COLORS)]
        lo, hi = np.percentile(norms, band, axis=0)
        med = np.median(norms, axis=0)
        ax.errorbar(layers, med, yerr=[med - lo, hi - med], fmt="o-", color=color, capsize=3,
                    label=f"{label}: median, {band[0]}-{band[1]}% of {len(norms)} inits")
        if published and label in published:
            ax.plot(layers, published[label], "x", color="black", markersize=9, markeredgewidth=2,
                    label="Nielsen ch. 5 (one network)" if k == 0 else None)
    ax.set_yscale("log")
    ax.set_xticks(range(1, max(np.asarray(n).shape[1] for n in norms_by_net.values()) + 1))
    ax.set(xlabel="hidden layer", ylabel="||dC/db|| (log scale)",
           title=title or "Speed of learning of each hidden layer at initialization")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8, loc="lower right")
    return fig


def plot_speeds_during_training(norms, ax=None, title=None, cost=None, cost_ylim=None):
    """||dC/db_l|| of each hidden layer (lines, log scale) before training (epoch 0)
    and after each epoch; ``norms`` has shape (epochs + 1, hidden layers). With
    ``cost`` (one value per epoch, from a History), the training cost is drawn in
    grey on a second axis, with limits ``cost_ylim`` (give two panels the same
    limits, so that a flat cost looks flat)."""
    fig, ax = _axes(ax, figsize=(6, 4))
    norms = np.asarray(norms, dtype=np.float64)
    epochs = np.arange(len(norms))
    n = norms.shape[1]
    for j in range(n):
        ax.plot(epochs, norms[:, j], "o-", markersize=3, color=LAYER_COLORS[j * (len(LAYER_COLORS) - 1) // max(n - 1, 1)],
                label=f"hidden layer {j + 1}")
    ax.set_yscale("log")
    ax.set(xlabel="epoch", ylabel="||dC/db|| (log scale)", title=title or "Speed of learning during training")
    ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))          # epochs are whole numbers
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8, loc="lower left")
    if cost is not None:
        twin = ax.twinx()
        twin.plot(np.arange(1, len(cost) + 1), cost, "--", color="#777777", label="training cost")
        twin.set_ylabel("training cost (dashed)", color="#777777")
        twin.tick_params(axis="y", colors="#777777")
        if cost_ylim is not None:
            twin.set_ylim(*cost_ylim)
    return fig


def log10_gradient_histograms(gradients, edges):
    """Per-layer histograms of log10 |g| over the nonzero finite entries.

    Inputs: ``gradients`` a list of arrays (one per layer); ``edges`` the bin edges
    (in log10 units). Values below the first edge count in the first bin, above the
    last in the last one. Returns an array (layers, bins) whose rows sum to the
    fraction of entries that are nonzero and finite (a ReLU layer's row sums to
    about 1/2: inactive units pass an exact 0)."""
    rows = []
    for g in gradients:
        g = np.abs(np.asarray(g, dtype=np.float64)).ravel()
        keep = np.isfinite(g) & (g > 0)
        logs = np.clip(np.log10(g[keep]), edges[0], edges[-1])
        counts, _ = np.histogram(logs, bins=edges)
        rows.append(counts / max(g.size, 1))
    return np.array(rows)


def _log10_range(flows, attribute="bias_gradients", pad=0.5):
    lo, hi = np.inf, -np.inf
    for flow in flows:
        for g in getattr(flow, attribute):
            g = np.abs(np.asarray(g, dtype=np.float64))
            g = g[np.isfinite(g) & (g > 0)]
            if g.size:
                lo = min(lo, np.log10(np.percentile(g, 1)))
                hi = max(hi, np.log10(g.max()))
    if not np.isfinite(lo):
        return -10.0, 1.0
    return np.floor(lo - pad), np.ceil(hi + pad)


def plot_gradient_heatmap(flow, ax=None, edges=None, title=None, bins=60, colorbar=True):
    """Per-layer histograms of the backpropagated gradient as one picture.

    Row l is the histogram of log10 |dC_x/dz_l| (per example and unit, i.e. the
    per-example bias gradients of layer l); the colour is the fraction of the
    layer's entries in each bin. A vanishing gradient is a band drifting left as
    you go down towards layer 1; an exploding one drifts right; a healthy one is a
    vertical band."""
    fig, ax = _axes(ax, figsize=(5, 4))
    if edges is None:
        lo, hi = _log10_range([flow])
        edges = np.linspace(lo, hi, bins + 1)
    hidden = flow.bias_gradients[:-1]
    H = log10_gradient_histograms(hidden, edges)
    layers = np.arange(1, len(hidden) + 2) - 0.5
    mesh = ax.pcolormesh(edges, layers, np.where(H > 0, H, np.nan), cmap="viridis", shading="flat",
                         vmin=0, vmax=max(float(H.max()), 1e-12))
    ax.set(xlabel="log10 |dC/dz| (per example and unit)", ylabel="hidden layer (1 = input side)",
           title=title or flow.label, ylim=(layers[0], layers[-1]))
    ax.set_facecolor("#f2f2f2")
    if colorbar:
        fig.colorbar(mesh, ax=ax, label="fraction of the layer's entries", fraction=0.05, pad=0.02)
    return fig


def plot_gradient_heatmap_grid(flows, row_labels, col_labels, title=None, bins=60, col_titles=None,
                               transpose=False):
    """A grid of :func:`plot_gradient_heatmap` panels sharing one log10 axis.

    ``flows`` maps (row_label, col_label) to a GradientFlow, e.g. (activation, init
    key); panel titles read "row, col_titles[col]" and are coloured by
    :func:`init_color` of the column label. ``transpose=True`` lays the grid out the
    other way round (one row per col_label): five initializers by two activations
    then fit a 10-inch-wide figure, readable in a notebook at 1280 px."""
    col_titles = col_titles or {}
    lo, hi = _log10_range(list(flows.values()))
    edges = np.linspace(lo, hi, bins + 1)
    n_rows, n_cols = (len(col_labels), len(row_labels)) if transpose else (len(row_labels), len(col_labels))
    size = (4.6 * n_cols + 0.8, 2.6 * n_rows) if transpose else (3.3 * n_cols + 0.8, 3.1 * n_rows)
    fig, axes = plt.subplots(n_rows, n_cols, figsize=size, sharex=True, sharey=True, squeeze=False,
                             constrained_layout=True)
    mesh = None
    for i, r in enumerate(row_labels):
        for j, c in enumerate(col_labels):
            row, col = (j, i) if transpose else (i, j)
            ax = axes[row, col]
            flow = flows[(r, c)]
            plot_gradient_heatmap(flow, ax=ax, edges=edges, colorbar=False, title=f"{r}, {col_titles.get(c, c)}")
            ax.title.set_color(init_color(c))
            ax.title.set_fontweight("bold")
            mesh = ax.collections[-1]
            if row < n_rows - 1:
                ax.set_xlabel("")
            if col > 0:
                ax.set_ylabel("")
    fig.colorbar(mesh, ax=axes, label="fraction of the layer's entries", fraction=0.03, pad=0.01)
    if title:
        fig.suptitle(title)
    return fig


def plot_gradient_flow(flow, init=None, fig=None):
    """The depth slider's figure: the gradient heatmap of one net (left) and its
    rms profiles (right): backpropagated dC/dz (solid) and weight gradient dC/dW
    (dashed) per layer, log scale.

    A ``fig`` made by an earlier call is redrawn in place: its axes, ticks and
    colorbar are kept and only the data artists are replaced, which keeps a
    slider's redraw fast (new axes cost most of the drawing time)."""
    axes = getattr(fig, "_gradient_flow_axes", None)
    if axes is None:
        fig = plt.figure(figsize=(11, 4)) if fig is None else fig
        fig.clf()
        left, right = fig.subplots(1, 2, gridspec_kw=dict(width_ratios=[1.15, 1]))
        fig.subplots_adjust(left=0.06, right=0.98, bottom=0.13, top=0.9, wspace=0.4)
        cbar = None
    else:
        left, right, cbar = axes
        for ax in (left, right):
            for artist in list(ax.collections) + list(ax.lines) + list(ax.texts):
                artist.remove()
    plot_gradient_heatmap(flow, ax=left, colorbar=False)
    mesh = left.collections[-1]
    if cbar is None:
        cbar = fig.colorbar(mesh, ax=left, label="fraction of the layer's entries", fraction=0.05, pad=0.02)
    else:
        cbar.update_normal(mesh)
    color = init_color(init) if init else INIT_COLORS["custom"]
    layers = np.arange(1, flow.depth + 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        right.plot(layers[:-1], np.where(flow.bias_rms[:-1] > 0, flow.bias_rms[:-1], np.nan), "o-",
                   color=color, markersize=3, label="rms dC/dz (backprop error)")
        right.plot(layers, np.where(flow.weight_rms > 0, flow.weight_rms, np.nan), "s--",
                   color=color, markersize=3, alpha=0.7, label="rms dC/dW")
    if right.get_yscale() != "log":
        from matplotlib.ticker import NullLocator

        right.set_yscale("log")                   # again on every redraw would rebuild the ticks
        right.yaxis.set_minor_locator(NullLocator())  # dozens of minor ticks: most of a redraw's time
    right.relim()
    right.autoscale_view()
    right.set(xlabel="layer (last = output layer)", ylabel="rms (log scale)", title="Gradient scale per layer")
    right.grid(alpha=0.3)
    right.legend(fontsize=8, loc="best")
    if not flow.finite:
        right.text(0.5, 0.5, "overflow: some gradients are inf/NaN", transform=right.transAxes, ha="center",
                   color="#d62728")
    fig._gradient_flow_axes = (left, right, cbar)
    return fig


def plot_singular_values(spectra, colors=None, ax=None, title=None, bins=60, logx=False):
    """Histograms of singular values, one per label. ``spectra`` maps a label to an
    array of singular values (any shape; NaNs are dropped).

    Linear x (default): densities, with the mean marked by a dashed line. ``logx``:
    the fraction of singular values per logarithmic bin (a density per unit of x
    would hide the small ones), with the median marked, since on a log scale the
    mean is dominated by the largest values."""
    fig, ax = _axes(ax, figsize=(6.5, 4))
    colors = colors or {}
    values = {k: np.asarray(v, dtype=np.float64).ravel() for k, v in spectra.items()}
    values = {k: v[np.isfinite(v)] for k, v in values.items()}
    allv = np.concatenate([v for v in values.values() if v.size]) if values else np.array([1.0])
    if logx:
        positive = allv[allv > 0]
        edges = np.logspace(np.floor(np.log10(positive.min())), np.ceil(np.log10(positive.max())), bins + 1)
        ax.set_xscale("log")
    else:
        edges = np.linspace(0, allv.max() * 1.02, bins + 1)
    for label, v in values.items():
        c = colors.get(label)
        if logx:
            kw, centre, name = dict(weights=np.full(v.size, 1.0 / max(v.size, 1))), np.median(v), "median"
        else:
            kw, centre, name = dict(density=True), v.mean(), "mean"
        ax.hist(v, bins=edges, histtype="stepfilled", alpha=0.35, color=c, **kw)
        ax.hist(v, bins=edges, histtype="step", linewidth=1.5, color=c, label=f"{label}: {name} {centre:.2g}", **kw)
        ax.axvline(centre, color=c, linestyle="--", linewidth=1.2)
    ax.set(xlabel="singular value" + (" (log scale)" if logx else ""),
           ylabel="fraction of singular values" if logx else "density", title=title or "Singular values")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return fig


def plot_gradient_profiles(flows, colors=None, ax=None, title=None, ylim=None):
    """rms of the backpropagated gradient dC/dz per hidden layer (log scale) for
    several nets: measured as dots joined by a line, the mean-field prediction
    (GradientFlow.predicted_bias_rms) as a dashed line of the same colour.
    ``flows`` maps a legend label to a GradientFlow. With ``ylim``, curves that
    leave the window are cut there (their legend label should say where they go)."""
    fig, ax = _axes(ax, figsize=(7, 4))
    colors = colors or {}
    for label, flow in flows.items():
        m = np.asarray(flow.bias_rms[:-1], dtype=np.float64)
        p = np.asarray(flow.predicted_bias_rms[:-1], dtype=np.float64)
        layers = np.arange(1, len(m) + 1)
        with np.errstate(invalid="ignore"):
            ax.plot(layers, np.where(m > 0, m, np.nan), "o-", color=colors.get(label), label=label,
                    markersize=3, linewidth=1.5)
            ax.plot(layers, np.where(p > 0, p, np.nan), "--", color=colors.get(label), linewidth=1.2)
    ax.set_yscale("log")
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.set(xlabel="hidden layer (1 = input side)", ylabel="rms dC/dz (log scale)",
           title=title or "Backpropagated gradient per layer: measured (dots), predicted (dashed)")
    ax.grid(alpha=0.3, which="major")
    ax.legend(fontsize=8, loc="best")
    return fig


def plot_accuracy_curves(accuracies, colors=None, ax=None, title=None, chance=None):
    """Accuracy after each epoch for each run (dict label -> list), with a dotted
    line at the ``chance`` level (e.g. 0.1 for ten balanced classes)."""
    fig, ax = _axes(ax, figsize=(6, 4))
    colors = colors or {}
    for label, acc in accuracies.items():
        acc = np.asarray(acc, dtype=np.float64)
        ax.plot(np.arange(1, len(acc) + 1), acc, "o-", color=colors.get(label), label=label, linewidth=2)
    if chance is not None:
        ax.axhline(chance, color="#777777", linestyle=":", label=f"chance ({chance:g})")
    ax.set(xlabel="epoch", ylabel="validation accuracy", title=title or "Validation accuracy per epoch", ylim=(0, 1))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig


# --------------------------------------------------------------------------------------
# Decision boundaries of 2-D classifiers (notebook 06).
# --------------------------------------------------------------------------------------

__all__ += ["CLASS_COLORS", "plot_points", "decision_grid", "plot_decision_boundary"]

#: Colours of the classes of a 2-D data set (light fill, dark points); not initializer colours.
CLASS_COLORS = ("#4878d0", "#ee854a", "#6acc64", "#d65f5f", "#956cb4", "#8c613c")


def plot_points(X, y, ax=None, title=None):
    """A 2-D labelled data set (X (N, 2), y (N,) integer labels), one colour per class."""
    fig, ax = _axes(ax, figsize=(4, 4))
    X, y = np.asarray(X), np.asarray(y)
    for k in range(int(y.max()) + 1):
        pts = X[y == k]
        ax.scatter(pts[:, 0], pts[:, 1], s=12, color=CLASS_COLORS[k % len(CLASS_COLORS)], edgecolors="k",
                   linewidths=0.3, label=f"class {k}")
    ax.set(xlabel="$x_1$", ylabel="$x_2$", aspect="equal", title=title or f"{len(y)} points, {int(y.max()) + 1} classes")
    ax.legend(fontsize=8, loc="upper right")
    return fig


def decision_grid(predict, X, resolution=150, padding=0.2):
    """The class ``predict`` gives each point of a regular grid covering X.

    Inputs: ``predict`` a function (M, 2) -> (M,) labels (e.g. ``net.predict``);
    X (N, 2) the data, whose bounding box, widened by ``padding`` times its size on
    each side, the grid covers with ``resolution`` points per axis.
    Returns (xs, ys, labels) with xs, ys 1-D and labels of shape (len(ys), len(xs)).
    All grid points go through ``predict`` in one batch."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X must have shape (N, 2) (decision boundaries are drawn in 2-D), got {X.shape}")
    if not (isinstance(resolution, (int, np.integer)) and resolution >= 2):
        raise ValueError(f"resolution must be an integer >= 2, got {resolution!r}")
    lo, hi = X.min(axis=0), X.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    lo, hi = lo - padding * span, hi + padding * span
    xs = np.linspace(lo[0], hi[0], resolution)
    ys = np.linspace(lo[1], hi[1], resolution)
    gx, gy = np.meshgrid(xs, ys)
    labels = np.asarray(predict(np.column_stack([gx.ravel(), gy.ravel()])))
    return xs, ys, labels.reshape(gx.shape)


def plot_decision_boundary(net, X, y, ax=None, title=None, resolution=150, padding=0.2, accuracy=True):
    """The plane coloured by the class ``net.predict`` gives it, with the data on top.

    ``net`` is anything with ``predict(X) -> labels`` (a course Network with 2 inputs);
    X (N, 2), y (N,) integer labels. The title gets the training accuracy unless
    ``accuracy=False``."""
    from matplotlib.colors import ListedColormap

    fig, ax = _axes(ax, figsize=(4, 4))
    y = np.asarray(y)
    n_classes = int(max(y.max() + 1, 2))
    if n_classes > len(CLASS_COLORS):
        raise ValueError(f"y must have at most {len(CLASS_COLORS)} classes to be drawn, got {n_classes}")
    colors = CLASS_COLORS[:n_classes]
    xs, ys, labels = decision_grid(net.predict, X, resolution, padding)
    ax.pcolormesh(xs, ys, labels, cmap=ListedColormap(colors), vmin=-0.5, vmax=n_classes - 0.5,
                  alpha=0.3, shading="nearest", rasterized=True)
    if np.unique(labels).size > 1:  # a constant prediction has no boundary to draw
        ax.contour(xs, ys, labels, levels=np.arange(n_classes - 1) + 0.5, colors="k", linewidths=0.8)
    for k in range(n_classes):
        pts = X[y == k]
        ax.scatter(pts[:, 0], pts[:, 1], s=12, color=colors[k], edgecolors="k", linewidths=0.3, label=f"class {k}")
    ax.set(xlim=(xs[0], xs[-1]), ylim=(ys[0], ys[-1]), xlabel="$x_1$", ylabel="$x_2$", aspect="equal")
    text = title or "Decision regions"
    if accuracy:
        acc = float(np.mean(np.asarray(net.predict(X)) == y))
        text += f"\ntraining accuracy {100 * acc:.1f}%"
    ax.set_title(text, fontsize=10)
    return fig
