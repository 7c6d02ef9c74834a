r"""Gaussian averages of activations: quadrature done right, and closed forms where they exist.

Two kinds of averages appear in the large-N theory (docs/science.md §3, §5, §6):

* single-site averages ``<f(x)>``, ``x ~ N(0, var)`` -- ``gauss_mean``;
* pair averages ``<f(x) h(y)>_c``, ``(x, y)`` jointly Gaussian with equal variances ``var`` and
  covariance ``c`` (|c| <= var) -- ``gauss_pair_mean``, vectorised over an array of ``c``.

Quadrature: trapezoid rule on a uniform grid ``z in [-10, 10]`` (x = sqrt(var) z). For integrands
analytic in a strip the trapezoid rule converges geometrically, with error ~ exp(-2 pi d / h)
(d: half-width of the strip in z, h: step). tanh has poles at x = +- i pi/2, i.e. d = pi/(2
sqrt(var)) in z, which shrinks as the variance grows. A Gauss-Hermite rule with a fixed number of
nodes n spaces its central nodes by about pi/sqrt(2n) in z, i.e. pi sqrt(var/(2n)) in x, and
therefore loses accuracy for tanh at large variance (science.md §3). The trapezoid step here is
chosen in x-space instead: h = min(H_MAX, DX / sqrt(var)), so the resolution of the kink of tanh
(or of any activation with O(1) structure near x = 0) does not degrade as var grows.

Closed forms (one function per average, ``<activation>_<quantity>``): linear, erf
(phi = erf(sqrt(pi) x / 2)), power (phi = sign(x) |x|^alpha, via Gamma and 2F1) and relu. The
dispatcher ``gauss_average(activation, quantity, var, cov)`` returns the closed form when one
exists and quadrature otherwise. Derivations: docs/theory_noisy.md §1.

Quantities (``QUANTITIES``):

=================  ==========================================================================
``dphi``           <phi'(x)>                                    (S0)
``phi2``           <phi(x)^2>
``phi_mean``       <phi(x)>
``primitive``      <Phi(x)>                                     (Phi' = phi, Phi(0) = 0)
``primitive_var``  Var Phi(x) = <Phi^2> - <Phi>^2               (E1)
``phi_pair``       F(c) = <phi(x) phi(y)>_c                     (R1, DMFT)
``dphi_pair``      <phi'(x) phi'(y)>_c
``primitive_cov``  <Phi(x) Phi(y)>_c - <Phi>^2 = int_0^c F(c') dc'   (Newton potential V(c))
=================  ==========================================================================
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import numpy as np
from scipy import special

from rnncorr.activations import Activation

__all__ = [
    "DX",
    "H_MAX",
    "N_MAX_MEAN",
    "N_MAX_PAIR",
    "QUANTITIES",
    "Z_MAX",
    "erf_dphi",
    "erf_dphi_pair",
    "erf_phi2",
    "erf_phi_pair",
    "erf_primitive",
    "erf_primitive_cov",
    "erf_primitive_var",
    "gauss_average",
    "gauss_mean",
    "gauss_pair_mean",
    "has_closed_form",
    "linear_dphi",
    "linear_dphi_pair",
    "linear_phi2",
    "linear_phi_pair",
    "linear_primitive",
    "linear_primitive_cov",
    "linear_primitive_var",
    "power_abs_moment",
    "power_dphi",
    "power_dphi_pair",
    "power_phi2",
    "power_phi_pair",
    "power_primitive",
    "power_primitive_cov",
    "power_primitive_var",
    "relu_dphi",
    "relu_phi2",
    "relu_phi_mean",
    "relu_phi_pair",
    "relu_primitive",
    "relu_primitive_cov",
    "relu_primitive_var",
    "z_grid",
]

ArrayLike = float | np.ndarray

#: half-width of the z grid: the Gaussian weight beyond |z| = 10 is < 1e-22 of the total
Z_MAX: float = 10.0
#: largest z step; the trapezoid error on a pure Gaussian is ~ 2 exp(-2 pi^2 / h^2) < 1e-53
H_MAX: float = 0.4
#: target step in x-space (x = sqrt(var) z). The trapezoid error for an integrand with poles at
#: distance d from the real x-axis is ~ exp(-2 pi d / DX) times O(10^2) (double poles, the
#: Gaussian at the pole): tanh (d = pi/2) exp(-pi^2/0.25) = 7e-18, Padé [3/2] (d = 1/sqrt(b) =
#: 1.58) 5e-18; observed <= 1e-14 against quad (tests/theory/test_gauss.py). DX = 0.3 already
#: gives 1.5e-12 for <tanh^2> at var = 1. docs/NUMERICS.md.
DX: float = 0.25
#: largest grid sizes. Beyond var ~ (DX (N - 1) / (2 Z_MAX))^2 the x-space step grows like
#: sqrt(var): var > 9.8e4 for single-site averages, var > 350 for pair averages (cost n^2 per
#: c). The accuracy lost there is measured in docs/NUMERICS.md ("noisy single site").
N_MAX_MEAN: int = 25_001
N_MAX_PAIR: int = 1_501
#: largest number of (x, z0, z1) points a pair average puts in one array (memory bound)
_CHUNK = 2_000_000

QUANTITIES: tuple[str, ...] = (
    "dphi",
    "phi2",
    "phi_mean",
    "primitive",
    "primitive_var",
    "phi_pair",
    "dphi_pair",
    "primitive_cov",
)
_PAIR_QUANTITIES = ("phi_pair", "dphi_pair", "primitive_cov")


# ---------------------------------------------------------------------------------------------
# quadrature
# ---------------------------------------------------------------------------------------------
def _n_half(var: float, dx: float, n_max: int) -> int:
    """Half the number of intervals of the z grid for variance ``var`` (step <= dx/sqrt(var))."""
    scale = math.sqrt(max(float(var), 0.0))
    h = H_MAX if scale == 0.0 else min(H_MAX, dx / scale)
    return min(math.ceil(Z_MAX / h), (n_max - 1) // 2)


@functools.lru_cache(maxsize=256)
def _grid(n_half: int) -> tuple[np.ndarray, np.ndarray]:
    z = np.linspace(-Z_MAX, Z_MAX, 2 * n_half + 1)
    w = np.exp(-0.5 * z * z)
    w /= w.sum()
    z.setflags(write=False)
    w.setflags(write=False)
    return z, w


def z_grid(
    var_max: float, dx: float = DX, n_max: int = N_MAX_MEAN
) -> tuple[np.ndarray, np.ndarray]:
    r"""Uniform trapezoid grid on z in [-Z_MAX, Z_MAX] with Gaussian weights.

        <f(x)> ~= sum_k w_k f(sqrt(var) z_k),   w_k = h exp(-z_k^2/2) / sqrt(2 pi)

    Parameters
    ----------
    var_max : float
        Largest variance the grid must resolve; the step is h <= min(H_MAX, dx / sqrt(var_max))
        (Z_MAX / h an integer), but no smaller than 2 Z_MAX / (n_max - 1).
    dx : float
        Target spacing in x-space.
    n_max : int
        Largest number of nodes.

    Returns
    -------
    z, w : ndarray
        Nodes (odd count, z = 0 included) and weights, renormalised to sum to 1 exactly so that
        constants are integrated exactly (the change is below 1e-16). Read-only (cached).

    Notes
    -----
    Why trapezoid and not Gauss-Hermite: see the module docstring (docs/science.md §3).
    """
    return _grid(_n_half(var_max, dx, n_max))


def gauss_mean(f: Callable[[np.ndarray], np.ndarray], var: ArrayLike, dx: float = DX) -> np.ndarray:
    r"""Gaussian average E f(x), x ~ N(0, var), by the trapezoid rule; vectorised over var.

        E f(x) = int dz exp(-z^2/2)/sqrt(2 pi) f(sqrt(var) z),   z in [-10, 10]

    Parameters
    ----------
    f : callable
        Vectorised function of an ndarray.
    var : float or ndarray
        Variance(s) >= 0; the result has the shape of ``var``. Each variance gets its own grid
        (``z_grid``); variances that share a grid are evaluated together.
    dx : float
        Target step in x-space (module constant DX by default).

    Returns
    -------
    ndarray
        E f(x) for every variance.

    Notes
    -----
    Spectrally accurate for integrands analytic near the real axis (tanh, erf, Padé: < 1e-14,
    tests/theory/test_gauss.py). Kinks (relu, |x|^alpha) converge only algebraically: use the
    closed forms (``gauss_average``). docs/science.md §3.
    """
    v = np.asarray(var, dtype=float)
    if np.any(v < 0) or not np.all(np.isfinite(v)):
        raise ValueError("gauss_mean: var must be finite and >= 0")
    return _grouped_mean(lambda x, _rows: f(x), v, dx)


def _grouped_mean(
    f: Callable[[np.ndarray, np.ndarray], np.ndarray], v: np.ndarray, dx: float
) -> np.ndarray:
    """Trapezoid means for every variance in ``v``; variances that share a grid are evaluated
    together. ``f(x, rows)`` gets x of shape (k, n) and the flat indices of its k rows."""
    flat = v.ravel()
    out = np.empty(flat.shape)
    n_half = np.array([_n_half(vi, dx, N_MAX_MEAN) for vi in flat], dtype=np.int64)
    for key in np.unique(n_half):
        idx = np.flatnonzero(n_half == key)
        z, w = _grid(int(key))
        step = max(1, _CHUNK // z.size)
        for start in range(0, idx.size, step):
            sel = idx[start : start + step]
            out[sel] = f(np.sqrt(flat[sel])[:, None] * z, sel) @ w
    return out.reshape(v.shape)


def gauss_pair_mean(
    f: Callable[[np.ndarray], np.ndarray],
    h: Callable[[np.ndarray], np.ndarray] | None,
    var: float,
    cov: ArrayLike,
    dx: float = DX,
) -> np.ndarray:
    r"""Pair average E[f(x) h(y)], (x, y) Gaussian, Var x = Var y = var, Cov = c; vectorised in c.

        x = sqrt(|c|) z0 + sqrt(var - |c|) z1,   y = sign(c) sqrt(|c|) z0 + sqrt(var - |c|) z2
        E[f(x) h(y)] = E_z0[ G_f(sqrt(|c|) z0) G_h(sign(c) sqrt(|c|) z0) ],
        G_f(m) = E_z1 f(m + sqrt(var - |c|) z1)

    The inner averages G_f, G_h are matrix-vector products over the z1 grid; the outer one is a
    weighted sum over z0. The representation is exact for every |c| <= var: at c = 0 the two
    inner averages decouple, at |c| = var the inner width vanishes and G_f = f (no singularity).
    Each c gets its own pair of grids, the z0 step set by sqrt(|c|) and the z1 step by
    sqrt(var - |c|) (``z_grid``); covariances that share grids are evaluated together.

    Parameters
    ----------
    f, h : callable
        Vectorised functions; ``h=None`` means h = f (one evaluation saved).
    var : float
        Common variance, > 0.
    cov : float or ndarray
        Covariance(s), |c| <= var (values beyond by < 1e-12 relative are clipped).
    dx : float
        Target step in x-space.

    Returns
    -------
    ndarray
        Shape of ``cov``.

    Notes
    -----
    Cost: per c, n0 n1 evaluations of f (and h) with n = 51 for a variance <= 0.39 and
    n ~ 80 sqrt(variance) beyond (DX = 0.25). docs/science.md §3; docs/NUMERICS.md.
    """
    v = float(var)
    if not (math.isfinite(v) and v > 0):
        raise ValueError(f"gauss_pair_mean: var must be finite and > 0, got {var!r}")
    c = np.asarray(cov, dtype=float)
    if np.any(np.abs(c) > v * (1 + 1e-12)) or not np.all(np.isfinite(c)):
        raise ValueError("gauss_pair_mean: need |cov| <= var")
    c = np.clip(c, -v, v)
    flat = np.abs(c.ravel())
    sign_neg = c.ravel() < 0
    out = np.empty(flat.shape)
    # per-c grids: the outer integrand lives on x-scale sqrt(|c|), the inner one on sqrt(v - |c|)
    n0 = np.array([_n_half(ci, dx, N_MAX_PAIR) for ci in flat], dtype=np.int64)
    n1 = np.array([_n_half(v - ci, dx, N_MAX_PAIR) for ci in flat], dtype=np.int64)
    keys = n0 * (N_MAX_PAIR + 1) + n1
    for key in np.unique(keys):
        idx = np.flatnonzero(keys == key)
        z0, w0 = _grid(int(n0[idx[0]]))
        z1, w1 = _grid(int(n1[idx[0]]))
        step = max(1, _CHUNK // (z0.size * z1.size))
        for start in range(0, idx.size, step):
            sel = idx[start : start + step]
            cc = flat[sel]
            m = np.sqrt(cc)[:, None, None] * z0[None, :, None]
            x = m + np.sqrt(np.maximum(v - cc, 0.0))[:, None, None] * z1[None, None, :]
            gf = f(x) @ w1  # (k, n0): inner average over z1
            gh = gf if h is None else h(x) @ w1
            # c < 0: y = -sqrt(|c|) z0 + ...; the z0 grid is symmetric: G_h(-m_i) = G_h(m_{n-1-i})
            neg = sign_neg[sel]
            if np.any(neg):
                gh = gh.copy()
                gh[neg] = gh[neg, ::-1]
            out[sel] = (gf * gh) @ w0
    return out.reshape(c.shape)


# ---------------------------------------------------------------------------------------------
# closed forms: linear, phi = x, Phi = x^2/2
# ---------------------------------------------------------------------------------------------
def _arr(v: ArrayLike) -> np.ndarray:
    return np.asarray(v, dtype=float)


def linear_dphi(var: ArrayLike) -> np.ndarray:
    """<phi'(x)> = 1 for phi = x (docs/science.md §4)."""
    return np.ones_like(_arr(var))


