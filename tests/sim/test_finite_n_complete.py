"""Acceptance test of issue 16: the complete analytic finite-N PR_phi/N against paired simulations.

Cases (sigma2 = 1): tanh g = 1 at N = 100 and 200 (inside the series' range) and power alpha =
0.5 g = 1 at N = 200 (flagged ``series_out_of_range``; docs/finite_size.md §10.6).

Estimate of the J-averaged simulated E[PR_phi/N], paired on the same J (§8, §10.8): the
homogeneous linear-equivalent network (``hom``, gain s0 everywhere) is the control variate,

    est = E_J[PR_lin(g_eff)]/N  +  mean over the simulated J of (sim_J - hom_J)

where PR_phi of ``hom`` is exactly the linear network's PR at gain g_eff (§5), so its J mean
comes from the cheap linear Monte Carlo (``rnncorr.paired.paired_pr_phi_estimate``). sim - hom
has a small spread over J (the J-to-J spread of PR, 0.03 at N = 100, cancels); the s.e. of est
is that of the mean of sim - hom (mostly the estimation noise of the short simulations) and of
the Monte Carlo, in quadrature.

Tolerances (fixed seeds, chosen before the first run):

* valid points: |est - analytic| < 2 sqrt(se^2 + T^2), T = ``truncation_error.pr_over_n`` of
  the prediction (its own error bar; 0.008 at N = 100, 0.002 at N = 200). The pull against the
  simulation s.e. alone is printed too (the series is known to sit ~0.004 low at N = 100, §10.8);
* the flagged point: ``valid`` False with a ``series_out_of_range`` reason, and the
  ``unvalidated`` value within 2 combined s.e. (se and its T, which is large there: 0.036);
* what the test resolves (so that it can fail): the prediction without the site term (the
  homogeneous series N p_inf + p_0^LE, 0.019 and 0.026 below the complete one at tanh N = 100
  and power N = 200) is rejected by more than 3 simulation s.e. there.

Cost: about 45 s on one core (40 + 12 + 8 J x 16 trajectories x 750 time units, 3000 + 1500
+ 1500 J of linear Monte Carlo). The long version is ``benchmarks/finite_n_table.py``.
"""

from __future__ import annotations

import math

import pytest

from rnncorr import get_activation, theory
from rnncorr.paired import paired_pr_phi_estimate, paired_realizations, paired_settings

pytestmark = [pytest.mark.slow]

KEY = "zero_frequency.phi.pr_over_n"
TANH = get_activation("tanh")
POWER = get_activation("power", alpha=0.5)


def paired_estimate(activation, g: float, n: int, n_j: int, seed: int, mc_j: int) -> dict:
    """est = E[PR_lin(g_eff)]/N (Monte Carlo) + mean_J (sim - hom), with its s.e."""
    settings = paired_settings(n_j, 750.0)
    rows = paired_realizations(activation, n, g, 1.0, settings, seed=seed)
    fin = theory.finite_n_statistics(activation, g, 1.0, n)
    out = paired_pr_phi_estimate(rows, fin["terms"]["g_eff"], n, mc_j, seed=seed + 1)
    large_n = theory.solve(activation, g, 1.0).statistics["zero_frequency"]["phi"]["pr_over_n"]
    return {**out, "fin": fin, "large_n": large_n}


def _report(name: str, r: dict) -> tuple[float, float, float]:
    fin = r["fin"]
    block = fin["zero_frequency"] if fin["valid"] else fin["zero_frequency_unvalidated"]
    phi, t = block["phi"], fin["terms"]["phi"]
    n = fin["N"]
    analytic, trunc = phi["pr_over_n"], fin["truncation_error"]["phi"]["pr_over_n"]
    homogeneous = phi["p_inf"] + t["p_0_le"] / n  # the series without the site term
    est, se = r["est"], r["se"]
    print(
        f"\n{name}: est {est:.4f} +- {se:.4f} ({r['n_j']} J) | analytic {analytic:.4f} +- "
        f"{trunc:.4f} (valid {fin['valid']}) pull {(est - analytic) / se:+.1f} sim s.e., "
        f"{(est - analytic) / math.hypot(se, trunc):+.1f} combined | N = inf "
        f"{r['large_n']:.4f} pull {(est - r['large_n']) / se:+.1f} | without site term "
        f"{homogeneous:.4f} pull {(est - homogeneous) / se:+.1f}"
    )
    return analytic, trunc, homogeneous


def test_tanh_g1_n100_valid_and_resolves_site_term():
    r = paired_estimate(TANH, 1.0, 100, n_j=40, seed=1601, mc_j=3000)
    analytic, trunc, homogeneous = _report("tanh g=1 N=100", r)
    assert r["fin"]["valid"]
    assert abs(r["est"] - analytic) < 2 * math.hypot(r["se"], trunc)
    assert abs(r["est"] - homogeneous) > 3 * r["se"]


def test_tanh_g1_n200_valid():
    r = paired_estimate(TANH, 1.0, 200, n_j=12, seed=1602, mc_j=1500)
    analytic, trunc, _ = _report("tanh g=1 N=200", r)
    assert r["fin"]["valid"]
    assert abs(r["est"] - analytic) < 2 * math.hypot(r["se"], trunc)


def test_power_g1_n200_flagged_and_resolves_site_term():
    r = paired_estimate(POWER, 1.0, 200, n_j=8, seed=1603, mc_j=1500)
    analytic, trunc, homogeneous = _report("power 0.5 g=1 N=200", r)
    fin = r["fin"]
    assert not fin["valid"] and fin["reason"].startswith("series_out_of_range")
    assert math.isnan(fin["zero_frequency"]["phi"]["pr_over_n"])
    assert abs(r["est"] - analytic) < 2 * math.hypot(r["se"], trunc)
    assert abs(r["est"] - homogeneous) > 3 * r["se"]
