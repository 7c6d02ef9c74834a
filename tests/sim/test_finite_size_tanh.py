"""Finite-N zero-frequency PR of tanh networks against the 1/N theory (docs/finite_size.md §7).

Simulation: tanh, g = 1.0, sigma2 = 1, N = 100, 24 J realizations, fixed seed (about 40 s CPU).

What the brief asked to test -- "the corrected series N p_inf + p_0 is closer to the simulated
zero-frequency PR_phi/N than the N = infinity value, by more than the error bar" -- is **false**
for the theory available here (linear-equivalent p_0 plus the self-consistent single-site shift
Delta_1 of §7): with 96 J the simulation gives PR_phi/N = 0.2977 +- 0.0038 against p_inf =
0.2984 and the corrected 0.2763. It is kept as a strict xfail, so that a future theory that
closes the gap turns it into a pass (and the xfail into an error to be removed).

g = 0.5 is not tested: there every correction is <= 0.004 in PR/N at N = 100, below the s.e.
(0.004 with 24 J; 0.0022 even with 96 J), so no ordering can be established within budget.

The passing test checks what the data do establish within budget: the equal-time variance
a_x (estimated to 0.3%) moves by no more than the linear-equivalent Delta_1/N allows. Its
tolerance: 4 s.e. over J, plus |Delta_1|/N, plus nothing else; the estimator's known bias --
the block mean is subtracted from n = 16 trajectories x 100 samples per block, so E[a_hat] =
a_eq - (a_zf - a_eq)/n with a_zf the zero-frequency autocovariance -- is removed explicitly.
"""

import numpy as np
import pytest

from rnncorr import get_activation, theory
from rnncorr.config import Cell, SimulationSettings
from rnncorr.estimators import mean_and_standard_error
from rnncorr.simulate import simulate_cell
from rnncorr.theory._finite_n import nonlinear_pr_correction, single_site_shift

pytestmark = pytest.mark.slow

N, G, SIGMA2 = 100, 1.0, 1.0
SETTINGS = SimulationSettings(
    realizations=24, trajectories=16, duration=1000, burn_in=40, dt=0.2, blocks=8, window=25
)
TANH = get_activation("tanh")


@pytest.fixture(scope="module")
def case():
    result = simulate_cell(Cell(TANH, N, G, SIGMA2), SETTINGS, seed=11, threads=1, progress=False)
    th = theory.solve(TANH, G, SIGMA2)
    shift = single_site_shift(TANH, G, SIGMA2)
    return result, th, shift


def _simulated(result, kind, var, stat):
    values = np.array([r.statistics[kind][var][stat] for r in result.realizations])
    return mean_and_standard_error(values)


@pytest.mark.xfail(
    strict=True,
    reason="open: the O(1) term p_0 of nonlinear networks is not "
    "captured by the linear-equivalent network + Delta_1 (docs/finite_size.md §7.4)",
)
def test_corrected_pr_phi_closer_than_large_n(case):
    result, th, shift = case
    site = shift
    c = nonlinear_pr_correction(site["g_eff"], site["s0"], SIGMA2, site["residual_power"])
    p_inf = th.statistics["zero_frequency"]["phi"]["pr_over_n"]
    corrected = p_inf + (c["p_0_phi"] + shift["p_0_phi_shift"]) / N
    mean, se = _simulated(result, "zero_frequency", "phi", "pr_over_n")
    assert abs(mean - corrected) + se < abs(mean - p_inf), (mean, se, corrected, p_inf)


def test_equal_time_variance_shift_bounded(case):
    result, th, shift = case
    mean, se = _simulated(result, "equal_time", "x", "a")
    a_zf = np.mean([r.statistics["zero_frequency"]["x"]["a"] for r in result.realizations])
    samples_per_block = SETTINGS.trajectories * SETTINGS.samples_per_block
    debiased = mean + (a_zf - mean) / samples_per_block
    expected = shift["delta0"]
    assert abs(debiased - expected) < 4 * se + abs(shift["delta1"]) / N, (debiased, se, expected)
