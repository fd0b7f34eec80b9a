"""Tests for course_lib.lessons.normalization (notebook 12) and its figures."""
import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_lib.lessons import normalization as nz  # noqa: E402
from course_lib.viz.normalization_plots import plot_grid, plot_layer_profiles  # noqa: E402


@pytest.fixture(scope="module")
def task():
    return nz.spiral_task(n_per_class=20)


def test_build_names_each_architecture(task):
    rng = np.random.default_rng(0)
    assert not nz.build("plain", "He", depth=3, rng=rng).residual
    assert nz.build("bn", "He", depth=3, rng=rng).batchnorm
    assert nz.build("res", "He", depth=4, rng=rng).alpha == 0.5
    net = nz.build("res0", "He", depth=3, rng=rng)
    assert net.zero_init_residual and net.alpha == 1.0
    with pytest.raises(ValueError, match="arch"):
        nz.build("dense", "He", rng=rng)
    with pytest.raises(ValueError, match="init"):
        nz.build("plain", "Kaiming", rng=rng)


def test_layer_profiles_show_what_each_tool_changes(task):
    X, y = task
    p = nz.layer_profiles(X, y, ("plain", "bn", "res0"), init="std 0.01", depth=20)
    # std 0.01 weights: the plain net's signal shrinks by ~0.01 sqrt(32/2) = 0.04 a layer...
    assert p["plain"].h_std[-1] < 1e-20
    # ...batch norm restores each layer's scale, whatever the weights...
    assert 0.3 < p["bn"].h_std[-1] < 1.0
    # ...and zero-initialized residual blocks pass h_0 through unchanged
    assert p["res0"].h_std[-1] == pytest.approx(p["res0"].h_std[0], rel=1e-12)
    assert all(len(v.grad_norm) == 21 for v in p.values())


def test_train_grid_records_every_run_and_medians(task):
    X, y = task
    results = nz.train_grid(X, y, archs=("plain", "res"), inits=("He", "std 1"), seeds=(0, 1), depth=4, epochs=2)
    assert len(results["runs"]) == 8
    assert all(len(r["losses"]) == 3 for r in results["runs"])
    medians = nz.grid_medians(results)
    assert set(medians) == {(a, i) for a in ("plain", "res") for i in ("He", "std 1")}
    fake = {"setup": results["setup"], "seeds": [0, 1, 2], "runs": [
        dict(arch="a", init="i", seed=s, losses=[1.0, v]) for s, v in enumerate((0.5, None, 0.7))]}
    assert nz.grid_medians(fake)[("a", "i")] == 0.7          # a diverged run counts as +inf


def test_shipped_grid_what_notebook_12_claims():
    results = nz.load_grid()
    m = nz.grid_medians(results)
    chance = math.log(3)
    assert results["setup"]["depth"] == 50 and results["seeds"] == [0, 1, 2]
    assert all(m[("plain", i)] > 0.9 * chance for i in nz.INITS)     # no init trains the plain net
    assert m[("res", "He")] < 0.2                                      # the residual net with He does
    assert all(m[("bn_res", i)] < 0.4 for i in nz.INITS)              # bn + residual: every init


def test_figures(task):
    X, y = task
    fig = plot_layer_profiles(nz.layer_profiles(X, y, ("plain", "res"), depth=5))
    assert len(fig.axes) == 2 and len(fig.axes[0].get_lines()) == 2
    plt.close(fig)
    fig = plot_grid(nz.load_grid())
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert len(texts) == 20
    plt.close(fig)


def test_exercise_check(capsys):
    assert nz.check_residual_growth((1 + 2 / 50) ** 50) and nz.check_residual_growth(7.39)
    assert not nz.check_residual_growth(3 ** 50)
    assert "Not quite" in capsys.readouterr().out
    with pytest.raises(TypeError, match="answer"):
        nz.check_residual_growth("big")
