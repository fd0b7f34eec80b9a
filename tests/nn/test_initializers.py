import numpy as np
import pytest

from course_lib.nn.initializers import ALIASES, INITIALIZERS, constant, get_initializer, normal, orthogonal, uniform

FAN_IN, FAN_OUT = 400, 300

# The published variance of each named scheme, written out independently of the module.
EXPECTED_VARIANCE = {
    "zeros": 0.0,
    "standard_normal": 1.0,
    "nielsen_large": 1.0,
    "nielsen_default": 1 / FAN_IN,
    "lecun_normal": 1 / FAN_IN,
    "xavier_normal": 2 / (FAN_IN + FAN_OUT),
    "xavier_uniform": 2 / (FAN_IN + FAN_OUT),
    "he_normal": 2 / FAN_IN,
    "he_uniform": 2 / FAN_IN,
    "he_normal_fan_out": 2 / FAN_OUT,
    "he_uniform_fan_out": 2 / FAN_OUT,
    "orthogonal": 1 / max(FAN_IN, FAN_OUT),
    "pytorch_default": 1 / (3 * FAN_IN),
    "pytorch_default_bias": 1 / (3 * FAN_IN),
}


def test_table_is_complete():
    assert set(EXPECTED_VARIANCE) == set(INITIALIZERS)


@pytest.mark.parametrize("name", sorted(EXPECTED_VARIANCE))
def test_sample_variance_matches_formula(name, rng):
    init = INITIALIZERS[name]
    W = init((FAN_OUT, FAN_IN), rng)
    assert W.shape == (FAN_OUT, FAN_IN)
    assert init.variance(FAN_IN, FAN_OUT) == pytest.approx(EXPECTED_VARIANCE[name])
    # 120,000 draws: the sample variance is within ~1.5% (4 sigma of sqrt(2/N)) of the truth
    assert W.var() == pytest.approx(EXPECTED_VARIANCE[name], rel=0.02, abs=1e-12)
    assert abs(W.mean()) < 4 * np.sqrt(EXPECTED_VARIANCE[name] / W.size) + 1e-12


@pytest.mark.parametrize("name", sorted(EXPECTED_VARIANCE))
def test_same_seed_same_bits_different_seed_different_weights(name):
    a = INITIALIZERS[name]((20, 30), np.random.default_rng(7))
    b = INITIALIZERS[name]((20, 30), np.random.default_rng(7))
    c = INITIALIZERS[name]((20, 30), np.random.default_rng(8))
    assert a.tobytes() == b.tobytes()
    if name != "zeros":
        assert not np.array_equal(a, c)


def test_uniform_bounds(rng):
    limit = np.sqrt(6 / (FAN_IN + FAN_OUT))
    W = INITIALIZERS["xavier_uniform"]((FAN_OUT, FAN_IN), rng)
    assert np.abs(W).max() <= limit and np.abs(W).max() > 0.99 * limit
    W = INITIALIZERS["pytorch_default"]((FAN_OUT, FAN_IN), rng)
    assert np.abs(W).max() <= 1 / np.sqrt(FAN_IN)


@pytest.mark.parametrize("shape", [(50, 80), (80, 50), (64, 64)])
def test_orthogonal_singular_values_equal_gain(shape, rng):
    for gain in (1.0, 2.0):
        W = orthogonal(gain)(shape, rng)
        np.testing.assert_allclose(np.linalg.svd(W, compute_uv=False), gain, rtol=1e-10)


def test_bias_needs_fan_in_and_pytorch_bias_uses_it(rng):
    with pytest.raises(ValueError, match="fan_in"):
        INITIALIZERS["pytorch_default_bias"]((10,), rng)
    b = INITIALIZERS["pytorch_default_bias"]((10_000,), rng, fan_in=25)
    assert np.abs(b).max() <= 0.2 and b.var() == pytest.approx(1 / 75, rel=0.05)


def test_factories_and_lookup(rng):
    assert get_initializer(0.5).variance(10) == pytest.approx(0.25)
    assert uniform(0.3).variance(10) == pytest.approx(0.03)
    assert np.all(constant(0.7)((3, 4), rng) == 0.7)
    assert get_initializer("glorot_uniform") is INITIALIZERS["xavier_uniform"]
    assert all(alias_target in INITIALIZERS for alias_target in ALIASES.values())
    W = get_initializer("he")((5, 6), rng, dtype=np.float32)
    assert W.dtype == np.float32


@pytest.mark.parametrize(
    "spec, match",
    [
        (-1.0, r"init \(a std\) must be a finite number >= 0, got -1.0"),
        (float("nan"), r"must be a finite number >= 0, got nan"),
        ("xavierr", r"init must be .*'xavier_normal'.*got 'xavierr'"),
        (None, r"init must be a number"),
    ],
)
def test_bad_specs_are_clear_errors(spec, match):
    with pytest.raises(ValueError, match=match):
        get_initializer(spec)


def test_bad_factory_arguments():
    with pytest.raises(ValueError, match="std must be a finite number >= 0"):
        normal(-0.1)
    with pytest.raises(ValueError, match="limit must be"):
        uniform(float("inf"))
    with pytest.raises(ValueError, match="rng must be a numpy.random.Generator"):
        normal(1.0)((2, 2), 42)
