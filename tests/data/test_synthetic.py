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


def lab_flower(rng):
    """deeplearning.ai's load_planar_dataset loop, verbatim but for the generator (and rows, not columns)."""
    m, a = 400, 4
    N = m // 2
    X = np.zeros((m, 2))
    Y = np.zeros(m, dtype="uint8")
    for j in range(2):
        ix = range(N * j, N * (j + 1))
        t = np.linspace(j * 3.12, (j + 1) * 3.12, N) + rng.standard_normal(N) * 0.2
        r = a * np.sin(4 * t) + rng.standard_normal(N) * 0.2
        X[ix] = np.c_[r * np.sin(t), r * np.cos(t)]
        Y[ix] = j
    return X, Y


def test_flower_matches_the_lab(rng):
    X, y = synthetic.flower(rng=rng)
    assert X.shape == (400, 2) and X.dtype == np.float64 and y.dtype == np.int64
    assert np.bincount(y).tolist() == [200, 200] and y[:200].max() == 0      # class 0 first
    X_ref, y_ref = lab_flower(np.random.default_rng(0))
    np.testing.assert_allclose(X, X_ref, rtol=0, atol=1e-14)
    np.testing.assert_array_equal(y, y_ref)


def test_flower_follows_the_rose_r_equals_4_sin_4t():
    # Without noise every point is exactly on r = 4 sin(4t), at the lab's angles.
    X, y = synthetic.flower(n_per_class=50, noise=0.0, rng=np.random.default_rng(1))
    t = np.concatenate([np.linspace(0, 3.12, 50), np.linspace(3.12, 6.24, 50)])
    r = 4 * np.sin(4 * t)
    np.testing.assert_allclose(X, np.c_[r * np.sin(t), r * np.cos(t)], rtol=0, atol=1e-14)
    # With the lab's noise the point's polar angle theta is its t (or t + pi when r < 0, and
    # sin 4(t + pi) = sin 4t), so | |x| - 4 |sin 4 theta| | <= |radius noise|, a half-normal of
    # scale 0.2 with median 0.2 * 0.674 = 0.135. Over 20 seeds the median residual is 0.122-0.140
    # and 0-0.5% of points are more than 3 sigma = 0.6 off (half-normal: 0.27%).
    medians, far = [], []
    for seed in range(20):
        X, _ = synthetic.flower(rng=np.random.default_rng(seed))
        theta = np.arctan2(X[:, 0], X[:, 1])                          # point = (r sin t, r cos t)
        residual = np.abs(np.hypot(X[:, 0], X[:, 1]) - 4 * np.abs(np.sin(4 * theta)))
        medians.append(np.median(residual))
        far.append(np.mean(residual > 0.6))
    assert 0.11 < np.median(medians) < 0.16 and max(medians) < 0.17
    assert np.median(far) < 0.01
    assert np.hypot(X[:, 0], X[:, 1]).max() < 5.0                   # |r| <= 4 + noise


@pytest.mark.parametrize(
    "make", [lambda rng: synthetic.spiral(50, 4, 0.3, rng=rng), lambda rng: synthetic.circles(80, 0.2, rng=rng),
             lambda rng: synthetic.flower(30, 0.1, rng=rng)]
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
    with pytest.raises(ValueError, match="rng must be a numpy.random.Generator"):
        synthetic.flower(rng=np.random.RandomState(0))
    with pytest.raises(ValueError, match="n_per_class must be an integer >= 1"):
        synthetic.flower(0, rng=rng)
    with pytest.raises(ValueError, match="noise must be a finite number >= 0"):
        synthetic.flower(noise=-1.0, rng=rng)
    with pytest.raises(ValueError, match="radius must be a finite number > 0"):
        synthetic.flower(radius=0, rng=rng)
