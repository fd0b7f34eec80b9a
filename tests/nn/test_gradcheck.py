"""Tests of course_lib.nn.gradcheck against hand-computed values and closed forms."""
import numpy as np
import pytest

from course_lib import Network
from course_lib.lessons.gradient_checking import correct_backward, factor_of_two, missing_l2_gradient, sign_flip
from course_lib.nn.gradcheck import (
    BANDS,
    RELATIVE_ERRORS,
    GradCheckReport,
    check_gradients,
    h_sweep,
    numerical_gradient,
    relative_error,
    relative_error_maxabs,
    relative_error_norm,
    verdict,
)


def small_net(rng, activation="tanh", sizes=(4, 5, 3), cost="log_likelihood", **kw):
    kw.setdefault("init", "xavier_normal")
    kw.setdefault("bias_init", 0.1)
    return Network(list(sizes), activation=activation, cost=cost, rng=rng, **kw)


def batch(rng, net, B=4):
    return rng.standard_normal((B, net.sizes[0])), rng.integers(0, net.sizes[-1], size=B)


# ----------------------------------------------------------------------------- relative errors
class TestRelativeError:
    def test_hand_computed(self):
        # entry 0: |1 - 1.1| / (1 + 1.1) = 0.1 / 2.1; entry 1: 0
        assert relative_error([1.0, 2.0], [1.1, 2.0]) == pytest.approx(0.1 / 2.1, rel=1e-12)
        # the max over entries, not a ratio of maxima: entry 1 has 1/3, entry 0 has 1e-3/(2.001)
        assert relative_error([1.0, 1.0], [1.001, 2.0]) == pytest.approx(1 / 3, rel=1e-12)

    def test_sign_flip_is_one_and_factor_two_is_a_third(self, rng):
        g = rng.standard_normal(50)
        assert relative_error(g, -g) == pytest.approx(1.0, abs=1e-15)
        assert relative_error(2 * g, g) == pytest.approx(1 / 3, rel=1e-12)

    def test_scale_invariant(self, rng):
        a = rng.standard_normal(20)
        b = a + 1e-6 * rng.standard_normal(20)
        for scale in (1e-6, 1e3):
            assert relative_error(scale * a, scale * b) == pytest.approx(relative_error(a, b), rel=1e-9)

    def test_zeros_and_eps_guard(self):
        assert relative_error([0.0, 0.0], [0.0, 0.0]) == 0.0
        # both tiny: the denominator is eps = 1e-12, not 1e-13
        assert relative_error([1e-13], [0.0]) == pytest.approx(0.1, rel=1e-12)
        assert relative_error(np.zeros((0,)), np.zeros((0,))) == 0.0

    def test_nan_is_not_small(self):
        assert not relative_error([np.nan], [1.0]) < 1e-7
        assert verdict(relative_error([np.nan], [1.0])) == "wrong"

    def test_shape_mismatch_raises(self):
        for f in RELATIVE_ERRORS.values():
            with pytest.raises(ValueError, match="same shape"):
                f(np.zeros(3), np.zeros(4))

    def test_norm_formula_hand_computed(self):
        # ||(0, -0.5)|| / (5 + sqrt(9 + 20.25))
        assert relative_error_norm([3.0, 4.0], [3.0, 4.5]) == pytest.approx(0.5 / (5 + np.sqrt(29.25)), rel=1e-12)
        assert relative_error_norm([0.0], [0.0]) == 0.0

    def test_norm_formula_dilutes_a_bug_in_small_entries(self):
        big = np.full(100, 1.0)
        a = np.concatenate([big, [1e-3]])
        b = np.concatenate([big, [-1e-3]])      # the small entry's sign is wrong
        assert relative_error(a, b) == pytest.approx(1.0)
        assert relative_error_norm(a, b) < 1e-3

    def test_elementwise_formula_flags_round_off_on_tiny_entries(self):
        a = np.array([1.0, 1e-6])
        b = a + np.array([1e-12, 1e-12])         # identical round-off on both entries
        assert relative_error(a, b) == pytest.approx(1e-12 / 2e-6, rel=1e-4)   # 5e-7: not "good"
        assert relative_error_norm(a, b) < 1e-12

    def test_maxabs_hand_computed_and_bounds(self, rng):
        assert relative_error_maxabs([1.0, 2.0], [1.1, 2.0]) == pytest.approx(0.1 / 1.1, rel=1e-12)
        assert relative_error_maxabs([1.0], [-1.0]) == pytest.approx(2.0)
        for _ in range(5):
            a, b = rng.standard_normal(30), rng.standard_normal(30)
            cs = relative_error(a, b)
            assert cs <= relative_error_maxabs(a, b) <= 2 * cs + 1e-15

    def test_registry(self):
        assert RELATIVE_ERRORS == {"cs231n": relative_error, "norm": relative_error_norm,
                                   "maxabs": relative_error_maxabs}


