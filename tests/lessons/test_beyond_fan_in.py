"""Notebook 09's experiments (course_lib/lessons/beyond_fan_in.py) against closed forms.

Each statistical assert says the spread it was set against: measured over seeds 0-9
(seed 12345 here) of the same experiment, on this machine's OpenBLAS kernels and
with OPENBLAS_CORETYPE=Haswell, SkylakeX and Sandybridge.
"""
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_lib import INITIALIZERS, get_activation  # noqa: E402
from course_lib.lessons import beyond_fan_in as lesson  # noqa: E402
from course_lib.viz import beyond_fan_in as figures  # noqa: E402


def gauss_hermite_mean(f, n=120):
    """E[f(u)], u ~ N(0, 1), by Gauss-Hermite quadrature (independent of the library's grid)."""
    x, w = np.polynomial.hermite_e.hermegauss(n)
    return float(np.dot(w, f(x)) / math.sqrt(2 * math.pi))


# ------------------------------------------------------------------------------ gains
def test_variance_preserving_gain_against_quadrature_and_the_fixed_point():
    from course_lib.diagnostics.mean_field import length_map_fixed_point

    g = lesson.variance_preserving_gain("tanh")
    assert g == pytest.approx(1 / math.sqrt(gauss_hermite_mean(lambda u: np.tanh(u) ** 2)), rel=1e-6)
    assert g == pytest.approx(1.5925, abs=1e-4)
    assert length_map_fixed_point("tanh", g) == pytest.approx(1.0, rel=1e-6)
    assert lesson.variance_preserving_gain("relu", q=3.7) == pytest.approx(math.sqrt(2), rel=1e-6)
    assert lesson.variance_preserving_gain("identity") == pytest.approx(1.0, rel=1e-9)
    with pytest.raises(ValueError, match="q .* must be a finite number > 0"):
        lesson.variance_preserving_gain("tanh", q=0)


def test_gain_theory_relu_closed_form_and_tanh_chi1():
    relu = lesson.gain_theory("relu", [math.sqrt(2), 1.0])
    assert relu[0].chi1 == pytest.approx(1.0, rel=1e-9) and relu[1].chi1 == pytest.approx(0.5, rel=1e-9)
    tanh = lesson.gain_theory("tanh", [1.0, 5 / 3])
    assert tanh[0].q_star == 0 and tanh[0].chi1 == pytest.approx(1.0, abs=1e-9)
    # chi_1 = g^2 E[tanh'(z)^2] at z ~ N(0, q*), by quadrature
    q = tanh[1].q_star
    expected = (5 / 3) ** 2 * gauss_hermite_mean(lambda u: (1 - np.tanh(math.sqrt(q) * u) ** 2) ** 2)
    assert tanh[1].chi1 == pytest.approx(expected, rel=1e-5)


def test_pytorch_gain_and_gain_initializer():
    assert lesson.pytorch_gain("tanh") == pytest.approx(5 / 3)
    init = lesson.gain_initializer(2.0, "uniform")
    assert init.variance(50) == pytest.approx(4 / 50)
    W = init((300, 50), np.random.default_rng(0))
    assert np.abs(W).max() <= math.sqrt(3 * 4 / 50)
    with pytest.raises(ValueError, match="distribution must be one of"):
        lesson.gain_initializer(1.0, "cauchy")


def test_leaky_relu_activation_second_moment(rng):
    act = lesson.leaky_relu_activation(0.3)
    assert act(np.array([-2.0, 3.0])).tolist() == pytest.approx([-0.6, 3.0])
    assert act.prime(np.array([-2.0, 3.0])).tolist() == [0.3, 1.0]
    z = rng.standard_normal(400_000)
    # E[f(z)^2] = (1 + a^2) / 2 for z ~ N(0, 1); sample std of the mean of f^2 ~ 0.002 here
    assert np.mean(act(z) ** 2) == pytest.approx((1 + 0.09) / 2, abs=0.01)
    with pytest.raises(ValueError, match="slope must be"):
        lesson.leaky_relu_activation(-1)


