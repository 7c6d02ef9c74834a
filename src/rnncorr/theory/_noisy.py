r"""Noise-driven network at large N: single site (E1) and zero-frequency statistics (R1, R2).

Model (docs/science.md §1): dx_i/dt = -x_i + sum_j J_ij phi(x_j) + xi_i, J_ij ~ N(0, g^2/N),
white noise of intensity sigma2 > 0. The dynamic mean-field autocorrelation Delta(u) of x is a
Newton particle in the potential

    V(c) = -c^2/2 + g^2 <Phi(x) Phi(y)>_c,       Phi' = phi, (x, y) ~ N(0, [[D0, c], [c, D0]])

that starts at Delta0 with slope -sigma2/2 and comes to rest at 0 (science.md §3). Energy
conservation gives (E1) for Delta0 and the time integrals of the zero-frequency statistics.

Conventions: D(c) = V(0) - V(c) = c^2/2 - g^2 (<Phi Phi>_c - <Phi>^2) >= 0 is the particle's
kinetic energy at height c; the closed-form or quadrature averages come from ``_gauss``.
Derivations beyond science.md: docs/theory_noisy.md. Numerics: docs/NUMERICS.md.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import optimize

from rnncorr.activations import Activation
from rnncorr.theory._gauss import gauss_average
from rnncorr.theory._result import SingleSite, Stats, nan_statistics

__all__ = [
    "A_PHI_NODES",
    "DELTA0_MAX",
    "a_phi_zero_freq",
    "e1_residual",
    "potential_drop",
    "single_site",
    "single_site_grid",
    "slope_at_infinity",
    "zero_frequency_statistics",
]

#: Gauss-Legendre nodes of the a_phi integral (in tau, c = Delta0 (1 - t^2), t = eps sinh tau):
#: relative change from 160 nodes <= 7e-14 at sigma2 >= 0.1 and 2e-12 at sigma2 = 1e-4
#: (docs/NUMERICS.md#noisy)
A_PHI_NODES: int = 40
#: bracket limit for (E1): no root below this Delta0 means no stationary state
DELTA0_MAX: float = 1e12
#: brentq tolerances (relative to Delta0)
_XTOL_REL = 1e-15


def _check_args(g: float, sigma2: float) -> None:
    if not (math.isfinite(g) and g >= 0):
        raise ValueError(f"g must be a finite number >= 0, got {g!r}")
    if not (math.isfinite(sigma2) and sigma2 > 0):
        raise ValueError(
            f"sigma2 must be a finite number > 0 for the noise-driven theory, got {sigma2!r}"
        )


def slope_at_infinity(activation: Activation) -> float:
    r"""Asymptotic slope m = lim_{x -> inf} phi(x)/x.

        linear: 1;   pade: a/b;   tanh, erf, power (sublinear), relu: 0 (relu: 1 for x > 0)

    Parameters
    ----------
    activation : Activation

    Returns
    -------
    float
        m. For g m >= 1 the large-|x| dynamics dx/dt = -x + J m x is linearly unstable and (E1)
        has no root (docs/theory_noisy.md §3).
    """
    name = activation.name
    if name == "linear":
        return 1.0
    if name == "pade":
        kw = activation.kwargs
        return kw["a"] / kw["b"]
    if name == "relu":
        return 1.0
    if name in ("tanh", "erf", "power"):
        return 0.0
    big = 1e12  # an activation added later: estimate numerically
    return float(activation.phi(np.array(big)) / big)


def e1_residual(activation: Activation, g: float, sigma2: float, delta0: Any) -> np.ndarray:
    r"""Residual of (E1), vectorised over delta0:

        r(D0) = D0^2/2 - sigma2^2/8 - g^2 Var Phi(x),   x ~ N(0, D0)                     (E1)

    r(0) = -sigma2^2/8 < 0; the stationary Delta0 is the root.

    Parameters
    ----------
    activation : Activation
    g, sigma2 : float
    delta0 : float or ndarray

    Returns
    -------
    ndarray

    References
    ----------
    .. [1] docs/science.md §3 (E1); Mato, Rigatuso, Torroba, arXiv:2510.21742.
    """
    d = np.asarray(delta0, dtype=float)
    return (
        0.5 * d * d - sigma2 * sigma2 / 8.0 - g * g * gauss_average(activation, "primitive_var", d)
    )


def _invalid_site(reason: str) -> SingleSite:
    nan = math.nan
    return SingleSite(delta0=nan, s0=nan, g_eff=nan, phi2=nan, valid=False, reason=reason)


def _solve_delta0(activation: Activation, g: float, sigma2: float) -> tuple[float, str | None]:
    """Root of (E1) by bracketing (doubling) and brentq; (nan, reason) when there is none."""
    slope = slope_at_infinity(activation)
    if g * slope >= 1.0:
        return math.nan, (
            f"no_stationary_state: phi(x) ~ {slope:.6g} x at large |x| and g * {slope:.6g} = "
            f"{g * slope:.6g} >= 1, so the large-|x| dynamics is linearly unstable and (E1) has "
            "no root"
        )

    def resid(d: float) -> float:
        return float(e1_residual(activation, g, sigma2, d))

    lo, hi = 0.0, max(sigma2 / 2.0, 1e-300)  # r(0) = -sigma2^2/8 < 0; sigma2/2 = g=0 root
    r_hi = resid(hi)
    while r_hi <= 0.0:
        lo, hi = hi, 2.0 * hi
        if hi > DELTA0_MAX:
            return math.nan, (
                f"no_stationary_state: (E1) has no root with Delta0 <= {DELTA0_MAX:g} "
                f"(bracket failure at g = {g:.6g}, sigma2 = {sigma2:.6g})"
            )
        r_hi = resid(hi)
    root = optimize.brentq(resid, lo, hi, xtol=1e-300, rtol=_XTOL_REL, maxiter=200)
    return float(root), None


def _site_from_delta0(activation: Activation, g: float, delta0: float) -> SingleSite:
    s0 = float(gauss_average(activation, "dphi", delta0))
    phi2 = float(gauss_average(activation, "phi2", delta0))
    g_eff = g * s0
    if not g_eff < 1.0:  # cannot happen for odd phi (docs/theory_noisy.md §2): a safeguard
        return _invalid_site(
            f"no_stationary_state: g_eff = g S0 = {g_eff:.6g} >= 1 at the (E1) root "
            f"Delta0 = {delta0:.6g}"
        )
    return SingleSite(delta0=delta0, s0=s0, g_eff=g_eff, phi2=phi2)


def single_site(activation: Activation, g: float, sigma2: float) -> SingleSite:
    r"""Single-site solution of the noise-driven network: Delta0, S0, g_eff, <phi^2>.

        Delta0^2/2 = sigma2^2/8 + g^2 (<Phi(x)^2> - <Phi(x)>^2),   x ~ N(0, Delta0)      (E1)
        S0 = <phi'(x)>,   g_eff = g S0,   phi2 = <phi(x)^2>

    Solved by bracketing (doubling from sigma2/2) and ``scipy.optimize.brentq`` (relative
    tolerance 1e-15). Linear check: Delta0 = sigma2 / (2 sqrt(1 - g^2)).

    Parameters
    ----------
    activation : Activation
        Odd activation; relu (not odd) returns ``valid=False``, reason ``odd_phi_required``.
    g : float
        Coupling gain, >= 0.
    sigma2 : float
        White-noise intensity, > 0.

    Returns
    -------
    SingleSite
        ``valid=False`` with NaNs and reason ``no_stationary_state: ...`` when phi grows like
        m x at infinity with g m >= 1 (linear with g >= 1; Padé with g a/b >= 1, i.e. g >= 6 for
        the [3/2] Padé of tanh) or when no root is bracketed below DELTA0_MAX.

    Raises
    ------
    ValueError
        g < 0, sigma2 <= 0 or non-finite arguments.

    Notes
    -----
    For odd phi every root of (E1) gives g_eff < 1 and V(c) < V(0) on (0, Delta0], i.e. a
    valid Newton-particle solution (docs/theory_noisy.md §2).

    References
    ----------
    .. [1] docs/science.md §3 (E1); Mato, Rigatuso, Torroba, arXiv:2510.21742 (2025).

    Examples
    --------
    >>> from rnncorr.activations import get_activation
    >>> site = single_site(get_activation("tanh"), 0.5, 1.0)
    >>> round(site.delta0, 5), round(site.s0, 5), round(site.phi2, 5)   # science.md §11
    (0.53613, 0.71489, 0.28511)
    """
    _check_args(g, sigma2)
    if not activation.is_odd:
        return _invalid_site(
            f"odd_phi_required: the mean-field theory assumes an odd activation "
            f"({activation.name} has a non-zero mean activity)"
        )
    delta0, reason = _solve_delta0(activation, g, sigma2)
    if reason is not None:
        return _invalid_site(reason)
    return _site_from_delta0(activation, g, delta0)


def single_site_grid(activation: Activation, g: Any, sigma2: float) -> dict[str, np.ndarray]:
    r"""(E1) on an array of g: arrays delta0, s0, g_eff, phi2, valid, reason.

    Same equations and root finder as :func:`single_site`, one brentq per g (each residual is a
    single-site average of a few hundred points, so 200 g take well under a second for tanh).

    Parameters
    ----------
    activation : Activation
    g : array_like
        Coupling gains, >= 0.
    sigma2 : float
        White-noise intensity, > 0.

    Returns
    -------
    dict
        ``delta0 s0 g_eff phi2`` (float arrays, NaN where invalid), ``valid`` (bool array),
        ``reason`` (object array of str or None), all of the shape of ``g``.

    References
    ----------
    .. [1] docs/science.md §3 (E1).
    """
    gg = np.asarray(g, dtype=float)
    out = {key: np.full(gg.shape, math.nan) for key in ("delta0", "s0", "g_eff", "phi2")}
    out["valid"] = np.zeros(gg.shape, dtype=bool)
    out["reason"] = np.empty(gg.shape, dtype=object)
    for idx in np.ndindex(gg.shape):
        site = single_site(activation, float(gg[idx]), sigma2)
        for key in ("delta0", "s0", "g_eff", "phi2"):
            out[key][idx] = getattr(site, key)
        out["valid"][idx] = site.valid
        out["reason"][idx] = site.reason
    return out


def potential_drop(activation: Activation, g: float, delta0: float, c: Any) -> np.ndarray:
    r"""Kinetic energy of the Newton particle at height c:

        D(c) = V(0) - V(c) = c^2/2 - g^2 (<Phi(x) Phi(y)>_c - <Phi>^2),   x, y ~ N(0, Delta0)

    D(0) = 0, D(c) ~ (1 - g_eff^2) c^2/2 at small c, D(Delta0) = sigma2^2/8 by (E1).

    Parameters
    ----------
    activation : Activation
    g, delta0 : float
    c : array_like
        Covariances in [0, delta0].

    Returns
    -------
    ndarray

    References
    ----------
    .. [1] docs/science.md §3 (Newton particle in V).
    """
    cc = np.asarray(c, dtype=float)
    return 0.5 * cc * cc - g * g * gauss_average(activation, "primitive_cov", delta0, cc)


def a_phi_zero_freq(
    activation: Activation, g: float, sigma2: float, delta0: float, n_nodes: int = A_PHI_NODES
) -> float:
    r"""Zero-frequency autocovariance of phi, a_phi = C_phi(w = 0), large N.

        a_phi = int du C_phi(u) = 2 int_0^Delta0 F(c) / sqrt(2 D(c)) dc,
        F(c) = <phi(x) phi(y)>_c,   D(c) = V(0) - V(c)

    (dc = Delta'(u) du with Delta' = -sqrt(2 D) by energy conservation). The substitution
    c = Delta0 (1 - t^2), dc = 2 Delta0 t dt, t in (0, 1), removes the inverse square-root
    singularity at c = Delta0 that appears when sigma2 -> 0 (D(Delta0) = sigma2^2/8); at c -> 0
    the integrand tends to the finite limit S0^2 / sqrt(1 - g_eff^2) (odd phi: F ~ S0^2 c,
    D ~ (1 - g_eff^2) c^2 / 2). For small sigma2, D ~ sigma2^2/8 + kappa Delta0 t^2 near t = 0
    (kappa = g^2 <phi^2> - Delta0 > 0 in the coupling-dominated regime), a kink of width
    eps = sigma2 / sqrt(8 kappa Delta0); the second substitution t = eps sinh(tau) resolves it.
    Gauss-Legendre in tau with ``n_nodes`` nodes (endpoints excluded). sigma2 = 0 (chaos, with
    Delta0 from V(Delta0) = V(0)) is accepted.

    Parameters
    ----------
    activation : Activation
    g : float
    sigma2 : float
        >= 0 (only sets the width of the kink at c = Delta0).
    delta0 : float
        Root of (E1).
    n_nodes : int
        Gauss-Legendre nodes (docs/NUMERICS.md for convergence).

    Returns
    -------
    float
        a_phi; NaN when D(c) <= 0 at some node (not a stationary Newton-particle solution).

    References
    ----------
    .. [1] docs/science.md §3 (R1); Mato, Rigatuso, Torroba, arXiv:2510.21742.
    """
    x, w = np.polynomial.legendre.leggauss(n_nodes)
    # Near c = Delta0, D(c) ~ sigma2^2/8 + kappa Delta0 t^2 with kappa = V'(Delta0) =
    # g^2 <phi^2> - Delta0 = -Delta''(0+) (> 0 when the coupling dominates: chaos-like, concave
    # Delta(u)). For small sigma2 the integrand in t then has a kink of width eps (below) at
    # t = 0 that Gauss-Legendre cannot resolve; t = eps sinh(tau) maps it to an O(1) range of tau
    # (sqrt(eps^2 + t^2) = eps cosh tau) and is nearly linear when eps ~ 1. For kappa <= 0,
    # D(c)/c^2 >= sigma2^2/(8 Delta0^2) has no kink: plain t (eps = 1, nearly linear map).
    kappa = g * g * float(gauss_average(activation, "phi2", delta0)) - delta0
    eps = 1.0 if kappa <= 0.0 else min(1.0, sigma2 / math.sqrt(8.0 * kappa * delta0))
    if eps > 0.0:
        tau_max = math.asinh(1.0 / eps)
        tau = 0.5 * tau_max * (x + 1.0)
        t = eps * np.sinh(tau)
        wt = 0.5 * tau_max * w * eps * np.cosh(tau)  # dt = eps cosh(tau) dtau
    else:  # sigma2 = 0: the t-substitution alone removes the 1/sqrt singularity
        t = 0.5 * (x + 1.0)
        wt = 0.5 * w
    c = delta0 * (1.0 - t * t)
    big_f = gauss_average(activation, "phi_pair", delta0, c)
    drop = potential_drop(activation, g, delta0, c)
    if np.any(drop <= 0.0):
        return math.nan
    integrand = big_f / np.sqrt(2.0 * drop) * 2.0 * delta0 * t
    return float(2.0 * np.sum(wt * integrand))


def zero_frequency_statistics(
    activation: Activation,
    g: float,
    sigma2: float,
    site: SingleSite,
    n_nodes: int = A_PHI_NODES,
) -> Stats:
    r"""Large-N zero-frequency statistics of x and phi(x) for the noise-driven network.

    Output phi (R1), k = g_eff = g S0:

        a_phi   = 2 int_0^Delta0 F(c) / sqrt(2 (V(0) - V(c))) dc        (``a_phi_zero_freq``)
        Nc2_phi = a_phi^2 (1/(1 - k^2)^2 - 1),     PR_phi/N = (1 - k^2)^2                  (R1)

    Input x (R2), s = S0, P = a_phi (1 - k^2) - s^2 sigma2, E = s^2 sigma2 + P:

        a_x = sigma2 + g^2 a_phi
        (1/N) tr C_x^2 = s^-4 [E^2/(1-k^2)^4 - 4 P E/(1-k^2)^2 + 2 P (E + P)/(1-k^2) - P^2]
        Nc2_x = (1/N) tr C_x^2 - a_x^2,   PR_x/N = a_x^2 / ((1/N) tr C_x^2)               (R2)

    (at large N, (1/N) tr C^2 = a^2 + Nc2 since the diagonal is self-averaging).

    cbar = 0 for both variables. Reason: for odd phi the model is invariant under the gauge
    transformation x_i -> s_i x_i, J_ij -> s_i J_ij s_j, xi_i -> s_i xi_i (s_i = +-1), which
    maps the iid Gaussian ensemble of J and the white noise onto themselves; hence
    E_J C_ij = s_i s_j E_J C_ij for every choice of signs, i.e. E_J C_ij = 0 for i != j at every
    N. The sample mean cbar over i != j has zero mean and vanishes at large N.

    Parameters
    ----------
    activation : Activation
        Odd activation.
    g, sigma2 : float
        Gain and white-noise intensity (> 0).
    site : SingleSite
        From :func:`single_site`; an invalid site gives NaN statistics.
    n_nodes : int
        Gauss-Legendre nodes of the a_phi integral.

    Returns
    -------
    Stats
        {"x": {"a", "cbar", "nc2", "pr_over_n"}, "phi": {...}}.

    References
    ----------
    .. [1] docs/science.md §3 (R1, R2); Mato, Rigatuso, Torroba, arXiv:2510.21742 (2025).

    Examples
    --------
    >>> from rnncorr.activations import get_activation
    >>> tanh = get_activation("tanh")
    >>> st = zero_frequency_statistics(tanh, 0.5, 1.0, single_site(tanh, 0.5, 1.0))
    >>> round(st["phi"]["a"], 5), round(st["phi"]["pr_over_n"], 5)   # science.md §11
    (0.59456, 0.76079)
    >>> round(st["x"]["pr_over_n"], 5)                                # science.md §11
    0.76047
    """
    _check_args(g, sigma2)
    if not site.valid or not activation.is_odd:
        return nan_statistics()
    a_phi = a_phi_zero_freq(activation, g, sigma2, site.delta0, n_nodes)
    if not math.isfinite(a_phi):
        return nan_statistics()
    k2 = site.g_eff**2
    one = 1.0 - k2
    s = site.s0
    nc2_phi = a_phi**2 * (1.0 / one**2 - 1.0)
    a_x = sigma2 + g * g * a_phi
    p = a_phi * one - s * s * sigma2
    e = s * s * sigma2 + p
    tr2_x = (e * e / one**4 - 4.0 * p * e / one**2 + 2.0 * p * (e + p) / one - p * p) / s**4
    return {
        "x": {"a": a_x, "cbar": 0.0, "nc2": tr2_x - a_x**2, "pr_over_n": a_x**2 / tr2_x},
        "phi": {"a": a_phi, "cbar": 0.0, "nc2": nc2_phi, "pr_over_n": one**2},
    }
