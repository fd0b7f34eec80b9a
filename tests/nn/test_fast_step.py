"""course_lib.nn.fast_step: the tuned training step equals the plain one, kernel by kernel."""
import warnings

import numpy as np
import pytest

from course_lib import Activation, Network, sgd
from course_lib.nn.activations import ACTIVATIONS, SOFTMAX, sigmoid, sigmoid_prime, softmax
from course_lib.nn.fast_step import _in_place

from .test_train import blobs, max_relative_difference, reference_sgd


@pytest.mark.parametrize(
    "sizes, activation, cost, output",
    [
        ([4, 6, 3], "sigmoid", "cross_entropy", None),
        ([4, 6, 5, 3], "sigmoid", "log_likelihood", None),
        ([4, 6, 5, 3], "relu", "log_likelihood", None),
        ([4, 5, 3], "tanh", "quadratic", "identity"),
        ([4, 5, 3], "identity", "quadratic", "sigmoid"),
        ([4, 5, 3], "leaky_relu", "cross_entropy", None),  # no in-place kernel: the generic path
        ([4, 5, 3], "softsign", "quadratic", "tanh"),
    ],
)
def test_matches_a_plainly_written_step_to_1e12(sizes, activation, cost, output, rng):
    X, y = blobs(rng, n=47, n_in=sizes[0], n_classes=sizes[-1])  # 47 = 4 minibatches of 10 + 7
    net = Network(sizes, activation=activation, cost=cost, output=output, init="xavier_normal",
                  bias_init="standard_normal", rng=rng)
    expected = reference_sgd(net, X, y, epochs=3, batch_size=10, eta=0.3, lmbda=2.0, rng=np.random.default_rng(7))
    sgd(net, X, y, epochs=3, batch_size=10, eta=0.3, lmbda=2.0, rng=np.random.default_rng(7), monitor=())
    assert max_relative_difference(net, expected) < 1e-12


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "identity"])
def test_in_place_kernels_agree_with_the_library_activations(name, rng):
    act = ACTIVATIONS[name]
    f_into, prime_times = _in_place(act)
    z = np.concatenate([rng.standard_normal(40) * 5, [-1000.0, -40.0, 0.0, 40.0, 1000.0]]).reshape(5, 9)
    a = np.empty_like(z)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="ignore", invalid="ignore", under="ignore", divide="ignore"):
            f_into(z, a)
            delta = rng.standard_normal(z.shape)
            expected_delta = delta * act.prime(z, a)
            prime_times(z, a, delta, np.empty_like(z))
    np.testing.assert_allclose(a, act.fn(z), rtol=1e-15, atol=1e-300 if name != "sigmoid" else 1e-16)
    np.testing.assert_allclose(delta, expected_delta, rtol=1e-15, atol=1e-300)
    if name == "sigmoid":  # the saturated ends are exact
        assert a.ravel()[-5] == 0.0 and a.ravel()[-1] == 1.0


def test_softmax_kernel_is_the_library_softmax(rng):
    f_into, prime = _in_place(SOFTMAX)
    z = rng.standard_normal((6, 4)) * 30
    a = np.empty_like(z)
    f_into(z, a)
    np.testing.assert_array_equal(a, softmax(z))
    assert prime is None


def test_a_custom_activation_trains_like_the_library_one(rng):
    # An Activation the library does not know goes through its own fn and prime.
    mine = Activation("my_sigmoid", sigmoid, sigmoid_prime)
    X, y = blobs(rng)
    a = Network([4, 8, 3], activation=mine, rng=np.random.default_rng(1))
    b = Network([4, 8, 3], activation="sigmoid", rng=np.random.default_rng(1))
    for net in (a, b):
        sgd(net, X, y, epochs=2, batch_size=10, eta=0.5, rng=np.random.default_rng(2), monitor=())
    assert max_relative_difference(a, b) < 1e-12
