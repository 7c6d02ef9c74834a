"""Gaussian averages (rnncorr.theory._gauss) against scipy.integrate.quad at high precision.

References are computed here, independently of the trapezoid rule: adaptive quad over x with
a break point at 0 (single site) and nested quad over the conditional density y | x (pairs).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate

from rnncorr.activations import get_activation
from rnncorr.theory import _gauss
from rnncorr.theory._gauss import gauss_average, gauss_mean, gauss_pair_mean, has_closed_form

# quad reports "roundoff error" when it already sits at the rounding floor of the integrand
pytestmark = pytest.mark.filterwarnings("ignore::scipy.integrate.IntegrationWarning")

ACTS = {
    "tanh": get_activation("tanh"),
    "erf": get_activation("erf"),
    "pade": get_activation("pade"),
    "linear": get_activation("linear"),
    "power0.5": get_activation("power", alpha=0.5),
    "power0.3": get_activation("power", alpha=0.3),
    "relu": get_activation("relu"),
}


def _scalar(fn):
    return lambda x: float(fn(np.array(x)))


def quad_mean(f, var: float) -> float:
    """E f(x), x ~ N(0, var), adaptive quad split at 0 (handles kinks and |x|^(alpha-1))."""
    s = math.sqrt(var)

    def dens(x: float) -> float:
        return f(x) * math.exp(-x * x / (2 * var)) / math.sqrt(2 * math.pi * var)

    opts = dict(epsabs=1e-15, epsrel=1e-13, limit=500)
    return integrate.quad(dens, -14 * s, 0, **opts)[0] + integrate.quad(dens, 0, 14 * s, **opts)[0]


def quad_pair(f, h, var: float, cov: float) -> float:
    """E[f(x) h(y)] by nested quad: x ~ N(0, var), y | x ~ N(rho x, var (1 - rho^2))."""
    rho = cov / var
    sc = math.sqrt(var * (1 - rho * rho))
    s = math.sqrt(var)

    def inner(x: float) -> float:
        m = rho * x
        pts = [0.0] if abs(m) < 14 * sc else None
        val = integrate.quad(
            lambda y: h(y) * math.exp(-((y - m) ** 2) / (2 * sc * sc)),
            m - 12 * sc,
            m + 12 * sc,
            points=pts,
            epsabs=1e-14,
            epsrel=1e-12,
            limit=200,
        )[0]
        return val / (math.sqrt(2 * math.pi) * sc)

    return integrate.quad(
        lambda x: f(x) * inner(x) * math.exp(-x * x / (2 * var)) / math.sqrt(2 * math.pi * var),
        -12 * s,
        12 * s,
        points=[0.0],
        epsabs=1e-13,
        epsrel=1e-11,
        limit=200,
    )[0]


def polar_pair(f, h, degree: float, var: float, cov: float) -> float:
    """E[f(x) h(y)] for f, h positively homogeneous of degree ``degree`` (> -1): in polar
    coordinates the radial integral is Gamma(degree + 1) 2^degree Q(theta)^-(degree + 1), which
    leaves one quad over the angle (independent of the 2F1 and arc-cosine closed forms)."""
    det = var * var - cov * cov
    inv = np.array([[var, -cov], [-cov, var]]) / det

    def ang(theta: float) -> float:
        u = np.array([math.cos(theta), math.sin(theta)])
        q = float(u @ inv @ u)
        return f(u[0]) * h(u[1]) * q ** -(degree + 1)

    pts = [-math.pi / 2, 0.0, math.pi / 2]
    val = integrate.quad(ang, -math.pi, math.pi, points=pts, epsabs=1e-15, epsrel=1e-13, limit=500)
    pref = math.gamma(degree + 1) * 2**degree / (2 * math.pi * math.sqrt(det))
    return pref * val[0]


# ------------------------------------------------------------------------------------------
# single-site averages
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(ACTS))
@pytest.mark.parametrize("var", [0.3, 1.0, 7.0, 50.0, 400.0])
def test_single_site_averages_match_quad(name, var):
    act = ACTS[name]
    phi, dphi, prim = _scalar(act.phi), _scalar(act.dphi), _scalar(act.primitive)
    refs = {
        "dphi": quad_mean(dphi, var),
        "phi2": quad_mean(lambda x: phi(x) ** 2, var),
        "primitive": quad_mean(prim, var),
    }
    m = refs["primitive"]
    refs["primitive_var"] = quad_mean(lambda x: (prim(x) - m) ** 2, var)
    for quantity, ref in refs.items():
        val = float(gauss_average(act, quantity, var))
        # closed forms and the trapezoid rule (DX = 0.2, error ~ exp(-pi^2/DX) for tanh) are
        # both exact to rounding: observed <= 1.3e-14 relative, quad itself ~1e-13 relative
        assert val == pytest.approx(ref, rel=1e-12, abs=1e-14), (name, quantity)


def test_gauss_mean_is_vectorised_over_var():
    tanh = ACTS["tanh"]
    var = np.array([[0.1, 1.0], [10.0, 100.0]])
    vec = gauss_mean(lambda x: np.tanh(x) ** 2, var)
    loop = np.array([[float(gauss_mean(lambda x: np.tanh(x) ** 2, v)) for v in row] for row in var])
    assert vec.shape == var.shape
    # a grid built for the largest variance is finer than needed for the small ones: same
    # value to rounding
    np.testing.assert_allclose(vec, loop, rtol=1e-13, atol=0)
    assert float(gauss_average(tanh, "phi2", 0.0)) == 0.0


def test_trapezoid_beats_gauss_hermite_for_tanh_at_large_variance():
    """Why trapezoid (science.md §3): 40-node Gauss-Hermite misses <tanh^2> at var = 400."""
    var = 400.0
    ref = quad_mean(lambda x: math.tanh(x) ** 2, var)
    z, w = np.polynomial.hermite_e.hermegauss(40)
    gh = float(np.sum(w * np.tanh(math.sqrt(var) * z) ** 2) / math.sqrt(2 * math.pi))
    trap = float(gauss_mean(lambda x: np.tanh(x) ** 2, var))
    assert abs(gh - ref) > 1e-3  # observed 4e-2 (3.4e-2 with 160 nodes): nodes too sparse at 0
    assert abs(trap - ref) < 1e-13  # observed 1e-16


# ------------------------------------------------------------------------------------------
# pair averages
# ------------------------------------------------------------------------------------------
PAIR_CASES = [
    ("tanh", 0.5, 0.45),
    ("tanh", 20.0, -8.0),
    ("tanh", 100.0, 99.0),
    ("pade", 2.0, 1.5),
    ("erf", 3.0, 2.9),
]


@pytest.mark.parametrize(("name", "var", "cov"), PAIR_CASES)
def test_pair_averages_match_nested_quad(name, var, cov):
    act = ACTS[name]
    phi, prim = _scalar(act.phi), _scalar(act.primitive)
    m = quad_mean(prim, var)
    ref_f = quad_pair(phi, phi, var, cov)
    ref_p = quad_pair(lambda x: prim(x) - m, lambda x: prim(x) - m, var, cov)
    # closed form (erf) or trapezoid (tanh, pade): observed <= 3e-14 absolute (relative 1e-13
    # at var = 100); the nested quad reference is asked for 1e-11 relative
    assert float(gauss_average(act, "phi_pair", var, cov)) == pytest.approx(
        ref_f, rel=1e-10, abs=1e-12
    )
    assert float(gauss_average(act, "primitive_cov", var, cov)) == pytest.approx(
        ref_p, rel=1e-10, abs=1e-12
    )


@pytest.mark.parametrize("alpha", [0.3, 0.5, 0.8])
@pytest.mark.parametrize(("var", "cov"), [(1.0, 0.7), (5.0, -2.0), (2.0, 1.999)])
def test_power_pair_closed_forms_match_polar_quad(alpha, var, cov):
    act = get_activation("power", alpha=alpha)

    def odd(a):
        return lambda u: math.copysign(abs(u) ** a, u)

    def even(a):
        return lambda u: abs(u) ** a

    ref_f = polar_pair(odd(alpha), odd(alpha), alpha, var, cov)
    m = quad_mean(lambda x: abs(x) ** (alpha + 1) / (alpha + 1), var)
    ref_p = polar_pair(even(alpha + 1), even(alpha + 1), alpha + 1, var, cov) / (alpha + 1) ** 2
    ref_p -= m * m
    ref_d = alpha**2 * polar_pair(even(alpha - 1), even(alpha - 1), alpha - 1, var, cov)
    # 2F1 closed forms vs 1-d angular quad: observed <= 5e-15 relative; near rho = 1 the
    # dphi_pair integrand is sharply peaked (quad to ~1e-10)
    assert float(gauss_average(act, "phi_pair", var, cov)) == pytest.approx(ref_f, rel=1e-12)
    assert float(gauss_average(act, "primitive_cov", var, cov)) == pytest.approx(
        ref_p, rel=1e-11, abs=1e-14
    )
    assert float(gauss_average(act, "dphi_pair", var, cov)) == pytest.approx(ref_d, rel=1e-9)


@pytest.mark.parametrize(("var", "cov"), [(1.0, 0.5), (2.0, -1.2), (3.0, 2.97)])
def test_relu_pair_closed_forms_match_polar_quad(var, cov):
    act = ACTS["relu"]
    ref_f = polar_pair(lambda u: max(u, 0.0), lambda u: max(u, 0.0), 1.0, var, cov)
    sq = lambda u: 0.5 * max(u, 0.0) ** 2  # noqa: E731
    ref_p = polar_pair(sq, sq, 2.0, var, cov) - (var / 4) ** 2
    # arc-cosine kernel and its Price integral vs angular quad: observed <= 1e-15 relative
    assert float(gauss_average(act, "phi_pair", var, cov)) == pytest.approx(ref_f, rel=1e-12)
    assert float(gauss_average(act, "primitive_cov", var, cov)) == pytest.approx(
        ref_p, rel=1e-11, abs=1e-14
    )


@pytest.mark.parametrize("name", ["erf", "linear"])
def test_closed_form_pairs_equal_trapezoid_on_a_dense_lag_grid(name):
    """Closed forms and the vectorised 2-d trapezoid rule agree for every c in [-var, var]."""
    act = ACTS[name]
    for var in (0.2, 1.5, 30.0):
        cov = np.linspace(-var, var, 41)
        for quantity in ("phi_pair", "dphi_pair", "primitive_cov"):
            closed = gauss_average(act, quantity, var, cov)
            quad = gauss_average(act, quantity, var, cov, closed_form=False)
            # both exact to rounding for entire functions; observed 2e-14 * var^2
            np.testing.assert_allclose(closed, quad, rtol=1e-12, atol=1e-13 * max(1, var) ** 2)


def test_pair_with_two_functions_and_negative_cov():
    """f != h and c < 0: the reflected z0 grid of gauss_pair_mean."""
    f = np.tanh

    def h(x):
        return np.exp(0.3 * x) + x**3

    for var, cov in [(1.3, -0.9), (1.3, 0.9), (4.0, -4.0)]:
        if abs(cov) == var:  # y = -x exactly
            ref = quad_mean(lambda x: math.tanh(x) * float(h(-x)), var)
        else:
            ref = quad_pair(math.tanh, lambda y: float(h(y)), var, cov)
        # trapezoid exact to rounding (observed 4e-15); nested quad asked for 1e-11
        assert float(gauss_pair_mean(f, h, var, cov)) == pytest.approx(ref, rel=1e-10, abs=1e-12)


def test_pair_limits_and_price_theorem():
    tanh = ACTS["tanh"]
    var = 2.0
    # c = var: <phi(x)^2>; c = 0: <phi>^2 = 0; primitive_cov(var) = Var Phi
    assert float(gauss_average(tanh, "phi_pair", var, var)) == pytest.approx(
        float(gauss_average(tanh, "phi2", var)), rel=1e-14
    )
    assert abs(float(gauss_average(tanh, "phi_pair", var, 0.0))) < 1e-16
    assert float(gauss_average(tanh, "primitive_cov", var, var)) == pytest.approx(
        float(gauss_average(tanh, "primitive_var", var)), rel=1e-13
    )
    # Price's theorem: d/dc <Phi Phi>_c = <phi phi>_c (central difference, error ~ h^2 = 1e-8
    # times the third derivative, observed 2e-10)
    c, step = 0.8, 1e-4
    cov = gauss_average(tanh, "primitive_cov", var, np.array([c - step, c + step]))
    deriv = (cov[1] - cov[0]) / (2 * step)
    assert deriv == pytest.approx(float(gauss_average(tanh, "phi_pair", var, c)), rel=1e-8)


def test_dispatcher_uses_closed_forms_where_they_exist():
    assert has_closed_form(ACTS["erf"], "phi_pair")
    assert has_closed_form(ACTS["power0.5"], "primitive_cov")
    assert not has_closed_form(ACTS["tanh"], "phi_pair")
    assert not has_closed_form(ACTS["pade"], "dphi")
    assert set(_gauss.QUANTITIES) >= {"dphi", "phi2", "primitive_var", "phi_pair", "primitive_cov"}


def test_bad_arguments_raise():
    tanh = ACTS["tanh"]
    with pytest.raises(ValueError, match="unknown quantity"):
        gauss_average(tanh, "phi4", 1.0)
    with pytest.raises(ValueError, match="needs cov"):
        gauss_average(tanh, "phi_pair", 1.0)
    with pytest.raises(ValueError, match=r"\|cov\| <= var"):
        gauss_pair_mean(np.tanh, None, 1.0, 1.5)
    with pytest.raises(ValueError, match="var must be finite and > 0"):
        gauss_pair_mean(np.tanh, None, 0.0, 0.0)
    with pytest.raises(ValueError, match="var must be finite and >= 0"):
        gauss_mean(np.tanh, -1.0)
