"""Argument checks shared by the library: each raises a ValueError that names the
argument and what it accepts, so a student's typo reads as a sentence."""
from __future__ import annotations

import math

import numpy as np

__all__ = ["check_rng", "check_int", "check_real", "check_float_dtype", "check_shape", "MAX_ENTRIES", "check_callable", "check_array"]


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


def check_float_dtype(dtype, argument="dtype", accepted=(np.float32, np.float64)):
    """``dtype`` as a numpy dtype if it is one of the ``accepted`` float dtypes, else a
    ValueError. (An integer dtype would round every weight drawn to 0 or +-1.)"""
    names = " or ".join(np.dtype(d).name for d in accepted)
    try:
        value = None if dtype is None else np.dtype(dtype)  # np.dtype(None) would be float64
    except TypeError:
        value = None
    if value is None or value not in [np.dtype(d) for d in accepted]:
        raise ValueError(f"{argument} must be {names}, got {dtype!r}")
    return value


#: The most entries one array the library allocates may have (800 MB of float64): beyond
#: it a typo such as sizes=[784, 10**6, 10] is refused with a sentence, not left to a
#: MemoryError, or worse to a machine that swaps.
MAX_ENTRIES = 10**8


def check_shape(shape, argument="shape", max_entries=MAX_ENTRIES):
    """``shape`` as a tuple of ints >= 1 (an int means a 1-D shape), else a ValueError.
    Floats are refused, not truncated: (2.5, 3) is not a shape. A shape of more
    than ``max_entries`` entries is refused too (see :data:`MAX_ENTRIES`)."""
    entries = (shape,) if isinstance(shape, (int, np.integer)) else shape
    try:
        entries = tuple(entries)
    except TypeError:
        entries = None
    if not entries or any(isinstance(s, (bool, np.bool_)) or not isinstance(s, (int, np.integer)) or s < 1
                          for s in entries):
        raise ValueError(f"{argument} must be a non-empty tuple of integers >= 1, got {shape!r}")
    entries = tuple(int(s) for s in entries)
    if math.prod(entries) > max_entries:
        raise ValueError(
            f"{argument} {entries} has {math.prod(entries):.3g} entries, more than the {max_entries:.0e} "
            f"this course allocates in one array ({8 * max_entries / 1e9:.1f} GB of float64)"
        )
    return entries


def check_callable(value, argument, signature):
    """``value`` if it is None or callable, else a ValueError saying what is called and how."""
    if value is not None and not callable(value):
        raise ValueError(f"{argument} must be None or a function {signature}, got {value!r}")
    return value


def check_array(value, argument, *, kinds="fiub"):
    """``value`` as a numpy array of real numbers, checked *before* any conversion.

    A float conversion would drop a complex array's imaginary part (with only a
    ComplexWarning) and turn strings or objects into numpy's "could not convert"
    message; here each gets a ValueError naming ``argument``. ``kinds`` are the
    accepted numpy dtype kinds (f float, i/u integer, b bool).
    """
    try:
        array = np.asarray(value)
    except ValueError:  # a ragged nested list
        raise ValueError(f"{argument} must be a rectangular array of numbers, got a ragged sequence") from None
    if array.dtype.kind not in kinds:
        what = {"c": "complex numbers", "U": "strings", "S": "bytes", "O": "Python objects",
                "M": "dates", "m": "time deltas", "V": "structured records"}.get(array.dtype.kind, "values")
        accepted = "real numbers" if "f" in kinds else "integers"
        raise ValueError(f"{argument} must hold {accepted}, got {what} (dtype {array.dtype})")
    return array