class TestVerdict:
    @pytest.mark.parametrize("value, word", [
        (0.0, "good"), (9.99e-8, "good"), (1e-7, "ok only with kinks"), (9.9e-5, "ok only with kinks"),
        (1e-4, "suspicious"), (9.9e-3, "suspicious"), (1e-2, "wrong"), (1.0, "wrong"),
        (np.inf, "wrong"), (np.nan, "wrong"),
    ])
    def test_bands(self, value, word):
        assert verdict(value) == word

    def test_bands_increase(self):
        bounds = [b for b, _ in BANDS]
        assert bounds == sorted(bounds) and bounds[0] == 1e-7 and bounds[-1] == np.inf


# ------------------------------------------------------------------------- numerical_gradient
class TestNumericalGradient:
    def test_cubic_centred_error_is_exactly_h_squared(self, rng):
        # ((x+h)^3 - (x-h)^3) / 2h = 3x^2 + h^2: the truncation error is h^2 f'''/6 = h^2
        x = rng.uniform(0.5, 2.0, size=5)
        f = lambda: float(np.sum(x**3))
        for h in (1e-1, 1e-2):
            err = numerical_gradient(f, x, h=h) - 3 * x**2
            np.testing.assert_allclose(err, h**2, rtol=1e-5)

    def test_cubic_forward_error_is_3xh_plus_h_squared(self, rng):
        x = rng.uniform(0.5, 2.0, size=5)
        f = lambda: float(np.sum(x**3))
        h = 1e-2
        err = numerical_gradient(f, x, h=h, method="forward") - 3 * x**2
        np.testing.assert_allclose(err, 3 * x * h + h**2, rtol=1e-5)

    def test_centred_error_falls_as_h_squared(self):
        x = np.array([1.0])
        f = lambda: float(np.sin(x[0]))
        errs = [abs(numerical_gradient(f, x, h=h)[0] - np.cos(1.0)) for h in (1e-2, 5e-3, 2.5e-3)]
        # halving h divides the error by 4 (the h^2 sin'''(1)/6 term dominates here)
        assert errs[0] / errs[1] == pytest.approx(4.0, rel=1e-3)
        assert errs[1] / errs[2] == pytest.approx(4.0, rel=1e-3)
        assert errs[0] == pytest.approx(1e-4 * np.cos(1.0) / 6, rel=1e-3)

    def test_x_restored_bit_for_bit(self, rng):
        x = rng.standard_normal((3, 4))
        before = x.copy()
        numerical_gradient(lambda: float(np.sum(np.tanh(x))), x, h=1e-3)
        assert np.array_equal(x, before)

    def test_indices_flat_and_tuple(self, rng):
        x = rng.standard_normal((3, 4))
        f = lambda: float(np.sum(x**2))
        full = numerical_gradient(f, x)
        np.testing.assert_allclose(full, 2 * x, rtol=1e-8)
        got = numerical_gradient(f, x, indices=[5, (2, 3)])
        assert got.shape == (2,)
        np.testing.assert_allclose(got, [full.flat[5], full[2, 3]], rtol=1e-12)

    def test_float32_works(self):
        x = np.array([1.0], dtype=np.float32)
        g = numerical_gradient(lambda: float(np.sum(x * x)), x, h=1e-2)
        assert g.dtype == np.float64 and g[0] == pytest.approx(2.0, rel=1e-4)

    @pytest.mark.parametrize("h", [0.0, -1e-5, np.nan, np.inf])
    def test_bad_h(self, h):
        with pytest.raises(ValueError, match="h must be"):
            numerical_gradient(lambda: 0.0, np.zeros(2), h=h)

    def test_bad_method(self):
        with pytest.raises(ValueError, match="method must be"):
            numerical_gradient(lambda: 0.0, np.zeros(2), method="backward")


