"""Tests for course_lib.lessons.mnist_old_vs_new (and its figures, course_lib.viz.mnist_plots), on a small MNIST-like synthetic set (no real data)."""
import json

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_lib.lessons import mnist_old_vs_new as em  # noqa: E402
from course_lib.viz import mnist_plots  # noqa: E402


def digits_like(rng, n, n_val, n_in=784, n_bright=120):
    """Ten classes, each a random pattern of ~n_bright lit pixels out of n_in, plus noise.

    Like MNIST, inputs lie in [0, 1] with most pixels dark, so N(0, 1) weights
    saturate the sigmoid units just as on the real data.
    """
    prototypes = np.zeros((10, n_in))
    for k in range(10):
        prototypes[k, rng.choice(n_in, n_bright, replace=False)] = 1.0

    def draw(m):
        y = rng.integers(0, 10, m)
        X = prototypes[y] * rng.uniform(0.5, 1.0, (m, 1)) + rng.normal(0, 0.3, (m, n_in))
        return np.clip(X, 0, 1), y

    return draw(n), draw(n_val)


@pytest.fixture(scope="module")
def data():
    return digits_like(np.random.default_rng(7), 800, 200)


def test_same_seed_same_run_and_seeds_differ(data):
    train, val = data
    a = em.run_nielsen(train, val, hidden=10, scheme="new", seed=3, epochs=2)
    b = em.run_nielsen(train, val, hidden=10, scheme="new", seed=3, epochs=2)
    c = em.run_nielsen(train, val, hidden=10, scheme="new", seed=4, epochs=2)
    assert a.validation_correct == b.validation_correct
    assert a.validation_cost == b.validation_cost
    assert a.validation_cost != c.validation_cost


def test_run_records_epochs_zero_to_E_as_counts(data):
    train, val = data
    run = em.run_nielsen(train, val, hidden=10, scheme="old", seed=0, epochs=3)
    assert run.epochs == 3
    assert len(run.validation_correct) == len(run.validation_cost) == 4 and len(run.epoch_seconds) == 3
    assert all(isinstance(c, int) and 0 <= c <= 200 for c in run.validation_correct)
    np.testing.assert_allclose(run.accuracy_percent, np.array(run.validation_correct) / 2.0)
    assert (run.hidden, run.init, run.bias_init, run.n_train, run.n_validation) == (
        [10], "nielsen_large", "standard_normal", 800, 200)


def test_old_and_new_draw_the_same_weights_at_different_scales():
    rng_old, rng_new = np.random.default_rng(5), np.random.default_rng(5)
    old = em.nielsen_network(784, 30, "old", rng=rng_old, dtype=np.float64)
    new = em.nielsen_network(784, 30, "new", rng=rng_new, dtype=np.float64)
    np.testing.assert_allclose(old.weights[0], new.weights[0] * np.sqrt(784), rtol=1e-12)
    np.testing.assert_allclose(old.weights[1], new.weights[1] * np.sqrt(30), rtol=1e-12)
    np.testing.assert_array_equal(old.biases[0], new.biases[0])  # both N(0, 1)
    zero = em.nielsen_network(784, 30, "new_zero_bias", rng=np.random.default_rng(5))
    assert not np.any(zero.biases[0]) and not np.any(zero.biases[1])


def test_new_init_learns_faster_in_the_first_epoch_and_old_costs_stay_finite(data):
    """The headline claim in miniature: with 784 mostly-dark inputs, N(0,1) weights give
    hidden z with std ~ sqrt(784 E[x^2]) >> 1, saturated units, slow first epoch."""
    train, val = data
    gaps = []
    for seed in range(3):
        old = em.run_nielsen(train, val, hidden=30, scheme="old", seed=seed, epochs=1)
        new = em.run_nielsen(train, val, hidden=30, scheme="new", seed=seed, epochs=1)
        gaps.append(new.accuracy_percent[1] - old.accuracy_percent[1])
        assert np.all(np.isfinite(old.validation_cost))
        # the untrained old network's cost is large (confidently wrong saturated outputs), yet finite
        assert old.validation_cost[0] > 3 * new.validation_cost[0]
    assert min(gaps) > 20, gaps  # measured 35-55 points for seeds 0-4


def test_bad_arguments_raise_clear_errors(data):
    train, val = data
    with pytest.raises(ValueError, match="scheme"):
        em.run_nielsen(train, val, scheme="newest", epochs=1)
    with pytest.raises(ValueError, match="hidden"):
        em.run_nielsen(train, val, hidden=0, epochs=1)
    with pytest.raises(ValueError, match="seed"):
        em.run_nielsen(train, val, seed=-1, epochs=1)
    with pytest.raises(ValueError, match="labels"):
        em.run_nielsen((train[0], train[1] + 5), val, epochs=1)
    with pytest.raises(ValueError, match="train"):
        em.run_nielsen(train[0], val, epochs=1)


def _fake(hidden, scheme, seed, correct, n_val=100):
    return em.RunResult(hidden=[hidden], scheme=scheme, init=em.SCHEMES[scheme][0], bias_init=em.SCHEMES[scheme][1],
                        seed=seed, n_train=1000, n_validation=n_val, validation_correct=list(correct),
                        validation_cost=[1.0] * len(correct), epoch_seconds=[0.1] * (len(correct) - 1))


