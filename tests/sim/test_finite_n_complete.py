"""The complete analytic finite-N prediction against paired simulations (docs/finite_size.md §10).

Reduced version of ``benchmarks/finite_n_table.py`` (which runs 40 J x 16 x 4000 per case and
quotes the acceptance numbers in finite_size.md §10.8): tanh, sigma2 = 1, g = 1, N = 100,
10 J x 16 trajectories x 750 time units (seed 12), heterogeneous network on the same J
(rnncorr.paired) plus a Monte Carlo of the same network over 60 further J (no dynamics).

    paired estimate of E[PR_phi/N] = MC mean of het + mean over the simulated J of (sim - het)

Tolerance: 2 standard errors of that estimate (about 0.005 here). That resolves the finite-N
correction itself: the N = infinity value (0.2984) is off by +0.004 and the complete prediction
without its site term (0.2749) by -0.019, so a wrong sign or a missing site term fails.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from rnncorr import get_activation, theory
from rnncorr.config import SimulationSettings
from rnncorr.estimators import scalar_mean_and_standard_error
from rnncorr.paired import paired_realizations
from rnncorr.theory._heterogeneous import heterogeneous_finite_n_prediction

pytestmark = [pytest.mark.slow]

TANH = get_activation("tanh")
KEY = "zero_frequency.phi.pr_over_n"


def test_complete_prediction_matches_paired_simulation():
    n, g = 100, 1.0
    settings = SimulationSettings(
        realizations=10, trajectories=16, duration=750, burn_in=40, dt=0.2, blocks=8, window=25
    )
    rows = paired_realizations(TANH, n, g, 1.0, settings, seed=12)
    diff, diff_se = scalar_mean_and_standard_error([r["sim"][KEY] - r["het"][KEY] for r in rows])
    mc = heterogeneous_finite_n_prediction(TANH, g, 1.0, n, 60, np.random.SeedSequence([7, n]))
    het, het_se = mc["het"]["phi"]["pr_over_n"], mc["het"]["phi"]["pr_over_n_se"]
    paired, se = het + diff, math.hypot(het_se, diff_se)
    fin = theory.finite_n_statistics(TANH, g, 1.0, n)
    assert fin["valid"]
    analytic = fin["zero_frequency"]["phi"]["pr_over_n"]
    assert abs(paired - analytic) < 2 * se, (paired, se, analytic)
    # the test resolves the site term: without it the prediction is outside the tolerance
    without_site = analytic - fin["terms"]["phi"]["p_0_site"] / n
    assert abs(paired - without_site) > 2 * se, (paired, se, without_site)