class TestHSweep:
    def test_cubic_sweep_matches_closed_forms(self):
        x = np.array([1.5])
        f = lambda: float(x[0] ** 3)
        hs = np.array([1e-1, 1e-2, 1e-3])
        np.testing.assert_allclose(h_sweep(f, x, 3 * 1.5**2, hs, index=0), hs**2, rtol=1e-4)
        np.testing.assert_allclose(h_sweep(f, x, 3 * 1.5**2, hs, index=0, method="forward"),
                                   3 * 1.5 * hs + hs**2, rtol=1e-4)

    def test_truncation_then_round_off_best_near_1e5(self):
        x = np.array([1.0])
        f = lambda: float(np.sin(x[0]))
        hs = np.logspace(-1, -12, 45)
        err = h_sweep(f, x, np.cos(1.0), hs)
        best = hs[np.argmin(err)]
        assert 1e-6 <= best <= 1e-4
        assert err.min() < 1e-10
        assert err[-1] > 1e-6 > err[np.argmin(abs(hs - 1e-5))]   # h = 1e-12: round-off wins
        # round-off grows as 1/h: over 1e-12..1e-9 the fitted exponent is about -1
        keep = hs <= 1e-9
        slope = np.polyfit(np.log10(hs[keep]), np.log10(err[keep]), 1)[0]
        assert -1.5 < slope < -0.5

    def test_float32_is_far_worse(self):
        errs = {}
        for dtype in (np.float64, np.float32):
            x = np.array([1.0], dtype=dtype)
            f = lambda: float(np.sin(x)[0])
            errs[dtype] = h_sweep(f, x, np.cos(1.0), np.logspace(-1, -8, 29))
        assert errs[np.float32].min() > 100 * errs[np.float64].min()

    def test_relative_formula_and_all_entries(self, rng):
        x = rng.uniform(1, 2, size=3)
        f = lambda: float(np.sum(x**3))
        err = h_sweep(f, x, 3 * x**2, [1e-2], error="norm")
        expected = relative_error_norm(3 * x**2 + 1e-4, 3 * x**2)
        assert err[0] == pytest.approx(expected, rel=1e-4)

    def test_bad_arguments(self):
        x = np.zeros(2)
        with pytest.raises(ValueError, match="hs must be"):
            h_sweep(lambda: 0.0, x, 0.0, [1e-3, -1.0])
        with pytest.raises(ValueError, match="hs must be"):
            h_sweep(lambda: 0.0, x, 0.0, [])
        with pytest.raises(ValueError, match="error must be"):
            h_sweep(lambda: 0.0, x, 0.0, [1e-3], error="bogus")
        with pytest.raises(ValueError, match="exact must have"):
            h_sweep(lambda: 0.0, x, np.zeros(3), [1e-3])


