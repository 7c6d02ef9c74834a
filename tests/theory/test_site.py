"""Analytic site-heterogeneity term and the complete finite-N prediction (finite_size.md §10)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from rnncorr import get_activation
from rnncorr.theory import finite_n_statistics
from rnncorr.theory._finite_n import _word_leading, linear_finite_n_coefficients
from rnncorr.theory._heterogeneous import heterogeneous_finite_n_prediction
from rnncorr.theory._site import planar_trace, site_coefficients

TANH = get_activation("tanh")
POWER = get_activation("power", alpha=0.5)
L, LT = (0, 1.0), (1, 1.0)


@pytest.mark.parametrize("k2", [0.1, 0.45, 0.8])
def test_planar_trace_matches_known_forms(k2):
    u = 1 / (1 - k2)
    assert planar_trace((L, LT), k2) == pytest.approx(u, rel=1e-13)
    assert planar_trace((L, LT, L, LT), k2) == pytest.approx(u**4, rel=1e-13)
    a, b = 0.3 + 0.2j, 0.5 - 0.1j  # complex gains: tau(R_a R_b^T) = 1/(1 - a b k2)
    assert planar_trace(((0, a), (1, b)), k2) == pytest.approx(1 / (1 - a * b * k2), rel=1e-13)
    assert planar_trace(((2, 0), (3, 0)), k2) == pytest.approx(k2)  # tau(K K^T)
    for word in [(0, 1, 1, 0, 1), (0, 0, 1, 1, 0, 1), (0, 1, 0, 0, 1, 1), (0, 1, 0, 1, 0, 1)]:
        letters = tuple(L if c == 0 else LT for c in word)
        # the independent circular-element recursion of _finite_n
        assert planar_trace(letters, k2) == pytest.approx(_word_leading(word, k2, {}), rel=1e-12)


@pytest.fixture(scope="module")
def tanh_site():
    return {g: site_coefficients(TANH, g, 1.0) for g in (0.5, 1.0)}


def test_diagonal_covariance_reproduces_linear_nc2_1(tanh_site):
    """N Var C_ii from the orthogonal-invariance covariance (v_1) gives the closed-form nc2_1."""
    for g, site in tanh_site.items():
        sc, c = site["scalars"], site["phi"]
        E = sc.s0**2 + sc.residual_power  # C_phi = E L L^T
        lin = linear_finite_n_coefficients(sc.g_eff)
        k2 = sc.g_eff**2
        assert c["v_1"] == pytest.approx(E**2 * 2 * k2 * (2 - k2) / (1 - k2) ** 4, rel=1e-10)
        nc2_1 = c["nc2_inf"] + E**2 * lin["b_1"] - 2 * c["a_inf"] * E * lin["a_1"] - c["v_1"]
        assert nc2_1 == pytest.approx(E**2 * lin["nc2_1"], rel=1e-10), g


def test_uniform_gain_derivative_and_gain_spread(tanh_site):
    site = tanh_site[1.0]
    k2 = site["scalars"].g_eff ** 2
    # mean channel = N ebar d ln PR/d ln s * p_inf, d ln p_inf / d ln s = -4 k2/(1 - k2)
    expected = site["n_ebar"] * (-4 * k2 / (1 - k2)) * site["phi"]["p_inf"]
    assert site["phi"]["p_0_channels"]["mean"] == pytest.approx(expected, rel=1e-9)
    # sd(s_i)/s0 = 2.6 % at N = 100 (measured J by J, finite_size.md §8.4)
    assert math.sqrt(site["n_var_eps"] / 100) == pytest.approx(0.026, abs=0.002)


def test_linear_activation_has_no_site_term():
    site = site_coefficients(get_activation("linear"), 0.6, 1.0)
    for var in ("phi", "x"):
        assert site[var]["p_0_site"] == pytest.approx(0.0, abs=1e-12)
        assert site[var]["a_1_site"] == pytest.approx(0.0, abs=1e-12)


# Analytic p_0^site against the Monte Carlo of the heterogeneous network (fixed seeds; the MC is
# the paired mean of PR_het - PR_hom over J; tolerance 2 s.e. of that mean). The analytic value
# is the N -> infinity limit; the MC at size N carries an O(1/N) remainder, measured (200 J,
# benchmarks/finite_n_table.py): tanh g = 1: 1.63 +- 0.05 (N = 100), 1.86 +- 0.06 (N = 200),
# 1/N-extrapolated 2.09 +- 0.14, analytic 1.93. At N = 200 the remainder (~0.15 at g = 1,
# ~0.007 at g = 0.5) is below the s.e. of 30 J, so N = 200 keeps the test honest and cheap
# (~1 s per J).
@pytest.mark.slow
@pytest.mark.parametrize(
    ("activation", "g", "N", "n_j"),
    [(TANH, 0.5, 200, 30), (TANH, 1.0, 200, 30), (POWER, 0.5, 200, 30)],
)
def test_site_term_matches_montecarlo(activation, g, N, n_j):
    site = site_coefficients(activation, g, 1.0)
    mc = heterogeneous_finite_n_prediction(
        activation, g, 1.0, N, n_j, np.random.SeedSequence([2026, N])
    )
    d = mc["het_minus_hom"]
    for var in ("phi", "x"):
        assert abs(site[var]["p_0_site"] - d[var]["pr"]) < 2 * d[var]["pr_se"], var
        a_mc, a_se = N * d[var]["a"], N * d[var]["a_se"]
        assert abs(site[var]["a_1_site"] - a_mc) < 2 * a_se, var
        nc2_mc, nc2_se = N * d[var]["nc2"], N * d[var]["nc2_se"]
        assert abs(site[var]["nc2_1_site"] - nc2_mc) < 2 * nc2_se, var


def test_finite_n_statistics_flags_and_terms():
    out = finite_n_statistics(TANH, 1.0, 1.0, 200)
    assert out["valid"] and out["reason"] is None
    assert out["n_gap"] == pytest.approx(200 * (1 - out["terms"]["g_eff"] ** 2) ** 2)
    phi, t = out["zero_frequency"]["phi"], out["terms"]["phi"]
    assert phi["p_0"] == pytest.approx(t["p_0_le"] + t["p_0_site"])
    assert phi["pr"] == pytest.approx(200 * phi["p_inf"] + phi["p_0"])
    assert phi["a"] == pytest.approx(phi["a_inf"] + (t["a_1_le"] + t["a_1_site"]) / 200)
    assert out["equal_time"]["reason"] == "not_derived"
    # power alpha = 0.5, g = 1: N (1 - g_eff^2)^2 = 14 at N = 200: outside the series' range
    out = finite_n_statistics(POWER, 1.0, 1.0, 200)
    assert not out["valid"] and out["reason"].startswith("series_out_of_range")
    assert math.isnan(out["zero_frequency"]["phi"]["pr_over_n"])
    assert np.isfinite(out["zero_frequency_unvalidated"]["phi"]["pr_over_n"])
    # chaos and non-odd phi: no series, a reason
    assert finite_n_statistics(TANH, 1.5, 0.0, 200)["reason"].startswith("noise_driven_only")
    assert finite_n_statistics(get_activation("relu"), 0.5, 1.0, 200)["reason"].startswith(
        "odd_phi_required"
    )


def test_cli_theory_reports_complete_prediction(capsys):
    from rnncorr.cli import main

    main(["theory", "--activation", "tanh", "--g", "0.5", "--sigma2", "1", "--N", "100"])
    out = json.loads(capsys.readouterr().out)["finite_n"]
    for key in ("pr", "pr_over_n", "a", "nc2", "p_inf", "p_0", "x", "valid", "terms"):
        assert key in out
    assert out["valid"] is True
    assert out["p_0"] == pytest.approx(
        out["terms"]["phi"]["p_0_le"] + out["terms"]["phi"]["p_0_site"]
    )
    assert out["terms"]["homogeneous"]["phi"]["p_0"] == pytest.approx(out["terms"]["phi"]["p_0_le"])
    assert "equal_time" in out


def test_theory_dataset_carries_complete_finite_n_coefficients():
    from rnncorr import io, theory
    from rnncorr.theory._finite_n_equal_time import equal_time_finite_n_coefficients
    from rnncorr.theory._site import finite_n_coefficients

    results = [theory.solve(TANH, g, 1.0) for g in (0.5, 1.0)]
    fin = {(TANH.label, 0.5, 1.0): finite_n_coefficients(TANH, 0.5, 1.0)}
    et = {(TANH.label, 0.5, 1.0): equal_time_finite_n_coefficients(TANH, 0.5, 1.0)}
    ds = io.theory_dataset(
        results, [TANH.label], [0.5, 1.0], [1.0], finite_n=fin, equal_time_finite_n=et
    )
    point = ds.sel(activation=TANH.label, g=0.5, sigma2=1.0, variable="phi")
    c = fin[(TANH.label, 0.5, 1.0)]
    assert float(point.finite_n_p_0) == pytest.approx(c["phi"]["p_0"])
    assert float(point.p_0_site_analytic) == pytest.approx(c["terms"]["phi"]["p_0_site"])
    # equal time: the complete coefficients (homogeneous series + analytic site term)
    e = et[(TANH.label, 0.5, 1.0)]["x"]
    x_point = ds.sel(activation=TANH.label, g=0.5, sigma2=1.0, variable="x")
    assert float(x_point.finite_n_equal_time_p_0) == pytest.approx(e["p_0_le"] + e["p_0_site"])
    assert float(x_point.finite_n_equal_time_a_1) == pytest.approx(e["a_1"])
    assert "long_name" in ds.finite_n_equal_time_nc2_1.attrs
    # smallest valid N: the next term |p_m1^LE|/N at most half of |p_0^LE| (§10.6), or the
    # gain spread (not binding here)
    t = c["terms"]
    n_series = t["p_m1_le"] / (0.5 * abs(t["phi"]["p_0_le"]))
    assert float(point.finite_n_min_N) == pytest.approx(max(n_series, t["n_var_eps"] / 0.01))
    assert float(point.finite_n_truncation) == pytest.approx(c["phi"]["pr_truncation_coefficient"])
    assert str(io.decode_reasons(point.finite_n_reason).values) == ""
    assert np.isnan(
        float(ds.sel(activation=TANH.label, g=1.0, sigma2=1.0, variable="x").finite_n_p_0)
    )
    assert np.isnan(
        float(
            ds.sel(activation=TANH.label, g=1.0, sigma2=1.0, variable="x").finite_n_equal_time_p_0
        )
    )


def test_cli_montecarlo_reports_progress_on_stderr(capsys):
    from rnncorr.cli import main

    args = ["theory", "--activation", "tanh", "--g", "0.5", "--sigma2", "1", "--N", "20"]
    assert main([*args, "--finite-n-samples", "3", "--seed", "1"]) == 0
    captured = capsys.readouterr()
    assert "finite-n Monte Carlo: 3/3 J" in captured.err
    assert "finite_n_montecarlo" in json.loads(captured.out)