def linear_phi2(var: ArrayLike) -> np.ndarray:
    """<x^2> = var for phi = x."""
    return _arr(var) * 1.0


def linear_primitive(var: ArrayLike) -> np.ndarray:
    """<Phi(x)> = <x^2>/2 = var/2 for phi = x."""
    return 0.5 * _arr(var)


def linear_primitive_var(var: ArrayLike) -> np.ndarray:
    """Var Phi = <x^4>/4 - var^2/4 = var^2/2 for phi = x.

    With it (E1) gives Delta0 = sigma2 / (2 sqrt(1 - g^2)) (science.md §3).
    """
    return 0.5 * _arr(var) ** 2


def linear_phi_pair(var: ArrayLike, cov: ArrayLike) -> np.ndarray:
    """<x y>_c = c for phi = x."""
    return _arr(cov) * np.ones_like(_arr(var))


def linear_dphi_pair(var: ArrayLike, cov: ArrayLike) -> np.ndarray:
    """<phi'(x) phi'(y)>_c = 1 for phi = x."""
    return np.ones(np.broadcast(_arr(var), _arr(cov)).shape)


def linear_primitive_cov(var: ArrayLike, cov: ArrayLike) -> np.ndarray:
    """<Phi(x) Phi(y)>_c - <Phi>^2 = (<x^2 y^2> - var^2)/4 = c^2/2 for phi = x (Isserlis)."""
    return 0.5 * _arr(cov) ** 2 * np.ones_like(_arr(var))


