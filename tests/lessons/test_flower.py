"""course_lib.lessons.flower: the batched trainer is the library's sgd, and the plateau's laws.

Every number asserted here was measured over several seeds (the spread is stated beside it).
"""
import numpy as np
import pytest

from course_lib import flower
from course_lib.lessons import flower as lesson


@pytest.fixture(scope="module")
def data():
    return flower(rng=np.random.default_rng(0))


@pytest.mark.parametrize("init, eta", [(0.01, 1.2), ("lecun_normal", 0.1), (0.5, 2.0)])
def test_descend_is_the_librarys_full_batch_sgd(data, init, eta):
    # Same start (the same Network draws the weights), same steps: the curves agree to rounding
    # (measured: at most 3e-16 apart over 300 steps; the order of the sum over examples differs).
    X, y = data
    losses = lesson.descend(X, y, hidden=3, init=init, etas=[0.05, eta], steps=300, seeds=[4, 5])
    for s, seed in enumerate((4, 5)):
        curve = lesson.sgd_curve(X, y, hidden=3, init=init, eta=eta, steps=300, every=50, seed=seed)
        np.testing.assert_allclose(losses[s, 1, ::50], curve, rtol=0, atol=1e-12)
    # and the loss before any step is the network's own loss at initialization
    net = lesson._network(3, init, 4)
    assert abs(losses[0, 0, 0] - net.loss(X, y)) < 1e-15


def test_descend_checks_its_arguments(data):
    X, y = data
    with pytest.raises(ValueError, match="etas must be finite learning rates > 0"):
        lesson.descend(X, y, hidden=2, init=0.01, etas=[0.1, -1], steps=3, seeds=[0])
    with pytest.raises(ValueError, match="X must have shape"):
        lesson.descend(X[:, :1], y, hidden=2, init=0.01, etas=[0.1], steps=3, seeds=[0])
    with pytest.raises(ValueError, match="seeds"):
        lesson.descend(X, y, hidden=2, init=0.01, etas=[0.1], steps=3, seeds=[])
    with pytest.raises(ValueError, match="every must be >= 1"):
        lesson.printouts(np.zeros((2, 50)), every=6)


def test_printouts_are_every_kth_loss_from_step_zero():
    losses = np.arange(100.0)[None, :]
    assert lesson.printouts(losses, 11).tolist() == [[0, 11, 22, 33, 44, 55, 66, 77, 88, 99]]


def test_linear_rate_is_the_class_mean_difference():
    # c = mean (y - 1/2) x = (m1 - m0) / 4 for balanced classes: a closed form on 4 points.
    X = np.array([[1.0, 0.0], [3.0, 2.0], [-1.0, 4.0], [1.0, 2.0]])
    y = np.array([0, 0, 1, 1])
    m0, m1 = X[:2].mean(axis=0), X[2:].mean(axis=0)
    assert lesson.linear_rate(X, y) == pytest.approx(np.linalg.norm(m1 - m0) / 4, rel=1e-15)


def test_the_flowers_rate_is_set_by_the_petals():
    # The noiseless rose, t over [0, pi] (the lab stops at 3.12), has class means (0, +-(4/pi)(8/15)),
    # so c = (0, -(1/2)(4/pi)(8/15)) = (0, -0.340) (measured on 40,000 noiseless points: 0.3401).
    # The angle noise 0.2 damps the two harmonics of sin 4t cos t = (sin 5t + sin 3t) / 2 by
    # exp(-25 0.04/2) = 0.607 and exp(-9 0.04/2) = 0.835: |c| = 0.340 * 0.750 = 0.255 (40,000 noisy
    # points: 0.257). The lab's 400 points scatter around it: over 20 data seeds 0.206-0.322, median 0.262.
    X, y = flower(n_per_class=20000, noise=0.0, rng=np.random.default_rng(0))
    assert lesson.linear_rate(X, y) == pytest.approx(2 / np.pi * 8 / 15, abs=0.002)
    rates = [lesson.linear_rate(*flower(rng=np.random.default_rng(seed))) for seed in range(20)]
    assert abs(np.median(rates) - 0.255) < 0.02 and 0.15 < min(rates) and max(rates) < 0.35


def test_output_and_gradients_scale_as_powers_of_the_std(data):
    # L weight layers: z ~ std^L and every ||dC/dW_l|| ~ std^(L-1) (each gradient carries the other
    # layers' weights). Log-log slopes of the medians over 5 seeds, std 1e-3..0.1, width 4, measured:
    # 1 hidden: z 2.01, grads 1.00 0.99; 2 hidden: z 2.95, grads 1.96-2.00; 3 hidden: z 4.03, grads 2.97-3.00.
    X, y = data
    stds = np.geomspace(1e-3, 0.1, 5)
    scaling = lesson.gradient_scaling(X, y, stds=stds, hidden_layers=(1, 2, 3), width=4, seeds=range(5))
    for hidden, (z, grads) in scaling.items():
        L = hidden + 1
        assert abs(np.polyfit(np.log(stds), np.log(z), 1)[0] - L) < 0.1
        for layer in range(L):
            assert abs(np.polyfit(np.log(stds), np.log(grads[:, layer]), 1)[0] - (L - 1)) < 0.1


