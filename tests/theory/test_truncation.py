"""Truncation error and range of the zero-frequency finite-N series (docs/finite_size.md §4.1,
§10.6): the next coefficient p_m1 of the linear PR, its use in ``finite_n_statistics``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from rnncorr import get_activation, theory
from rnncorr.theory._finite_n import (
    linear_finite_n_coefficients,
    linear_pr_next_order,
    linear_pr_small_gain_series,
    montecarlo_linear_statistics,
)
from rnncorr.theory._heterogeneous import heterogeneous_statistics, site_scalars
from rnncorr.theory._site import NEXT_ORDER_MAX_RATIO

TANH = get_activation("tanh")
POWER = get_activation("power", alpha=0.5)


def test_exact_small_gain_series():
    """Wick expansion of E[PR] at finite N (§4.1): the N^1 and N^0 coefficients reproduce the
    closed forms N (1 - x)^2 and -x (2 + 7x); the N^-1 ones are p_m1 = 4x + 46x^2 + 160x^3 +
    324x^4, which linear_pr_next_order reproduces at small x."""
    series = linear_pr_small_gain_series(4)
    assert [series[k].get(1, 0) for k in range(5)] == [1, -2, 1, 0, 0]
    assert [series[k].get(0, 0) for k in range(5)] == [0, -2, -7, 0, 0]
    assert [series[k].get(-1, 0) for k in range(5)] == [0, 4, 46, 160, 324]
    for g in (0.05, 0.1):
        x = g * g
        taylor = 4 * x + 46 * x**2 + 160 * x**3 + 324 * x**4
        assert linear_pr_next_order(g)["p_m1"] == pytest.approx(taylor, abs=1000 * x**5)
    assert not linear_pr_next_order(0.79)["extrapolated"]
    assert linear_pr_next_order(0.85)["extrapolated"]


@pytest.mark.slow
def test_exact_small_gain_series_matches_montecarlo_at_small_n():
    """Every power of 1/N is in the series: at N = 3 and 5 (g = 0.15, 0.2; 4e5 J, 2 s) its sum
    through x^4 equals the Monte Carlo within 2 s.e. (1.4e-4, 2.8e-4); the x^2 and x^3 terms
    (7.7e-3 and 2.6e-4 at N = 3) are resolved."""
    series = linear_pr_small_gain_series(4)
    rng = np.random.default_rng(0)
    for n, g in ((3, 0.15), (5, 0.2)):
        x = g * g
        total = sum(float(c) * n**p * x**k for k, row in series.items() for p, c in row.items())
        J = rng.standard_normal((400_000, n, n)) * g / math.sqrt(n)
        M = np.linalg.inv(np.eye(n) - J)
        C = M @ np.swapaxes(M, 1, 2)
        pr = np.trace(C, axis1=1, axis2=2) ** 2 / np.einsum("bij,bij->b", C, C)
        se = pr.std() / math.sqrt(pr.size)
        print(f"\nN = {n}, g = {g}: series {total:.5f}, MC {pr.mean():.5f} +- {se:.5f}")
        assert abs(pr.mean() - total) < 2 * se


@pytest.mark.slow
def test_next_order_matches_montecarlo():
    """g = 0.6, N = 100, 6000 J (3 s, seed 5): R = N (E PR - N p_inf - p_0) against p_m1.

    Tolerance 2 s.e. (Monte Carlo s.e. of R, ~4, and the fit's, ~3, in quadrature). The same
    data reject p_m1 = 0 (the two-term series as exact) by ~6 s.e.
    """
    g, n = 0.6, 100
    c = linear_finite_n_coefficients(g)
    mc = montecarlo_linear_statistics(g, n, 6000, seed=5)
    r, r_se = n * (mc["pr"] - n * c["p_inf"] - c["p_0"]), n * mc["pr_se"]
    nxt = linear_pr_next_order(g)
    print(f"\nR = {r:.1f} +- {r_se:.1f}, p_m1 = {nxt['p_m1']:.1f} +- {nxt['p_m1_se']:.1f}")
    assert abs(r - nxt["p_m1"]) < 2 * math.hypot(r_se, nxt["p_m1_se"])
    assert r > 3 * r_se


def test_truncation_error_and_validity_rule():
    out = theory.finite_n_statistics(TANH, 1.0, 1.0, 100)
    t = out["terms"]
    assert out["valid"]
    assert t["p_m1_le"] == pytest.approx(linear_pr_next_order(t["g_eff"])["p_m1"])
    assert t["phi"]["p_m1_site"] == pytest.approx(
        -4.0 * t["phi"]["p_0_site"] / (1 - t["g_eff"] ** 2) ** 2
    )
    trunc = math.hypot(t["p_m1_le"], t["phi"]["p_m1_site"]) / 100
    assert out["truncation_error"]["phi"]["pr"] == pytest.approx(trunc)
    assert out["truncation_error"]["phi"]["pr_over_n"] == pytest.approx(trunc / 100)
    assert out["zero_frequency"]["phi"]["pr_over_n_truncation_error"] == pytest.approx(trunc / 100)
    assert out["pr_truncation"] == pytest.approx(trunc)
    # measured misses of the series at this point (finite_size.md §10.8: +0.002..+0.008 in
    # PR/N) are within it; 0.6-0.9 in PR
    assert 0.006 < out["truncation_error"]["phi"]["pr_over_n"] < 0.01
    # the rule: valid iff |p_m1^LE|/N <= 0.5 |p_0^LE|, i.e. N >= n_min
    n_min = out["n_min"]
    ratio = t["p_m1_le"] / (100 * abs(t["phi"]["p_0_le"]))
    assert out["next_order_ratio"] == pytest.approx(ratio) and ratio <= NEXT_ORDER_MAX_RATIO
    below = theory.finite_n_statistics(TANH, 1.0, 1.0, math.floor(n_min))
    above = theory.finite_n_statistics(TANH, 1.0, 1.0, math.ceil(n_min))
    assert not below["valid"] and below["reason"].startswith("series_out_of_range")
    assert above["valid"]
    # flagged point: the number and its (large) error bar stay under "unvalidated"
    power = theory.finite_n_statistics(POWER, 1.0, 1.0, 200)
    assert not power["valid"]
    unvalidated = power["zero_frequency_unvalidated"]["phi"]
    assert np.isfinite(unvalidated["pr_over_n"])
    assert unvalidated["pr_over_n_truncation_error"] > 0.02
    assert power["terms"]["p_m1_extrapolated"]


def test_homogeneous_phi_pr_is_the_linear_pr_at_g_eff():
    """PR_phi of the homogeneous LE network = PR of (1 - s0 J)^-1 (1 - s0 J)^-T (§5): the
    control variate of the acceptance test relies on it."""
    scalars = site_scalars(TANH, 1.0, 1.0)
    fin = theory.finite_n_statistics(TANH, 1.0, 1.0, 60)
    assert scalars.g_eff == pytest.approx(fin["terms"]["g_eff"])
    J = np.random.default_rng(3).standard_normal((60, 60)) / math.sqrt(60)
    hom = heterogeneous_statistics(J, TANH, scalars, heterogeneous=False)
    L = np.linalg.inv(np.eye(60) - scalars.s0 * J)
    C = L @ L.T
    assert hom["phi"]["pr"] == pytest.approx(np.trace(C) ** 2 / np.sum(C * C), rel=1e-10)


def test_cli_reports_truncation_error(capsys):
    """``rnncorr theory --N``: json carries truncation_error (PR and PR/N), text shows it; at
    the flagged power point the number stays under ``zero_frequency_unvalidated``."""
    import json

    from rnncorr.cli import main

    args = ["theory", "--activation", "power", "--alpha", "0.5", "--g", "1", "--sigma2", "1"]
    assert main([*args, "--N", "200", "--format", "json"]) == 0
    fin = json.loads(capsys.readouterr().out)["finite_n"]
    assert fin["valid"] is False and fin["reason"].startswith("series_out_of_range")
    assert fin["pr_over_n"] is None
    trunc = fin["truncation_error"]
    assert trunc["pr_over_n"] == pytest.approx(trunc["pr"] / 200)
    unvalidated = fin["zero_frequency_unvalidated"]["phi"]
    assert unvalidated["pr_over_n_truncation_error"] == pytest.approx(trunc["pr_over_n"])
    assert main([*args, "--N", "200", "--format", "text"]) == 0
    text = capsys.readouterr().out
    assert "truncation_error" in text and f"{trunc['pr_over_n']:.6g}" in text