# ---------------------------------------------------------------------------------------------
# closed forms: erf, phi = erf(k x) with k = sqrt(pi)/2, so that phi'(x) = exp(-k^2 x^2)
# ---------------------------------------------------------------------------------------------
_HALF_PI = 0.5 * math.pi  # 2 k^2


def erf_dphi(var: ArrayLike) -> np.ndarray:
    r"""<phi'(x)> for phi = erf(sqrt(pi) x/2): phi' = exp(-k^2 x^2), k^2 = pi/4.

    <exp(-k^2 x^2)> = 1 / sqrt(1 + 2 k^2 var) = 1 / sqrt(1 + pi var / 2)
    """
    return 1.0 / np.sqrt(1.0 + _HALF_PI * _arr(var))


def erf_phi_pair(var: ArrayLike, cov: ArrayLike) -> np.ndarray:
    r"""<phi(x) phi(y)>_c for phi = erf(sqrt(pi) x/2) (Williams 1997 arcsine kernel).

        <erf(k x) erf(k y)>_c = (2/pi) arcsin( 2 k^2 c / (1 + 2 k^2 var) )
                              = (2/pi) arcsin( (pi/2) c / (1 + pi var/2) )

    References: C. K. I. Williams, NIPS 9 (1997); Clark et al. PRX 15:041019 (2025).
    """
    v = _arr(var)
    return (2.0 / math.pi) * np.arcsin(_HALF_PI * _arr(cov) / (1.0 + _HALF_PI * v))


