"""Argument checks shared by the library: each raises a ValueError that names the
argument and what it accepts, so a student's typo reads as a sentence."""
from __future__ import annotations

import math

import numpy as np

__all__ = ["check_rng", "check_int", "check_real"]


def check_rng(rng, argument="rng"):
    """``rng`` if it is a ``numpy.random.Generator`` (the only source of randomness), else a ValueError."""
    if not isinstance(rng, np.random.Generator):
        raise ValueError(
            f"{argument} must be a numpy.random.Generator (e.g. np.random.default_rng(0)), got {type(rng).__name__}"
        )
    return rng


def check_int(value, argument, low, high=None):
    """``value`` as an int if it is an integer in low..high (bools refused), else a ValueError."""
    is_int = isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))
    if not is_int or value < low or (high is not None and value > high):
        accepted = f"an integer >= {low}" if high is None else f"an integer in {low}..{high}"
        raise ValueError(f"{argument} must be {accepted}, got {value!r}")
    return int(value)


def check_real(value, argument, accepted, test):
    """``value`` as a float if it is a finite number passing ``test``, else a ValueError
    saying it must be a finite number ``accepted`` (e.g. ">= 0")."""
    is_real = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))
    if not (is_real and math.isfinite(value) and test(value)):
        raise ValueError(f"{argument} must be a finite number {accepted}, got {value!r}")
    return float(value)
