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

from ..blas import single_blas_thread
from ..checks import check_int
from ..diagnostics.gradient_flow import deep_network, measure_gradient_flow
from ..lessons.depth import DEEP_NET_INITS, INIT_LABELS
from ..nn.initializers import variance_scaling
from ..nn.network import check_inputs

__all__ = ["DepthExplorer", "GAIN_INIT"]

#: The explorer's init key for "gain g times 1/sqrt(n)": W ~ N(0, g^2 / fan_in) in every
#: layer, g from the gain slider (g = 1 is LeCun's init, g = sqrt(2) He's).
GAIN_INIT = "gain"


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

    Besides the named initializers there is ``init="gain"`` (:data:`GAIN_INIT`) with a
    ``gain`` g: W ~ N(0, g^2 / n) with n the layer's fan-in, i.e. a std of g / sqrt(n).
    A hidden tanh layer then has the backward gain sqrt(n Var[W]) rms tanh'(z) = g rms tanh'(z),
    so the gradient neither grows nor shrinks where g^2 E[tanh'(z)^2] = 1 (the
    order-to-chaos boundary of Schoenholz et al. 2017). Every gain draws the same
    standard-normal numbers, rescaled: moving the gain shows the *same* net at another
    scale. ``summary`` reports what the slider is for: rms dC/dz in the first hidden
    layer over the last one (:meth:`GradientFlow.bias_gain`) and its geometric mean per
    layer (:meth:`GradientFlow.gain_per_layer`).
    """

    GAIN_INIT = GAIN_INIT

    DEPTHS = (2, 50)
    GAINS = (0.1, 10.0)
    DPI = 80

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
        self.inits.setdefault(GAIN_INIT, None)           # the spec comes from the gain
        self.figure = None
        self.flow_shown = None
        self.setting = None
        self.calls = 0
        self._flow = lru_cache(maxsize=64)(self._compute)

    def _check_setting(self, depth, activation, init, gain):
        depth = check_int(depth, "depth", *self.DEPTHS)
        if activation not in self.activations:
            raise ValueError(f"activation must be one of {self.activations}, got {activation!r}")
        if init not in self.inits:
            raise ValueError(f"init must be one of {tuple(self.inits)}, got {init!r}")
        if init != GAIN_INIT:
            return depth, None
        low, high = self.GAINS
        if isinstance(gain, bool) or not isinstance(gain, (int, float, np.integer, np.floating)) \
                or not low <= gain <= high:
            raise ValueError(f"gain must be a number in [{low:g}, {high:g}] with init={GAIN_INIT!r}, got {gain!r}")
        return depth, round(float(gain), 6)             # 6 digits: a slider's float noise still hits the cache

    def _compute(self, depth, activation, init, gain):
        spec = self.inits[init]
        name = INIT_LABELS.get(init, init)
        if init == GAIN_INIT:
            spec = variance_scaling(gain * gain, "fan_in", "untruncated_normal", name=f"{gain:g}/sqrt(n)")
            name = f"std {gain:g}/sqrt(n)"
        net = deep_network(depth, self.width, n_in=self.X.shape[1], n_out=self.n_out,
                           activation=activation, init=spec, rng=np.random.default_rng(self.seed))
        label = f"{activation}, {name}, {depth} layers"
        # One BLAS thread: these products are small (batch x 100 x 100), and on a busy
        # machine a second, spin-waiting BLAS thread made them several times slower.
        with single_blas_thread():
            return measure_gradient_flow(net, self.X, self.y, label=label)

    def flow(self, depth, activation, init, gain=1.0):
        """The cached :class:`GradientFlow` of this setting (ValueError if out of range;
        ``gain`` counts only for ``init="gain"``)."""
        depth, gain = self._check_setting(depth, activation, init, gain)
        return self._flow(depth, activation, init, gain)

    def update(self, depth=30, activation="tanh", init="xavier_normal", gain=1.0):
        """Redraw the figure for this setting and return it."""
        from .plotting import plot_gradient_flow

        flow = self.flow(depth, activation, init, gain)
        self.calls += 1
        self.setting = dict(depth=int(depth), activation=activation, init=init)
        if init == GAIN_INIT:
            self.setting["gain"] = float(gain)
        self.flow_shown = flow
        self.figure = plot_gradient_flow(flow, init=None if init == GAIN_INIT else init, fig=self.figure)
        return self.figure

    @property
    def summary(self):
        """One line on the drawn net: rms dC/dz of the first hidden layer over the last
        (the factor the gradient changes by through the stack) and per layer."""
        flow = self.flow_shown
        if not flow.finite:
            return f"{flow.label}: the gradients overflowed (inf/NaN)"
        if flow.depth < 3:
            return f"{flow.label}: one hidden layer, nothing to compound"
        ratio, per_layer = flow.bias_gain(), flow.gain_per_layer()
        return (f"{flow.label}: rms dC/dz in hidden layer 1 / hidden layer {flow.depth - 1} = {ratio:.3g}"
                f" ({per_layer:.4f} per layer)")

    @property
    def png(self):
        """The current figure as PNG bytes at 80 dpi, what the widget shows (drawing the
        default setting first if nothing has been drawn yet).

        Rendered on the figure's Agg canvas and encoded by
        :func:`~course_lib.viz.live_figure.encode_png` (zlib level 1, no row filter): about
        half the time of ``savefig``, which also compresses harder. The figure's own dpi,
        which a notebook's inline display uses, is restored afterwards."""
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        from .live_figure import encode_png

        if self.figure is None:
            self.update()
        fig = self.figure
        canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
        dpi = fig.dpi
        fig.dpi = self.DPI
        try:
            canvas.draw()
            return encode_png(np.asarray(canvas.buffer_rgba()))
        finally:
            fig.dpi = dpi

    def widget(self, depth=30, activation="relu", init="xavier_normal", gain=1.0):
        """The ipywidgets box (depth slider, activation and init menus, gain slider, the
        figure, the summary line): :func:`course_lib.viz.widgets.build_depth_widget` on
        this explorer."""
        from .widgets import build_depth_widget

        return build_depth_widget(self, depth=depth, activation=activation, init=init, gain=gain)