def erf_phi2(var: ArrayLike) -> np.ndarray:
    r"""<phi(x)^2> = (2/pi) arcsin( (pi/2) var / (1 + pi var/2) ) for phi = erf(sqrt(pi) x/2)."""
    return erf_phi_pair(var, var)


def erf_dphi_pair(var: ArrayLike, cov: ArrayLike) -> np.ndarray:
    r"""<phi'(x) phi'(y)>_c for phi = erf(sqrt(pi) x/2).

    <exp(-k^2 (x^2 + y^2))> = det(1 + 2 k^2 Sigma)^(-1/2)
                            = ((1 + pi var/2)^2 - (pi c/2)^2)^(-1/2)
    """
    v = _arr(var)
    return 1.0 / np.sqrt((1.0 + _HALF_PI * v) ** 2 - (_HALF_PI * _arr(cov)) ** 2)


def erf_primitive(var: ArrayLike) -> np.ndarray:
    r"""<Phi(x)> for Phi(x) = x erf(k x) + (exp(-k^2 x^2) - 1)/(k sqrt(pi)), k = sqrt(pi)/2.

    <x erf(k x)> = var <phi'> (Stein),  k sqrt(pi) = pi/2:
    <Phi> = var r + (2/pi)(r - 1) = var r / (1 + r),   r = 1/sqrt(1 + pi var/2)
    """
    v = _arr(var)
    r = 1.0 / np.sqrt(1.0 + _HALF_PI * v)
    # (2/pi)(r - 1) = -v r^2/(1 + r) (since r^2 - 1 = -(pi v/2) r^2), so <Phi> = v r/(1 + r):
    # no cancellation at small var
    return v * r / (1.0 + r)