def test_leaky_relu_growth_linear_case():
    # Slope 1 is the identity: He's sqrt 2 doubles Var[z] per layer, so 4 layers give 2^2 = 4
    # (predicted (1 + 1)^(4/2)); the slope's own gain, 1, keeps it. Geometric mean over 6 draws of a
    # 128-wide stack; over seeds 0-9 it was within 3% of 4 and within 2% of 1.
    r = lesson.leaky_relu_growth(np.random.default_rng(1).standard_normal((128, 128)), [1.0], depth=5, width=128,
                                 rng=np.random.default_rng(12345), n_seeds=6)
    assert r["predicted_he"][0] == pytest.approx(4.0)
    assert np.exp(np.log(r["he"]).mean()) == pytest.approx(4.0, rel=0.15)
    assert np.exp(np.log(r["matched"]).mean()) == pytest.approx(1.0, rel=0.15)


def test_depth_profile_follows_variance_propagation(rng):
    # ReLU with He weights: every layer's z has std sqrt(2) for standard-normal inputs. Width 200,
    # 4 draws: the mean over draws was within 9.2% of the prediction at every layer for seeds 0-9
    # (finite width: each layer misses its factor by a few percent, and the misses compound).
    X = rng.standard_normal((400, 200))
    run = lesson.depth_profile(X, 5, 200, "relu", "he_normal", rng=rng, n_seeds=4)
    assert run["z_std"].shape == (4, 5)
    pred = lesson.predicted_depth_profile(5, 200, "relu", math.sqrt(2 / 200), 200)
    assert pred["z_std"] == pytest.approx(math.sqrt(2) * np.ones(5))
    assert np.allclose(run["z_std"].mean(axis=0), pred["z_std"], rtol=0.15)
    # the mean of a = relu(z), s / sqrt(2 pi), scatters more: within 14% over seeds 0-9
    assert np.allclose(run["a_mean"].mean(axis=0), pred["a_mean"], rtol=0.25)


def test_gradient_growth_follows_chi1_per_layer():
    # tanh at g = 1.593 (q* = 1): between 4 and 12 hidden layers the log10 growth of the backward
    # error should rise by 8/2 log10 chi_1 = 0.284; measured (3 draws, width 64) 0.25-0.31 over seeds 0-9.
    g = lesson.variance_preserving_gain("tanh")
    data = np.random.default_rng(3)
    X, y = data.standard_normal((100, 64)), data.integers(0, 10, 100)
    measured, predicted = lesson.gradient_growth(X, y, "tanh", [g], [4, 12], 64, rng=np.random.default_rng(12345),
                                                 n_seeds=3)
    rise = measured[:, 1, 0].mean() - measured[:, 0, 0].mean()
    assert predicted[1, 0] - predicted[0, 0] == pytest.approx(4 * math.log10(lesson.gain_theory("tanh", [g])[0].chi1))
    assert rise == pytest.approx(predicted[1, 0] - predicted[0, 0], abs=0.12)


# --------------------------------------------------------------- which distribution?
def test_draw_statistics_closed_forms(rng):
    normal, uniform, cut = lesson.draw_statistics((200, 500), rng=rng)
    assert uniform.max_abs <= math.sqrt(3) and uniform.beyond_2 == 0
    assert uniform.kurtosis == pytest.approx(9 / 5, abs=0.02)
    assert cut.max_abs <= 2 / 0.87962566103423978
    # P(|u| > 2) = erfc(sqrt 2) = 4.55% for a normal (sample std 0.05% with 100,000 draws)
    assert normal.beyond_2 == pytest.approx(math.erfc(math.sqrt(2)), abs=0.003)
    assert normal.kurtosis == pytest.approx(3, abs=0.1) and cut.kurtosis == pytest.approx(2.37, abs=0.04)
    assert all(d.variance == pytest.approx(1, rel=0.03) for d in (normal, uniform, cut))


def test_z_kurtosis_formula_on_a_sparse_input(rng):
    # Two equal non-zero inputs: sum x^4 / (sum x^2)^2 = 1/2, so z = w1 + w2 has kurtosis
    # 3 + (1.8 - 3)/2 = 2.4 for uniform weights (the triangular distribution), 3 for normal ones.
    x = np.zeros(50)
    x[[3, 17]] = 1.0
    out = lesson.z_kurtosis(x, 100_000, ["lecun_uniform", "lecun_normal"], rng=rng)
    assert out["lecun_uniform"][1] == pytest.approx(2.4, abs=0.01)
    assert out["lecun_uniform"][0] == pytest.approx(2.4, abs=0.04)       # within 0.013 over seeds 0-9
    assert out["lecun_normal"][0] == pytest.approx(3.0, abs=0.1)          # within 0.03 over seeds 0-9


