"""Shared fixtures and settings for the rnncorr test suite.

BLAS is limited to one thread per test process: the suite runs under pytest-xdist on 2 cores,
and oversubscribed BLAS threads would only slow it down.
"""

from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"

_limits = threadpool_limits(limits=1)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)


@pytest.fixture
def repo() -> Path:
    return REPO


@pytest.fixture
def data_dir() -> Path:
    return DATA
