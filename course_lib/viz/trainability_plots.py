"""Figures of notebooks 06 and 07: loss curves against the chance level, the
trainability phase diagram and the signal-propagation map. Each function takes
``ax=None`` (or ``axes=None``) and returns the figure."""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import TwoSlopeNorm
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from .plotting import _axes
from ..diagnostics.mean_field import critical_gain

__all__ = ["plot_loss_curves", "plot_trainability_map", "plot_signal_map"]


def plot_loss_curves(curves, chance=None, colors=None, ax=None, title=None, xlabel="epoch", ylabel="training loss",
                     styles=None, ylim=None, bands=None):
    """Loss curves (dict label -> values, or -> (x, values)) with a dotted line at
    the chance loss ``chance`` (ln K for a uniform guess over K classes).

    ``styles``: optional dict label -> extra line properties (e.g. a wider line for a
    curve that another one hides); ``ylim``: (bottom, top), default (0, auto). Parts
    of a curve above ``top`` are clipped, and its legend entry says where it started.
    ``bands``: optional dict label -> (low, high), shaded in the curve's colour
    around it (e.g. the range over seeds of which the curve is the median)."""
    fig, ax = _axes(ax, figsize=(6, 3.6))
    colors, styles, bands = colors or {}, styles or {}, bands or {}
    top = None if ylim is None else ylim[1]
    for label, c in curves.items():
        x, v = c if isinstance(c, tuple) else (np.arange(1, len(c) + 1), c)
        v = np.asarray(v, dtype=np.float64)
        text = label if top is None or not v[0] > top else f"{label} (starts at {v[0]:.3g}, off the top)"
        (line,) = ax.plot(x, v, **{"color": colors.get(label), "label": text, "linewidth": 2, **styles.get(label, {})})
        if label in bands:
            low, high = (np.asarray(b, dtype=np.float64) for b in bands[label])
            ax.fill_between(x, low, high, color=line.get_color(), alpha=0.2, linewidth=0)
    if chance is not None:
        ax.axhline(chance, color="k", linestyle=":", linewidth=1.2, label=f"chance: ln {round(math.exp(chance))} = {chance:.3f}")
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title or "Training loss")
    ax.set_ylim(*(ylim or (0, None)))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def _log_edges(values):
    """Cell edges around log-spaced centres (geometric midpoints)."""
    v = np.log(np.asarray(values, dtype=np.float64))
    mid = 0.5 * (v[1:] + v[:-1])
    first, last = v[0] - (mid[0] - v[0]), v[-1] + (v[-1] - mid[-1])
    return np.exp(np.concatenate([[first], mid, [last]]))


def _axes_row(axes, n, figsize):
    if axes is None:
        fig, axes = plt.subplots(1, n, figsize=figsize, sharey=True, squeeze=False, layout="constrained")
        return fig, list(axes[0])
    axes = list(np.atleast_1d(axes))
    if len(axes) != n:
        raise ValueError(f"axes must hold {n} axes (one per activation), got {len(axes)}")
    return axes[0].figure, axes


def _critical_line(ax, name, width):
    """The critical std as a dashed line; returns a title naming it."""
    std = critical_gain(name) / math.sqrt(width)
    formula = {"tanh": "1/\\sqrt{n}", "relu": "\\sqrt{2/n}"}.get(name, f"{critical_gain(name):.2f}/\\sqrt{{n}}")
    ax.axvline(std, color="w", linewidth=2.5)
    ax.axvline(std, color="k", linewidth=1.2, linestyle="--")
    return f"{name}: critical std ${formula}$ = {std:.3g}"


def _legend_below(fig, extra=()):
    handles = [Line2D([], [], color="k", linestyle="--", label="mean-field critical std $g_c/\\sqrt{n}$"), *extra]
    fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), fontsize=9, frameon=False)