def test_train_accuracies_is_reproducible_and_uses_the_same_order():
    data = np.random.default_rng(5)
    X = data.standard_normal((300, 10))
    y = (X[:, 0] > 0).astype(int)
    kwargs = dict(n_seeds=2, epochs=2, batch_size=10, eta=0.5)
    a = lesson.train_accuracies((X, y), (X, y), [10, 8, 10], "tanh", ["lecun_normal", "lecun_uniform"],
                                rng=np.random.default_rng(0), **kwargs)
    b = lesson.train_accuracies((X, y), (X, y), [10, 8, 10], "tanh", ["lecun_normal", "lecun_uniform"],
                                rng=np.random.default_rng(0), **kwargs)
    assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)
    assert all(np.all(v > 0.8) for v in a.values())          # a linearly separable problem is learned


# ------------------------------------------------------------------------ preprocessing
def test_preprocess_and_second_moment(rng):
    X = rng.random((2000, 30))
    X[:, :5] = 0.0                                           # five pixels never lit
    assert lesson.second_moment_per_input(np.ones((4, 9))) == 1.0
    assert lesson.second_moment_per_input(X) == pytest.approx(25 / 30 / 3, rel=0.03)    # E[U(0,1)^2] = 1/3
    Xc = lesson.preprocess(X, "centred")
    assert np.allclose(Xc.mean(axis=0), 0, atol=1e-12)
    assert lesson.second_moment_per_input(Xc) == pytest.approx(25 / 30 / 12, rel=0.05)  # Var U(0,1) = 1/12
    Xs = lesson.preprocess(X, "standardized")
    assert lesson.second_moment_per_input(Xs) == pytest.approx(25 / 30, rel=1e-12)      # each live pixel: 1
    assert np.all(Xs[:, :5] == 0)
    other = lesson.preprocess(X[:10] + 1.0, "centred", reference=X)
    assert np.allclose(other, X[:10] + 1.0 - X.mean(axis=0))
    assert np.array_equal(lesson.preprocess(X, "raw"), X)
    with pytest.raises(ValueError, match="kind must be one of"):
        lesson.preprocess(X, "whitened")


def test_first_layer_z_std_is_sqrt_of_the_second_moment(rng):
    # Var[z_1] = n_in Var[w] E[x^2]; inputs with E[x^2] = 0.25, LeCun weights: std 0.5.
    # 4 draws of 200 units: within 0.6% for seeds 0-9.
    X = 0.5 * rng.standard_normal((1000, 100))
    z = lesson.first_layer_z_std(X, 200, "lecun_normal", rng=rng, n_seeds=4)
    assert z.mean() == pytest.approx(0.5, rel=0.05)


# ------------------------------------------------------------------------ gradient signs
def test_single_signed_fraction_by_hand():
    g = np.array([[1.0, 2.0, 0.0],        # single-signed
                  [1.0, -1.0, 3.0],       # mixed
                  [0.0, 0.0, 1.0],        # one non-zero entry: not counted
                  [-1.0, -2.0, -3.0]])    # single-signed
    assert lesson.single_signed_fraction(g) == pytest.approx(2 / 3)
    assert math.isnan(lesson.single_signed_fraction(np.zeros((3, 3))))


def test_gradient_signs_one_example_positive_inputs(rng):
    X = rng.standard_normal((200, 40))
    y = rng.integers(0, 10, 200)
    positive = lesson.gradient_sign_experiment(np.abs(X), y, ["tanh"], [1], layer=1, width=30, n_batches=5, rng=rng)
    mixed = lesson.gradient_sign_experiment(X, y, ["tanh"], [1], layer=1, width=30, n_batches=5, rng=rng)
    layer2 = lesson.gradient_sign_experiment(X, y, ["sigmoid", "relu", "tanh"], [1], layer=2, width=30,
                                             n_batches=5, rng=rng)
    assert positive["tanh"][0] == 1.0 and layer2["sigmoid"][0] == 1.0 and layer2["relu"][0] == 1.0
    # mixed-sign inputs: a row of 40 entries delta_j x is single-signed only if x is, chance 2^-39
    assert mixed["tanh"][0] == 0.0 and layer2["tanh"][0] == 0.0


