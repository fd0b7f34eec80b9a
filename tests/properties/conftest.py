"""Hypothesis settings for the property suite: reproducible and bounded.

``derandomize=True`` makes every run draw the same examples (CI failures reproduce
locally); ``max_examples`` keeps the whole suite under a minute on a shared 2-core
machine; the per-example ``deadline`` is the "nothing hangs" bound (a FIFO that
blocked, a huge allocation or a runaway loop fails the example instead of the suite
stalling). Set HYPOTHESIS_PROFILE=thorough for a longer, randomized search.
"""
import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=25,
    derandomize=True,
    deadline=5000,  # ms per example; the slowest legal one (a tiny sgd run) takes ~50 ms
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.register_profile("thorough", max_examples=500, deadline=10_000,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