def erf_primitive_cov(var: ArrayLike, cov: ArrayLike) -> np.ndarray:
    r"""<Phi(x) Phi(y)>_c - <Phi>^2 for phi = erf(sqrt(pi) x/2), by Price's theorem.

        d/dc <Phi(x) Phi(y)>_c = <phi(x) phi(y)>_c = (2/pi) arcsin(beta c),
        beta = (pi/2) / (1 + pi var/2), hence
        <Phi Phi>_c - <Phi>^2 = (2/pi) [ c arcsin(beta c) + (sqrt(1 - beta^2 c^2) - 1)/beta ]

    The last term is written as -beta c^2 / (sqrt(1 - beta^2 c^2) + 1) (no cancellation at
    small c). Derivation and check: docs/theory_noisy.md §1.
    """
    v = _arr(var)
    c = _arr(cov)
    beta = _HALF_PI / (1.0 + _HALF_PI * v)
    root = np.sqrt(np.maximum(1.0 - (beta * c) ** 2, 0.0))
    return (2.0 / math.pi) * (c * np.arcsin(beta * c) - beta * c * c / (root + 1.0))


def erf_primitive_var(var: ArrayLike) -> np.ndarray:
    r"""Var Phi(x) for phi = erf(sqrt(pi) x/2): ``erf_primitive_cov(var, var)`` (E1)."""
    return erf_primitive_cov(var, var)


# ---------------------------------------------------------------------------------------------
# closed forms: power, phi = sign(x) |x|^alpha, Phi = |x|^(alpha+1)/(alpha+1)
# ---------------------------------------------------------------------------------------------
def power_abs_moment(p: float, var: ArrayLike) -> np.ndarray:
    r"""<|x|^p> = (2 var)^(p/2) Gamma((p+1)/2) / sqrt(pi), x ~ N(0, var), p > -1."""
    return (2.0 * _arr(var)) ** (0.5 * p) * special.gamma(0.5 * (p + 1.0)) / math.sqrt(math.pi)


def power_dphi(var: ArrayLike, alpha: float) -> np.ndarray:
    r"""S0 = <phi'> = alpha <|x|^(alpha-1)> = alpha (2 var)^((alpha-1)/2) Gamma(alpha/2)/sqrt(pi).

    docs/science.md §5.
    """
    return alpha * power_abs_moment(alpha - 1.0, var)


