"""Figures of notebook 09 (the data come from course_lib.lessons.beyond_fan_in).

Each function takes the experiment's data and returns a matplotlib Figure; none of
them computes anything but what it draws. Widths stay within 11 inches so that
ticks and legends stay readable in a 1280 px browser window.
"""
from __future__ import annotations

import numpy as np
import matplotlib.pyplot as plt

__all__ = ["plot_tanh_gains", "plot_leaky_relu_growth", "plot_distributions", "plot_gradient_signs",
           "plot_kaiming_mistake", "plot_small_sigmoid", "plot_softsign_derivatives"]

_GAIN_COLORS = ("#1f77b4", "#2ca02c", "#d62728", "#9467bd")


def plot_tanh_gains(labels, z_std, predicted, depths, growth, predicted_growth):
    """(a) std of z_l through depth for each tanh gain: mean over draws (dots), the
    range over draws (band) and variance propagation (dashed); (b) log10 of the
    backward error's growth from the last to the first hidden layer against depth,
    measured (dots, range over draws) and mean field's (depth - 1)/2 log10 chi_1 (lines)."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10.5, 3.9))
    layers = np.arange(1, z_std[0].shape[1] + 1)
    for k, (label, m, p) in enumerate(zip(labels, z_std, predicted)):
        c = _GAIN_COLORS[k]
        ax1.fill_between(layers, m.min(axis=0), m.max(axis=0), color=c, alpha=0.2, lw=0)
        ax1.plot(layers, m.mean(axis=0), "o", ms=3, color=c, label=label)
        ax1.plot(layers, p, "--", color=c, lw=1)
    ax1.set(xlabel="layer l", ylabel="std of z_l", title="forward: std of the pre-activations", ylim=(0, None))
    ax1.legend(fontsize=8, frameon=False)
    for k, label in enumerate(labels):
        c = _GAIN_COLORS[k]
        m = growth[:, :, k]
        ax2.errorbar(depths, m.mean(axis=0), yerr=[m.mean(axis=0) - m.min(axis=0), m.max(axis=0) - m.mean(axis=0)],
                     fmt="o", ms=4, color=c, capsize=2, label=label)
        ax2.plot(depths, predicted_growth[:, k], "-", color=c, lw=1)
    ax2.axhline(0, color="0.6", lw=0.8)
    ax2.set(xlabel="hidden layers", ylabel="log10 ||delta_1|| / ||delta_L||",
            title="backward: growth of the error (lines: mean field)")
    fig.tight_layout()
    return fig


def plot_leaky_relu_growth(result):
    """std(z_last) / std(z_1) against the leaky ReLU's slope, He's gain sqrt 2 (red)
    and the slope's own gain sqrt(2/(1+a^2)) (green): each draw (dots), the geometric
    mean (line), He's prediction (1 + a^2)^((L-1)/2) (dashed)."""
    fig, ax = plt.subplots(figsize=(6.2, 3.8))
    slopes = result["slopes"]
    for key, color, label in (("he", "#d62728", "He: gain sqrt 2"),
                              ("matched", "#2ca02c", "gain sqrt(2 / (1 + a^2))")):
        r = result[key]
        for row in r:
            ax.plot(slopes, row, "o", ms=3, color=color, alpha=0.45)
        ax.plot(slopes, np.exp(np.log(r).mean(axis=0)), "-", color=color, label=label)
    ax.plot(slopes, result["predicted_he"], "--", color="k", lw=1, label="(1 + a^2)^((L-1)/2)")
    ax.set_yscale("log")
    ax.set(xlabel="negative slope a", ylabel="std(z_L) / std(z_1)", title="leaky ReLU, 20 layers of 128")
    ax.legend(fontsize=8, frameon=False)
    fig.tight_layout()
    return fig


