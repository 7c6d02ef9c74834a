r"""Power-law activation phi(x) = sign(x) |x|^alpha, 0 < alpha < 1: closed forms and scaling (§5).

Single site (x ~ N(0, Delta0)):

    S0 = <phi'> = alpha (2 Delta0)^((alpha-1)/2) Gamma(alpha/2) / sqrt(pi)
    <phi^2>     = (2 Delta0)^alpha Gamma(alpha + 1/2) / sqrt(pi)
    Var Phi     = K_alpha Delta0^(alpha+1),
    K_alpha     = 2^(alpha+1)/(alpha+1)^2 [Gamma(alpha+3/2)/sqrt(pi) - Gamma(alpha/2+1)^2/pi]
    (E1):  Delta0^2/2 = sigma2^2/8 + g^2 K_alpha Delta0^(alpha+1)

Scaling. With lambda = g^(2/(1-alpha)) (``scale_factor``) and u = sigma2 / lambda =
sigma2 g^(-2/(1-alpha)) (``collapse_variable``), Delta0 = lambda d(u) where d solves

    d^2/2 = u^2/8 + K_alpha d^(alpha+1),

and every statistic is lambda^p times a function of u alone. Exponents p (``SCALING_EXPONENTS``):
Delta0, a_x: 1; Nc2_x: 2; a_phi, <phi^2>: alpha; Nc2_phi: 2 alpha; S0: (alpha-1)/2; g_eff, PR/N: 0.
(g^2 <Phi Phi>_c scales like lambda^(1-alpha) lambda^(alpha+1) = lambda^2 = c^2, so the Newton
potential is homogeneous; docs/theory_noisy.md §5.)

Limit u -> 0 (sigma2 -> 0 or g -> inf): d -> (2 K_alpha)^(1/(1-alpha)) and

    g_eff^2 -> alpha^2 2^(alpha-1) Gamma(alpha/2)^2 / (2 pi K_alpha)   (0.971997 for alpha = 0.5),

so PR_phi/N (zero frequency) = (1 - g_eff^2)^2 stays strictly positive.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import special

from rnncorr.activations import Activation, get_activation
from rnncorr.theory._gauss import power_dphi, power_phi2
from rnncorr.theory._noisy import a_phi_zero_freq
from rnncorr.theory._result import SingleSite, Stats, nan_statistics

__all__ = [
    "SCALING_EXPONENTS",
    "collapse_variable",
    "g_eff2_limit",
    "k_alpha",
    "power_delta0",
    "power_single_site",
    "power_zero_frequency",
    "pr_over_n_limit",
    "scale_factor",
    "scaled_delta0",
]

#: statistic -> exponent p(alpha) such that statistic(g, sigma2) = lambda^p f(u)
SCALING_EXPONENTS: dict[str, Any] = {
    "delta0": lambda alpha: 1.0,
    "s0": lambda alpha: 0.5 * (alpha - 1.0),
    "g_eff": lambda alpha: 0.0,
    "phi2": lambda alpha: alpha,
    ("x", "a"): lambda alpha: 1.0,
    ("x", "cbar"): lambda alpha: 1.0,
    ("x", "nc2"): lambda alpha: 2.0,
    ("x", "pr_over_n"): lambda alpha: 0.0,
    ("phi", "a"): lambda alpha: alpha,
    ("phi", "cbar"): lambda alpha: alpha,
    ("phi", "nc2"): lambda alpha: 2.0 * alpha,
    ("phi", "pr_over_n"): lambda alpha: 0.0,
}


def _check_alpha(alpha: float) -> None:
    if not (0.0 < alpha < 1.0):
        raise ValueError(f"power activation: alpha must satisfy 0 < alpha < 1, got {alpha!r}")


def k_alpha(alpha: float) -> float:
    r"""K_alpha = 2^(alpha+1)/(alpha+1)^2 [Gamma(alpha+3/2)/sqrt(pi) - Gamma(alpha/2+1)^2/pi].

    Var Phi(x) = K_alpha Delta0^(alpha+1) for Phi = |x|^(alpha+1)/(alpha+1) (science.md §5).
    """
    _check_alpha(alpha)
    return float(
        2.0 ** (alpha + 1.0)
        / (alpha + 1.0) ** 2
        * (
            special.gamma(alpha + 1.5) / math.sqrt(math.pi)
            - special.gamma(0.5 * alpha + 1.0) ** 2 / math.pi
        )
    )


def scale_factor(g: Any, alpha: float) -> np.ndarray:
    r"""lambda = g^(2/(1-alpha)): the scale of Delta0 in the power-law network (science.md §5)."""
    _check_alpha(alpha)
    return np.asarray(g, dtype=float) ** (2.0 / (1.0 - alpha))


def collapse_variable(g: Any, sigma2: Any, alpha: float) -> np.ndarray:
    r"""Scaling variable u = sigma2 g^(-2/(1-alpha)) (science.md §5).

    Every statistic depends on (g, sigma2) only through u, up to the factor
    ``scale_factor(g, alpha) ** SCALING_EXPONENTS[...]``.
    """
    _check_alpha(alpha)
    with np.errstate(divide="ignore"):
        return np.asarray(sigma2, dtype=float) * np.asarray(g, dtype=float) ** (
            -2.0 / (1.0 - alpha)
        )


def scaled_delta0(u: Any, alpha: float) -> np.ndarray:
    r"""d(u): the root of d^2/2 = u^2/8 + K_alpha d^(alpha+1), d > 0; vectorised over u >= 0.

    The left side minus K d^(alpha+1) is negative below d_0 = (2 K_alpha)^(1/(1-alpha)) and
    increasing above it, so the root is unique, d(0) = d_0 and d >= d_0. Bracket
    [d_0, max((4K)^(1/(1-alpha)), u/sqrt 2)] (there d^2/2 - K d^(1+alpha) >= d^2/4 >= u^2/8),
    100 bisections in log d (machine precision), then one Newton step.

    Parameters
    ----------
    u : float or ndarray
        Collapse variable(s), >= 0.
    alpha : float
        0 < alpha < 1.

    Returns
    -------
    ndarray

    References
    ----------
    .. [1] docs/science.md §5 (E1 for the power law); docs/theory_noisy.md §5.
    """
    kk = k_alpha(alpha)
    uu = np.asarray(u, dtype=float)
    if np.any(uu < 0) or np.any(np.isnan(uu)):
        raise ValueError("scaled_delta0: u must be >= 0")
    e = 1.0 - alpha
    d0 = (2.0 * kk) ** (1.0 / e)
    lo = np.full(uu.shape, math.log(d0))
    hi = np.log(np.maximum((4.0 * kk) ** (1.0 / e), uu / math.sqrt(2.0)))

    def resid(d: np.ndarray) -> np.ndarray:
        return 0.5 * d * d - kk * d ** (1.0 + alpha) - uu * uu / 8.0

    for _ in range(100):
        mid = 0.5 * (lo + hi)
        neg = resid(np.exp(mid)) < 0
        lo = np.where(neg, mid, lo)
        hi = np.where(neg, hi, mid)
    d = np.exp(0.5 * (lo + hi))
    deriv = d - (1.0 + alpha) * kk * d**alpha
    return np.where(deriv > 0, d - resid(d) / np.where(deriv > 0, deriv, 1.0), d)


def power_delta0(g: Any, sigma2: Any, alpha: float) -> np.ndarray:
    r"""Delta0 of the power-law network: Delta0 = lambda d(u), lambda = g^(2/(1-alpha)).

        Delta0^2/2 = sigma2^2/8 + g^2 K_alpha Delta0^(alpha+1)        (E1, science.md §5)

    g = 0 gives the Ornstein-Uhlenbeck value sigma2/2; sigma2 = 0 and g > 0 give
    (2 K_alpha g^2)^(1/(1-alpha)) (the nontrivial state; x = 0 is unstable since phi'(0) = inf).
    Vectorised (g and sigma2 broadcast).
    """
    gg, ss = np.broadcast_arrays(np.asarray(g, dtype=float), np.asarray(sigma2, dtype=float))
    if np.any(gg < 0) or np.any(ss < 0):
        raise ValueError("power_delta0: g and sigma2 must be >= 0")
    lam = scale_factor(gg, alpha)
    pos = gg > 0
    u = np.where(pos, ss / np.where(pos, lam, 1.0), 0.0)
    return np.where(pos, lam * scaled_delta0(u, alpha), 0.5 * ss)


def power_single_site(g: float, sigma2: float, alpha: float) -> SingleSite:
    r"""Closed-form single site of phi = sign(x)|x|^alpha (science.md §5).

        Delta0 from d^2/2 = u^2/8 + K_alpha d^(alpha+1), Delta0 = g^(2/(1-alpha)) d(u)
        S0 = alpha (2 Delta0)^((alpha-1)/2) Gamma(alpha/2)/sqrt(pi),  g_eff = g S0
        <phi^2> = (2 Delta0)^alpha Gamma(alpha + 1/2)/sqrt(pi)

    Parameters
    ----------
    g : float
        Gain, >= 0.
    sigma2 : float
        White-noise intensity, >= 0 (sigma2 = 0 with g > 0 is the noiseless limit u = 0).
    alpha : float
        0 < alpha < 1.

    Returns
    -------
    SingleSite
        Always valid except g = sigma2 = 0 (x = 0, reason ``trivial_state``).

    References
    ----------
    .. [1] docs/science.md §5; Mato, Rigatuso, Torroba, arXiv:2510.21742 (2025).

    Examples
    --------
    >>> site = power_single_site(0.5, 1.0, 0.5)
    >>> round(site.delta0, 5), round(site.s0, 5)                   # science.md §11
    (0.57748, 0.98658)
    """
    _check_alpha(alpha)
    if not (math.isfinite(g) and g >= 0 and math.isfinite(sigma2) and sigma2 >= 0):
        raise ValueError(f"need finite g >= 0 and sigma2 >= 0, got g={g!r}, sigma2={sigma2!r}")
    if g == 0 and sigma2 == 0:
        nan = math.nan
        return SingleSite(nan, nan, nan, nan, valid=False, reason="trivial_state: g = sigma2 = 0")
    delta0 = float(power_delta0(g, sigma2, alpha))
    s0 = float(power_dphi(delta0, alpha))
    return SingleSite(delta0=delta0, s0=s0, g_eff=g * s0, phi2=float(power_phi2(delta0, alpha)))


def power_zero_frequency(g: float, sigma2: float, alpha: float) -> Stats:
    r"""Zero-frequency statistics (R1), (R2) of the power-law network, through the scaling form.

    Computed at (g = 1, sigma2 = u) and rescaled by lambda^p (``SCALING_EXPONENTS``), which also
    covers sigma2 = 0 (u = 0: the Newton particle starts at rest). Equations: see
    :func:`rnncorr.theory._noisy.zero_frequency_statistics`; a_phi with the 2F1 closed forms of
    ``_gauss`` and the t = eps sinh(tau) quadrature of ``a_phi_zero_freq``.

    Parameters
    ----------
    g : float
        Gain, > 0.
    sigma2 : float
        >= 0.
    alpha : float
        0 < alpha < 1.

    Returns
    -------
    Stats

    References
    ----------
    .. [1] docs/science.md §3 (R1, R2), §5; docs/theory_noisy.md §5.

    Examples
    --------
    >>> round(power_zero_frequency(0.5, 1.0, 0.5)["phi"]["pr_over_n"], 5)   # science.md §11
    0.57254
    """
    _check_alpha(alpha)
    if not (math.isfinite(g) and g > 0 and math.isfinite(sigma2) and sigma2 >= 0):
        return nan_statistics()
    act: Activation = get_activation("power", alpha=alpha)
    u = float(collapse_variable(g, sigma2, alpha))
    site = power_single_site(1.0, u, alpha)
    a_phi = a_phi_zero_freq(act, 1.0, u, site.delta0)
    if not math.isfinite(a_phi):
        return nan_statistics()
    k2 = site.g_eff**2
    one = 1.0 - k2
    s = site.s0
    a_x = u + a_phi
    p = a_phi * one - s * s * u
    e = s * s * u + p
    tr2_x = (e * e / one**4 - 4.0 * p * e / one**2 + 2.0 * p * (e + p) / one - p * p) / s**4
    scaled: Stats = {
        "x": {"a": a_x, "cbar": 0.0, "nc2": tr2_x - a_x**2, "pr_over_n": a_x**2 / tr2_x},
        "phi": {"a": a_phi, "cbar": 0.0, "nc2": a_phi**2 * (1 / one**2 - 1), "pr_over_n": one**2},
    }
    lam = float(scale_factor(g, alpha))
    return {
        var: {stat: val * lam ** SCALING_EXPONENTS[(var, stat)](alpha) for stat, val in d.items()}
        for var, d in scaled.items()
    }


def g_eff2_limit(alpha: float) -> float:
    r"""lim g_eff^2 for u -> 0 (sigma2 -> 0 or g -> inf), science.md §5:

        g_eff^2 -> alpha^2 2^(alpha-1) Gamma(alpha/2)^2 / (2 pi K_alpha)

    Examples
    --------
    >>> round(g_eff2_limit(0.5), 6)                                 # science.md §5
    0.971997
    """
    return float(
        alpha**2
        * 2.0 ** (alpha - 1.0)
        * special.gamma(0.5 * alpha) ** 2
        / (2.0 * math.pi * k_alpha(alpha))
    )


def pr_over_n_limit(alpha: float) -> dict[str, float]:
    r"""Zero-frequency PR/N of x and phi in the limit u -> 0: strictly positive constants.

        PR_phi/N -> (1 - g_eff^2)^2 with g_eff^2 = ``g_eff2_limit(alpha)``;
        PR_x/N  -> (R2) at sigma2 = 0: a_x = a_phi, P = E = a_phi (1 - k^2),
                   (1/N) tr C_x^2 = s^-4 P^2 [1/(1-k^2)^4 - 4/(1-k^2)^2 + 4/(1-k^2) - 1]

    Returns
    -------
    dict
        {"x": PR_x/N, "phi": PR_phi/N}.
    """
    st = power_zero_frequency(1.0, 0.0, alpha)
    return {"x": st["x"]["pr_over_n"], "phi": st["phi"]["pr_over_n"]}
