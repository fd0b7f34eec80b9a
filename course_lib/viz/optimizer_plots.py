"""Notebook 11's figures: training curves over seeds and the size of a first step.

Each takes ``ax=None`` (or ``axes``) and returns the figure; they draw what
:mod:`course_lib.lessons.optimizers` returns. The per-layer std through depth under
dropout is drawn by :func:`course_lib.viz.plotting.plot_std_vs_depth`.
"""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np

from .plotting import _axes

__all__ = ["OPTIMIZER_COLORS", "plot_runs", "plot_first_steps", "plot_runs_grid"]

#: One colour per optimizer in notebook 11 (initializers keep their course colours elsewhere).
OPTIMIZER_COLORS = {"sgd": "#1f77b4", "momentum": "#17becf", "nesterov": "#8c564b", "rmsprop": "#bcbd22",
                    "adam": "#d62728"}


def plot_runs(runs_by_label, chance=None, colors=None, ax=None, title=None, ylim=None, logy=False):
    """Median training loss over seeds (line) and the min-max range (band), per label.

    ``runs_by_label`` maps a label to a list of :class:`~course_lib.lessons.optimizers.Run`
    (or of loss curves), all of the same length: loss before training, then per epoch.
    ``logy``: a log loss axis (for runs whose losses span decades, e.g. saturated nets).
    """
    fig, ax = _axes(ax, figsize=(6, 3.6))
    colors = colors or {}
    top = None if ylim is None else ylim[1]
    for label, runs in runs_by_label.items():
        curves = np.array([getattr(r, "curve", r) for r in runs], dtype=np.float64)
        epochs = np.arange(curves.shape[1])
        median = np.median(curves, axis=0)
        if top is not None:
            curves = np.minimum(curves, top)
        color = colors.get(label)
        line, = ax.plot(epochs, np.minimum(median, top) if top is not None else median, color=color, linewidth=2,
                        label=f"{label} (median of {len(curves)})")
        ax.fill_between(epochs, curves.min(axis=0), curves.max(axis=0), color=line.get_color(), alpha=0.18,
                        linewidth=0)
    if chance is not None:
        ax.axhline(chance, color="k", linestyle=":", linewidth=1.2,
                   label=f"chance: ln {round(math.exp(chance))} = {chance:.3f}")
    ax.set(xlabel="epoch", ylabel="training loss" + (" (log scale)" if logy else ""),
           title=title or "Training loss over seeds")
    if logy:
        ax.set_yscale("log")
        if ylim is not None:
            ax.set_ylim(*ylim)
    else:
        ax.set_ylim(*(ylim or (0, None)))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def plot_runs_grid(panels, chance=None, colors=None, ylim=None, logy=False, ncols=2, figsize=None):
    """One :func:`plot_runs` panel per entry of ``panels`` (title -> runs_by_label), ``ncols``
    panels a row, all with the same loss axis (``ylim``, ``logy``) so they compare at a glance."""
    nrows = -(-len(panels) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=figsize or (5 * ncols, 3.4 * nrows), layout="constrained",
                             squeeze=False, sharey=True)
    axes = axes.ravel()
    for ax, (title, runs_by_label) in zip(axes, panels.items()):
        plot_runs(runs_by_label, chance=chance, colors=colors, ax=ax, title=title, ylim=ylim, logy=logy)
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    return fig


def plot_first_steps(sizes_by_label, styles=None, ax=None, title=None):
    """Median |change of W_l| / eta after one step, per layer (log scale).

    ``sizes_by_label`` maps a label to an array (layer 1 first), as
    :func:`~course_lib.lessons.optimizers.first_step_sizes` returns per optimizer."""
    fig, ax = _axes(ax, figsize=(6, 3.6))
    styles = styles or {}
    for label, sizes in sizes_by_label.items():
        sizes = np.asarray(sizes, dtype=np.float64)
        layers = np.arange(1, len(sizes) + 1)
        ax.plot(layers, sizes, label=label, **{"marker": "o", "linewidth": 1.8, "markersize": 5, **styles.get(label, {})})
    ax.axhline(1.0, color="k", linestyle=":", linewidth=1, label="one learning rate")
    ax.set_yscale("log")
    ax.set(xlabel="weight layer", ylabel="median |step| / eta (log)", title=title or "How far one step moves W")
    ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    return fig
