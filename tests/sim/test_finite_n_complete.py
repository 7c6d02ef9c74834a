"""The complete analytic finite-N prediction against paired simulations (docs/finite_size.md §10).

Reduced version of ``benchmarks/finite_n_table.py`` (which runs 40 J x 16 x 4000 per case and
quotes the acceptance numbers in finite_size.md §10.8): tanh, sigma2 = 1, g = 1, N = 100,
10 J x 16 trajectories x 750 time units (seed 12), heterogeneous network on the same J
(rnncorr.paired) plus a Monte Carlo of the same network over 60 further J (no dynamics).

    paired estimate of E[PR_phi/N] = MC mean of het + mean over the simulated J of (sim - het)

Tolerance: 2 standard errors of that estimate (0.016 here: 0.008, mostly the estimation noise of
10 short simulations). This reduced test catches gross errors (a wrong sign of p_0, the 37 % error
of the homogeneous series at power g = 1) but does NOT resolve the finite-N correction itself
(the site term moves PR_phi/N by 0.019 at N = 100, ~1.2 s.e. here; measured run: paired
0.2871 +- 0.0082 against the analytic 0.2942). Resolving it takes ~40 J x 16 x 4000 per case:
that check is benchmarks/finite_n_table.py (numbers in finite_size.md §10.8).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from rnncorr import get_activation, theory
from rnncorr.estimators import scalar_mean_and_standard_error
from rnncorr.paired import paired_realizations, paired_settings
from rnncorr.theory._heterogeneous import heterogeneous_finite_n_prediction

pytestmark = [pytest.mark.slow]

TANH = get_activation("tanh")
KEY = "zero_frequency.phi.pr_over_n"


def test_complete_prediction_matches_paired_simulation():
    n, g = 100, 1.0
    settings = paired_settings(10, 750.0)
    rows = paired_realizations(TANH, n, g, 1.0, settings, seed=12)
    diff, diff_se = scalar_mean_and_standard_error([r["sim"][KEY] - r["het"][KEY] for r in rows])
    mc = heterogeneous_finite_n_prediction(TANH, g, 1.0, n, 60, np.random.SeedSequence([7, n]))
    het, het_se = mc["het"]["phi"]["pr_over_n"], mc["het"]["phi"]["pr_over_n_se"]
    paired, se = het + diff, math.hypot(het_se, diff_se)
    fin = theory.finite_n_statistics(TANH, g, 1.0, n)
    assert fin["valid"]
    analytic = fin["zero_frequency"]["phi"]["pr_over_n"]
    assert abs(paired - analytic) < 2 * se, (paired, se, analytic)
