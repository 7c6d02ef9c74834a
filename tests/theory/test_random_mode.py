"""Random-mode theory (docs/science.md §9, docs/random_mode.md): structure, limits, exact checks.

The linear network is the exact check of the free-probability four-point trace (4P-rm): its
equal-time covariance solves the Lyapunov equation (J - 1) C + C (J - 1)^T + sigma2 = 0 and its
zero-frequency covariance is sigma2 (1 - J)^-1 (1 - J)^-T for every sampled J, no simulation
needed. Tolerance: 3 standard errors over the 4 draws plus 1 % (the O(1/N) = 0.2 % finite-size
shift at N = 500, with room; measured draw-to-draw sd 0.004-0.010 equal time, 0.01-0.025 zero
frequency).
"""

import math

import numpy as np
import pytest
from scipy.linalg import solve_continuous_lyapunov
from threadpoolctl import threadpool_limits

from rnncorr import get_activation
from rnncorr.connectivity import IID, RandomMode
from rnncorr.theory import solve
from rnncorr.theory._dmft import frequency_grid
from rnncorr.theory._random_mode import (
    low_rank_coefficient,
    random_mode_statistics,
    rank_integral_equal_time,
    rank_terms,
    singular_value_participation,
    solve_random_mode,
)

TANH = get_activation("tanh")
LINEAR = get_activation("linear")
CASES = [(TANH, 2.0, 0.0), (TANH, 0.5, 1.0), (TANH, 1.2, 1.0), (LINEAR, 0.5, 1.0)]
IDS = ["tanh-chaos-g2", "tanh-g0.5-s1", "tanh-g1.2-s1", "linear-g0.5-s1"]


@pytest.fixture(scope="module", params=list(zip(CASES, IDS, strict=True)), ids=IDS)
def terms(request):
    (activation, g, s2), _ = request.param
    return activation, g, s2, rank_terms(activation, g, s2)


def test_single_unit_statistics_do_not_depend_on_rank(terms):
    activation, g, s2, t = terms
    iid = solve(activation, g, s2)
    for rank in (0.01, 0.3, 5.0):
        res = solve_random_mode(activation, g, s2, rank, t)
        assert res.valid, res.reason
        assert (res.delta0, res.s0, res.g_eff) == (iid.delta0, iid.s0, iid.g_eff)
        for kind in ("equal_time", "zero_frequency"):
            for var in ("x", "phi"):
                assert res.statistics[kind][var]["a"] == iid.statistics[kind][var]["a"]
                assert res.statistics[kind][var]["cbar"] == 0.0


def test_pr_decreases_in_inverse_rank_and_tends_to_iid(terms):
    _, _, _, t = terms
    ranks = np.logspace(-3, 6, 40)
    for kind in ("equal_time", "zero_frequency"):
        for var in ("x", "phi"):
            pr = np.array([t.statistics(r)[kind][var]["pr_over_n"] for r in ranks])
            assert np.all(np.diff(pr) > 0), (kind, var)  # increasing in rank
            iid = t.iid.statistics[kind][var]["pr_over_n"]
            assert pr[-1] == pytest.approx(iid, rel=1e-4)
            assert t.statistics(math.inf)[kind][var]["pr_over_n"] == pytest.approx(iid, rel=1e-14)
            assert np.all(pr < iid)


def test_low_rank_limit_pr_is_k_times_rank(terms):
    activation, g, s2, t = terms
    k = t.low_rank_coefficient()
    for kind in ("equal_time", "zero_frequency"):
        for var in ("x", "phi"):
            rank = 1e-6
            pr = t.statistics(rank)[kind][var]["pr_over_n"]
            assert pr / rank == pytest.approx(k[kind][var], rel=1e-3)
            # (RM-PR): 1/PR = 1/PR_iid + 1/(K rank) at every rank
            rank = 0.37
            iid = t.iid.statistics[kind][var]["pr_over_n"]
            expected = 1.0 / (1.0 / iid + 1.0 / (k[kind][var] * rank))
            assert t.statistics(rank)[kind][var]["pr_over_n"] == pytest.approx(expected, 1e-12)


def test_zero_frequency_closed_form(terms):
    activation, g, s2, t = terms
    k2 = (g * t.iid.s0) ** 2
    for rank in (0.05, 1.0, 20.0):
        pr = t.statistics(rank)["zero_frequency"]["phi"]["pr_over_n"]
        assert pr == pytest.approx((1 - k2) ** 2 / (1 + k2 * k2 / rank), rel=1e-8)


def test_x_term_is_phi_term_over_s0_to_the_fourth(terms):
    _, _, _, t = terms
    for kind in ("equal_time", "zero_frequency"):
        i = t.integrals[kind]
        assert i["x"] == pytest.approx(i["phi"] / t.iid.s0**4, rel=1e-14)


def test_rank_integral_against_brute_force_double_integral():
    """Linear, g = 0.5, sigma2 = 1: C(w) = 1/(kappa^2 + w^2); tensor-product quadrature."""
    g = 0.5
    i_lag, settings = rank_integral_equal_time(LINEAR, g, 1.0)
    w, wt = frequency_grid(1.0, 1200)
    c = 1.0 / (1.0 - g * g + w * w)
    z = g * g * np.outer(1.0 / (1.0 + 1j * w), np.conj(1.0 / (1.0 + 1j * w)))
    brute = float((wt * c) @ (np.abs(z / (1.0 - z)) ** 2) @ (wt * c))
    assert i_lag == pytest.approx(brute, rel=1e-5)
    assert settings["kernel"].startswith("trapezoid")


