"""The contract every public call is held to, and strategies for arbitrary arguments.

:func:`honest` runs a call and returns its result, or None if it refused the
arguments. A refusal must be a ValueError or TypeError whose message names the
argument (one of ``names``) and says what is accepted ("must", or for a parser of
bytes one of ``says``: what is wrong with them); any other
exception (an IndexError, numpy's "could not convert", a MemoryError) fails, and
so does any RuntimeWarning or ComplexWarning (numpy noise, or a silent cast).
What a returned result must satisfy (finite, or reported as overflowed) each test
checks itself.
"""
import math
import warnings

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

COMPLEX_WARNING = getattr(np, "exceptions", np).ComplexWarning


def honest(call, *names, says=("must", "cannot", "refuse")):
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.simplefilter("error", COMPLEX_WARNING)
        try:
            return call()
        except (ValueError, TypeError) as error:
            message = str(error)
            assert any(name in message for name in names), (
                f"unclear error: {type(error).__name__}: {message!r} names none of {names}")
            assert any(word in message for word in says), (
                f"the error does not say what is accepted: {message!r}")
            return None


def finite_or_inf(value):
    """A cost: finite, or +inf meaning "overflowed". Never NaN."""
    return isinstance(value, float) and not math.isnan(value) and value > -math.inf


#: Single values of every kind a student might pass by mistake.
junk = st.one_of(
    st.none(), st.booleans(), st.just("1"), st.text(max_size=3), st.complex_numbers(max_magnitude=10),
    st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**20, 10**20),
    st.just(np.float32(1.5)), st.just(np.int64(3)), st.lists(st.integers(-3, 3), max_size=3),
    st.just([[1, 2], [3]]), st.just(object()), st.just(np.nan), st.just(1e308), st.just(-1),
)

#: Numbers from ordinary to absurd.
numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-10**6, 10**6),
    st.sampled_from([0, 1e-300, 1e-8, 0.5, 1.0, 3.0, 1e3, 1e150, 1e300, -1.0]),
)

_dtypes = st.sampled_from([np.float64, np.float32, np.int64, np.uint8, np.bool_, np.complex128, "U2", object])


@st.composite
def arrays(draw, shape=None, max_side=5, dtype=None):
    """Arrays of many dtypes and shapes (or of ``shape``), with NaN, inf, huge and tiny values."""
    dtype = draw(_dtypes) if dtype is None else dtype
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=max_side)) if shape is None else shape
    if np.dtype(dtype).kind in "fc":
        elements = st.one_of(st.floats(-3, 3), st.sampled_from([np.nan, np.inf, -np.inf, 1e300, -1e300, 1e-300, 0.0]))
        if np.dtype(dtype) == np.float32:
            elements = st.one_of(st.floats(-3, 3, width=32), st.sampled_from([np.nan, np.inf, float(np.float32(1e30)), 0.0]))
        return draw(hnp.arrays(dtype, shape, elements=elements))
    if np.dtype(dtype).kind == "O":
        return np.full(shape, None, dtype=object)
    return draw(hnp.arrays(dtype, shape))


@st.composite
def inputs(draw, n_in, max_batch=6):
    """X: mostly the right shape (batch, n_in), sometimes anything at all."""
    if draw(st.integers(0, 3)) == 0:
        return draw(st.one_of(junk, arrays()))
    batch = draw(st.integers(0, max_batch))
    dtype = draw(st.sampled_from([np.float64, np.float64, np.float32, np.int64, np.complex128, "U2"]))
    return draw(arrays(shape=(batch, n_in), dtype=dtype))


@st.composite
def targets(draw, batch, n_out):
    """y: labels (in and out of range, fractional, NaN), one-hot, or anything at all."""
    kind = draw(st.integers(0, 4))
    if kind == 0:
        return draw(st.one_of(junk, arrays()))
    if kind == 1:
        return draw(hnp.arrays(np.int64, batch, elements=st.integers(-2, n_out + 1)))
    if kind == 2:
        return draw(hnp.arrays(np.float64, batch, elements=st.sampled_from([0.0, 1.0, 1.5, np.nan, 1e10, -1.0])))
    if kind == 3:
        return draw(hnp.arrays(np.float64, (batch, n_out), elements=st.sampled_from([0.0, 1.0, 0.5, 2.0, np.nan])))
    return np.arange(batch) % n_out