# ---------------------------------------------------------------------------- check_gradients
class TestCheckGradients:
    @pytest.mark.parametrize("activation", ["sigmoid", "tanh", "softsign", "identity"])
    @pytest.mark.parametrize("cost, output", [("log_likelihood", "softmax"), ("cross_entropy", "sigmoid"),
                                              ("quadratic", "identity")])
    def test_correct_backprop_passes(self, rng, activation, cost, output):
        net = small_net(rng, activation, sizes=(4, 5, 4, 3), cost=cost, output=output)
        X, y = batch(rng, net)
        report = check_gradients(net, X, y, lmbda=1.0, n=10, mode="full")
        assert [p.name for p in report.params] == ["W1", "b1", "W2", "b2", "W3", "b3"]
        assert report.max_error("norm") < 1e-8
        assert report.max_rel_error < 1e-6 and report.kink_crossings == 0
        assert sum(p.checked for p in report.params) == sum(p.size for _, p in net.parameters())

    def test_catches_planted_bugs_with_closed_form_errors(self, rng):
        net = small_net(rng)
        X, y = batch(rng, net)
        flipped = check_gradients(net, X, y, mode="full", backward=sign_flip)
        assert flipped.max_rel_error == pytest.approx(1.0, abs=1e-6)
        assert not flipped.passed() and flipped.params[0].verdict == "wrong"
        doubled = check_gradients(net, X, y, mode="full", backward=factor_of_two)
        for p in doubled.params:
            assert p.rel_error == pytest.approx(1 / 3, abs=1e-6)
        assert check_gradients(net, X, y, mode="full", backward=correct_backward).passed()

    def test_l2_bug_caught_only_with_lmbda(self, rng):
        net = small_net(rng)
        X, y = batch(rng, net)
        assert check_gradients(net, X, y, mode="full", backward=missing_l2_gradient).passed()
        assert not check_gradients(net, X, y, lmbda=2.0, n=10, mode="full", backward=missing_l2_gradient).passed()
        assert check_gradients(net, X, y, lmbda=2.0, n=10, mode="full").passed()

    def test_parameters_restored(self, rng):
        net = small_net(rng, "relu")
        X, y = batch(rng, net)
        before = [p.copy() for _, p in net.parameters()]
        for mode in ("full", "subset", "directional"):
            check_gradients(net, X, y, mode=mode, num_checks=3, rng=rng)
        for b, (_, p) in zip(before, net.parameters()):
            assert np.array_equal(b, p)

    def test_subset_and_directional_counts(self, rng):
        net = small_net(rng)
        X, y = batch(rng, net)
        sub = check_gradients(net, X, y, mode="subset", num_checks=4, rng=rng)
        assert [p.checked for p in sub.params] == [4, 4, 4, 3]     # b2 has only 3 entries
        assert all(len(set(p.indices)) == p.checked for p in sub.params)
        d = check_gradients(net, X, y, mode="directional", num_checks=2, rng=rng)
        assert [p.checked for p in d.params] == [2, 2, 2, 2] and d.params[0].indices is None
        assert sub.passed() and d.passed()

    def test_directional_detects_a_bug_in_one_row(self, rng):
        from course_lib.lessons.gradient_checking import off_by_one_last_unit

        net = small_net(rng, sizes=(20, 30, 10))
        X, y = batch(rng, net, B=6)
        d = check_gradients(net, X, y, mode="directional", num_checks=3, rng=rng, backward=off_by_one_last_unit)
        assert d.params[0].rel_error > 1e-3 and d.params[1].rel_error < 1e-7   # W1 wrong, b1 right

    def test_backward_aliasing_parameters_is_compared_to_a_copy(self, rng):
        net = small_net(rng)
        X, y = batch(rng, net)
        W1 = net.weights[0].copy()
        report = check_gradients(net, X, y, mode="full", backward=lambda net, X, Y, l, n: (net.weights, net.biases))
        np.testing.assert_array_equal(report.params[0].analytic, W1.reshape(-1))

    def test_wrong_gradient_shape_is_named(self, rng):
        net = small_net(rng)
        X, y = batch(rng, net)

        def bad(net, X, Y, lmbda, n):
            gW, gb = net.gradients(X, Y)
            return gW, [gb[0][:, None], gb[1]]

        with pytest.raises(ValueError, match="gradient of b1 has shape"):
            check_gradients(net, X, y, mode="full", backward=bad)

    def test_bad_arguments(self, rng):
        net = small_net(rng)
        X, y = batch(rng, net)
        with pytest.raises(ValueError, match="mode must be"):
            check_gradients(net, X, y, mode="partial", rng=rng)
        with pytest.raises(ValueError, match="rng must be"):
            check_gradients(net, X, y, mode="subset")
        for bad in (0, -1, 2.5, True):
            with pytest.raises(ValueError, match="num_checks must be"):
                check_gradients(net, X, y, mode="subset", num_checks=bad, rng=rng)

    def test_float32_network_is_checked_in_float64_and_says_so(self):
        """In its own dtype a float32 cost cannot resolve h = 1e-5 (relative error ~1 for
        correct backprop); by default the check runs on a float64 copy, passes, and says so."""
        X = np.random.default_rng(2).standard_normal((8, 20))
        y = np.arange(8) % 3
        reports = {}
        for dtype, precision in ((np.float64, "float64"), (np.float32, "float64"), (np.float32, "network")):
            net = Network([20, 10, 3], activation="sigmoid", cost="log_likelihood", init="xavier_normal",
                          rng=np.random.default_rng(1), dtype=dtype)
            reports[dtype, precision] = check_gradients(net, X, y, mode="subset", num_checks=5, h=1e-5,
                                                        rng=np.random.default_rng(3), precision=precision)
        assert reports[np.float64, "float64"].passed()
        on_copy = reports[np.float32, "float64"]
        assert on_copy.passed() and on_copy.dtype == "float32"
        assert "float32 network: checked on a float64 copy" in str(on_copy)
        native = reports[np.float32, "network"]
        assert native.max_rel_error > 1e-2
        # ...but the entries it gets wrong are reported as beyond its resolution, not as a bug
        assert native.below_resolution > 0
        assert all(p.verdict != "wrong" for p in native.params), str(native)
        with pytest.raises(ValueError, match="precision must be"):
            check_gradients(net, X, y, mode="full", precision="float16")

    def test_saturated_net_entries_below_resolution_are_not_wrong(self):
        """std 100 sigmoid net: many centred differences are exactly 0 (the step changes the
        cost by less than half an ulp) where backprop says ~1e-11. Those entries are reported
        as unresolved; the entries the difference can resolve are judged, and pass."""
        rng = np.random.default_rng(0)
        net = Network([50, 30, 10], init=100.0, rng=rng)
        X = rng.random((20, 50))
        y = rng.integers(0, 10, 20)
        report = check_gradients(net, X, y, mode="full")
        assert report.max_rel_error > 1e-2                     # the raw band would say "wrong"
        assert report.below_resolution > 0
        p = next(p for p in report.params if p.below_resolution)
        unresolved = p._unresolved()
        assert np.all(np.abs(p.analytic[unresolved] - p.numeric[unresolved]) <= p.roundoff)
        assert all(p.verdict in ("good", "ok only with kinks", "below resolution") for p in report.params), str(report)
        assert "unresolved" in str(report)

    def test_a_real_bug_in_a_saturated_net_is_still_wrong(self):
        """Round-off excuses only disagreements smaller than ulp(C)/h; a bug is far larger."""
        rng = np.random.default_rng(0)
        net = Network([50, 30, 10], init=100.0, rng=rng)
        X = rng.random((20, 50))
        y = rng.integers(0, 10, 20)

        def doubled_output_layer(net, X, Y, lmbda, n):
            gW, gb = net.backward(net.forward(X)[1], Y, lmbda=lmbda, n=n)
            gW[-1] = 2 * gW[-1]
            return gW, gb

        report = check_gradients(net, X, y, mode="full", backward=doubled_output_layer)
        assert report.params[2].verdict == "wrong", str(report)


