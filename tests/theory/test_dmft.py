"""White-noise DMFT on a lag grid and the equal-time statistics (rnncorr.theory._dmft).

What is checked, and against what:
* the lag solver against the exact linear autocorrelation Delta0 exp(-kappa u), and against an
  independent route (energy conservation of the Newton particle, science.md §3);
* the refusals: a too-short iteration budget and a non-decaying guess are flagged, and
  ``require_converged`` raises;
* equal-time statistics: the exact linear closed forms of science.md §4 through the general
  nonlinear route, the tanh reference PR_phi/N of §11, and the zero-frequency kernels against the
  independent closed forms (R1), (R2) of ``_noisy``;
* the semi-analytic inner integral (``equal_time_moments``) against a brute-force double
  Gauss-Legendre sum (``trace_moments``);
* the four-point trace formula behind (T-x) against random matrices (docs/theory.md §2);
* the O(du^2) convergence order that justifies the Richardson step;
* speed: one equal-time evaluation well under a second.
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from rnncorr.activations import get_activation
from rnncorr.theory._dmft import (
    DMFTConvergenceError,
    Noise,
    equal_time_moments,
    equal_time_statistics,
    frequency_grid,
    lag_grid,
    lag_statistics,
    laplace,
    pair_table,
    require_converged,
    solve_lag_equation,
    solve_white_noise,
    spectrum,
    trace_moments,
)
from rnncorr.theory._noisy import potential_drop, single_site, zero_frequency_statistics

try:
    from reference_values import REFERENCE
except ModuleNotFoundError:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from reference_values import REFERENCE

TANH = get_activation("tanh")
LINEAR = get_activation("linear")


def _linear_equal_time(g: float) -> tuple[float, float]:
    """science.md §4: a = 1/(2s), (1/N) tr C^2 = (s^4+2s^3+4s^2-2s+3)/(32 s^5), sigma2 = 1."""
    s = math.sqrt(1 - g * g)
    a = 1 / (2 * s)
    tr2 = (s**4 + 2 * s**3 + 4 * s**2 - 2 * s + 3) / (32 * s**5)
    return a, a * a / tr2


def test_lag_solver_reproduces_exact_linear_autocorrelation():
    """Linear phi: Delta(u) = Delta0 exp(-kappa u), kappa = sqrt(1 - g^2). The trapezoid lag
    equation is O(du^2): at du = 0.01 the observed error is 4.5e-6 Delta0 (tolerance 2e-5)."""
    g = 0.5
    site = single_site(LINEAR, g, 1.0)
    sol = require_converged(solve_white_noise(LINEAR, g, 1.0, site, du=0.01))
    exact = site.delta0 * np.exp(-math.sqrt(1 - g * g) * sol.u)
    assert sol.flag == "ok" and sol.residual < 1e-10
    assert np.max(np.abs(sol.delta - exact)) < 2e-5 * site.delta0


def test_lag_solver_matches_energy_route_for_tanh():
    """Independent route (science.md §3): on the solution, Delta'^2/2 = V(0) - V(Delta). The
    derivative is taken by central differences (O(du^2) ~ 1e-5 at du = 0.01) away from u = 0;
    tolerance 1e-4 relative to sigma2^2/8."""
    g, sigma2 = 0.9, 1.0
    site = single_site(TANH, g, sigma2)
    sol = require_converged(solve_white_noise(TANH, g, sigma2, site, du=0.01))
    d = sol.delta
    slope = (d[2:] - d[:-2]) / (2 * sol.du)
    kinetic = 0.5 * slope**2
    drop = potential_drop(TANH, g, site.delta0, d[1:-1])
    sel = slice(10, 400)
    assert np.max(np.abs(kinetic[sel] - drop[sel])) < 1e-4 * sigma2**2 / 8


def test_lag_solver_flags_nonconvergence_and_require_converged_raises():
    """With no iterations allowed from a poor guess the solver must say so (flag maxiter) and
    require_converged must raise instead of returning the wrong answer."""
    site = single_site(TANH, 0.5, 1.0)
    table = pair_table(TANH, site.delta0)
    u = lag_grid(40.0, 0.02)
    src = Noise(1.0).source(u)
    sol = solve_lag_equation(
        table.f, table.df, 0.5, src, u, 0.1 * src, max_fixed_point=0, max_newton=0
    )
    assert not sol.converged and sol.flag == "maxiter"
    with pytest.raises(DMFTConvergenceError, match="maxiter"):
        require_converged(sol)


def test_lag_solver_rejects_trivial_solution_in_chaos():
    """Chaos (no source) started at Delta = 0 stays at the trivial solution: flagged, not ok."""
    table = pair_table(TANH, 1.9)
    u = lag_grid(40.0, 0.05)
    sol = solve_lag_equation(table.f, table.df, 2.0, np.zeros_like(u), u, np.zeros_like(u))
    assert sol.flag == "trivial" and not sol.converged


@pytest.mark.parametrize("g", [0.5, 0.9])
def test_linear_equal_time_closed_form_through_general_route(g):
    """science.md §4 closed forms (a = 1/(2s), PR/N = 8 s^3/(s^4+2s^3+4s^2-2s+3)) reproduced by
    the nonlinear machinery with phi = x, for both x and phi. Observed error < 1e-9 after the
    Richardson step; tolerance 1e-7."""
    site = single_site(LINEAR, g, 1.0)
    st = equal_time_statistics(LINEAR, g, 1.0, site)
    a, pr = _linear_equal_time(g)
    for var in ("x", "phi"):
        assert st[var]["a"] == pytest.approx(a, abs=1e-9)
        assert st[var]["pr_over_n"] == pytest.approx(pr, abs=1e-7)
        assert st[var]["cbar"] == 0.0


def test_linear_equal_time_reference_values():
    """§11 table: linear, equal time, g = 0.5 (a = 0.577350, PR/N = 0.847730), to the stated
    rounding."""
    case = REFERENCE["linear_equal_time_g0.5"]
    st = equal_time_statistics(LINEAR, case.g, case.sigma2, single_site(LINEAR, case.g, 1.0))
    for key, ref in case.values.items():
        _, var, stat = key.split("/")
        assert abs(st[var][stat] - ref.value) <= ref.atol


def test_tanh_equal_time_pr_phi_reference():
    """§11: tanh, g = 0.5, sigma2 = 1, equal-time PR_phi/N = 0.93211 (to its rounding)."""
    ref = REFERENCE["tanh_g0.5"].values["equal_time/phi/pr_over_n"]
    st = equal_time_statistics(TANH, 0.5, 1.0, single_site(TANH, 0.5, 1.0))
    assert abs(st["phi"]["pr_over_n"] - ref.value) <= ref.atol
    assert st["phi"]["a"] == pytest.approx(0.28510613631, abs=1e-9)  # <phi^2>, §11 0.28511
    # x: derived here (docs/theory.md §2); a_x = Delta0 (§11: 0.53613)
    assert st["x"]["a"] == pytest.approx(0.53613, abs=5e-6)


@pytest.mark.parametrize("act_name", ["tanh", "erf"])
def test_zero_frequency_kernels_match_closed_forms_r1_r2(act_name):
    """The four-point kernels at w = w' = 0 (used for chaos and coloured noise) against the
    independent closed forms (R1), (R2) of _noisy (energy-integral a_phi). Observed agreement
    ~1e-10; tolerance 1e-8 (lag-grid C_phi(w=0) after Richardson)."""
    act = get_activation(act_name)
    g, sigma2 = 0.8, 1.0
    site = single_site(act, g, sigma2)
    table = pair_table(act, site.delta0)

    def solve(h):
        return solve_white_noise(act, g, sigma2, site, du=h, table=table), site.s0, site.phi2, 0

    zf = lag_statistics(solve, 0.01, g, Noise(sigma2)).zero_frequency
    ref = zero_frequency_statistics(act, g, sigma2, site)
    for var in ("x", "phi"):
        for stat in ("a", "pr_over_n"):
            assert zf[var][stat] == pytest.approx(ref[var][stat], rel=1e-8)


def test_semi_analytic_inner_integral_matches_double_quadrature():
    """equal_time_moments (inner w' integral in closed form via Laplace transforms) against the
    brute-force tensor Gauss-Legendre sum trace_moments, which resolves the diagonal ridge of
    |q|^2 at g = 0.9 with 512 nodes. The brute-force inner spectra are Filon transforms of the
    piecewise-linear interpolant, O(du^2) = O(1e-5) off the Laplace route's O(du^4): observed
    6e-6 relative; tolerance 3e-5."""
    g, sigma2 = 0.9, 1.0
    site = single_site(TANH, g, sigma2)
    sol = require_converged(solve_white_noise(TANH, g, sigma2, site, du=0.01))
    w, wt = frequency_grid(0.5, 512)
    cphi = spectrum(sol.cphi, sol.u, w)
    brute_phi, brute_x, _ = trace_moments(g, site.s0, w, wt, cphi, np.full_like(w, sigma2))
    lam = 1 - site.g_eff**2 / (1 + 1j * w)
    semi_phi, semi_x = equal_time_moments(
        g,
        site.s0,
        w,
        wt,
        cphi,
        Noise(sigma2),
        laplace(sol.cphi, sol.u, lam),
        laplace(sol.delta, sol.u, lam),
    )
    assert semi_phi == pytest.approx(brute_phi, rel=3e-5)
    assert semi_x == pytest.approx(brute_x, rel=3e-5)


def test_laplace_transform_of_kinked_exponential():
    """laplace() on f(t) = exp(-|t|) (kink at 0, like white-noise Delta): exact 1/(lam + 1).
    Euler-Maclaurin to du^4 with one-sided differences: observed 1e-10 at du = 0.02."""
    u = lag_grid(60.0, 0.02)
    lam = np.array([0.3 + 0.2j, 1.0 - 0.5j, 0.05 + 0.0j])
    assert np.allclose(laplace(np.exp(-u), u, lam), 1 / (lam + 1), rtol=1e-8)


def test_four_point_trace_formula_random_matrices(rng):
    """docs/theory.md §2: (1/N) tr[A_a A_b^H A_c A_d^H] = 1/((1-g^2 a b*)(1-g^2 c b*)(1-g^2 c d*)
    (1-g^2 a d*)) for A_a = (1 - a J)^-1, iid J ~ N(0, g^2/N). N = 600: O(1/N) ~ 2e-3 relative
    corrections plus sample noise; tolerance 1.5%."""
    n, g = 600, 0.8
    j = rng.normal(0.0, g / math.sqrt(n), (n, n))
    eye = np.eye(n)
    a, c = 0.7 / (1 + 0.5j), 0.7 / (1 - 1.3j)
    big_a = np.linalg.inv(eye - a * j)
    big_c = np.linalg.inv(eye - c * j)
    lhs = np.trace(big_a @ big_a.conj().T @ big_c @ big_c.conj().T).real / n

    def f(x, y):
        return 1 / (1 - g * g * x * np.conj(y))

    rhs = (f(a, a) * f(c, a) * f(c, c) * f(a, c)).real
    assert lhs == pytest.approx(rhs, rel=0.015)


def test_lag_grid_error_is_second_order_in_du():
    """Convergence order of the lag discretisation (justifies Richardson): the error of the grid
    Delta(0) against (E1) falls by 4.0 +- 0.1 when du halves (tanh, g = 0.5)."""
    site = single_site(TANH, 0.5, 1.0)
    table = pair_table(TANH, site.delta0)
    errs = [
        solve_white_noise(TANH, 0.5, 1.0, site, du=h, table=table).delta[0] - site.delta0
        for h in (0.04, 0.02)
    ]
    assert errs[0] / errs[1] == pytest.approx(4.0, abs=0.1)


def test_equal_time_statistics_is_fast():
    """Workflow budget: ~200 g values per activation; one evaluation must take well under a
    second (observed 0.1-0.3 s on a shared 2-core machine; bound 1.5 s for slack)."""
    site = single_site(TANH, 0.7, 1.0)
    t0 = time.perf_counter()
    equal_time_statistics(TANH, 0.7, 1.0, site)
    assert time.perf_counter() - t0 < 1.5


def test_invalid_site_gives_nan():
    """A site without a stationary state (linear, g >= 1) yields NaN statistics, no exception."""
    site = single_site(LINEAR, 1.2, 1.0)
    st = equal_time_statistics(LINEAR, 1.2, 1.0, site)
    assert math.isnan(st["phi"]["pr_over_n"]) and math.isnan(st["x"]["a"])
