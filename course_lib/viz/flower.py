"""Figures of notebook 08 (the flower experiment). Each takes its data, draws, returns the figure.

The data come from :mod:`course_lib.lessons.flower`; nothing here trains or draws random numbers.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

__all__ = ["plot_flower", "plot_search", "plot_reproduction", "plot_scaling", "plot_escape"]

CLASS_COLORS = ("#d62728", "#1f77b4")            # red class 0, blue class 1, as in the lab
INIT_COLORS = {"std 0.01": "#e6550d", "1/sqrt(n_in)": "#3182bd"}


def _axes(ax, figsize, ncols=1):
    if ax is not None:
        return ax.figure, ax
    fig, axes = plt.subplots(1, ncols, figsize=figsize, layout="constrained")
    return fig, axes


def plot_flower(X, y, ax=None, title="The flower: 2 classes x 200 points"):
    """The two classes as red and blue points, on equal axes."""
    fig, ax = _axes(ax, (4.6, 4.4))
    for label, color in enumerate(CLASS_COLORS):
        pts = X[y == label]
        ax.scatter(pts[:, 0], pts[:, 1], s=12, color=color, label=f"class {label}", edgecolors="none")
    ax.set_aspect("equal")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_title(title)
    ax.legend(loc="upper right", fontsize=9)
    return fig


def plot_search(times, deviations, labels, tolerances, marks=None, axes=None, title=None):
    """Deviation from the published losses against the training time per printout eta * every.

    ``times[name][j]`` and ``deviations[name][j]`` are one curve (a width and a learning
    rate) for initialization ``name``, labelled ``labels[name][j]``; ``tolerances[name]``
    is drawn as a dotted line, and each ``marks[label] = T`` as a vertical grey line in
    every panel (e.g. each run's best T). One panel per initialization, log-log.
    """
    names = list(times)
    if axes is None:
        fig, axes = plt.subplots(1, len(names), figsize=(10.5, 3.9), layout="constrained", sharex=True)
    else:
        fig = np.atleast_1d(axes)[0].figure
    for ax, name in zip(np.atleast_1d(axes), names):
        for t, d, label in zip(times[name], deviations[name], labels[name]):
            ax.loglog(t, d, label=label, linewidth=1.4)
        ax.axhline(tolerances[name], color="k", linestyle=":", linewidth=1, label="tolerance")
        for (label, t), style in zip((marks or {}).items(), ("--", "-.")):
            ax.axvline(t, color="0.45", linestyle=style, linewidth=1, label=label)
        ax.set_xlabel(r"training time per printout, $\eta \cdot$ every")
        ax.set_ylabel("max |median - published|")
        ax.set_title(f"init {name}")
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    return fig


def plot_reproduction(published, runs, axes=None, title=None):
    """The published ten losses against the seeds' runs, one panel per initialization.

    ``runs[name]`` is (label, printed) with printed of shape (seeds, 10): the median
    is drawn as a line, the range over seeds as a band, the published values as dots.
    """
    names = list(published)
    if axes is None:
        fig, axes = plt.subplots(1, len(names), figsize=(10.5, 3.9), layout="constrained")
    else:
        fig = np.atleast_1d(axes)[0].figure
    for ax, name in zip(np.atleast_1d(axes), names):
        i = np.arange(len(published[name]))
        label, printed = runs[name]
        color = INIT_COLORS.get(name, "C0")
        ax.fill_between(i, printed.min(axis=0), printed.max(axis=0), color=color, alpha=0.25,
                        label=f"range over {len(printed)} seeds")
        ax.plot(i, np.median(printed, axis=0), color=color, label=f"median, {label}")
        ax.plot(i, published[name], "ko", markersize=4, label="published")
        ax.set_xlabel("printout (every steps)")
        ax.set_ylabel("training loss")
        ax.set_title(f"init {name}")
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    return fig


def plot_scaling(stds, scaling, ax=None, title="At initialization: output and gradients against the weight std"):
    """log-log: std of the output z (solid) and ||dC/dW_1|| (dashed) against the std, per depth.

    ``scaling[depth] = (z, grads)`` from :func:`course_lib.lessons.flower.gradient_scaling`.
    """
    fig, ax = _axes(ax, (6.4, 4.4))
    colors = ("#fdae6b", "#e6550d", "#7f2704")
    for color, (depth, (z, grads)) in zip(colors, scaling.items()):
        ax.loglog(stds, z, "-o", color=color, markersize=3, label=f"{depth} hidden: std of output z")
        ax.loglog(stds, grads[:, 0], "--s", color=color, markersize=3, label=f"{depth} hidden: $||dC/dW_1||$")
    ax.set_xlabel("weight std")
    ax.set_ylabel("size at initialization")
    ax.set_title(title)
    ax.legend(fontsize=8)
    return fig


def plot_escape(measured, predicted=None, title="Steps to leave the plateau"):
    """Escape steps against the std: left, the series with a prediction on a linear step axis
    (a logarithmic law is a straight line there); right, every series on log-log axes
    (a power law is a straight line there).

    ``measured[label] = (stds, steps)`` with steps of shape (len(stds), seeds): the median
    over seeds is drawn with markers and the range as a band; ``predicted[label] = (stds,
    steps)`` is drawn dashed.
    """
    predicted = predicted or {}
    fig, (ax_lin, ax_log) = plt.subplots(1, 2, figsize=(10.5, 4.0), layout="constrained")
    colors = ("#e6550d", "#7f2704", "#3182bd")
    for color, (label, (stds, steps)) in zip(colors, measured.items()):
        steps = np.asarray(steps, dtype=float)
        axes = (ax_lin, ax_log) if label in predicted else (ax_log,)
        for ax in axes:
            ax.fill_between(stds, np.nanmin(steps, axis=1), np.nanmax(steps, axis=1), color=color, alpha=0.2)
            ax.plot(stds, np.nanmedian(steps, axis=1), "o-", color=color, markersize=4,
                    label=f"{label} (median, range over {steps.shape[1]} seeds)")
    for label, (stds, steps) in predicted.items():
        ax_lin.plot(stds, steps, "k--", linewidth=1, label=f"{label}: ln(1/std) / ln(1 + eta |c|) + const")
    for ax, scale in ((ax_lin, "linear"), (ax_log, "log")):
        ax.set_xscale("log")
        ax.set_yscale(scale)
        ax.set_xlabel("weight std (log scale)")
        ax.set_ylabel(f"steps until the loss is 0.01 below ln 2 ({scale} scale)")
        ax.legend(fontsize=8)
    ax_lin.set_title("one hidden layer: a logarithm of the std")
    ax_log.set_title("two hidden layers: a power of the std")
    fig.suptitle(title)
    return fig
