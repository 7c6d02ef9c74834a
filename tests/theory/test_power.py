"""Power-law activation phi = sign(x)|x|^alpha (rnncorr.theory._power, science.md §5): closed
forms against quadrature, the scaling collapse, the u -> 0 limit, and §11 numbers."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import integrate, optimize

from rnncorr.activations import get_activation
from rnncorr.theory._noisy import single_site, zero_frequency_statistics
from rnncorr.theory._power import (
    SCALING_EXPONENTS,
    collapse_variable,
    g_eff2_limit,
    k_alpha,
    power_delta0,
    power_single_site,
    power_zero_frequency,
    pr_over_n_limit,
    scale_factor,
    scaled_delta0,
)

try:
    from reference_values import REFERENCE
except ModuleNotFoundError:  # tests/ is on sys.path only once tests/conftest.py exists
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from reference_values import REFERENCE


def _quad_mean(f, var):
    """E f(x), x ~ N(0, var), by adaptive quad on (0, inf) (all integrands here are even)."""
    val = integrate.quad(
        lambda x: f(x) * math.exp(-x * x / (2 * var)),
        0,
        14 * math.sqrt(var),
        epsabs=1e-15,
        epsrel=1e-13,
        limit=200,
    )[0]
    return 2 * val / math.sqrt(2 * math.pi * var)


@pytest.mark.parametrize("alpha", [0.2, 0.5, 0.8])
def test_k_alpha_and_single_site_moments_equal_quadrature(alpha):
    var = 1.7
    ephi = _quad_mean(lambda x: x ** (alpha + 1) / (alpha + 1), var)
    var_phi = _quad_mean(lambda x: (x ** (alpha + 1) / (alpha + 1) - ephi) ** 2, var)
    # Gamma-function closed forms vs quad: observed <= 1e-14 relative
    assert k_alpha(alpha) * var ** (alpha + 1) == pytest.approx(var_phi, rel=1e-11)
    site = power_single_site(1.0, 0.5, alpha)
    d = site.delta0
    s0 = _quad_mean(lambda x: alpha * x ** (alpha - 1), d)  # integrable x^(alpha-1) at 0
    phi2 = _quad_mean(lambda x: x ** (2 * alpha), d)
    assert site.s0 == pytest.approx(s0, rel=1e-9)  # quad of the x^(alpha-1) singularity ~1e-10
    assert site.phi2 == pytest.approx(phi2, rel=1e-11)


@pytest.mark.parametrize("alpha", [0.3, 0.5, 0.7])
@pytest.mark.parametrize(("g", "sigma2"), [(0.5, 1.0), (2.0, 0.1), (0.1, 3.0)])
def test_delta0_equals_e1_solved_with_quadrature(alpha, g, sigma2):
    """Independent route: brentq on (E1) with Var Phi from quad (no closed form, no scaling)."""

    def resid(d):
        m = _quad_mean(lambda x: x ** (alpha + 1) / (alpha + 1), d)
        var_phi = _quad_mean(lambda x: (x ** (alpha + 1) / (alpha + 1) - m) ** 2, d)
        return 0.5 * d * d - sigma2**2 / 8 - g * g * var_phi

    ref = optimize.brentq(resid, 1e-6, 1e6, rtol=1e-13)
    # quad to 1e-13, brentq to 1e-13: observed agreement 1e-13 relative
    assert float(power_delta0(g, sigma2, alpha)) == pytest.approx(ref, rel=1e-10)
    # and the generic noisy solver (closed-form Var Phi of _gauss, brentq on E1)
    site = single_site(get_activation("power", alpha=alpha), g, sigma2)
    assert site.delta0 == pytest.approx(ref, rel=1e-10)


def test_reference_values():
    case = REFERENCE["power_alpha0.5_g0.5"]
    site = power_single_site(case.g, case.sigma2, 0.5)
    st = power_zero_frequency(case.g, case.sigma2, 0.5)
    got = {
        "delta0": site.delta0,
        "s0": site.s0,
        "zero_frequency/phi/pr_over_n": st["phi"]["pr_over_n"],
    }
    for name, ref in case.values.items():
        assert abs(got[name] - ref.value) <= ref.atol, name  # stated rounding
    lim = REFERENCE["power_alpha0.5_limit"].values["g_eff2"]
    assert abs(g_eff2_limit(0.5) - lim.value) <= lim.atol


def test_power_zero_frequency_equals_generic_noisy_route():
    act = get_activation("power", alpha=0.5)
    for g, sigma2 in [(0.5, 1.0), (3.0, 0.2)]:
        st = power_zero_frequency(g, sigma2, 0.5)
        ref = zero_frequency_statistics(act, g, sigma2, single_site(act, g, sigma2))
        for var in ("x", "phi"):
            for stat in ("a", "nc2", "pr_over_n"):
                # same closed forms, different path (rescaled to g = 1): observed <= 5e-13
                assert st[var][stat] == pytest.approx(ref[var][stat], rel=1e-9), (var, stat)


@pytest.mark.parametrize("alpha", [0.3, 0.5])
def test_scaling_collapse(alpha):
    """Two (g, sigma2) with the same u: statistics agree after dividing by lambda^p (generic
    noisy solver, which knows nothing of the scaling)."""
    act = get_activation("power", alpha=alpha)
    g1, s1 = 0.5, 1.0
    u = float(collapse_variable(g1, s1, alpha))
    g2 = 2.5
    s2 = u * float(scale_factor(g2, alpha))
    assert float(collapse_variable(g2, s2, alpha)) == pytest.approx(u, rel=1e-14)
    lam1, lam2 = float(scale_factor(g1, alpha)), float(scale_factor(g2, alpha))
    site1, site2 = single_site(act, g1, s1), single_site(act, g2, s2)
    st1 = zero_frequency_statistics(act, g1, s1, site1)
    st2 = zero_frequency_statistics(act, g2, s2, site2)
    for key in ("delta0", "s0", "g_eff", "phi2"):
        p = SCALING_EXPONENTS[key](alpha)
        # brentq rtol 1e-15 and closed forms: observed 1e-15 after rescaling
        assert getattr(site1, key) / lam1**p == pytest.approx(
            getattr(site2, key) / lam2**p, rel=1e-11
        )
    for var in ("x", "phi"):
        for stat in ("a", "nc2", "pr_over_n"):
            p = SCALING_EXPONENTS[(var, stat)](alpha)
            # a_phi quadrature in scale-free variables: observed 1e-14
            assert st1[var][stat] / lam1**p == pytest.approx(st2[var][stat] / lam2**p, rel=1e-9)


@pytest.mark.parametrize("alpha", [0.3, 0.5, 0.8])
def test_limit_u_to_zero(alpha):
    lim = g_eff2_limit(alpha)
    assert 0 < lim < 1
    # at u = 0 exactly the closed form gives the limit (rounding)
    assert power_single_site(1.0, 0.0, alpha).g_eff ** 2 == pytest.approx(lim, rel=1e-13)
    # approach: g_eff^2(u) -> lim monotonically as u -> 0, equivalently g -> inf at fixed sigma2
    vals = [power_single_site(g, 1.0, alpha).g_eff ** 2 for g in (1.0, 3.0, 10.0, 100.0)]
    assert all(b > a for a, b in zip(vals, vals[1:], strict=False))
    assert vals[-1] == pytest.approx(lim, rel=1e-6)  # u = 100^(-2/(1-alpha)) is tiny
    pr = pr_over_n_limit(alpha)
    assert pr["phi"] == pytest.approx((1 - lim) ** 2, rel=1e-12)
    assert pr["phi"] > 0 and pr["x"] > 0
    # continuity: the u -> 0 statistics are the limit of small-u ones (the a_phi quadrature
    # handles the kink of width ~u at c = Delta0; observed 2.5e-7 relative at u = 1e-6, the
    # physical O(u) shift)
    small = power_zero_frequency(1.0, 1e-6, alpha)
    assert small["x"]["pr_over_n"] == pytest.approx(pr["x"], rel=1e-5)


def test_scaled_delta0_is_the_root_and_vectorised():
    alpha = 0.5
    u = np.array([0.0, 1e-8, 0.3, 4.0, 1e4])
    d = scaled_delta0(u, alpha)
    resid = 0.5 * d * d - u * u / 8 - k_alpha(alpha) * d ** (alpha + 1)
    # bisection + Newton to machine precision: observed |resid| <= 1e-16 * d^2 ... 1e-8 * d^2
    np.testing.assert_allclose(resid, 0.0, atol=1e-12 * np.max(d**2))
    assert d[0] == pytest.approx((2 * k_alpha(alpha)) ** (1 / (1 - alpha)), rel=1e-14)
    assert d[-1] == pytest.approx(u[-1] / 2, rel=1e-2)  # noise-dominated: Delta0 -> sigma2/2
    assert float(power_delta0(0.0, 1.3, alpha)) == 0.65  # g = 0: Ornstein-Uhlenbeck


def test_bad_alpha_and_trivial_state():
    with pytest.raises(ValueError, match="0 < alpha < 1"):
        k_alpha(1.0)
    site = power_single_site(0.0, 0.0, 0.5)
    assert not site.valid and site.reason.startswith("trivial_state")
