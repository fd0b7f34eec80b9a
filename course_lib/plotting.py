"""Figure helpers shared by the notebooks. Each takes ``ax=None`` and returns the figure.

Colours are fixed per initializer across the whole course, so "He" is the same
colour in every notebook: use :func:`init_color`.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

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
    from .initializers import ALIASES

    return INIT_COLORS.get(ALIASES.get(name, name), INIT_COLORS["custom"])


def _axes(ax, **subplot_kw):
    """(fig, ax): a new figure when ax is None, else ax's figure."""
    if ax is None:
        fig, ax = plt.subplots(**subplot_kw)
        return fig, ax
    return ax.figure, ax

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


def plot_speeds_during_training(norms, ax=None, title=None, cost=None):
    """||dC/db_l|| of each hidden layer (lines, log scale) before training (epoch 0)
    and after each epoch; ``norms`` has shape (epochs + 1, hidden layers). With
    ``cost`` (one value per epoch, from a History), the training cost is drawn in
    grey on a second axis."""
    fig, ax = _axes(ax, figsize=(6, 4))
    norms = np.asarray(norms, dtype=np.float64)
    epochs = np.arange(len(norms))
    n = norms.shape[1]
    for j in range(n):
        ax.plot(epochs, norms[:, j], "o-", markersize=3, color=LAYER_COLORS[j * (len(LAYER_COLORS) - 1) // max(n - 1, 1)],
                label=f"hidden layer {j + 1}")
    ax.set_yscale("log")
    ax.set(xlabel="epoch", ylabel="||dC/db|| (log scale)", title=title or "Speed of learning during training")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8, loc="lower left")
    if cost is not None:
        twin = ax.twinx()
        twin.plot(np.arange(1, len(cost) + 1), cost, "--", color="#777777", label="training cost")
        twin.set_ylabel("training cost (dashed)", color="#777777")
        twin.tick_params(axis="y", colors="#777777")
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


def plot_gradient_heatmap_grid(flows, row_labels, col_labels, title=None, bins=60, col_titles=None):
    """A grid of :func:`plot_gradient_heatmap` panels sharing one log10 axis.

    ``flows`` maps (row_label, col_label) to a GradientFlow, e.g. (activation, init
    key); panel titles read "row, col_titles[col]" and are coloured by
    :func:`init_color` of the column label."""
    col_titles = col_titles or {}
    lo, hi = _log10_range(list(flows.values()))
    edges = np.linspace(lo, hi, bins + 1)
    fig, axes = plt.subplots(len(row_labels), len(col_labels), figsize=(3.3 * len(col_labels) + 0.8, 3.1 * len(row_labels)),
                             sharex=True, sharey=True, squeeze=False, constrained_layout=True)
    mesh = None
    for i, r in enumerate(row_labels):
        for j, c in enumerate(col_labels):
            ax = axes[i, j]
            flow = flows[(r, c)]
            plot_gradient_heatmap(flow, ax=ax, edges=edges, colorbar=False, title=f"{r}, {col_titles.get(c, c)}")
            ax.title.set_color(init_color(c))
            ax.title.set_fontweight("bold")
            mesh = ax.collections[-1]
            if i < len(row_labels) - 1:
                ax.set_xlabel("")
            if j > 0:
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
        fig.subplots_adjust(left=0.06, right=0.98, bottom=0.13, top=0.9, wspace=0.25)
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
    right.set_yscale("log")
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
    """Histograms (density) of singular values, one per label, with the mean marked
    by a dashed vertical line. ``spectra`` maps a label to an array of singular
    values (any shape; NaNs are dropped)."""
    fig, ax = _axes(ax, figsize=(6.5, 4))
    colors = colors or {}
    values = {k: np.asarray(v, dtype=np.float64).ravel() for k, v in spectra.items()}
    values = {k: v[np.isfinite(v)] for k, v in values.items()}
    allv = np.concatenate([v for v in values.values() if v.size]) if values else np.array([1.0])
    if logx:
        positive = allv[allv > 0]
        edges = np.logspace(np.log10(positive.min()), np.log10(positive.max()), bins + 1)
        ax.set_xscale("log")
    else:
        edges = np.linspace(0, allv.max() * 1.02, bins + 1)
    for label, v in values.items():
        c = colors.get(label)
        ax.hist(v, bins=edges, density=True, histtype="stepfilled", alpha=0.35, color=c)
        ax.hist(v, bins=edges, density=True, histtype="step", linewidth=1.5, color=c,
                label=f"{label}: mean {v.mean():.2f}")
        ax.axvline(v.mean(), color=c, linestyle="--", linewidth=1.2)
    ax.set(xlabel="singular value" + (" (log scale)" if logx else ""), ylabel="density",
           title=title or "Singular values")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return fig
