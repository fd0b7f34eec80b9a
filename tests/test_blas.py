"""course_lib.blas: training runs with one BLAS thread and restores the setting after."""
import pytest

from course_lib import Network, sgd
from course_lib.blas import single_blas_thread

threadpoolctl = pytest.importorskip("threadpoolctl")


def blas_threads():
    return [i["num_threads"] for i in threadpoolctl.threadpool_info() if i.get("user_api") == "blas"]


@pytest.fixture
def two_blas_threads():
    if not blas_threads():
        pytest.skip("threadpoolctl finds no BLAS library in this numpy")
    with threadpoolctl.threadpool_limits(limits=2, user_api="blas"):
        yield


def test_context_limits_and_restores(two_blas_threads):
    before = blas_threads()
    with single_blas_thread():
        assert set(blas_threads()) == {1}
    assert blas_threads() == before


def test_sgd_trains_with_one_thread_and_restores(two_blas_threads, rng):
    seen = []
    before = blas_threads()
    net = Network([4, 5, 3], cost="log_likelihood", rng=rng)
    X, y = rng.normal(size=(20, 4)), rng.integers(0, 3, 20)
    sgd(net, X, y, epochs=2, batch_size=5, eta=0.1, rng=rng, progress=False,
        callback=lambda epoch, history, net: seen.append(blas_threads()))
    assert seen and all(set(s) == {1} for s in seen)
    assert blas_threads() == before