def plot_trainability_map(tmap, axes=None, vmax=1.0, title=None):
    """One panel per activation: depth (rows) x hidden-weight std (log x axis),
    coloured by the median over seeds of final training loss / chance loss
    (yellow: at or above chance); black cells diverged (in most seeds).
    The dashed line is the mean-field critical std g_c / sqrt(width)."""
    A = len(tmap.activations)
    fig, axes = _axes_row(axes, A, (4.2 * A + 0.8, 3.9))
    cmap = plt.get_cmap("viridis").with_extremes(bad="black", over="#fde725")
    x_edges = _log_edges(tmap.stds)
    y_edges = np.arange(len(tmap.depths) + 1) - 0.5
    rel = tmap.loss / tmap.chance  # median over seeds; NaN (most seeds diverged) is drawn black
    for a, (ax, name) in enumerate(zip(axes, tmap.activations)):
        mesh = ax.pcolormesh(x_edges, y_edges, np.ma.masked_invalid(rel[a]), cmap=cmap, vmin=0, vmax=vmax,
                             shading="flat")
        panel_title = _critical_line(ax, name, tmap.width)
        ax.set_xscale("log")
        ax.set_yticks(np.arange(len(tmap.depths)), [str(d) for d in tmap.depths])
        ax.set(xlabel=f"std of hidden weights (width n = {tmap.width})")
        ax.set_title(panel_title, fontsize=10)
    axes[0].set_ylabel("hidden layers (depth)")
    _legend_below(fig, [Patch(color="black", label="diverged (inf/NaN)")])
    bar = fig.colorbar(mesh, ax=axes, shrink=0.9, extend="max")
    bar.set_label("final loss / chance loss")
    b = tmap.budget
    seeds = f", median of {tmap.seeds} seeds" if tmap.seeds > 1 else ""
    fig.suptitle(title or (f"Trainability after {b.get('steps')} SGD steps (batch {b.get('batch_size')}, "
                           f"eta {b.get('eta')}{seeds}): dark = trained, yellow = at or above chance"), fontsize=11)
    return fig


def plot_signal_map(smap, axes=None, limit=6.0, contours=(-3, -1, 1, 3), title=None):
    """One panel per activation: log10 (error size in the first hidden layer / in
    the last), at initialization. Blue: gradients vanish on the way back; red: they
    explode. Thin lines: the same quantity predicted by mean field,
    (depth - 1)/2 log10 chi_1, at the levels ``contours``."""
    A = len(smap.activations)
    fig, axes = _axes_row(axes, A, (4.2 * A + 0.8, 3.9))
    norm = TwoSlopeNorm(vmin=-limit, vcenter=0.0, vmax=limit)
    cmap = plt.get_cmap("RdBu_r").with_extremes(bad="#999999")
    pred = smap.predicted_log10_gradient_ratio()
    x_edges = _log_edges(smap.stds)
    for a, (ax, name) in enumerate(zip(axes, smap.activations)):
        mesh = ax.pcolormesh(x_edges, _lin_edges(smap.depths), np.clip(smap.log10_gradient_ratio[a], -limit, limit),
                             cmap=cmap, norm=norm, shading="flat")
        cs = ax.contour(smap.stds, smap.depths, pred[a], levels=list(contours), colors="k", linewidths=0.8,
                        linestyles="solid")
        ax.clabel(cs, fmt=lambda v: f"{v:+g}", fontsize=7)
        panel_title = _critical_line(ax, name, smap.width)
        ax.set_xscale("log")
        ax.set(xlabel=f"std of hidden weights (width n = {smap.width})")
        ax.set_title(panel_title, fontsize=10)
    axes[0].set_ylabel("hidden layers (depth)")
    _legend_below(fig, [Line2D([], [], color="k", linewidth=0.8,
                               label="predicted log10 ratio $\\frac{L-1}{2}\\log_{10}\\chi_1$ (labelled levels)")])
    bar = fig.colorbar(mesh, ax=axes, shrink=0.9, extend="both")
    bar.set_label("log10 (error in first hidden layer / in last)")
    fig.suptitle(title or "Gradient propagation at initialization (colour: measured; lines: mean-field prediction)",
                 fontsize=11)
    return fig


def _lin_edges(values):
    v = np.asarray(values, dtype=np.float64)
    mid = 0.5 * (v[1:] + v[:-1])
    return np.concatenate([[v[0] - (mid[0] - v[0])], mid, [v[-1] + (v[-1] - mid[-1])]])