def plot_distributions(samples, profiles, accuracies):
    """(a) histograms of unit-variance normal, uniform and truncated-normal weights;
    (b) std of a_l through depth for each (tanh, mean over draws); (c) validation
    accuracy of each seed after the same training."""
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.6))
    colors = dict(zip(samples, ("#1f77b4", "#ff7f0e", "#2ca02c")))
    bins = np.linspace(-4.5, 4.5, 91)
    for name, w in samples.items():
        axes[0].hist(w.ravel(), bins=bins, density=True, histtype="step", lw=1.4, color=colors[name], label=name)
    axes[0].set_yscale("log")
    axes[0].set(xlabel="w / std", ylabel="density (log)", title="the draws: same variance")
    axes[0].legend(fontsize=7, frameon=False, loc="lower center")
    for name, p in profiles.items():
        layers = np.arange(1, p.shape[1] + 1)
        axes[1].plot(layers, p.mean(axis=0), "o-", ms=3, color=colors[name], label=name)
    axes[1].set(xlabel="layer", ylabel="std of a_l", title="tanh, 10 layers: the signal", ylim=(0, None))
    for k, (name, acc) in enumerate(accuracies.items()):
        axes[2].plot(np.full(len(acc), k), 100 * acc, "o", color=colors[name], alpha=0.7)
        axes[2].plot([k - 0.25, k + 0.25], [100 * acc.mean()] * 2, "-", color=colors[name])
    axes[2].set_xticks(range(len(accuracies)))
    axes[2].set_xticklabels([n.replace("lecun_", "").replace("_", "\n") for n in accuracies], fontsize=8)
    axes[2].set(ylabel="validation accuracy (%)", title="training: one dot per seed")
    fig.tight_layout()
    return fig


def plot_gradient_signs(batch_sizes, panels):
    """Share of single-signed rows of dC/dW against the batch size, one panel per
    setting ({title: {label: fractions}})."""
    fig, axes = plt.subplots(1, len(panels), figsize=(4.0 * len(panels), 3.5), squeeze=False)
    colors = {"sigmoid": "#1f77b4", "relu": "#d62728", "tanh": "#2ca02c", "raw pixels": "#ff7f0e",
              "centred pixels": "#9467bd"}
    for ax, (title, series) in zip(axes[0], panels.items()):
        for label, frac in series.items():
            ax.plot(batch_sizes, 100 * np.asarray(frac), "o-", color=colors.get(label), label=label)
        ax.set_xscale("log")
        ax.set(xlabel="examples in the minibatch", ylabel="single-signed rows (%)", title=title, ylim=(-5, 105))
        ax.legend(fontsize=8, frameon=False)
    fig.tight_layout()
    return fig


def plot_kaiming_mistake(profile, n):
    """std of z_l through ReLU layers for W = randn * sqrt(2/n) and W = randn / sqrt(2/n)."""
    fig, ax = plt.subplots(figsize=(6.0, 3.6))
    layers = np.arange(1, profile["multiply"].shape[1] + 1)
    ax.plot(layers, profile["multiply"].mean(axis=0), "o-", color="#2ca02c", label="randn * sqrt(2/n)  (He)")
    ax.plot(layers, profile["divide"].mean(axis=0), "o-", color="#d62728", label="randn / sqrt(2/n)  (the bug)")
    ax.plot(layers, profile["divide"].mean(axis=0)[0] * (n / 2) ** (layers - 1), "--", color="k", lw=1,
            label=f"x n/2 = {n // 2} per layer")
    ax.set_yscale("log")
    ax.set(xlabel="ReLU layer", ylabel="std of z_l", title=f"He's std, multiplied or divided (n = {n})")
    ax.legend(fontsize=8, frameon=False)
    fig.tight_layout()
    return fig


def plot_small_sigmoid(activations):
    """Histograms of sigmoid activations (all layers pooled) for each weight std:
    ({label: array of activations})."""
    fig, ax = plt.subplots(figsize=(6.0, 3.4))
    bins = np.linspace(0, 1, 101)
    for label, a in activations.items():
        ax.hist(np.ravel(a), bins=bins, density=True, histtype="step", lw=1.6, label=label)
    ax.set_yscale("log")
    ax.set(xlabel="sigmoid activation", ylabel="density (log)", title="5 sigmoid layers of 100: where the activations sit")
    ax.legend(fontsize=8, frameon=False, loc="upper left")
    fig.tight_layout()
    return fig


def plot_softsign_derivatives(check):
    """Finite differences of softsign against the right and the circulating derivative."""
    fig, ax = plt.subplots(figsize=(6.0, 3.4))
    z = check.z
    wrong = np.where((np.abs(z + 1) > 0.15) & (z != 0), check.wrong, np.nan)   # no line across the jump at 0
    ax.plot(z, check.numeric, color="k", lw=3, alpha=0.35, label="finite differences")
    ax.plot(z, check.right, color="#2ca02c", label="1 / (1 + |z|)^2")
    ax.plot(z, wrong, "--", color="#d62728", label="sgn(z) / (1 + z)^2")
    ax.set(xlabel="z", ylabel="derivative", ylim=(-2.5, 1.5), title="softsign'(z)")
    ax.axhline(0, color="0.6", lw=0.8)
    ax.legend(fontsize=8, frameon=False, loc="lower right")
    fig.tight_layout()
    return fig
