"""Notebook 05's experiments: gradient flow through deep nets, one initializer against another.

The measurements are :mod:`course_lib.diagnostics.gradient_flow` (per-layer error
signals, bias-gradient norms, :class:`~course_lib.diagnostics.gradient_flow.GradientFlow`)
and :mod:`course_lib.diagnostics.jacobians`; this module fixes what notebook 05
compares: the initializers of :data:`DEEP_NET_INITS`, their labels, and
:func:`gradient_flows`, one deep network per (activation, initializer) pair drawn
from the same seed.
"""
from __future__ import annotations

import numpy as np

from ..diagnostics.gradient_flow import deep_network, measure_gradient_flow

__all__ = [
    "DEEP_NET_INITS",
    "INIT_LABELS",
    "gradient_flows",
]


#: The initializers notebook 05 compares in deep nets: key -> what ``Network(init=...)``
#: gets (a number is the std of a normal initializer).
DEEP_NET_INITS = {
    "small": 0.01,
    "lecun_normal": "lecun_normal",
    "xavier_normal": "xavier_normal",
    "he_normal": "he_normal",
    "large": 1.0,
}


#: How those keys read in titles and legends.
INIT_LABELS = {
    "small": "std 0.01",
    "lecun_normal": "1/sqrt(n) (LeCun)",
    "xavier_normal": "Glorot",
    "he_normal": "He",
    "large": "std 1",
}


def gradient_flows(X, y, *, depth, width, n_out=10, activations=("tanh", "relu"), inits=None, seed=0):
    """:func:`measure_gradient_flow` of a :func:`deep_network` for every
    (activation, init) pair: a dict {(activation, init key): GradientFlow}.

    ``inits`` maps keys to initializer specs (default :data:`DEEP_NET_INITS`); every
    net is drawn from ``np.random.default_rng(seed)``, so all pairs see the same
    random numbers (a fair comparison) and a rerun gives the same nets.
    """
    inits = DEEP_NET_INITS if inits is None else dict(inits)
    X = np.asarray(X)
    flows = {}
    for activation in activations:
        for key, spec in inits.items():
            net = deep_network(depth, width, n_in=X.shape[1], n_out=n_out, activation=activation, init=spec,
                               rng=np.random.default_rng(seed))
            label = f"{activation}, {INIT_LABELS.get(key, key)}, {depth} layers"
            flows[(activation, key)] = measure_gradient_flow(net, X, y, label=label)
    return flows
