"""Batch normalization: forward statistics in closed form, backward against centred differences."""
import numpy as np
import pytest

from course_lib import numerical_gradient, relative_error
from course_lib.nn.batchnorm import batchnorm_backward, batchnorm_forward


def test_forward_gives_each_unit_mean_beta_and_std_gamma(rng):
    z = rng.normal(3.0, 7.0, (64, 5))
    gamma, beta = rng.uniform(0.5, 2, 5), rng.normal(0, 1, 5)
    out, cache = batchnorm_forward(z, gamma, beta, eps=1e-5)
    np.testing.assert_allclose(out.mean(axis=0), beta, atol=1e-12)
    var = z.var(axis=0)
    np.testing.assert_allclose(out.std(axis=0), gamma * np.sqrt(var / (var + 1e-5)), rtol=1e-12)


def test_forward_ignores_the_scale_of_its_input(rng):
    z = rng.normal(0, 1, (32, 4))
    g, b = np.ones(4), np.zeros(4)
    small, _ = batchnorm_forward(z, g, b, eps=1e-12)
    large, _ = batchnorm_forward(1e4 * z + 5, g, b, eps=1e-12)
    np.testing.assert_allclose(small, large, atol=1e-9)


def test_backward_matches_centred_differences(rng):
    z = rng.normal(1.0, 2.0, (8, 3))
    gamma, beta = rng.uniform(0.5, 2, 3), rng.normal(0, 1, 3)
    R = rng.normal(0, 1, (8, 3))                     # cost = sum(out * R), so dout = R

    def cost():
        return float(np.sum(batchnorm_forward(z, gamma, beta)[0] * R))

    _, cache = batchnorm_forward(z, gamma, beta)
    dz, dgamma, dbeta = batchnorm_backward(R, cache)
    for analytic, x in ((dz, z), (dgamma, gamma), (dbeta, beta)):
        assert relative_error(analytic, numerical_gradient(cost, x)) < 1e-7


def test_backward_removes_shifts_and_rescalings(rng):
    z = rng.normal(0, 3, (16, 4))
    out, cache = batchnorm_forward(z, np.ones(4), np.zeros(4), eps=1e-12)
    dz, _, _ = batchnorm_backward(rng.normal(0, 1, (16, 4)), cache)
    np.testing.assert_allclose(dz.sum(axis=0), 0, atol=1e-12)            # no gradient along a shift
    np.testing.assert_allclose(np.sum(dz * cache.zhat, axis=0), 0, atol=1e-12)  # nor along a rescaling
    _, cache10 = batchnorm_forward(10 * z, np.ones(4), np.zeros(4), eps=1e-12)
    dz10, _, _ = batchnorm_backward(np.ones((16, 4)) + cache.zhat, cache10)
    dz1, _, _ = batchnorm_backward(np.ones((16, 4)) + cache.zhat, cache)
    np.testing.assert_allclose(dz10, dz1 / 10, atol=1e-12)              # 10x input, 1/10 gradient


def test_running_statistics_and_test_mode(rng):
    running = {}
    z = rng.normal(2.0, 3.0, (50, 2))
    batchnorm_forward(z, np.ones(2), np.zeros(2), running=running, momentum=0.0)
    np.testing.assert_allclose(running["mean"], z.mean(axis=0))
    out, cache = batchnorm_forward(z, np.ones(2), np.zeros(2), mode="test", running=running)
    assert cache is None
    np.testing.assert_allclose(out, (z - z.mean(axis=0)) / np.sqrt(z.var(axis=0) + 1e-5))


@pytest.mark.parametrize("kwargs, match", [
    (dict(z=np.zeros((1, 3))), "at least 2 rows"),
    (dict(z=np.zeros(3)), "2-D"),
    (dict(z=np.zeros((4, 3)), mode="eval"), "mode"),
    (dict(z=np.zeros((4, 3)), mode="test"), "running"),
    (dict(z=np.zeros((4, 3)), eps=0.0), "eps"),
])
def test_bad_input_is_named(kwargs, match):
    z = kwargs.pop("z")
    with pytest.raises(ValueError, match=match):
        batchnorm_forward(z, np.ones(z.shape[-1]), np.zeros(z.shape[-1]), **kwargs)
