"""Notebook 10's figures: weight scales per epoch under L2 decay, old vs new initialization.

They draw what :mod:`course_lib.lessons.weight_decay` measures.
"""
from __future__ import annotations

import numpy as np

from ..lessons.weight_decay import decay_factor_per_epoch, equilibrium_scale, select_scale_runs
from .plotting import _axes, init_color

__all__ = ["plot_weight_scales"]

_SCHEME_INIT = {"old": "nielsen_large", "new": "nielsen_default"}
_LAMBDA_STYLE = {True: dict(ls="-", lw=2), False: dict(ls="--", lw=1.5)}


def plot_weight_scales(results, layer=0, *, configs=(("old", 5.0), ("old", 0.0), ("new", 5.0), ("new", 0.0)),
                       ax=None, title=None, legend=True):
    """RMS of weight matrix ``layer`` (0 = W1) after each epoch: median and range over seeds.

    Beside the measurements: Nielsen's pure-decay prediction exp(-eta lambda / m)^e
    started from the old runs' initial scale (dotted), the new initialization's
    scale 1/sqrt(n_in) and his tail-off level 1/sqrt(n_w) (grey lines).
    ``legend=False`` leaves the legend out (for a second panel). Returns the figure.
    """
    fig, ax = _axes(ax, figsize=(7.5, 4.5))
    first = None
    for scheme, lmbda in configs:
        runs = select_scale_runs(results, scheme, lmbda)
        if not runs:
            continue
        first = first or runs[0]
        rms = np.array([r.rms[:, layer] for r in runs])
        epochs = np.arange(rms.shape[1])
        color = init_color(_SCHEME_INIT[scheme])
        ax.fill_between(epochs, rms.min(axis=0), rms.max(axis=0), color=color, alpha=0.2, lw=0)
        ax.plot(epochs, np.median(rms, axis=0), color=color, **_LAMBDA_STYLE[lmbda > 0],
                label=f"{scheme} init, lambda {lmbda:g}: median of {len(runs)} seeds")
    if first is None:
        raise ValueError("results hold none of the configs asked for")
    old5 = select_scale_runs(results, "old", 5.0)
    if old5:
        start = np.median([r.rms[0, layer] for r in old5])
        epochs = np.arange(old5[0].epochs + 1)
        factor = decay_factor_per_epoch(first.eta, 5.0, first.batch_size)
        ax.plot(epochs, start * factor ** epochs, color="k", ls=":", lw=1.5,
                label=f"pure decay: exp(-eta lambda/m)^epoch = {factor:.3f}^epoch")
    n_in = first.sizes[layer]
    for level, text in ((1 / np.sqrt(n_in), f"1/sqrt(n_in) = {1 / np.sqrt(n_in):.3f} (new init)"),
                        (equilibrium_scale(first.sizes), f"1/sqrt(n_w) = {equilibrium_scale(first.sizes):.4f}")):
        ax.axhline(level, color="0.5", lw=1)
        ax.text(0.3, level * 1.08, text, fontsize=8, color="0.3")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel(f"RMS of W{layer + 1} entries")
    ax.set_title(title or f"W{layer + 1} ({first.sizes[layer + 1]} x {n_in}): weight scale while training")
    if legend:
        ax.legend(fontsize=8, loc="lower right", framealpha=0.95)
    ax.grid(alpha=0.3, which="both")
    return fig