def test_summarize_and_gaps_against_hand_computed_values():
    runs = [_fake(30, "old", 0, [10, 80, 90]), _fake(30, "old", 1, [12, 84, 92]), _fake(30, "old", 2, [8, 82, 91]),
            _fake(30, "new", 0, [9, 90, 95]), _fake(30, "new", 1, [11, 91, 94]), _fake(30, "new", 2, [10, 89, 96]),
            _fake(100, "new", 0, [0, 0, 0])]
    results = {"runs": runs}
    s = em.summarize(results, 30, "old")
    np.testing.assert_allclose(s.mean, [10, 82, 91])
    np.testing.assert_allclose(s.low, [8, 80, 90])
    np.testing.assert_allclose(s.high, [12, 84, 92])
    np.testing.assert_allclose(s.std, [2, 2, 1])  # sample std (ddof=1)
    assert s.n_seeds == 3 and list(s.epochs) == [0, 1, 2]
    np.testing.assert_allclose(em.epoch_gaps(results, 30, 1), [10, 7, 7])  # paired by seed
    assert em.find_run(results, 30, "new", 1).validation_correct == [11, 91, 94]
    with pytest.raises(KeyError):
        em.find_run(results, 30, "new", 9)
    with pytest.raises(KeyError):
        em.summarize(results, 100, "old")


def test_reproduce_saves_after_each_run_and_resumes(tmp_path, data):
    train, val = data
    out = tmp_path / "res.json"
    messages = []
    kwargs = dict(seeds=(0, 1), hidden_sizes=(5,), schemes=("old", "new"), ablation_schemes=("new_zero_bias",),
                  ablation_hidden=(5,), epochs=2, out=out)
    first = em.reproduce(train, val, log=messages.append, **kwargs)
    assert len(first["runs"]) == 6 and len(messages) == 6
    saved = json.loads(out.read_text())
    assert saved["setup"]["epochs"] == 2 and saved["seeds"] == [0, 1] and saved["machine"]["cores"] >= 1
    loaded = em.load_results(out)
    assert [r.to_dict() for r in loaded["runs"]] == [r.to_dict() for r in first["runs"]]
    messages.clear()
    again = em.reproduce(train, val, log=messages.append, **kwargs)
    assert messages == [f"resuming: 6 runs already in {out}"]
    assert [r.validation_correct for r in again["runs"]] == [r.validation_correct for r in first["runs"]]


def test_committed_results_are_package_data_read_from_any_folder(tmp_path, monkeypatch):
    """Notebook 04 reads them with load_results(): through importlib.resources, never the cwd."""
    import importlib.resources

    resource = em.committed_results()
    assert resource.is_file()
    assert resource == importlib.resources.files("course_lib") / "results" / "nielsen_reproduction.json"
    monkeypatch.chdir(tmp_path)                               # a notebook copied anywhere
    results = em.load_results()
    assert results == em.load_results(em.default_results_path())
    assert results["seeds"] == [0, 1, 2, 3, 4] and len(results["runs"]) == 30
    assert {r.scheme for r in results["runs"]} == {"old", "new", "old_zero_bias", "new_zero_bias"}
    assert all(len(r.validation_correct) == results["setup"]["epochs"] + 1 for r in results["runs"])


def test_plots_draw_bands_means_reference_and_live_runs():
    runs = [_fake(30, s, seed, [10, 80 + seed, 90 + seed]) for s in em.SCHEMES for seed in (0, 1)]
    results = {"runs": runs}
    fig = mnist_plots.plot_reproduction(results, 30, reference={"old": [8000, 9000], "new": [9000, 9500]},
                               live=[runs[0]], ylim=(70, 100))
    ax = fig.axes[0]
    labels = [line.get_label() for line in ax.get_lines()]
    assert sum("published" in lab for lab in labels) == 2 and sum("live" in lab for lab in labels) == 1
    published_old = next(line for line in ax.get_lines() if line.get_label() == "old: Nielsen (published)")
    np.testing.assert_allclose(published_old.get_ydata(), [80, 90])
    assert len(ax.collections) == 2  # one seed band per scheme
    plt.close(fig)
    fig = mnist_plots.plot_bias_ablation(results, 30)
    assert len(fig.axes[0].get_lines()) == 4
    plt.close(fig)


def test_command_line_runs_and_saves(tmp_path, data, monkeypatch):
    from course_lib import data as data_module

    train, val = data

    class FakeMNIST:
        pass

    fake = FakeMNIST()
    fake.train, fake.validation = train, val
    monkeypatch.setattr(data_module, "load_mnist", lambda **kwargs: fake)
    out = tmp_path / "cli.json"
    results = em.main(["--seeds", "0", "--hidden", "5", "--ablation-hidden", "--epochs", "1", "--out", str(out)])
    assert len(results["runs"]) == 2
    saved = json.loads(out.read_text())
    assert saved["command"].startswith("python -m course_lib.lessons.mnist_old_vs_new --seeds 0")
    assert {r["scheme"] for r in saved["runs"]} == {"old", "new"}


def test_single_blas_thread_limits_blas_inside_and_restores_it_after():
    threadpoolctl = pytest.importorskip("threadpoolctl")

    def blas_threads():
        return [i["num_threads"] for i in threadpoolctl.threadpool_info() if i.get("user_api") == "blas"]

    before = blas_threads()
    if not before:
        pytest.skip("threadpoolctl finds no BLAS library")
    with em.single_blas_thread():
        assert blas_threads() == [1] * len(before)
    assert blas_threads() == before
