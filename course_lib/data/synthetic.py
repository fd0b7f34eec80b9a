"""Small synthetic data sets the notebooks need, each a few lines of numpy.

* :func:`saturation_input`: Nielsen's 1,000-input neuron (half the inputs 1);
* :func:`spiral`: CS231n's spiral, K arms of 2-D points, not linearly separable;
* :func:`circles`: two concentric circles, like scikit-learn's ``make_circles``;
* :func:`flower`: deeplearning.ai's planar "flower", two classes of petals.

The random ones take a required keyword ``rng``, a ``numpy.random.Generator``:
same seed, same bits. Bad arguments raise a ValueError naming the argument and
the accepted range.
"""
from __future__ import annotations

import numpy as np

from ..checks import check_int, check_real, check_rng

__all__ = ["saturation_input", "spiral", "circles", "flower"]

def saturation_input(n_inputs=1000, n_active=500) -> np.ndarray:
    """Nielsen's saturation experiment input: ``n_active`` ones, then zeros.

    Chapter 3 of Nielsen's book feeds a neuron 1,000 inputs, half of them 1 and
    half 0. With weights ~ N(0, 1) the pre-activation z = sum_j w_j x_j + b has
    variance n_active + 1 = 501 (std ~ 22.4), so sigma(z) is almost always 0 or
    1: the neuron is saturated. Which inputs are on does not matter (the weights
    are i.i.d.), so this is deterministic and takes no rng. Returns shape
    (n_inputs,) float64; use ``x[None, :]`` for a batch of one.
    """
    n_inputs = check_int(n_inputs, "n_inputs", 1)
    n_active = check_int(n_active, "n_active", 0, n_inputs)
    x = np.zeros(n_inputs)
    x[:n_active] = 1.0
    return x


def spiral(n_per_class=100, n_classes=3, noise=0.2, *, rng):
    """CS231n's spiral: ``n_classes`` arms of ``n_per_class`` 2-D points each.

    Arm j has radius r from 0 to 1 (evenly spaced) and angle
    t = linspace(4j, 4(j + 1)) + noise * N(0, 1), point (r sin t, r cos t), as in
    the CS231n "neural network case study". Not linearly separable: a good
    small test of whether a network trains at all.

    Returns X (n_classes * n_per_class, 2) float64 and y (same length,) int64,
    class by class.
    """
    check_rng(rng)
    n = check_int(n_per_class, "n_per_class", 1)
    k = check_int(n_classes, "n_classes", 1)
    noise = check_real(noise, "noise", ">= 0", lambda v: v >= 0)
    r = np.linspace(0.0, 1.0, n)
    t = np.linspace(4.0 * np.arange(k), 4.0 * np.arange(1, k + 1), n, axis=1)  # (k, n)
    t = t + noise * rng.standard_normal((k, n))  # the same draws as CS231n's per-class loop
    X = np.stack([r * np.sin(t), r * np.cos(t)], axis=-1).reshape(k * n, 2)
    y = np.repeat(np.arange(k, dtype=np.int64), n)
    return X, y


def circles(n=200, noise=0.1, factor=0.5, *, rng):
    """Two concentric circles (like scikit-learn's ``make_circles``).

    Class 0: n - n // 2 points evenly spaced on the unit circle; class 1: n // 2
    points on the circle of radius ``factor``; then Gaussian noise of std
    ``noise`` added to each coordinate. Needs a nonlinear boundary.

    Returns X (n, 2) float64 and y (n,) int64, outer circle first.
    """
    check_rng(rng)
    n = check_int(n, "n", 2)
    noise = check_real(noise, "noise", ">= 0", lambda v: v >= 0)
    factor = check_real(factor, "factor", "strictly between 0 and 1", lambda v: 0 < v < 1)
    n_inner = n // 2
    n_outer = n - n_inner
    angles = [np.linspace(0, 2 * np.pi, m, endpoint=False) for m in (n_outer, n_inner)]
    radii = np.concatenate([np.ones(n_outer), np.full(n_inner, factor)])
    t = np.concatenate(angles)
    X = np.stack([radii * np.cos(t), radii * np.sin(t)], axis=1)
    X += noise * rng.standard_normal(X.shape)
    y = np.concatenate([np.zeros(n_outer, np.int64), np.ones(n_inner, np.int64)])
    return X, y


def flower(n_per_class=200, noise=0.2, radius=4.0, *, rng):
    """deeplearning.ai's planar "flower": two classes of ``n_per_class`` 2-D points.

    The data set of the lab "Planar data classification with one hidden layer"
    (Neural Networks and Deep Learning, week 3). For class j = 0, 1:

        t = linspace(3.12 j, 3.12 (j + 1), n_per_class) + noise * N(0, 1)    (angle)
        r = radius * sin(4 t) + noise * N(0, 1)                             (signed radius)
        point = (r sin t, r cos t)

    The curve r = radius * sin(4t) is a rose with 8 petals; each class covers the
    angles of half the circle, so the classes sit in alternating petals (a
    negative r puts a point in the opposite petal). No straight line separates
    them. The draws come in the lab's order (class 0's angle noise, then its
    radius noise, then class 1's), so the same generator gives the same points as
    the lab's loop run on that generator.

    Returns X (2 * n_per_class, 2) float64 and y (same length,) int64, class 0 first.
    """
    check_rng(rng)
    n = check_int(n_per_class, "n_per_class", 1)
    noise = check_real(noise, "noise", ">= 0", lambda v: v >= 0)
    radius = check_real(radius, "radius", "> 0", lambda v: v > 0)
    draws = rng.standard_normal((2, 2, n))                # [class, (angle, radius), point]
    t = np.linspace([0.0, 3.12], [3.12, 6.24], n, axis=1) + noise * draws[:, 0]
    r = radius * np.sin(4.0 * t) + noise * draws[:, 1]
    X = np.stack([r * np.sin(t), r * np.cos(t)], axis=-1).reshape(2 * n, 2)
    y = np.repeat(np.arange(2, dtype=np.int64), n)
    return X, y