def power_phi2(var: ArrayLike, alpha: float) -> np.ndarray:
    r"""<phi^2> = <|x|^(2 alpha)> = (2 var)^alpha Gamma(alpha + 1/2)/sqrt(pi) (science.md §5)."""
    return power_abs_moment(2.0 * alpha, var)


def power_primitive(var: ArrayLike, alpha: float) -> np.ndarray:
    r"""<Phi> = <|x|^(alpha+1)>/(alpha+1) for Phi = |x|^(alpha+1)/(alpha+1).

    <Phi> = (2 var)^((alpha+1)/2) Gamma(alpha/2 + 1) / (sqrt(pi) (alpha+1))
    """
    return power_abs_moment(alpha + 1.0, var) / (alpha + 1.0)


def power_primitive_var(var: ArrayLike, alpha: float) -> np.ndarray:
    r"""Var Phi = K_alpha var^(alpha+1) (science.md §5), with

    K_alpha = 2^(alpha+1)/(alpha+1)^2 [Gamma(alpha+3/2)/sqrt(pi) - Gamma(alpha/2+1)^2/pi]
    """
    k_alpha = (
        2.0 ** (alpha + 1.0)
        / (alpha + 1.0) ** 2
        * (
            special.gamma(alpha + 1.5) / math.sqrt(math.pi)
            - special.gamma(0.5 * alpha + 1) ** 2 / math.pi
        )
    )
    return k_alpha * _arr(var) ** (alpha + 1.0)


def _rho(var: ArrayLike, cov: ArrayLike) -> np.ndarray:
    return np.clip(_arr(cov) / _arr(var), -1.0, 1.0)


def power_phi_pair(var: ArrayLike, cov: ArrayLike, alpha: float) -> np.ndarray:
    r"""<phi(x) phi(y)>_c for phi = sign(x)|x|^alpha, rho = c/var:

        <sign(x)|x|^a sign(y)|y|^a> = var^a 2^(a+1)/pi Gamma(a/2+1)^2 rho
                                      * 2F1((1-a)/2, (1-a)/2; 3/2; rho^2)

    Checks: a = 1 gives c; a = 0 gives (2/pi) arcsin(rho). Derivation (Mehler expansion of the
    bivariate density): docs/theory_noisy.md §1; science.md §5 ("pair averages via 2F1").
    """
    v = _arr(var)
    rho = _rho(var, cov)
    b = 0.5 * (1.0 - alpha)
    pref = v**alpha * 2.0 ** (alpha + 1.0) / math.pi * special.gamma(0.5 * alpha + 1.0) ** 2
    return pref * rho * special.hyp2f1(b, b, 1.5, rho * rho)


def power_dphi_pair(var: ArrayLike, cov: ArrayLike, alpha: float) -> np.ndarray:
    r"""<phi'(x) phi'(y)>_c = alpha^2 <|x|^(a-1) |y|^(a-1)>, |rho| < 1:

        <|x|^p |y|^p> = var^p 2^p/pi Gamma((p+1)/2)^2 2F1(-p/2, -p/2; 1/2; rho^2),  p = alpha - 1

    Diverges as |rho| -> 1 for alpha <= 1/2 (<phi'^2> is infinite there).
    """
    v = _arr(var)
    rho = _rho(var, cov)
    p = alpha - 1.0
    pref = v**p * 2.0**p / math.pi * special.gamma(0.5 * (p + 1.0)) ** 2
    return alpha**2 * pref * special.hyp2f1(-0.5 * p, -0.5 * p, 0.5, rho * rho)


def power_primitive_cov(var: ArrayLike, cov: ArrayLike, alpha: float) -> np.ndarray:
    r"""<Phi(x) Phi(y)>_c - <Phi>^2 for Phi = |x|^(alpha+1)/(alpha+1), rho = c/var:

        <|x|^p |y|^p> = var^p 2^p/pi Gamma((p+1)/2)^2 2F1(-p/2, -p/2; 1/2; rho^2),  p = alpha+1
        <Phi Phi>_c - <Phi>^2 = <Phi>^2 [2F1(-p/2, -p/2; 1/2; rho^2) - 1]

    (at rho = 0 the pair average factorises into <Phi>^2). docs/theory_noisy.md §1.
    """
    rho = _rho(var, cov)
    p = alpha + 1.0
    return power_primitive(var, alpha) ** 2 * (
        special.hyp2f1(-0.5 * p, -0.5 * p, 0.5, rho * rho) - 1.0
    )


