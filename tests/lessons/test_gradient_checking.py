"""Tests of course_lib.lessons.gradient_checking: each bug is what its docstring says, and is invisible
exactly where its docstring says."""
import numpy as np
import pytest

from course_lib import Network
from course_lib.lessons import gradient_checking as bb
from course_lib.lessons.gradient_checking import BUGS, CheckSetup, catch_table, correct_backward, format_catch_table
from course_lib.nn.gradcheck import check_gradients


def make(rng, sizes=(5, 4, 4, 4), activation="tanh", cost="log_likelihood", B=6, **kw):
    kw.setdefault("init", "xavier_normal")
    kw.setdefault("bias_init", 0.1)
    net = Network(list(sizes), activation=activation, cost=cost, rng=rng, **kw)
    X = rng.standard_normal((B, sizes[0]))
    Y = np.eye(sizes[-1])[rng.integers(0, sizes[-1], size=B)]
    return net, X, Y


def grads(backward, net, X, Y, lmbda=0.0, n=None):
    gW, gb = backward(net, X, Y, lmbda, n)
    return list(gW) + list(gb)


def same(a, b, tol=1e-12):
    return all(x.shape == y.shape and np.allclose(x, y, rtol=tol, atol=1e-15) for x, y in zip(a, b))


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "hardtanh"])
@pytest.mark.parametrize("cost, output", [("log_likelihood", "softmax"), ("cross_entropy", "sigmoid"),
                                          ("quadratic", "sigmoid")])
def test_correct_backward_equals_network_backward(rng, activation, cost, output):
    net, X, Y = make(rng, sizes=(5, 6, 4, 3), activation=activation, cost=cost, output=output)
    for lmbda, n in ((0.0, None), (2.0, 50)):
        gW, gb = net.gradients(X, Y, lmbda=lmbda, n=n)
        assert same(grads(correct_backward, net, X, Y, lmbda, n), list(gW) + list(gb))


def test_every_bug_documents_wrong_and_right_and_is_caught_by_a_thorough_check(rng):
    assert len(BUGS) == 12
    net, X, Y = make(rng)
    for _ in range(10):                                    # move the biases off their initial values
        gW, gb = net.gradients(X, Y, lmbda=5.0, n=50)
        for p, g in zip(net.weights + net.biases, gW + gb):
            p -= 0.5 * g
    for name, bug in BUGS.items():
        doc = bug.__doc__
        assert "Wrong:" in doc and "Right:" in doc, name
        report = check_gradients(net, X, Y, lmbda=5.0, n=50, mode="full", backward=bug)
        assert report.max_rel_error > 1e-3, name
    assert check_gradients(net, X, Y, lmbda=5.0, n=50, mode="full", backward=correct_backward).passed()


# ------------------------------------------------------------------ what each bug computes
def test_sign_flip_factor_two_and_double_average_are_exact_multiples(rng):
    net, X, Y = make(rng)
    right = grads(correct_backward, net, X, Y)
    assert same(grads(bb.sign_flip, net, X, Y), [-g for g in right])
    assert same(grads(bb.factor_of_two, net, X, Y), [2 * g for g in right])
    assert same(grads(bb.double_batch_average, net, X, Y), [g / len(X) for g in right])


def test_l2_bugs_differ_by_their_terms(rng):
    net, X, Y = make(rng)
    lmbda, n = 3.0, 30
    right = grads(correct_backward, net, X, Y, lmbda, n)
    L = net.depth
    missing = grads(bb.missing_l2_gradient, net, X, Y, lmbda, n)
    half = grads(bb.l2_half_factor, net, X, Y, lmbda, n)
    on_b = grads(bb.l2_on_biases, net, X, Y, lmbda, n)
    for l, W in enumerate(net.weights):
        np.testing.assert_allclose(right[l] - missing[l], (lmbda / n) * W, rtol=1e-10)
        np.testing.assert_allclose(right[l] - half[l], (lmbda / (2 * n)) * W, rtol=1e-10)
    for l, b in enumerate(net.biases):
        np.testing.assert_allclose(on_b[L + l] - right[L + l], (lmbda / n) * b, rtol=1e-10)


def test_off_by_one_zeroes_the_last_row_only(rng):
    net, X, Y = make(rng)
    right = grads(correct_backward, net, X, Y)
    wrong = grads(bb.off_by_one_last_unit, net, X, Y)
    for l in range(net.depth):
        assert np.all(wrong[l][-1] == 0) and np.any(right[l][-1] != 0)
        np.testing.assert_allclose(wrong[l][:-1], right[l][:-1], rtol=1e-12)
    assert same(wrong[net.depth:], right[net.depth:])


def test_bias_not_summed_uses_the_first_example(rng):
    net, X, Y = make(rng)
    wrong = grads(bb.bias_not_summed, net, X, Y)
    first = grads(correct_backward, net, X[:1], Y[:1])
    assert same(wrong[net.depth:], first[net.depth:])


def test_output_derivative_kept_multiplies_by_a_one_minus_a(rng):
    net, X, Y = make(rng, sizes=(5, 3), cost="cross_entropy")
    a = net.forward(X)[0]
    delta = (a - Y) * a * (1 - a)
    gW, gb = bb.output_derivative_kept(net, X, Y)
    np.testing.assert_allclose(gW[0], delta.T @ X / len(X), rtol=1e-12)
    np.testing.assert_allclose(gb[0], delta.mean(axis=0), rtol=1e-12)


