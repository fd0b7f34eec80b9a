"""Notebook 04's figures: Nielsen's old vs new initialization on MNIST.

They draw what :mod:`course_lib.lessons.mnist_old_vs_new` returns: the saved
reproduction (:func:`plot_reproduction`, :func:`plot_bias_ablation`) and the first
hidden layer's pre-activations at initialization (:func:`plot_hidden_z`).
"""
from __future__ import annotations

import numpy as np

from ..lessons.mnist_old_vs_new import SCHEME_LABELS, SCHEMES, _as_hidden, summarize
from .plotting import init_color

__all__ = ["plot_reproduction", "plot_bias_ablation", "plot_hidden_z"]


def _scheme_color(scheme):
    return init_color(SCHEMES[scheme][0])


def plot_reproduction(results, hidden, *, reference=None, live=(), schemes=("old", "new"),
                      first_epoch=1, ylim=None, ax=None):
    """Validation accuracy per epoch: our seeds' range (band) and mean, the published curve.

    Inputs:
      results:    from :func:`load_results` / :func:`reproduce`.
      hidden:     the hidden width to show (30 or 100).
      reference:  optional {scheme: correct counts for epochs 1..E (out of 10,000)},
                  the published run, drawn as dotted lines with markers.
      live:       optional RunResults (e.g. run in the notebook) drawn as thin lines.
      first_epoch: first epoch on the x axis (1 hides the untrained network's 10%).
    Returns the figure.
    """
    from .plotting import _axes

    fig, ax = _axes(ax, figsize=(7.5, 4.5))
    for scheme in schemes:
        color = _scheme_color(scheme)
        s = summarize(results, hidden, scheme)
        e = s.epochs[first_epoch:]
        ax.fill_between(e, s.low[first_epoch:], s.high[first_epoch:], color=color, alpha=0.2, lw=0)
        ax.plot(e, s.mean[first_epoch:], color=color, lw=2,
                label=f"{SCHEME_LABELS[scheme]}: ours, mean and range of {s.n_seeds} seeds")
        if reference is not None and scheme in reference:
            ref = 100.0 * np.asarray(reference[scheme], dtype=float) / 10000
            ax.plot(np.arange(1, len(ref) + 1), ref, ls=":", marker="o", ms=3, color=color, alpha=0.9,
                    label=f"{scheme}: Nielsen (published)")
    for run in live:
        acc = run.accuracy_percent
        ax.plot(np.arange(first_epoch, len(acc)), acc[first_epoch:], color=_scheme_color(run.scheme),
                lw=1, ls="--", label=f"{run.scheme}: live run in this notebook (seed {run.seed})")
    width = "-".join(str(h) for h in _as_hidden(hidden))
    _finish_accuracy_axes(ax, f"[784, {width}, 10] sigmoid, cross-entropy: old vs new initialization", ylim)
    return fig


def plot_hidden_z(networks, X, *, bins=160, ax=None):
    """Histogram of the first hidden layer's pre-activations z = x W^T + b at initialization.

    ``networks`` maps a scheme name to a network (e.g. from :func:`nielsen_network`);
    the shaded band marks |z| > 4.6, where a sigmoid unit is saturated
    (sigma'(z) < 0.01, a 25th of its peak 1/4). Returns the figure.
    """
    from .plotting import _axes

    fig, ax = _axes(ax, figsize=(7.5, 4))
    zs = {scheme: (np.asarray(X) @ net.weights[0].T + net.biases[0]).ravel() for scheme, net in networks.items()}
    limit = max(float(np.percentile(np.abs(z), 99.5)) for z in zs.values())
    edges = np.linspace(-limit, limit, bins + 1)
    for scheme, z in zs.items():
        ax.hist(z, bins=edges, density=True, alpha=0.55, color=_scheme_color(scheme),
                label=f"{SCHEME_LABELS[scheme]}: std of z {z.std():.2f}")
    for side in (-1, 1):
        ax.axvspan(side * 4.6, side * limit, color="0.85", zorder=0)
    ax.text(0.99, 0.95, "grey: |z| > 4.6,\nsigma'(z) < 0.01", transform=ax.transAxes, ha="right", va="top", fontsize=8)
    ax.set_title("first hidden layer at initialization: pre-activations z on MNIST images")
    ax.set_xlabel("z = w . x + b")
    ax.set_ylabel("density")
    ax.set_yscale("log")
    ax.legend(fontsize=8, loc="upper left")
    return fig


def plot_bias_ablation(results, hidden=30, *, schemes=("old", "old_zero_bias", "new", "new_zero_bias"),
                       first_epoch=1, ylim=None, ax=None):
    """Mean validation accuracy (and seed range) with N(0,1) biases (solid) vs zero biases (dashed)."""
    from .plotting import _axes

    fig, ax = _axes(ax, figsize=(7.5, 4.5))
    for scheme in schemes:
        s = summarize(results, hidden, scheme)
        color = _scheme_color(scheme)
        ls = "--" if scheme.endswith("zero_bias") else "-"
        e = s.epochs[first_epoch:]
        ax.fill_between(e, s.low[first_epoch:], s.high[first_epoch:], color=color, alpha=0.12, lw=0)
        ax.plot(e, s.mean[first_epoch:], color=color, ls=ls, lw=2,
                label=f"{SCHEME_LABELS[scheme]} ({s.n_seeds} seeds)")
    width = "-".join(str(h) for h in _as_hidden(hidden))
    _finish_accuracy_axes(ax, f"[784, {width}, 10]: does starting the biases at 0 change anything?", ylim)
    return fig


def _finish_accuracy_axes(ax, title, ylim):
    """Title, labels, limits, grid and legend of a validation-accuracy-per-epoch plot."""
    ax.set_title(title)
    ax.set_xlabel("epoch")
    ax.set_ylabel("validation accuracy (%)")
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