# ------------------------------------------------------------------------ names and mistakes
def test_named_scheme_stds(rng):
    rows = lesson.named_scheme_stds(784, 30, rng=rng)
    assert len(rows) == len(lesson.NAMED_SCHEMES)
    for label, formula, name, std, drawn, tail in rows:
        assert std == pytest.approx(INITIALIZERS[name].std(784, 30))
        assert drawn == pytest.approx(std, rel=0.03)               # 23,520 draws: sample std ~0.5%
    by_label = {r[0]: r for r in rows}
    assert by_label['"Xavier" in Deep Learning from Scratch and many posts'][2] == "lecun_normal"
    assert by_label["Keras he_normal"][5] <= 2 / 0.87962566103423978 + 0.05


def test_kaiming_mistake_grows_by_n_over_2():
    # The bug's std ratio per layer is n/2 = 25 at n = 50 (geometric mean over 3 draws x 5 layers:
    # within 5.6% of 25 for seeds 0-9; finite width makes each single ratio scatter by ~15%).
    X = np.random.default_rng(2).standard_normal((200, 50))
    out = lesson.kaiming_mistake_profile(X, 6, 50, rng=np.random.default_rng(12345), n_seeds=3)
    ratio = np.exp(np.mean(np.log(out["divide"][:, 1:] / out["divide"][:, :-1])))
    assert ratio == pytest.approx(25, rel=0.12)
    # He keeps std sqrt 2 = 1.41 on average; single 50-wide draws drift to 0.8-2.2 by layer 6, and the
    # mean of 3 draws was off by up to a factor 1.37 at some layer over seeds 0-9
    assert np.all(np.abs(np.log(out["multiply"].mean(axis=0) / math.sqrt(2))) < math.log(1.6))
    with pytest.raises(ValueError, match="X must have 50 features"):
        lesson.kaiming_mistake_profile(X[:, :10], 6, 50, rng=np.random.default_rng(0))


@pytest.mark.parametrize("constant", [0.0, 0.01])
def test_symmetric_starts_stay_symmetric(constant, rng):
    X = rng.random((600, 20))
    y = rng.integers(0, 10, 600)
    result = lesson.zero_init_symmetry((X, y), (X, y), hidden=12, constant=constant, epochs=2, batch_size=20,
                                       eta=0.5, rng=rng)
    assert result.row_spread < 1e-10 and result.rank == 1
    assert result.first_step_norms[1] > 0                    # the output layer learns from the start
    if constant == 0:
        assert result.first_step_norms[0] == 0               # W2 = 0 passes no error back, once
    assert result.hidden_norm_after > 0 and result.w1_norm > 0


def test_small_weight_sigmoid_is_a_spike(rng):
    out = lesson.small_weight_sigmoid(rng.standard_normal((500, 100)), [0.01, 1.0], depth=3, width=100, rng=rng)
    # std 0.01: z has std 0.1 at layer 1 (|z| < 0.5 for all 50,000 values), so |a - 1/2| < 0.125
    assert out[0.01]["saturated"] == 0 and out[0.01]["max_offset"] < 0.15
    assert out[1.0]["saturated"] > 0.3                       # measured 0.59-0.62 over seeds 0-9
    assert len(out[1.0]["activations"]) == 3


def test_softsign_derivatives():
    check = lesson.softsign_derivatives()
    assert check.right_error < 1e-8
    assert check.wrong_error > 1
    assert np.all(check.wrong[check.z < 0] < 0) and np.all(check.numeric > 0)
    act = get_activation("softsign")
    assert act.prime(np.array([-3.0]))[0] == pytest.approx(1 / 16)