def test_power_law_rank_integral_converges_in_du():
    """Power law alpha = 0.25, g = 1, sigma2 = 1: the lag-step error of I is du^2 +
    du^(alpha + 3/2) (``_dmft.richardson_orders``; observed step ratio 3.35 = 2^1.75), so I is
    extrapolated from 4 du, 2 du, du like ``lag_statistics``. The plain (4 I(du) - I(2 du))/3
    moves by 1.4e-6 from du = 0.01 to 0.005 (its du^1.75 residual); the three-step value by
    1.8e-8 (what is left is O(du) smaller, du^(alpha + 5/2)). Tolerance 2e-7: a seventh of the
    plain change, so it fails if the du^(alpha + 3/2) term is not removed."""
    power = get_activation("power", alpha=0.25)
    base, s_base = rank_integral_equal_time(power, 1.0, 1.0, du=0.01)
    fine, s_fine = rank_integral_equal_time(power, 1.0, 1.0, du=0.005)
    assert s_base["richardson_orders"] == [2.0, 1.75] and len(s_base["I_steps"]) == 3
    steps = s_base["I_steps"]  # du = 0.04, 0.02, 0.01
    ratio = (steps[0] - steps[1]) / (steps[1] - steps[2])
    assert ratio == pytest.approx(2**1.75, rel=0.03)
    plain = [(4 * s["I_steps"][2] - s["I_steps"][1]) / 3 for s in (s_base, s_fine)]
    assert abs(plain[1] - plain[0]) > 1e-6  # the term the three steps remove is there
    assert fine == pytest.approx(base, abs=2e-7)


def _pr(c: np.ndarray) -> float:
    return float(np.trace(c) ** 2 / np.sum(c * c) / c.shape[0])


@pytest.mark.parametrize(
    "conn",
    [RandomMode(modes_ratio=0.5), RandomMode(modes_ratio=0.4, spectrum="exponential", beta=2.0)],
    ids=lambda c: c.label,
)
def test_linear_network_matches_exact_covariance_of_sampled_j(conn):
    n, g, draws = 500, 0.5, 4
    measured = []
    with threadpool_limits(limits=1):
        for seed in range(draws):
            j = conn.sample(n, g, np.random.default_rng(seed))
            eye = np.eye(n)
            equal_time = solve_continuous_lyapunov(j - eye, -eye)
            inverse = np.linalg.inv(eye - j)
            measured.append((_pr(equal_time), _pr(inverse @ inverse.T)))
    measured = np.array(measured)
    mean, se = measured.mean(0), measured.std(0, ddof=1) / math.sqrt(draws)
    res = solve_random_mode(LINEAR, g, 1.0, conn.effective_rank_at(n))
    theory = [res.statistics[k]["phi"]["pr_over_n"] for k in ("equal_time", "zero_frequency")]
    iid = solve(LINEAR, g, 1.0)
    for m, s, th, kind in zip(mean, se, theory, ("equal_time", "zero_frequency"), strict=True):
        assert abs(m - th) < 3 * s + 0.01 * th, (kind, m, s, th)
        # the rank effect is resolved: iid theory is far outside the tolerance
        assert iid.statistics[kind]["phi"]["pr_over_n"] - th > 3 * s + 0.01 * th


def test_chaos_reference_numbers():
    """tanh, g_eff = 2, sigma2 = 0 (regression values of this implementation)."""
    k = low_rank_coefficient(TANH, 2.0, 0.0)
    assert k["equal_time"]["phi"] == pytest.approx(0.0227469, rel=1e-4)
    assert k["equal_time"]["x"] == pytest.approx(0.0179738, rel=1e-4)
    res = solve_random_mode(TANH, 2.0, 0.0, RandomMode(modes_ratio=1.0))
    assert res.statistics["equal_time"]["phi"]["pr_over_n"] == pytest.approx(0.0105687, rel=1e-4)
    assert res.settings["effective_rank"] == 1.0
    assert res.settings["connectivity"] == "rm-alpha1-constant"


def test_iid_connectivity_and_invalid_cases():
    iid = solve_random_mode(TANH, 0.5, 1.0, IID)
    ref = solve(TANH, 0.5, 1.0)
    assert iid.statistics["equal_time"]["phi"]["pr_over_n"] == pytest.approx(
        ref.statistics["equal_time"]["phi"]["pr_over_n"], rel=1e-12
    )
    overlap = solve_random_mode(TANH, 0.5, 1.0, RandomMode(modes_ratio=1.0, overlap=0.3))
    assert not overlap.valid and overlap.reason.startswith("overlap_not_covered")
    relu = solve_random_mode(get_activation("relu"), 0.5, 1.0, 1.0)
    assert not relu.valid and "odd_phi_required" in relu.reason
    quiet = solve_random_mode(TANH, 0.8, 0.0, 1.0)  # no chaos below g_eff = 1
    assert not quiet.valid and quiet.reason.startswith("quiescent")
    with pytest.raises(ValueError, match="effective_rank"):
        solve_random_mode(TANH, 0.5, 1.0, 0.0)
    with pytest.raises(ValueError, match="effective_rank"):
        random_mode_statistics(ref.statistics["equal_time"], {"x": 1.0, "phi": 1.0}, -1.0)


def test_singular_value_participation_is_reexported():
    assert singular_value_participation(0.5, 1.0) == pytest.approx(0.25)
