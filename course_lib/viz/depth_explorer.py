"""Notebook 05's depth slider: :class:`DepthExplorer`, testable without a browser.

It measures a deep network's gradient flow (:mod:`course_lib.diagnostics.gradient_flow`)
for the (depth, activation, initializer) the slider shows, and draws it with
:func:`course_lib.viz.plotting.plot_gradient_flow`; :func:`course_lib.viz.widgets.build_depth_widget`
wires it to ipywidgets.
"""
from __future__ import annotations

import io
from functools import lru_cache

import numpy as np

from ..checks import check_int
from ..diagnostics.gradient_flow import deep_network, measure_gradient_flow
from ..lessons.depth import DEEP_NET_INITS, INIT_LABELS
from ..nn.network import check_inputs

__all__ = ["DepthExplorer"]


class DepthExplorer:
    """The callback behind notebook 05's depth slider (testable without a browser).

    ``flow(depth, activation, init)`` builds a :func:`deep_network` (drawn from
    ``np.random.default_rng(seed)``, so the same setting always gives the same net),
    runs the batch (X, y) through it and returns its :class:`GradientFlow`;
    results are cached, so going back to a setting is instant.
    ``update(depth, activation, init)`` redraws ``self.figure`` in place with the
    gradient heatmap and the rms profile (:func:`~course_lib.viz.plotting.plot_gradient_flow`)
    and returns it; ``png`` is that figure as PNG bytes. :meth:`widget` wires
    ``update`` to ipywidgets (:func:`course_lib.viz.widgets.build_depth_widget`).
    """

    DEPTHS = (2, 50)

    def __init__(self, X, y, *, width=100, seed=0, n_out=10, inits=None, activations=("tanh", "relu")):
        X = np.asarray(X)
        if X.ndim != 2:
            raise ValueError(f"X must have shape (batch, n_in), got {X.shape}")
        self.X = check_inputs(X, X.shape[1])
        self.y = np.asarray(y)
        self.width = check_int(width, "width", 1)
        self.seed = check_int(seed, "seed", 0)
        self.n_out = check_int(n_out, "n_out", 1)
        self.inits = dict(DEEP_NET_INITS if inits is None else inits)
        self.activations = tuple(activations)
        self.figure = None
        self.setting = None
        self.calls = 0
        self._flow = lru_cache(maxsize=64)(self._compute)

    def _check_setting(self, depth, activation, init):
        depth = check_int(depth, "depth", *self.DEPTHS)
        if activation not in self.activations:
            raise ValueError(f"activation must be one of {self.activations}, got {activation!r}")
        if init not in self.inits:
            raise ValueError(f"init must be one of {tuple(self.inits)}, got {init!r}")
        return depth

    def _compute(self, depth, activation, init):
        net = deep_network(depth, self.width, n_in=self.X.shape[1], n_out=self.n_out,
                           activation=activation, init=self.inits[init],
                           rng=np.random.default_rng(self.seed))
        label = f"{activation}, {INIT_LABELS.get(init, init)}, {depth} layers"
        return measure_gradient_flow(net, self.X, self.y, label=label)

    def flow(self, depth, activation, init):
        """The cached :class:`GradientFlow` of this setting (ValueError if out of range)."""
        depth = self._check_setting(depth, activation, init)
        return self._flow(depth, activation, init)

    def update(self, depth=30, activation="tanh", init="xavier_normal"):
        """Redraw the figure for this setting and return it."""
        from .plotting import plot_gradient_flow

        flow = self.flow(depth, activation, init)
        self.calls += 1
        self.setting = dict(depth=int(depth), activation=activation, init=init)
        self.figure = plot_gradient_flow(flow, init=init, fig=self.figure)
        return self.figure

    @property
    def png(self):
        """The current figure as PNG bytes, what the widget shows (drawing the default
        setting first if nothing has been drawn yet)."""
        if self.figure is None:
            self.update()
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=80)
        return buffer.getvalue()

    def widget(self, depth=30, activation="relu", init="xavier_normal"):
        """The ipywidgets box (depth slider, activation and init menus, the figure):
        :func:`course_lib.viz.widgets.build_depth_widget` on this explorer."""
        from .widgets import build_depth_widget

        return build_depth_widget(self, depth=depth, activation=activation, init=init)