def test_dropout_means_closed_forms(rng):
    a = rng.random((50, 40))
    out = lesson.dropout_means(a, keep=0.5, n_masks=1000, rng=rng)
    # the mean of a * m over 1,000 masks of 2,000 entries: relative sample std ~0.1%
    assert out["classic train"] == pytest.approx(0.5 * a.mean(), rel=0.01)
    assert out["inverted train"] == pytest.approx(a.mean(), rel=0.01)
    assert out["classic test"] == 0.5 * out["no dropout"] and out["inverted test"] == out["no dropout"]
    assert out["inverted, test times keep"] == pytest.approx(0.5 * out["inverted test"])
    full = lesson.dropout_means(a, keep=1.0, n_masks=3, rng=rng)
    assert len(set(round(v, 12) for v in full.values())) == 1
    with pytest.raises(ValueError, match="keep must be a probability"):
        lesson.dropout_means(a, keep=0.0, rng=rng)


def test_saturation_thresholds_closed_forms():
    t = lesson.saturation_thresholds()
    sig = get_activation("sigmoid")
    assert sig.prime(np.array(t[("derivative < 0.01", "sigmoid")]))[()] == pytest.approx(0.01, rel=1e-9)
    assert sig(np.array(t[("within 0.02 of an asymptote", "sigmoid")])) == pytest.approx(0.98, rel=1e-12)
    assert 1 - math.tanh(t[("derivative < 0.01", "tanh")]) ** 2 == pytest.approx(0.01, rel=1e-9)
    assert math.tanh(t[("within 0.02 of an asymptote", "tanh")]) == pytest.approx(0.98, rel=1e-12)


def test_saturation_two_ways_matches_a_gaussian_z(rng):
    # Inputs half 1, half 0 (Nielsen's neuron, 784 of them): z ~ N(0, 392 + 1) for N(0, 1) weights
    # and biases; the shares beyond 4.585 and 3.892 follow erfc. 2,000 x 30 values: within 0.014
    # of it over seeds 0-9 (30 units, each with its own weights, so the share itself scatters).
    X = (rng.random((2000, 784)) < 0.5).astype(float)
    both = lesson.saturation_two_ways(X, rng=rng)
    s = math.sqrt(784 * 0.5 + 1)
    assert both["z_std"] == pytest.approx(s, rel=0.1)
    assert both["derivative"] == pytest.approx(math.erfc(4.5849 / (both["z_std"] * math.sqrt(2))), abs=0.03)
    assert both["output"] == pytest.approx(math.erfc(3.8918 / (both["z_std"] * math.sqrt(2))), abs=0.03)
    assert both["output"] > both["derivative"]


# ------------------------------------------------------------------------------- figures
def test_figures_draw_what_they_are_given(rng):
    layers = np.arange(1, 6)
    z = [np.vstack([layers * 0.1, layers * 0.12]) for _ in range(2)]
    fig = figures.plot_tanh_gains(["a", "b"], z, [layers * 0.1] * 2, [2, 4], np.zeros((2, 2, 2)), np.zeros((2, 2)))
    assert len(fig.axes) == 2 and fig.axes[0].get_legend() is not None
    plt.close(fig)
    leaky = dict(slopes=np.array([0.1, 1.0]), he=np.ones((2, 2)), matched=np.ones((2, 2)), predicted_he=np.ones(2))
    fig = figures.plot_leaky_relu_growth(leaky)
    assert fig.axes[0].get_yscale() == "log"
    plt.close(fig)
    samples = {n: rng.standard_normal((10, 10)) for n in ("lecun_normal", "lecun_uniform", "lecun_truncated_normal")}
    fig = figures.plot_distributions(samples, {n: np.ones((2, 3)) for n in samples}, {n: np.ones(3) for n in samples})
    assert len(fig.axes) == 3
    plt.close(fig)
    fig = figures.plot_gradient_signs([1, 10], {"p": {"relu": [1, 0.5]}, "q": {"tanh": [0, 0]}})
    assert len(fig.axes) == 2
    plt.close(fig)
    fig = figures.plot_kaiming_mistake({"multiply": np.ones((2, 3)), "divide": np.ones((2, 3))}, 10)
    assert fig.axes[0].get_yscale() == "log"
    plt.close(fig)
    fig = figures.plot_small_sigmoid({"std 1": rng.random(100)})
    plt.close(fig)
    fig = figures.plot_softsign_derivatives(lesson.softsign_derivatives())
    assert len(fig.axes[0].lines) >= 3
    plt.close(fig)
