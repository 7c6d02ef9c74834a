r"""Exact large-N theory of the linear network (docs/science.md §4).

    dx/dt = -x + J x + xi,   J_ij ~ N(0, g^2/N),   <xi_i(t) xi_j(s)> = sigma2 delta_ij delta(t - s)

stable for g < 1. Zero-frequency covariance C = sigma2 (1 - J)^-1 (1 - J)^-T; equal-time
covariance solves the Lyapunov equation (J - 1) C + C (J - 1)^T + sigma2 = 0. Every statistic
scales with the noise: a and cbar with sigma2, Nc2 and (1/N) tr C^2 with sigma2^2, PR/N not at
all. For g >= 1 there is no stationary state: every statistic is NaN.

The eigenvalue density of the zero-frequency C (Hu & Sompolinsky, PLoS Comput Biol 18:e1010327,
2022) is computed from the squared singular values mu of A = 1 - J (eigenvalues lambda = sigma2 /
mu): the Stieltjes transform m(w) = (1/N) tr (A A^T - w)^-1 of A A^T, A = z - J with z = 1, solves
the Dozier-Silverstein equation for a deterministic matrix plus iid noise,

    m = 1 / ( |z|^2 / (1 + g^2 m) - (1 + g^2 m) w )
    <=>  g^4 w m^3 + 2 g^2 w m^2 + (w + g^2 - |z|^2) m + 1 = 0,

(R. B. Dozier & J. W. Silverstein, J. Multivariate Anal. 98:678, 2007, with c = 1), and
rho_mu(mu) = Im m(mu + i0) / pi. The support edges are the positive roots of the discriminant of
the cubic in m. Derivation and checks: docs/theory_noisy.md §4.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.polynomial import polynomial as P

__all__ = [
    "linear_equal_time",
    "linear_spectrum_cdf",
    "linear_spectrum_density",
    "linear_spectrum_support",
    "linear_zero_frequency",
]


def _g_array(g: Any) -> tuple[np.ndarray, np.ndarray]:
    gg = np.asarray(g, dtype=float)
    if np.any(gg < 0) or np.any(~np.isfinite(gg)):
        raise ValueError(f"g must be finite and >= 0, got {g!r}")
    stable = gg < 1.0
    return gg, stable


def _check_sigma2(sigma2: float) -> None:
    if not (math.isfinite(sigma2) and sigma2 > 0):
        raise ValueError(f"sigma2 must be a finite number > 0, got {sigma2!r}")


def _out(values: dict[str, np.ndarray], scalar: bool) -> dict[str, Any]:
    return {k: float(v) if scalar else v for k, v in values.items()}


def linear_zero_frequency(g: Any, sigma2: float = 1.0) -> dict[str, Any]:
    r"""Exact large-N zero-frequency statistics of the linear network (x = phi(x)).

        a = sigma2 / (1 - g^2),   Nc2 = sigma2^2 g^2 (2 - g^2) / (1 - g^2)^4,
        PR/N = (1 - g^2)^2,       cbar = 0,          (1/N) tr C^2 = sigma2^2 / (1 - g^2)^4

    Parameters
    ----------
    g : float or ndarray
        Gain(s), >= 0; NaN statistics where g >= 1 (no stationary state).
    sigma2 : float
        White-noise intensity, > 0.

    Returns
    -------
    dict
        {"a", "cbar", "nc2", "pr_over_n"}: floats for scalar g, arrays otherwise.

    References
    ----------
    .. [1] docs/science.md §4; Hu & Sompolinsky, PLoS Comput Biol 18:e1010327 (2022);
       Dahmen, Grün, Diesmann, Helias, PNAS 116:13051 (2019).

    Examples
    --------
    >>> st = linear_zero_frequency(0.5)
    >>> round(st["a"], 6), round(st["nc2"], 6), st["pr_over_n"]     # science.md §11
    (1.333333, 1.382716, 0.5625)
    """
    _check_sigma2(sigma2)
    gg, stable = _g_array(g)
    g2 = np.where(stable, gg * gg, np.nan)
    one = 1.0 - g2
    vals = {
        "a": sigma2 / one,
        "cbar": np.where(stable, 0.0, np.nan),
        "nc2": sigma2**2 * g2 * (2.0 - g2) / one**4,
        "pr_over_n": one**2,
    }
    return _out(vals, gg.ndim == 0)


def linear_equal_time(g: Any, sigma2: float = 1.0) -> dict[str, Any]:
    r"""Exact large-N equal-time statistics of the linear network, s = sqrt(1 - g^2).

        a = sigma2 / (2 s),   (1/N) tr C^2 = sigma2^2 (s^4 + 2 s^3 + 4 s^2 - 2 s + 3) / (32 s^5),
        Nc2 = (1/N) tr C^2 - a^2,   PR/N = 8 s^3 / (s^4 + 2 s^3 + 4 s^2 - 2 s + 3),   cbar = 0

    Parameters
    ----------
    g : float or ndarray
        Gain(s), >= 0; NaN where g >= 1.
    sigma2 : float
        White-noise intensity, > 0.

    Returns
    -------
    dict
        {"a", "cbar", "nc2", "pr_over_n"}.

    References
    ----------
    .. [1] docs/science.md §4; Hu & Sompolinsky (2022).

    Examples
    --------
    >>> st = linear_equal_time(0.5)
    >>> round(st["a"], 6), round(st["pr_over_n"], 6)                # science.md §11
    (0.57735, 0.84773)
    """
    _check_sigma2(sigma2)
    gg, stable = _g_array(g)
    s = np.sqrt(np.where(stable, 1.0 - gg * gg, np.nan))
    poly = s**4 + 2 * s**3 + 4 * s**2 - 2 * s + 3
    a = sigma2 / (2.0 * s)
    tr2 = sigma2**2 * poly / (32.0 * s**5)
    vals = {
        "a": a,
        "cbar": np.where(stable, 0.0, np.nan),
        "nc2": tr2 - a * a,
        "pr_over_n": 8.0 * s**3 / poly,
    }
    return _out(vals, gg.ndim == 0)


# ---------------------------------------------------------------------------------------------
# eigenvalue density of the zero-frequency covariance
# ---------------------------------------------------------------------------------------------
def _cubic_coefficients(w: np.ndarray, g: float) -> np.ndarray:
    """Coefficients (highest first) of g^4 w m^3 + 2 g^2 w m^2 + (w + g^2 - 1) m + 1, per w."""
    g2 = g * g
    w = np.asarray(w, dtype=complex)
    return np.stack([g2 * g2 * w, 2 * g2 * w, w + g2 - 1.0, np.ones_like(w)], axis=-1)


def _mu_edges(g: float) -> tuple[float, float]:
    """Edges of the squared-singular-value density of 1 - J: positive roots of the discriminant."""
    g2 = g * g
    # discriminant / (w g^4) of a m^3 + b m^2 + c m + d (a = g^4 w, b = 2 g^2 w, c = w + g^2 - 1,
    # d = 1): 36 g^2 w c - 32 g^2 w^2 + 4 w c^2 - 4 c^3 - 27 g^4 w, a cubic in w
    c = np.array([g2 - 1.0, 1.0])  # c(w), coefficients lowest first
    w = np.array([0.0, 1.0])
    terms = [
        P.polymul(36 * g2 * w, c),
        -P.polymul(32 * g2 * w, w),
        P.polymul(4 * w, P.polymul(c, c)),
        -4 * P.polymul(c, P.polymul(c, c)),
        -27 * g2 * g2 * w,
    ]
    disc = np.zeros(4)
    for term in terms:
        disc = P.polyadd(disc, term)
    roots = P.polyroots(disc)
    real = np.sort(roots[(np.abs(roots.imag) < 1e-9 * np.abs(roots).max()) & (roots.real > 0)].real)
    if real.size < 2:
        raise RuntimeError(f"linear spectrum: could not find two support edges at g = {g}")
    return float(real[0]), float(real[-1])


def linear_spectrum_support(g: float, sigma2: float = 1.0) -> tuple[float, float]:
    r"""Support [lambda_-, lambda_+] of the eigenvalue density of C = sigma2 (1-J)^-1 (1-J)^-T.

        lambda_+- = sigma2 / mu_-+,  mu_+- the edges of the squared singular values of 1 - J:
        the positive roots of the discriminant (in w) of
        g^4 w m^3 + 2 g^2 w m^2 + (w + g^2 - 1) m + 1 = 0

    Parameters
    ----------
    g : float
        Gain, 0 < g < 1.
    sigma2 : float
        White-noise intensity, > 0.

    Returns
    -------
    tuple of float
        (lambda_min, lambda_max). g = 0.5, sigma2 = 1: (0.322767, 7.343899) (science.md §4).

    References
    ----------
    .. [1] Hu & Sompolinsky, PLoS Comput Biol 18:e1010327 (2022), Eqs. (5)-(6);
       Dozier & Silverstein, J. Multivariate Anal. 98:678 (2007); docs/theory_noisy.md §4.

    Examples
    --------
    >>> lo, hi = linear_spectrum_support(0.5)
    >>> round(lo, 6), round(hi, 6)                                  # science.md §4
    (0.322767, 7.343899)
    """
    _check_sigma2(sigma2)
    if not (0.0 < g < 1.0):
        raise ValueError(f"linear_spectrum_support needs 0 < g < 1, got {g!r}")
    mu_lo, mu_hi = _mu_edges(g)
    return sigma2 / mu_hi, sigma2 / mu_lo


def _mu_density(mu: np.ndarray, g: float) -> np.ndarray:
    """rho_mu(mu) = Im m(mu + i0)/pi, m the root of the cubic with the largest imaginary part."""
    coeffs = _cubic_coefficients(mu, g)
    # companion matrices of the monic cubic m^3 + p2 m^2 + p1 m + p0, stacked over mu
    monic = coeffs[..., 1:] / coeffs[..., :1]
    comp = np.zeros(mu.shape + (3, 3), dtype=complex)
    comp[..., 0, :] = -monic
    comp[..., 1, 0] = 1.0
    comp[..., 2, 1] = 1.0
    roots = np.linalg.eigvals(comp)
    return np.max(roots.imag, axis=-1).clip(min=0.0) / math.pi


def linear_spectrum_density(eigenvalues: Any, g: float, sigma2: float = 1.0) -> np.ndarray:
    r"""Eigenvalue density of the zero-frequency covariance C = sigma2 (1-J)^-1 (1-J)^-T, N -> inf.

        p(lambda) = rho_mu(sigma2 / lambda) sigma2 / lambda^2,   rho_mu(mu) = Im m(mu + i0)/pi,
        g^4 w m^3 + 2 g^2 w m^2 + (w + g^2 - 1) m + 1 = 0     (m: Stieltjes transform of A A^T)

    Normalised to 1 on the support (``linear_spectrum_support``); zero outside.

    Parameters
    ----------
    eigenvalues : float or ndarray
        Points lambda > 0 at which to evaluate the density.
    g : float
        Gain, 0 < g < 1.
    sigma2 : float
        White-noise intensity, > 0.

    Returns
    -------
    ndarray
        p(lambda), same shape as ``eigenvalues``.

    References
    ----------
    .. [1] Hu & Sompolinsky, PLoS Comput Biol 18:e1010327 (2022), Eq. (5) (same density, derived
       here from the Dozier-Silverstein equation); docs/theory_noisy.md §4.
    """
    _check_sigma2(sigma2)
    if not (0.0 < g < 1.0):
        raise ValueError(f"linear_spectrum_density needs 0 < g < 1, got {g!r}")
    lam = np.asarray(eigenvalues, dtype=float)
    lo, hi = linear_spectrum_support(g, sigma2)
    inside = (lam > lo) & (lam < hi)
    out = np.zeros(lam.shape)
    mu = sigma2 / lam[inside]
    out[inside] = _mu_density(mu, g) * sigma2 / lam[inside] ** 2
    return out


def linear_spectrum_cdf(
    eigenvalues: Any, g: float, sigma2: float = 1.0, n_nodes: int = 200
) -> np.ndarray:
    r"""Cumulative distribution P(lambda' <= lambda) of the density ``linear_spectrum_density``.

        F(lambda) = int_{lambda_-}^{lambda} p(l) dl,  with l = m + h sin(theta) (square-root edges
        become smooth), Gauss-Legendre in theta with ``n_nodes`` nodes

    Parameters
    ----------
    eigenvalues : float or ndarray
    g : float
        Gain, 0 < g < 1.
    sigma2 : float
    n_nodes : int

    Returns
    -------
    ndarray
        F, in [0, 1]; F(lambda_+) = 1 to ~1e-6 (tests/theory/test_linear.py).
    """
    lam = np.asarray(eigenvalues, dtype=float)
    lo, hi = linear_spectrum_support(g, sigma2)
    mid, half = 0.5 * (hi + lo), 0.5 * (hi - lo)
    th_x = np.arcsin(np.clip((lam - mid) / half, -1.0, 1.0))
    x, w = np.polynomial.legendre.leggauss(n_nodes)
    # theta from -pi/2 to th_x: theta = -pi/2 + (th_x + pi/2) (x + 1)/2
    span = th_x[..., None] + 0.5 * math.pi
    theta = -0.5 * math.pi + span * 0.5 * (x + 1.0)
    ell = mid + half * np.sin(theta)
    dens = linear_spectrum_density(ell, g, sigma2) * half * np.cos(theta)
    return np.sum(dens * w * 0.5 * span, axis=-1)