# --------------------------------------------------------------------------------------- kinks
def kinky_net(z_target, activation="relu", unit=2, kink=0.0):
    net = Network([4, 5, 3], activation=activation, cost="log_likelihood", init="he_normal",
                  rng=np.random.default_rng(6))
    x = np.random.default_rng(7).standard_normal((1, 4))
    z = x @ net.weights[0].T + net.biases[0]
    net.biases[0][unit] -= z[0, unit] - (kink + z_target)
    return net, x


class TestKinks:
    def test_relu_crossing_detected_with_closed_form_error(self):
        z, h = 3e-6, 1e-5
        net, x = kinky_net(z)
        report = check_gradients(net, x, [1], mode="full", h=h)
        b1 = report.params[1]
        assert b1.kink_crossings == 1 and report.params[0].kink_crossings >= 1
        # numeric = g (z + h) / 2h against g: relative error (h - z) / (3h + z)
        assert b1.rel_error == pytest.approx((h - z) / (3 * h + z), abs=1e-6)
        assert b1.rel_error_without_kinks < 1e-7
        assert b1.crossed.sum() == 1 and b1.crossed[2]
        assert b1.error("cs231n", without_kinks=True) == pytest.approx(b1.rel_error_without_kinks)
        assert report.max_rel_error_without_kinks < 1e-5

    def test_no_crossing_when_h_is_smaller_than_the_distance(self):
        net, x = kinky_net(3e-6)
        report = check_gradients(net, x, [1], mode="full", h=1e-7)
        assert report.kink_crossings == 0 and report.params[1].rel_error < 1e-7

    def test_hardtanh_kinks_at_plus_one(self):
        net, x = kinky_net(-3e-6, activation="hardtanh", kink=1.0)
        report = check_gradients(net, x, [1], mode="full", h=1e-5)
        assert report.params[1].kink_crossings == 1
        assert report.params[1].rel_error > 1e-2 and report.params[1].rel_error_without_kinks < 1e-7

    def test_smooth_activation_never_reports_crossings(self):
        net, x = kinky_net(3e-6, activation="tanh")
        report = check_gradients(net, x, [1], mode="full", h=1e-1)
        assert report.kink_crossings == 0

    def test_directional_counts_crossings(self):
        net, x = kinky_net(1e-9)
        report = check_gradients(net, x, [1], mode="directional", num_checks=5, h=1e-5,
                                 rng=np.random.default_rng(0))
        assert report.params[1].kink_crossings == 5        # any direction moves z by ~h >> 1e-9


