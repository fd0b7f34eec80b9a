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
    "lecun_uniform": 1 / FAN_IN,
    "lecun_truncated_normal": 1 / FAN_IN,
    "glorot_truncated_normal": 2 / (FAN_IN + FAN_OUT),
    "he_truncated_normal": 2 / FAN_IN,
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


# ------------------------------------------------------ gains and truncated normals
def test_calculate_gain_is_pytorchs_table():
    from course_lib.nn.initializers import calculate_gain

    assert calculate_gain("linear") == 1 and calculate_gain("sigmoid") == 1
    assert calculate_gain("tanh") == pytest.approx(5 / 3, rel=1e-15)
    assert calculate_gain("relu") == pytest.approx(np.sqrt(2), rel=1e-15)
    assert calculate_gain("selu") == pytest.approx(0.75, rel=1e-15)
    assert calculate_gain("leaky_relu") == pytest.approx(np.sqrt(2 / (1 + 0.01 ** 2)), rel=1e-15)
    assert calculate_gain("leaky_relu", 0.2) == pytest.approx(np.sqrt(2 / 1.04), rel=1e-15)
    assert calculate_gain("leaky_relu", 0) == pytest.approx(calculate_gain("relu"), rel=1e-15)
    assert calculate_gain("tanh", 0.3) == calculate_gain("tanh")          # param ignored, as in PyTorch
    with pytest.raises(ValueError, match="activation must be one of .*'tanh'.*got 'tahn'"):
        calculate_gain("tahn")
    with pytest.raises(ValueError, match="param .* must be a finite number, got nan"):
        calculate_gain("leaky_relu", float("nan"))


def test_truncated_normal_std_closed_form_and_keras_constant():
    from math import erf, exp, pi, sqrt

    from course_lib.nn.initializers import KERAS_TRUNCATION_STD, truncated_normal_std

    # Var of N(0,1) | |u| <= b is 1 - 2 b phi(b) / (2 Phi(b) - 1); Keras hard-codes its root at b = 2.
    for b in (0.5, 1.0, 2.0, 3.0):
        expected = sqrt(1 - 2 * b * exp(-b * b / 2) / sqrt(2 * pi) / erf(b / sqrt(2)))
        assert truncated_normal_std(b) == pytest.approx(expected, rel=1e-14)
    assert truncated_normal_std(2.0) == pytest.approx(KERAS_TRUNCATION_STD, rel=1e-15)
    assert truncated_normal_std(40.0) == pytest.approx(1.0, rel=1e-15)        # no truncation left
    with pytest.raises(ValueError, match="bound must be a finite number"):
        truncated_normal_std(0.0)


@pytest.mark.parametrize("name, var", [("lecun_truncated_normal", 1 / FAN_IN),
                                       ("glorot_truncated_normal", 2 / (FAN_IN + FAN_OUT)),
                                       ("he_truncated_normal", 2 / FAN_IN)])
def test_keras_truncated_normals_cut_at_two_sigma_and_keep_the_variance(name, var, rng):
    W = INITIALIZERS[name]((FAN_OUT, FAN_IN), rng)
    sigma = np.sqrt(var) / 0.87962566103423978          # the std of the normal before the cut
    assert np.abs(W).max() <= 2 * sigma
    assert np.abs(W).max() > 0.999 * 2 * sigma           # the cut is reached: 120,000 draws, ~5% near it
    # the variance is var (not sigma^2 = 1.29 var): within 2% (4 sigma of the sample variance,
    # whose relative std is sqrt((kurtosis - 1) / N) = sqrt(1.07 / 120000) = 0.3%)
    assert W.var() == pytest.approx(var, rel=0.02)
    # kurtosis of N(0,1) cut at +-2: E[u^4]/E[u^2]^2 = 2.37 (closed form below); a normal has 3
    from math import erf, exp, pi, sqrt
    phi, mass = exp(-2) / sqrt(2 * pi), erf(sqrt(2))
    m2 = 1 - 4 * phi / mass
    m4 = 3 * m2 - 16 * phi / mass         # E[u^4] = 3 E[u^2] - 2 b^3 phi(b) / mass, b = 2
    kurtosis = np.mean(W ** 4) / np.mean(W ** 2) ** 2
    assert kurtosis == pytest.approx(m4 / m2 ** 2, abs=0.03)


