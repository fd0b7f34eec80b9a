"""Figures of the gradient-checking notebook. Each takes ``ax=None`` and returns the figure.

* :func:`plot_h_sweep`: finite-difference error against the step h (log-log), with
  the truncation (h^2 or h) and round-off (eps/h) laws as dashed reference lines;
* :func:`plot_catch_table`: which check caught which planted bug, a grid coloured by
  outcome with the relative errors (from :func:`course_lib.lessons.gradient_checking.catch_table`).
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import to_rgb

__all__ = ["plot_h_sweep", "plot_catch_table", "OUTCOME_COLORS"]


def _axes(ax, **subplot_kw):
    if ax is None:
        fig, ax = plt.subplots(**subplot_kw)
        return fig, ax
    return ax.figure, ax


def plot_h_sweep(hs, errors, *, references=None, hlines=None, ax=None, title=None, ylabel="error",
                 styles=None, floor=1e-18):
    """Error of a finite difference (log scale) against the step h (log scale, large h left).

    Inputs:
      hs:          the steps, 1-D.
      errors:      {label: array like hs}; zeros are drawn at ``floor`` (a log axis has no 0).
      references:  optional {label: array like hs}, drawn as thin dashed lines (e.g. the
                   predicted truncation h^2 |f'''| / 6 and round-off eps |f| / h).
      hlines:      optional {label: (y, colour)}: horizontal lines such as tolerance bands.
      styles:      optional {label: dict of plot keywords} for any curve or reference.
    Returns: the figure (legend outside the axes, on the right).
    """
    fig, ax = _axes(ax, figsize=(9.5, 4.6))
    hs = np.asarray(hs, dtype=np.float64)
    styles = styles or {}
    for label, err in errors.items():
        err = np.maximum(np.asarray(err, dtype=np.float64), floor)
        kw = {"marker": "o", "markersize": 3, "linewidth": 1.4, **styles.get(label, {})}
        ax.plot(hs, err, label=label, **kw)
    for label, ref in (references or {}).items():
        kw = {"linestyle": "--", "linewidth": 1.0, "color": "0.45", **styles.get(label, {})}
        ax.plot(hs, ref, label=label, **kw)
    for label, (y, color) in (hlines or {}).items():
        ax.axhline(y, color=color, linewidth=1.0, label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.invert_xaxis()
    ax.set(xlabel="step h (log scale; smaller to the right)", ylabel=ylabel + " (log scale)",
           title=title or "Finite-difference error against the step h")
    ax.grid(alpha=0.3, which="major")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    return fig


#: Cell colours of :func:`plot_catch_table`, by outcome.
OUTCOME_COLORS = {
    "caught": "#c6dbef",       # light blue: the check did its job
    "missed": "#fb6a4a",       # red: a bug went through
    "passed": "#c7e9c0",       # light green: correct code passed (no false alarm)
    "false alarm": "#fdae6b",  # orange: correct code flagged
    "shape error": "#9ecae1",
}


def plot_catch_table(table, setups, *, control="(no bug)", ax=None, title=None):
    """Grid of a catch table: rows bugs, columns setups. Each cell is coloured by its
    outcome (caught or MISSED; for the ``control`` row, the correct backprop: passed or
    false alarm) and shows the worst relative error.

    Inputs: ``table`` from :func:`course_lib.lessons.gradient_checking.catch_table` and the
    ``setups`` it was run with. Returns the figure.
    """
    names = list(table)
    fig, ax = _axes(ax, figsize=(1.25 * len(setups) + 3.2, 0.4 * len(names) + 1.5))
    grid = np.ones((len(names), len(setups), 3))
    for i, name in enumerate(names):
        for j, r in enumerate(table[name]):
            if r.error:
                outcome, text = "shape error", "shape\nerror"
            elif name == control:
                outcome = "false alarm" if r.caught else "passed"
                text = f"{r.rel_error:.0e}\n{outcome}"
            else:
                outcome = "caught" if r.caught else "missed"
                text = f"{r.rel_error:.0e}\n{'caught' if r.caught else 'MISSED'}"
            grid[i, j] = to_rgb(OUTCOME_COLORS[outcome])
            ax.text(j, i, text, ha="center", va="center", fontsize=7,
                    fontweight="bold" if outcome in ("missed", "false alarm") else "normal")
    ax.imshow(grid, aspect="auto")
    ax.set_xticks(range(len(setups)), [f"{s.name}\n(tol {s.tol:.0e})" for s in setups], fontsize=8)
    ax.set_yticks(range(len(names)), names, fontsize=8)
    ax.set_xticks(np.arange(len(setups) + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(len(names) + 1) - 0.5, minor=True)
    ax.grid(which="minor", color="white", linewidth=1.5)
    ax.tick_params(which="minor", length=0)
    ax.xaxis.tick_top()
    ax.set_title(title or "Which check catches which planted bug (worst relative error; red: missed)", pad=12)
    fig.tight_layout()
    return fig
