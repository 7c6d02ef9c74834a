"""Equal-time 1/N corrections (docs/finite_size_equal_time.md)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy.linalg import solve_continuous_lyapunov

from rnncorr.activations import get_activation
from rnncorr.theory import solve
from rnncorr.theory._finite_n import _word_moments
from rnncorr.theory._finite_n_equal_time import (
    complex_word_moments,
    equal_time_linear_equivalent_series,
    equal_time_montecarlo,
    equal_time_series,
)
from rnncorr.theory._heterogeneous import site_scalars

TANH = get_activation("tanh")


def test_complex_recursion_with_one_real_gain_is_the_zero_frequency_recursion():
    # every letter with the same real gain g: the words of docs/finite_size.md §2 at x = g^2
    g = 0.6
    for length in range(1, 6):
        for word in itertools.product((0, 1), repeat=length):
            expected = _word_moments(word, g * g)
            got = complex_word_moments(tuple((t, 0) for t in word), (g,))
            assert got[0] == pytest.approx(expected[0], abs=1e-12)
            assert got[1] == pytest.approx(expected[1], abs=1e-12)


def test_cavity_diagonal_variance_reduces_to_zero_frequency_result():
    # one node at w = 0 with weight 1: docs/finite_size.md §2.6, v_1 = 2x(2-x)u^4 and nc2_1
    from rnncorr.theory._finite_n_equal_time import spectral_series

    g = 0.5
    x, u = g * g, 1 / (1 - g * g)
    ser = spectral_series(g, np.zeros(1), np.ones(1), np.array([[1.0, 0.0, 0.0, 0.0]]))
    assert ser["v_1"] == pytest.approx(2 * x * (2 - x) * u**4, rel=1e-12)
    assert ser["nc2_1"] == pytest.approx(x * x * (20 - 8 * x + x * x) * u**6, rel=1e-12)
    assert ser["p_0"] == pytest.approx(-x * (2 + 7 * x), rel=1e-12)


def test_linear_network_large_n_equal_time_closed_forms():
    # science.md §4: a = 1/(2s), tr C^2/N = (s^4 + 2s^3 + 4s^2 - 2s + 3)/(32 s^5)
    g = 0.5
    s = math.sqrt(1 - g * g)
    ser = equal_time_linear_equivalent_series(g, 1.0, 1.0, 0.0, nodes=32)
    assert ser["a_inf"] == pytest.approx(1 / (2 * s), rel=1e-10)
    assert ser["b_inf"] == pytest.approx(
        (s**4 + 2 * s**3 + 4 * s**2 - 2 * s + 3) / (32 * s**5), rel=1e-9
    )


@pytest.mark.slow
def test_linear_network_equal_time_series_against_lyapunov_montecarlo():
    # linear network g = 0.5, N = 50, 1500 J: E[a] and E[PR] against a_inf + a_1/N and
    # N p_inf + p_0 (a_1 = 0.1191, p_0 = -0.2879); the O(1/N^2) remainders at N = 50 (from the
    # benchmark: 0.118 +- 0.008 and -0.279 +- 0.012 at N = 50 and 100) are below the 3 s.e. band
    g, N, n_j = 0.5, 50, 1500
    ser = equal_time_linear_equivalent_series(g, 1.0, 1.0, 0.0, nodes=24)
    rng = np.random.default_rng(50)
    a, pr, var_diag = [], [], []
    for _ in range(n_j):
        J = rng.standard_normal((N, N)) * (g / math.sqrt(N))
        S = solve_continuous_lyapunov(np.eye(N) - J, np.eye(N))
        a.append(np.trace(S) / N)
        pr.append(np.trace(S) ** 2 / np.sum(S * S))
        var_diag.append(N * np.var(np.diag(S)))
    a, pr, var_diag = np.array(a), np.array(pr), np.array(var_diag)
    # cavity v_1 = N Var_i Sigma_ii = 0.1197 (MC 0.1205 +- 0.0007 at N = 50, 2000 J; the
    # O(1/N) remainder is below 1 %)
    assert var_diag.mean() == pytest.approx(ser["v_1"], rel=0.03)
    a_shift, a_se = N * (a.mean() - ser["a_inf"]), N * a.std(ddof=1) / math.sqrt(n_j)
    p_shift, p_se = pr.mean() - N * ser["p_inf"], pr.std(ddof=1) / math.sqrt(n_j)
    assert abs(a_shift - ser["a_1"]) < 3 * a_se
    assert abs(p_shift - ser["p_0"]) < 3 * p_se
    # and the 1/N terms are resolved: the N = infinity values are rejected
    assert abs(p_shift) > 5 * p_se


def test_nonlinear_equal_time_series_reproduces_large_n_theory():
    # with the DMFT residual spectrum the N = infinity parts are (T-x) and (R3)
    ser = equal_time_series(TANH, 0.5, 1.0, nodes=24)
    eq = solve(TANH, 0.5, 1.0).statistics["equal_time"]
    for var in ("x", "phi"):
        assert ser[var]["a_inf"] == pytest.approx(eq[var]["a"], rel=1e-4)  # one lag step
        assert ser[var]["nc2_inf"] == pytest.approx(eq[var]["nc2"], rel=1e-4)
        assert ser[var]["p_inf"] == pytest.approx(eq[var]["pr_over_n"], abs=1e-6)
    # values recorded in docs/finite_size_equal_time.md
    assert ser["x"]["p_0"] == pytest.approx(-0.0980, abs=5e-4)
    assert ser["x"]["a_1"] == pytest.approx(0.0436, abs=5e-4)


@pytest.mark.slow
def test_equal_time_series_against_homogeneous_network_montecarlo():
    # tanh g = 0.5, N = 60, homogeneous white-residual network: E[PR_x] - N p_inf = p_0 of
    # the white-residual series (-0.098 at N = infinity) within 3 s.e.
    sc = site_scalars(TANH, 0.5, 1.0)
    sc_series = equal_time_linear_equivalent_series(
        sc.g_eff, sc.s0, 1.0, sc.white_residual, nodes=24
    )
    N = 60
    mc = equal_time_montecarlo(TANH, 0.5, 1.0, N, 300, seed=5)
    pr, se = mc["hom"]["x"]["pr_over_n"]
    assert abs(N * pr - N * sc_series["p_inf"] - sc_series["p_0"]) < 3 * N * se
    # the site term (het - hom) is positive and small at g = 0.5 (paired, so its s.e. is tiny)
    d, d_se = mc["het_minus_hom"]["x"]["pr_over_n"]
    assert d > 3 * d_se and N * d < 0.1


def test_finite_n_validity_flags_chaos_and_small_networks():
    chaos = solve(TANH, 1.5, 0.0)
    v = chaos.finite_n_validity(400)
    assert not v["testable"] and not v["series_available"]
    assert v["parameter"] == pytest.approx(400 * (1 - chaos.g_eff**2) ** 2)
    assert v["min_n"] > 10_000
    noisy = solve(TANH, 0.5, 1.0)
    assert noisy.finite_n_validity(100)["testable"]
    assert noisy.finite_n_validity(100)["series_available"]
    assert not noisy.finite_n_validity(20)["testable"]


def test_chaos_linear_equivalent_shift_values_and_self_consistency():
    # docs/finite_size_equal_time.md §4: the self-consistent response cuts the source ~10-fold;
    # the resulting <phi^2> shift is +4.1 % at tanh g = 1.5, N = 400 (simulations: -2..-4 %)
    from rnncorr.theory._chaos_finite_n import chaos_single_site_shift

    r = chaos_single_site_shift(TANH, 1.5)
    assert r["gmres_info"] == 0
    assert r["g_eff"] == pytest.approx(0.98686, abs=1e-4)
    assert 0 < r["delta1"] < 0.2 * r["delta1_source"]
    assert r["phi2_1"] / r["phi2"] / 400 == pytest.approx(0.0408, abs=0.002)


@pytest.mark.slow
def test_equal_time_pr_x_prediction_against_recorded_simulation():
    # Acceptance (issue 16 item 3): tanh g = 0.5, sigma2 = 1, N = 100. The simulation number is
    # measured by benchmarks/finite_size_equal_time.py (64 J x 16 x 4000, seed 31, control
    # variate: 0.92863 +- 0.00011, docs/finite_size_equal_time.md §2.4); the sharp, paired half
    # of that measurement runs in tests/sim/test_finite_size_equal_time.py.
    from rnncorr.theory._finite_n_equal_time import equal_time_prediction

    pred = equal_time_prediction(TANH, 0.5, 1.0, 100, site_samples=24, seed=2)
    # (variable, simulation, s.e.): PR_x/N and PR_phi/N, control variate; the site term is
    # analytic (docs §6), the Monte Carlo one (site_montecarlo) the independent check
    for var, sim, sim_se in (("x", 0.92863, 0.00011), ("phi", 0.93229, 0.00010)):
        p = pred[var]
        assert p["site"] == (p["p_0_site"], 0.0)
        assert abs(p["pr_over_n_with_site"] - sim) < 2 * sim_se
        mc, mc_se = p["site_montecarlo"]
        with_mc = p["pr_over_n"] + mc / 100
        assert abs(with_mc - sim) < 2 * math.hypot(sim_se, mc_se / 100)
        assert abs(p["p_0_site"] - mc) < 2 * mc_se  # analytic against the paired Monte Carlo
    # N = infinity is rejected for x (6 s.e.)
    assert abs(pred["x"]["p_inf"] - 0.92863) > 5 * 0.00011


def test_cli_reports_equal_time_series_and_validity(capsys):
    import json

    from rnncorr.cli import main

    base = ["theory", "--activation", "tanh", "--g", "0.5", "--N", "100", "--format", "json"]
    assert main([*base, "--sigma2", "1"]) == 0
    out = json.loads(capsys.readouterr().out)
    eq = out["finite_n_equal_time"]
    assert eq["available"]
    # homogeneous series (docs §0) plus the analytic site term (§6): 0.92831 + 0.00023
    assert eq["x"]["pr_over_n_le"] == pytest.approx(0.92831, abs=2e-5)
    site = eq["x"]["p_0_site"] / 100
    assert eq["x"]["pr_over_n"] == pytest.approx(eq["x"]["pr_over_n_le"] + site, rel=1e-12)
    assert eq["x"]["p_0_site"] == pytest.approx(0.0225, abs=5e-4)
    assert eq["pr_over_n"] == pytest.approx(0.93191 + 0.00046, abs=3e-5)  # phi, §3 + §6
    assert eq["x"]["p_inf"] == pytest.approx(out["equal_time"]["x"]["pr_over_n"], abs=1e-6)
    assert out["finite_n_validity"]["testable"]
    assert main(["theory", "--activation", "tanh", "--g", "1.5", "--sigma2", "0", "--N", "400",
                 "--format", "json"]) == 0  # fmt: skip
    out = json.loads(capsys.readouterr().out)
    assert not out["finite_n_equal_time"]["available"]
    assert not out["finite_n_validity"]["series_available"]