def test_one_hidden_layer_escapes_in_logarithmic_time(data):
    # Linear theory: each e-fold less std costs 1 / ln(1 + eta |c|) more steps (8.17 at eta 0.5 here).
    # Measured over 6 seeds, std 0.1 .. 3e-4: the median escape step grows by 8.26 per e-fold.
    X, y = data
    eta, stds = 0.5, np.array([0.1, 0.03, 0.01, 0.003, 0.001, 0.0003])
    steps = np.array([[lesson.escape_step(X, y, hidden_layers=1, std=s, eta=eta, seed=seed, max_steps=200)
                       for seed in range(6)] for s in stds], dtype=float)
    slope = np.polyfit(np.log(1 / stds), np.median(steps, axis=1), 1)[0]
    predicted = 1 / np.log(1 + eta * lesson.linear_rate(X, y))
    assert abs(slope / predicted - 1) < 0.1


def test_two_hidden_layers_escape_in_power_law_time(data):
    # std 0.03 -> 0.01 (a factor 3): one hidden layer needs 9 more steps (seeds 0-2: 18->27, 21->30,
    # 17->26), two hidden layers 3.1 times as many (195->601, 140->436, 133->414).
    X, y = data
    one = [[lesson.escape_step(X, y, hidden_layers=1, std=s, eta=0.5, seed=seed) for s in (0.03, 0.01)]
           for seed in range(3)]
    two = [[lesson.escape_step(X, y, hidden_layers=2, std=s, eta=0.5, seed=seed) for s in (0.03, 0.01)]
           for seed in range(3)]
    assert all(6 <= b - a <= 12 for a, b in one)
    assert all(2.4 < b / a < 4.0 for a, b in two)


def test_search_recovers_the_setting_of_a_curve_it_made(data):
    # Published numbers made by descend itself (width 3, eta 0.1, every 7 steps, the same seeds):
    # the search must find exactly that interval, with deviation 0, and a worse one elsewhere.
    X, y = data
    made = {name: np.median(lesson.printouts(
                lesson.descend(X, y, hidden=3, init=init, etas=[0.1], steps=63, seeds=range(3))[:, 0], 7), axis=0)
            for name, init in lesson.PUBLISHED_INITS.items()}
    res = lesson.search(X, y, hiddens=[2, 3], etas=[0.1, 0.3], everys=range(1, 11), seeds=range(3), published=made)
    for name in lesson.PUBLISHED_INITS:
        deviation = res["deviation"][name]                  # [hidden, eta, every]
        assert deviation[1, 0, 6] == 0.0
        assert np.argmin(deviation[1, 0]) == 6 and np.sort(deviation[1, 0])[1] > 0
        np.testing.assert_array_equal(res["median"][name][1, 0, 6], made[name])


def test_the_std_001_numbers_need_one_time_unit_per_printout(data):
    # 4 hidden units, eta 0.1: the best interval is 10 steps (T = 1.0) for seeds 0-7, 9 for seeds
    # 8-15 and 16-23 (data seed 0); deviations 0.00022-0.00038. Another init name maps the same way.
    X, y = data
    res = lesson.search(X, y, hiddens=[4], etas=[0.1], everys=range(1, 21), seeds=range(8),
                        inits={"std 0.01": 0.01})
    deviation = res["deviation"]["std 0.01"][0, 0]
    assert 8 <= res["everys"][int(np.argmin(deviation))] <= 11 and deviation.min() < 5e-4
    assert set(res["deviation"]) == {"std 0.01"}


def test_check_escape_prediction(capsys):
    # The measured median (seeds 0-5, std 1e-6, eta 0.5) is 101.5 steps (97-105); the slope of the
    # notebook's table (8.2 steps per e-fold from 26 steps at std 0.01) predicts 26 + 8.2 ln 1e4 = 101.
    assert lesson.check_escape_prediction(26 + 8.2 * np.log(1e4))
    assert "Right" in capsys.readouterr().out
    assert not lesson.check_escape_prediction(50)
    assert "too few" in capsys.readouterr().out
    assert not lesson.check_escape_prediction(1e4)
    assert "too many" in capsys.readouterr().out
    with pytest.raises(ValueError, match="predicted_steps must be a number"):
        lesson.check_escape_prediction("many")