# ------------------------------------------------------------------------------------ reports
class TestReport:
    def test_compare_with_equals_a_fresh_check(self, rng):
        net = small_net(rng)
        X, y = batch(rng, net)
        for mode in ("full", "subset"):
            base = check_gradients(net, X, y, mode=mode, num_checks=4, rng=np.random.default_rng(9),
                                   backward=correct_backward)
            fresh = check_gradients(net, X, y, mode=mode, num_checks=4, rng=np.random.default_rng(9),
                                    backward=factor_of_two)
            reused = base.compare_with(*factor_of_two(net, X, y))
            for a, b in zip(fresh.params, reused.params):
                assert a.rel_error == pytest.approx(b.rel_error, rel=1e-12)
                np.testing.assert_array_equal(a.indices, b.indices)

    def test_compare_with_rejects_directional_and_bad_shapes(self, rng):
        net = small_net(rng)
        X, y = batch(rng, net)
        d = check_gradients(net, X, y, mode="directional", num_checks=1, rng=rng)
        with pytest.raises(ValueError, match="directional"):
            d.compare_with(*net.gradients(X, y))
        full = check_gradients(net, X, y, mode="full")
        gW, gb = net.gradients(X, y)
        with pytest.raises(ValueError, match="expected gradients for 4"):
            full.compare_with(gW[:1], gb[:1])
        with pytest.raises(ValueError, match="gradient of W1"):
            full.compare_with([gW[0].T, gW[1]], gb)

    def test_formulas_and_overall_error(self, rng):
        net = small_net(rng)
        X, y = batch(rng, net)
        report = check_gradients(net, X, y, mode="full", backward=sign_flip)
        assert report.max_error("cs231n") == pytest.approx(1.0)
        assert report.max_error("maxabs") == pytest.approx(2.0)
        assert report.max_error("norm") == pytest.approx(1.0)
        assert report.overall_error("norm") == pytest.approx(1.0)
        with pytest.raises(ValueError, match="formula must be"):
            report.params[0].error("l2")
        assert GradCheckReport(mode="full", h=1e-5).overall_error() == 0.0

    def test_str_lists_every_parameter(self, rng):
        net = small_net(rng)
        X, y = batch(rng, net)
        text = str(check_gradients(net, X, y, mode="full"))
        assert "full, h=1e-05" in text
        for name in ("W1", "b1", "W2", "b2"):
            assert f"\n{name} " in text
        assert "good" in text

    def test_passed_uses_tol(self, rng):
        net = small_net(rng)
        X, y = batch(rng, net)
        report = check_gradients(net, X, y, mode="full", backward=factor_of_two)
        assert not report.passed() and report.passed(tol=0.5)
