"""Equal-time PR_x at finite N: simulation against the 1/N theory, J by J (tanh g = 0.5, N = 100).

The full check (benchmarks/finite_size_equal_time.py, 64 J x 16 x 4000, docs/finite_size_equal_
time.md §2): control-variate E[PR_x/N] = 0.92863 +- 0.00011 against the analytic 0.92855 (series
+ site term) and N = infinity 0.92929 (-6 s.e.). This test is its cheap, paired part: on the same
J the simulated equal-time PR_x/N equals that of the heterogeneous linear-equivalent network
(whose J average the analytic series reproduces, tests/theory/test_finite_n_equal_time.py)
within 2 s.e., with a s.e. well below the 1/N effect (0.0007).
"""

from __future__ import annotations

import numpy as np
import pytest

from rnncorr.activations import get_activation
from rnncorr.config import Cell
from rnncorr.estimators import scalar_mean_and_standard_error
from rnncorr.paired import paired_settings
from rnncorr.simulate import realization_coupling, realization_seed, simulate_realization
from rnncorr.theory._finite_n_equal_time import equal_time_covariances
from rnncorr.theory._heterogeneous import _statistics, site_scalars

pytestmark = pytest.mark.slow

TANH = get_activation("tanh")


def test_equal_time_pr_x_paired_with_heterogeneous_network():
    n, g = 100, 0.5
    settings = paired_settings(1, 2000.0)
    per_block = settings.trajectories * settings.samples_per_block
    scalars = site_scalars(TANH, g, 1.0)
    cell = Cell(TANH, n, g, 1.0)
    diff = []
    for r in range(16):
        seeds = realization_seed(41, cell, r)
        sim = simulate_realization(TANH, n, g, 1.0, settings, seeds).statistics
        J = realization_coupling(seeds, n, g)
        cov = equal_time_covariances(J, TANH, scalars)
        # the estimator subtracts block means: E[C_hat] = C - (C_zf - C)/n (paired.py)
        s = cov["gains"]
        M = np.linalg.inv(np.eye(n) - J * s[None, :])
        MJ = M @ J
        c_zf = M @ M.T + scalars.residual_power * (MJ @ MJ.T)
        theory = _statistics(cov["x"] - (c_zf - cov["x"]) / per_block)["pr_over_n"]
        diff.append(sim["equal_time"]["x"]["pr_over_n"] - theory)
    mean, se = scalar_mean_and_standard_error(diff)
    assert se < 0.00025  # resolves the 1/N effect (0.0007 in PR/N) at > 2.8 s.e.
    assert abs(mean) < 2 * se
