"""Notebook 12's figures: what batch norm and residual connections change, and what init still decides.

They draw what :mod:`course_lib.lessons.normalization` returns.
"""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np

from ..lessons.normalization import ARCH_LABELS, grid_medians

__all__ = ["ARCH_COLORS", "plot_layer_profiles", "plot_grid"]

ARCH_COLORS = {"plain": "#444444", "bn": "#1f77b4", "res": "#2ca02c", "res0": "#9467bd", "bn_res": "#d62728"}


def plot_layer_profiles(profiles, axes=None, title=None):
    """Two panels per layer l = 0..D at initialization: std of h_l, and ||dC/dW_l||, one line per architecture."""
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
    else:
        fig = axes[0].figure
    for arch, p in profiles.items():
        layers = np.arange(len(p.h_std))
        style = dict(color=ARCH_COLORS.get(arch), lw=2, label=ARCH_LABELS.get(arch, arch))
        axes[0].plot(layers, p.h_std, **style)
        axes[1].plot(layers, p.grad_norm, **style)
    axes[0].set(yscale="log", xlabel="layer l", ylabel="std of h_l", title="forward: the signal at each layer")
    axes[1].set(yscale="log", xlabel="layer l", ylabel="||dC/dW_l||", title="backward: each layer's weight gradient")
    for ax in axes:
        ax.grid(alpha=0.3, which="both")
    axes[1].legend(fontsize=9)
    if title:
        fig.suptitle(title)
    return fig


def plot_grid(results, ax=None, chance=math.log(3)):
    """Median final training loss over seeds, architectures x initializations, as a coloured table.

    Green: trained (well below chance); grey: stuck near the chance loss ln 3;
    black: diverged (the loss became inf/NaN). Returns the figure.
    """
    medians = grid_medians(results)
    archs = list(dict.fromkeys(a for a, _ in medians))
    inits = list(dict.fromkeys(i for _, i in medians))
    if ax is None:
        fig, ax = plt.subplots(figsize=(8, 0.55 * len(archs) + 1.6), layout="constrained")
    else:
        fig = ax.figure
    values = np.array([[medians[(a, i)] for i in inits] for a in archs])
    shown = np.where(np.isfinite(values), np.minimum(values, 2 * chance), 2 * chance)
    ax.imshow(shown, cmap="RdYlGn_r", vmin=0, vmax=2 * chance, aspect="auto")
    for r, a in enumerate(archs):
        for c, i in enumerate(inits):
            v = values[r, c]
            text = "diverged" if not np.isfinite(v) else f"{v:.2f}"
            ax.text(c, r, text, ha="center", va="center", fontsize=10,
                    color="white" if (not np.isfinite(v) or v > 1.5 * chance) else "black")
    ax.set_xticks(range(len(inits)), inits)
    ax.set_yticks(range(len(archs)), [ARCH_LABELS.get(a, a) for a in archs])
    s = results["setup"]
    ax.set_title(f"final training loss, median of {len(results['seeds'])} seeds "
                 f"(depth {s['depth']}, width {s['width']}, {s['activation']}, {s['epochs']} epochs; chance {chance:.2f})",
                 fontsize=10)
    return fig