# ---------------------------------------------------------------------------------------------
# closed forms: relu (arc-cosine kernels, Cho & Saul 2009). Not odd: <phi> != 0.
# ---------------------------------------------------------------------------------------------
def relu_dphi(var: ArrayLike) -> np.ndarray:
    """<phi'(x)> = P(x > 0) = 1/2 for relu."""
    return 0.5 * np.ones_like(_arr(var))


def relu_phi_mean(var: ArrayLike) -> np.ndarray:
    """<relu(x)> = sqrt(var / (2 pi))."""
    return np.sqrt(_arr(var) / (2.0 * math.pi))


def relu_phi2(var: ArrayLike) -> np.ndarray:
    """<relu(x)^2> = var / 2."""
    return 0.5 * _arr(var)


def relu_phi_pair(var: ArrayLike, cov: ArrayLike) -> np.ndarray:
    r"""<relu(x) relu(y)>_c, rho = c/var (arc-cosine kernel, Cho & Saul, NIPS 2009).

    <relu(x) relu(y)>_c = var/(2 pi) [ sqrt(1 - rho^2) + rho (pi - arccos rho) ]
    """
    rho = _rho(var, cov)
    return _arr(var) / (2 * math.pi) * (np.sqrt(1 - rho * rho) + rho * (math.pi - np.arccos(rho)))


def relu_primitive(var: ArrayLike) -> np.ndarray:
    """<Phi> = <relu(x)^2>/2 = var/4."""
    return 0.25 * _arr(var)


def relu_primitive_var(var: ArrayLike) -> np.ndarray:
    """Var Phi = <relu^4>/4 - var^2/16 = 3 var^2/8 - var^2/16 = 5 var^2 / 16."""
    return 5.0 / 16.0 * _arr(var) ** 2


def relu_primitive_cov(var: ArrayLike, cov: ArrayLike) -> np.ndarray:
    r"""<Phi(x)Phi(y)>_c - <Phi>^2 = int_0^c <relu relu>_c' dc' (Price), rho = c/var:

    = var^2/(2 pi) [ (rho sqrt(1-rho^2) + arcsin rho)/2 + pi rho^2/2
                     - (rho^2/2) arccos rho - (arcsin rho - rho sqrt(1-rho^2))/4 ]
    """
    rho = _rho(var, cov)
    r = np.sqrt(1 - rho * rho)
    asn = np.arcsin(rho)
    val = 0.5 * (rho * r + asn) + 0.5 * math.pi * rho**2 - 0.5 * rho**2 * np.arccos(rho)
    val -= 0.25 * (asn - rho * r)
    return _arr(var) ** 2 / (2 * math.pi) * val


# ---------------------------------------------------------------------------------------------
# dispatcher
# ---------------------------------------------------------------------------------------------
_CLOSED: dict[str, dict[str, Callable[..., np.ndarray]]] = {
    "linear": {
        "dphi": linear_dphi,
        "phi2": linear_phi2,
        "phi_mean": lambda v: np.zeros_like(_arr(v)),
        "primitive": linear_primitive,
        "primitive_var": linear_primitive_var,
        "phi_pair": linear_phi_pair,
        "dphi_pair": linear_dphi_pair,
        "primitive_cov": linear_primitive_cov,
    },
    "erf": {
        "dphi": erf_dphi,
        "phi2": erf_phi2,
        "phi_mean": lambda v: np.zeros_like(_arr(v)),
        "primitive": erf_primitive,
        "primitive_var": erf_primitive_var,
        "phi_pair": erf_phi_pair,
        "dphi_pair": erf_dphi_pair,
        "primitive_cov": erf_primitive_cov,
    },
    "power": {
        "dphi": power_dphi,
        "phi2": power_phi2,
        "phi_mean": lambda v, alpha: np.zeros_like(_arr(v)),
        "primitive": power_primitive,
        "primitive_var": power_primitive_var,
        "phi_pair": power_phi_pair,
        "dphi_pair": power_dphi_pair,
        "primitive_cov": power_primitive_cov,
    },
    "relu": {
        "dphi": relu_dphi,
        "phi2": relu_phi2,
        "phi_mean": relu_phi_mean,
        "primitive": relu_primitive,
        "primitive_var": relu_primitive_var,
        "phi_pair": relu_phi_pair,
        "primitive_cov": relu_primitive_cov,
    },
}


