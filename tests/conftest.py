"""Shared fixtures: one seeded generator per test, small data."""
import numpy as np
import pytest


@pytest.fixture
def rng():
    """A fresh, seeded numpy Generator for each test (no global seeding anywhere)."""
    return np.random.default_rng(12345)
