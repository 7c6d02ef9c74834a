"""Ornstein-Uhlenbeck noise (rnncorr.theory._colored), docs/science.md §8.

Checks: the exact linear variance sigma2/(2 kappa (1 + kappa tau_n)); the linear equal-time PR
against an independent route (the brute-force double frequency integral of the exact spectrum
sigma2/((1 + tau^2 w^2)(kappa^2 + w^2))); the white-noise limit tau_n -> 0 (Richardson in
tau_n); the zero-frequency relations a_x = sigma2 + g^2 a_phi, PR_phi/N = (1 - g_eff^2)^2;
refusal of a regime without a stationary state and of a bad noise_tau.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from rnncorr.activations import get_activation
from rnncorr.theory import solve
from rnncorr.theory._colored import solve_colored
from rnncorr.theory._dmft import frequency_grid, trace_moments

TANH = get_activation("tanh")
LINEAR = get_activation("linear")
POWER = get_activation("power", alpha=0.25)


@pytest.mark.parametrize("tau", [0.5, 2.0])
def test_linear_variance_closed_form(tau):
    """Linear phi: Delta0 = int dw/2pi sigma2/((1 + tau^2 w^2)(kappa^2 + w^2))
    = sigma2 / (2 kappa (1 + kappa tau)), kappa = sqrt(1 - g^2). Observed 1e-11; tol 1e-9."""
    g = 0.5
    kappa = math.sqrt(1 - g * g)
    res = solve_colored(LINEAR, g, 1.0, tau)
    assert res.valid and res.noise_tau == tau
    exact = 1.0 / (2 * kappa * (1 + kappa * tau))
    assert res.delta0 == pytest.approx(exact, rel=1e-9)
    assert res.statistics["equal_time"]["x"]["a"] == pytest.approx(exact, rel=1e-9)


def test_linear_equal_time_pr_against_exact_spectrum_double_integral():
    """Linear phi, tau_n = 1, g = 0.5: PR/N from the lag solver + semi-analytic integrals vs the
    brute-force tensor quadrature (384 Gauss-Legendre nodes, converged to 1e-12 at g = 0.5) of the
    exact spectrum C(w) = 1/((1 + w^2)(kappa^2 + w^2)). Observed 1e-9; tolerance 1e-7."""
    g, tau = 0.5, 1.0
    kappa2 = 1 - g * g
    w, wt = frequency_grid(math.sqrt(kappa2), 384)
    k_w = 1.0 / (1 + tau**2 * w * w)
    c_w = k_w / (kappa2 + w * w)
    nc2_phi, nc2_x, _ = trace_moments(g, 1.0, w, wt, c_w, k_w)
    a = 1.0 / (2 * math.sqrt(kappa2) * (1 + math.sqrt(kappa2) * tau))
    res = solve_colored(LINEAR, g, 1.0, tau).statistics["equal_time"]
    for var, nc2 in (("phi", nc2_phi), ("x", nc2_x)):
        assert res[var]["nc2"] == pytest.approx(nc2, rel=1e-7)
        assert res[var]["pr_over_n"] == pytest.approx(a * a / (a * a + nc2), abs=1e-7)


@pytest.mark.parametrize("act", [TANH, LINEAR, POWER], ids=["tanh", "linear", "power0.25"])
def test_white_noise_limit(act):
    """tau_n -> 0 recovers the white-noise results. The statistics are smooth in tau_n, so
    2 f(0.02) - f(0.04) equals f(0) up to O(tau_n^2): observed <= 3.5e-4; tolerance 1e-3."""
    white = solve(act, 0.5, 1.0).statistics["equal_time"]
    r1 = solve_colored(act, 0.5, 1.0, 0.02).statistics["equal_time"]
    r2 = solve_colored(act, 0.5, 1.0, 0.04).statistics["equal_time"]
    for var in ("x", "phi"):
        for stat in ("a", "pr_over_n"):
            extrapolated = 2 * r1[var][stat] - r2[var][stat]
            assert extrapolated == pytest.approx(white[var][stat], abs=1e-3)


def test_power_law_richardson_orders_and_du_convergence():
    """Power law alpha = 0.25, g = 1, sigma2 = 1, tau_n = 0.5 (solved with F at the variance of
    the lag solution, as for white noise; at a fixed variance every power-law case failed with
    dmft_not_converged). With OU noise x is differentiable, 1 - rho ~ u^2, so C_phi has a
    abs(u)^(2 alpha + 1) singularity: lag-step error du^2 + du^(2 alpha + 2)
    (``richardson_orders(power, tau_n)``), not the white-noise du^(alpha + 3/2). Observed: step
    ratio 4.03 (du^2 leads); the plain du^2 Richardson moves by 3.7e-8 from du = 0.01 to 0.005
    (its du^2.5 residual), the three-step value with 2.5 by 1.3e-9 (with 1.75: 3.8e-8).
    Tolerance 1e-8: a quarter of the plain change."""
    base = solve_colored(POWER, 1.0, 1.0, 0.5, du=0.01)
    fine = solve_colored(POWER, 1.0, 1.0, 0.5, du=0.005)
    assert base.valid and fine.valid
    assert base.settings["richardson_orders"] == [2.0, 2.5]
    assert base.settings["step_ratio_pr_phi_equal_time"] == pytest.approx(4.0, abs=0.1)
    for var in ("phi", "x"):
        assert base.statistics["equal_time"][var]["pr_over_n"] == pytest.approx(
            fine.statistics["equal_time"][var]["pr_over_n"], abs=1e-8
        )


def test_zero_frequency_relations():
    """Zero frequency with OU noise: K(0) = sigma2, so a_x = sigma2 + g^2 a_phi (D1 at w = 0) and
    PR_phi/N = (1 - g_eff^2)^2 (R1 kernel). Identities at each lag step; the Richardson
    combination of the two steps' S0 and Nc2 leaves 1e-11 (observed); tolerance 1e-9."""
    g, sigma2 = 0.8, 0.7
    res = solve_colored(TANH, g, sigma2, 0.5)
    zf = res.statistics["zero_frequency"]
    assert zf["x"]["a"] == pytest.approx(sigma2 + g * g * zf["phi"]["a"], rel=1e-12)
    assert zf["phi"]["pr_over_n"] == pytest.approx((1 - res.g_eff**2) ** 2, rel=1e-9)
    assert res.g_eff < 1 and res.delta0 < solve(TANH, g, sigma2).delta0  # less noise power


def test_no_stationary_state_and_bad_tau():
    """Linear, g >= 1: invalid (no stationary state), no exception; noise_tau <= 0 raises."""
    res = solve_colored(LINEAR, 1.2, 1.0, 0.5)
    assert not res.valid and res.reason.startswith("no_stationary_state")
    assert np.isnan(res.statistics["equal_time"]["x"]["pr_over_n"])
    with pytest.raises(ValueError, match="noise_tau"):
        solve_colored(TANH, 0.5, 1.0, 0.0)


def test_dispatcher_routes_colored_noise():
    """theory.solve(..., noise_tau) dispatches to solve_colored."""
    res = solve(TANH, 0.5, 1.0, noise_tau=0.5)
    assert res.valid and res.noise_tau == 0.5
    assert res.statistics["equal_time"]["phi"]["pr_over_n"] == pytest.approx(
        solve_colored(TANH, 0.5, 1.0, 0.5).statistics["equal_time"]["phi"]["pr_over_n"]
    )