# -------------------------------------------------------------- where each bug is invisible
def test_batch_bugs_invisible_with_batch_size_one(rng):
    net, X, Y = make(rng, B=1)
    right = grads(correct_backward, net, X, Y)
    for bug in (bb.bias_not_summed, bb.double_batch_average):
        assert same(grads(bug, net, X, Y), right)
    net, X, Y = make(rng, B=3)
    right = grads(correct_backward, net, X, Y)
    for bug in (bb.bias_not_summed, bb.double_batch_average):
        assert not same(grads(bug, net, X, Y), right, tol=1e-6)


def test_l2_bugs_invisible_with_lmbda_zero(rng):
    net, X, Y = make(rng)
    right = grads(correct_backward, net, X, Y)
    for bug in (bb.missing_l2_gradient, bb.l2_on_biases, bb.l2_half_factor):
        assert same(grads(bug, net, X, Y), right)


def test_l2_on_biases_invisible_at_init_with_zero_biases(rng):
    net, X, Y = make(rng, bias_init="zeros")
    assert np.all(net.biases[0] == 0)
    right = grads(correct_backward, net, X, Y, 5.0, 50)
    assert same(grads(bb.l2_on_biases, net, X, Y, 5.0, 50), right)


def test_recursion_bugs_invisible_without_hidden_layer(rng):
    net, X, Y = make(rng, sizes=(5, 4))
    right = grads(correct_backward, net, X, Y)
    for bug in (bb.missing_activation_derivative, bb.transposed_weights, bb.derivative_of_output):
        assert same(grads(bug, net, X, Y), right)


def test_missing_derivative_harmless_for_identity_and_derivative_of_output_for_relu(rng):
    net, X, Y = make(rng, activation="identity")
    assert same(grads(bb.missing_activation_derivative, net, X, Y), grads(correct_backward, net, X, Y))
    net, X, Y = make(rng, activation="relu")
    assert same(grads(bb.derivative_of_output, net, X, Y), grads(correct_backward, net, X, Y))


def test_derivative_of_output_masked_by_small_pre_activations(rng):
    # tanh'(tanh z) - tanh'(z) ~ (2/3) z^4: tiny at std 0.001, large at Xavier's scale
    net, X, Y = make(rng, init=0.001, bias_init="zeros")
    right, wrong = grads(correct_backward, net, X, Y), grads(bb.derivative_of_output, net, X, Y)
    assert max(np.abs(r - w).max() / np.abs(r).max() for r, w in zip(right, wrong)) < 1e-9
    net, X, Y = make(rng)
    right, wrong = grads(correct_backward, net, X, Y), grads(bb.derivative_of_output, net, X, Y)
    assert np.abs(right[0] - wrong[0]).max() > 1e-2 * np.abs(right[0]).max()


def test_transposed_weights_raise_on_non_square_layers(rng):
    net, X, Y = make(rng, sizes=(5, 6, 3))
    with pytest.raises(ValueError):
        bb.transposed_weights(net, X, Y)


def test_bad_arguments(rng):
    net, X, Y = make(rng)
    with pytest.raises(ValueError, match="lmbda must be"):
        correct_backward(net, X, Y, -1.0)
    with pytest.raises(ValueError, match="n \\(the training-set size"):
        correct_backward(net, X, Y, 1.0, 0)
    with pytest.raises(ValueError, match="net must be"):
        correct_backward("net", X, Y)


# --------------------------------------------------------------------------- catch_table
def test_catch_table_matches_separate_checks_and_flags_shape_errors():
    setups = [CheckSetup("B=1", batch=1), CheckSetup("l2", lmbda=5.0, n=50, train_steps=3),
              CheckSetup("dir", lmbda=5.0, n=50, mode="directional", num_checks=3),
              CheckSetup("wide", sizes=(6, 5, 4), lmbda=5.0, n=50)]
    bugs = {"(no bug)": correct_backward, "bias_not_summed": bb.bias_not_summed,
            "l2_on_biases": bb.l2_on_biases, "transposed_weights": bb.transposed_weights}
    table = catch_table(bugs, setups, seed=3)
    assert list(table) == list(bugs) and all(len(row) == 4 for row in table.values())
    assert not any(r.caught for r in table["(no bug)"])
    assert [r.caught for r in table["bias_not_summed"]] == [False, True, True, True]
    assert [r.caught for r in table["l2_on_biases"]][:2] == [False, True]   # trained biases are nonzero
    wide = table["transposed_weights"][3]
    assert wide.caught and wide.error and np.isnan(wide.rel_error)
    # the reused finite differences give the numbers of a separate check
    net, X, y = bb._prepared_net(setups[1], "tanh", "log_likelihood", np.random.default_rng(3))
    alone = check_gradients(net, X, y, lmbda=5.0, n=50, mode="full", backward=bb.bias_not_summed)
    assert table["bias_not_summed"][1].rel_error == pytest.approx(alone.max_rel_error, rel=1e-12)
    text = format_catch_table(table, setups)
    lines = text.splitlines()
    assert lines[0].split()[:2] == ["bug", "B=1"] and len(lines) == 3 + len(bugs)
    assert "shape x" in text and lines[3].endswith(".") and " x" in lines[4]


def test_check_setup_training_moves_biases():
    net, _, _ = bb._prepared_net(CheckSetup("t", train_steps=5), "tanh", "log_likelihood", np.random.default_rng(0))
    assert np.abs(net.biases[0]).max() > 0
    net, _, _ = bb._prepared_net(CheckSetup("t"), "tanh", "log_likelihood", np.random.default_rng(0))
    assert np.all(net.biases[0] == 0)
