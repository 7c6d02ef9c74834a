"""The simulated linear network against its exact large-N statistics (docs/science.md §4, §11).

N = 200, g = 0.5, sigma2 = 1: zero-frequency PR/N = (1 - g^2)^2 = 0.5625 and equal-time
PR/N = 0.847730. Tolerance: 4 standard errors over the 6 J realizations plus the known finite-N
shift. At zero frequency E[PR] = N p_inf + p_0 with p_0 = -0.86 +- 0.1 (science.md §7), i.e. a
shift of -0.0043 in PR/N at N = 200, which we allow for (and a margin of its uncertainty).
At equal time the shift is of the same order, O(1/N); we allow 1/N = 0.005.
"""

import numpy as np
import pytest

from rnncorr import get_activation
from rnncorr.config import Cell, SimulationSettings
from rnncorr.estimators import mean_and_standard_error
from rnncorr.simulate import simulate_cell

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def linear_g05():
    settings = SimulationSettings(
        realizations=6, trajectories=16, duration=1600, burn_in=40, dt=0.2, blocks=8, window=40
    )
    cell = Cell(get_activation("linear"), 200, 0.5, 1.0)
    return simulate_cell(cell, settings, seed=2024, progress=False)


def _mean_se(result, kind, stat="pr_over_n", var="phi"):
    values = np.array([r.statistics[kind][var][stat] for r in result.realizations])
    return mean_and_standard_error(values)


def test_zero_frequency_pr_matches_exact_linear_value(linear_g05):
    mean, se = _mean_se(linear_g05, "zero_frequency")
    expected = 0.5625 - 0.86 / 200
    assert abs(mean - expected) < 4 * se + 0.1 / 200


def test_equal_time_pr_matches_exact_linear_value(linear_g05):
    mean, se = _mean_se(linear_g05, "equal_time")
    assert abs(mean - 0.847730) < 4 * se + 1 / 200


def test_zero_frequency_mean_autocovariance(linear_g05):
    """a = 1/(1 - g^2) = 4/3, plus N (E a - a_inf) ~ 1.2 at g = 0.5 (science.md §7)."""
    mean, se = _mean_se(linear_g05, "zero_frequency", stat="a", var="x")
    assert abs(mean - (4 / 3 + 1.2 / 200)) < 4 * se + 0.3 / 200


def test_equal_time_mean_autocovariance(linear_g05):
    """a = 1/(2 sqrt(1 - g^2)) = 0.577350; Heun's O(dt^2) bias at dt = 0.2 is < 1e-4."""
    mean, se = _mean_se(linear_g05, "equal_time", stat="a", var="x")
    assert abs(mean - 0.577350) < 4 * se + 1 / 200