def test_truncated_normal_factory(rng):
    from course_lib.nn.initializers import truncated_normal, truncated_normal_std

    w = truncated_normal(0.5, bound=1.0)((200_000,), rng, fan_in=1)
    assert np.abs(w).max() <= 0.5 / truncated_normal_std(1.0)
    assert w.var() == pytest.approx(0.25, rel=0.02)
    with pytest.raises(ValueError, match="std must be a finite number >= 0"):
        truncated_normal(-1.0)


def test_variance_scaling_modes_and_distributions(rng):
    from course_lib.nn.initializers import variance_scaling

    for mode, fan in (("fan_in", FAN_IN), ("fan_out", FAN_OUT), ("fan_avg", (FAN_IN + FAN_OUT) / 2)):
        for dist in ("truncated_normal", "untruncated_normal", "uniform"):
            init = variance_scaling(3.0, mode, dist)
            assert init.variance(FAN_IN, FAN_OUT) == pytest.approx(3.0 / fan)
            W = init((FAN_OUT, FAN_IN), rng)
            assert W.var() == pytest.approx(3.0 / fan, rel=0.02)
    W = variance_scaling(3.0, "fan_in", "uniform")((FAN_OUT, FAN_IN), rng)
    assert np.abs(W).max() <= np.sqrt(9.0 / FAN_IN)
    with pytest.raises(ValueError, match="mode must be one of"):
        variance_scaling(1.0, "fan_sum")
    with pytest.raises(ValueError, match="distribution must be"):
        variance_scaling(1.0, "fan_in", "normal")


def test_kaiming_matches_he_and_pytorch_default(rng):
    from course_lib.nn.initializers import kaiming_normal, kaiming_uniform, pytorch_default

    assert kaiming_normal().variance(FAN_IN) == pytest.approx(2 / FAN_IN)     # a = 0: He
    # nn.Linear: kaiming_uniform(a = sqrt 5) has bound sqrt(2/6) sqrt(3/fan_in) = 1/sqrt(fan_in)
    assert kaiming_uniform(np.sqrt(5)).variance(FAN_IN) == pytest.approx(pytorch_default().variance(FAN_IN))
    W = kaiming_uniform(np.sqrt(5))((FAN_OUT, FAN_IN), rng)
    assert np.abs(W).max() <= 1 / np.sqrt(FAN_IN) and np.abs(W).max() > 0.999 / np.sqrt(FAN_IN)
    # leaky ReLU of slope a: g^2 = 2 / (1 + a^2)
    W = kaiming_normal(0.5, "fan_out")((FAN_OUT, FAN_IN), rng)
    assert W.var() == pytest.approx(2 / 1.25 / FAN_OUT, rel=0.02)
    assert kaiming_normal(0.0, nonlinearity="tanh").variance(FAN_IN) == pytest.approx((5 / 3) ** 2 / FAN_IN)


def test_uniform_and_normal_at_equal_variance_differ_in_tails_only(rng):
    u = INITIALIZERS["lecun_uniform"]((FAN_OUT, FAN_IN), rng) * np.sqrt(FAN_IN)
    n = INITIALIZERS["lecun_normal"]((FAN_OUT, FAN_IN), rng) * np.sqrt(FAN_IN)
    assert u.var() == pytest.approx(1.0, rel=0.02) and n.var() == pytest.approx(1.0, rel=0.02)
    assert np.abs(u).max() <= np.sqrt(3)                          # U(+-sqrt 3) at unit variance
    assert np.abs(n).max() > 4                                    # 120,000 normals: max |w| ~ 4.5
    # kurtosis: 9/5 uniform, 3 normal (sample std of the estimate ~0.01 and ~0.03 here)
    assert np.mean(u ** 4) / np.mean(u ** 2) ** 2 == pytest.approx(1.8, abs=0.02)
    assert np.mean(n ** 4) / np.mean(n ** 2) ** 2 == pytest.approx(3.0, abs=0.1)
