"""Figure helpers shared by the notebooks. Each takes ``ax=None`` and returns the figure.

Colours are fixed per initializer across the whole course, so "He" is the same
colour in every notebook: use :func:`init_color`.
"""
from __future__ import annotations

import matplotlib.pyplot as plt

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