def has_closed_form(activation: Activation, quantity: str) -> bool:
    """True when ``gauss_average(activation, quantity, ...)`` uses a closed form."""
    if quantity not in QUANTITIES:
        raise ValueError(f"unknown quantity {quantity!r}; allowed: {', '.join(QUANTITIES)}")
    return quantity in _CLOSED.get(activation.name, {})


def gauss_average(
    activation: Activation,
    quantity: str,
    var: ArrayLike,
    cov: ArrayLike | None = None,
    *,
    closed_form: bool = True,
    dx: float = DX,
) -> np.ndarray:
    r"""Gaussian average of an activation: the closed form when one exists, else quadrature.

    Parameters
    ----------
    activation : Activation
        Any activation of :mod:`rnncorr.activations`.
    quantity : str
        One of ``QUANTITIES`` (module docstring): ``dphi`` <phi'>, ``phi2`` <phi^2>,
        ``phi_mean`` <phi>, ``primitive`` <Phi>, ``primitive_var`` Var Phi, ``phi_pair``
        <phi(x) phi(y)>_c, ``dphi_pair`` <phi'(x) phi'(y)>_c, ``primitive_cov``
        <Phi(x) Phi(y)>_c - <Phi>^2.
    var : float or ndarray
        Variance of x. Single-site quantities are vectorised over ``var``; pair quantities take
        a scalar ``var``.
    cov : float or ndarray, optional
        Covariance(s) c, |c| <= var; required for pair quantities.
    closed_form : bool
        False forces quadrature (for tests). Quadrature of power-law quantities is inaccurate
        (kink, and phi' = inf at x = 0): use the closed forms.
    dx : float
        Quadrature step in x-space.

    Returns
    -------
    ndarray

    References
    ----------
    .. [1] docs/science.md §3 (quadrature), §5 (power law); docs/theory_noisy.md §1.
    """
    if quantity not in QUANTITIES:
        raise ValueError(f"unknown quantity {quantity!r}; allowed: {', '.join(QUANTITIES)}")
    pair = quantity in _PAIR_QUANTITIES
    if pair and cov is None:
        raise ValueError(f"quantity {quantity!r} needs cov")
    kw = activation.kwargs
    if closed_form and has_closed_form(activation, quantity):
        fn = _CLOSED[activation.name][quantity]
        return np.asarray(fn(var, cov, **kw) if pair else fn(var, **kw), dtype=float)

    phi, dphi, prim = activation.phi, activation.dphi, activation.primitive
    if quantity == "dphi":
        return gauss_mean(dphi, var, dx)
    if quantity == "phi2":
        return gauss_mean(lambda x: phi(x) ** 2, var, dx)
    if quantity == "phi_mean":
        return gauss_mean(phi, var, dx)
    if quantity == "primitive":
        return gauss_mean(prim, var, dx)
    if quantity == "primitive_var":
        v = np.asarray(var, dtype=float)
        mean = gauss_mean(prim, v, dx).ravel()

        def centred_square(x: np.ndarray, rows: np.ndarray) -> np.ndarray:
            # centred second moment: no cancellation between <Phi^2> and <Phi>^2
            return (prim(x) - mean[rows, None]) ** 2

        return _grouped_mean(centred_square, v, dx)
    if quantity == "phi_pair":
        return gauss_pair_mean(phi, None, float(var), cov, dx)
    if quantity == "dphi_pair":
        return gauss_pair_mean(dphi, None, float(var), cov, dx)
    # primitive_cov: centre Phi first so that the small-c values carry no cancellation
    mean = float(gauss_mean(prim, float(var), dx))
    return gauss_pair_mean(lambda x: prim(x) - mean, None, float(var), cov, dx)
