"""course_lib.data.synthetic: shapes, closed forms, the CS231n reference, same seed same bits."""
import numpy as np
import pytest

from course_lib.data import synthetic


@pytest.fixture
def rng():
    """Seed 0, the seed the CS231n comparison below uses."""
    return np.random.default_rng(0)



def test_saturation_input():
    x = synthetic.saturation_input()
    assert x.shape == (1000,) and x.dtype == np.float64
    assert x.sum() == 500 and set(np.unique(x)) == {0.0, 1.0}
    assert synthetic.saturation_input(10, 3).tolist() == [1, 1, 1, 0, 0, 0, 0, 0, 0, 0]
    with pytest.raises(ValueError, match="n_active must be an integer in 0..10"):
        synthetic.saturation_input(10, 11)
    with pytest.raises(ValueError, match="n_inputs"):
        synthetic.saturation_input(0, 0)


def cs231n_spiral(N, K, noise, rng):
    """The CS231n case-study loop, verbatim but for the generator."""
    X = np.zeros((N * K, 2))
    y = np.zeros(N * K, dtype="uint8")
    for j in range(K):
        ix = range(N * j, N * (j + 1))
        r = np.linspace(0.0, 1, N)
        t = np.linspace(j * 4, (j + 1) * 4, N) + rng.standard_normal(N) * noise
        X[ix] = np.c_[r * np.sin(t), r * np.cos(t)]
        y[ix] = j
    return X, y


def test_spiral_matches_cs231n(rng):
    X, y = synthetic.spiral(rng=rng)
    assert X.shape == (300, 2) and X.dtype == np.float64 and y.dtype == np.int64
    assert np.bincount(y).tolist() == [100, 100, 100]
    X_ref, y_ref = cs231n_spiral(100, 3, 0.2, np.random.default_rng(0))
    np.testing.assert_allclose(X, X_ref, rtol=0, atol=1e-15)
    np.testing.assert_array_equal(y, y_ref)
    radius = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(radius[:100], np.linspace(0, 1, 100), atol=1e-12)


def test_circles(rng):
    X, y = synthetic.circles(n=201, noise=0.0, factor=0.3, rng=rng)
    assert X.shape == (201, 2) and y.dtype == np.int64
    assert np.bincount(y).tolist() == [101, 100]
    radius = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(radius[y == 0], 1.0)
    np.testing.assert_allclose(radius[y == 1], 0.3)
    X_noisy, _ = synthetic.circles(n=201, noise=0.1, factor=0.3, rng=rng)
    assert 0.05 < np.std(np.hypot(X_noisy[:101, 0], X_noisy[:101, 1]) - 1) < 0.15


@pytest.mark.parametrize(
    "make", [lambda rng: synthetic.spiral(50, 4, 0.3, rng=rng), lambda rng: synthetic.circles(80, 0.2, rng=rng)]
)
def test_synthetic_sets_same_seed_same_bits(make):
    a, b, c = (make(np.random.default_rng(seed)) for seed in (7, 7, 8))
    assert a[0].tobytes() == b[0].tobytes() and np.array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


def test_synthetic_sets_validate_their_arguments(rng):
    with pytest.raises(TypeError):
        synthetic.spiral()  # rng is a required keyword
    with pytest.raises(ValueError, match="rng must be a numpy.random.Generator"):
        synthetic.spiral(rng=0)
    with pytest.raises(ValueError, match="n_per_class must be an integer >= 1"):
        synthetic.spiral(0, rng=rng)
    with pytest.raises(ValueError, match="n_classes"):
        synthetic.spiral(10, 2.5, rng=rng)
    with pytest.raises(ValueError, match="noise must be a finite number >= 0"):
        synthetic.spiral(noise=-0.1, rng=rng)
    with pytest.raises(ValueError, match="factor must be a finite number strictly between 0 and 1"):
        synthetic.circles(factor=1.0, rng=rng)
    with pytest.raises(ValueError, match="n must be an integer >= 2"):
        synthetic.circles(n=1, rng=rng)
    with pytest.raises(ValueError, match="noise"):
        synthetic.circles(noise=float("nan"), rng=rng)
