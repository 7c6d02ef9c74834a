r"""Finite-N theory of noisy nonlinear networks: the self-consistent heterogeneous linear-equivalent
network (docs/finite_size.md §8).

The linear-equivalent network of ``_finite_n`` gives every unit the large-N gain s0 = <phi'(x)>.
At finite N the units differ: unit i's equal-time variance Delta_i = Var x_i depends on row i of J
(and on J's loops) at O(1/sqrt(N)), and with it its gain s_i = S(Delta_i) = <phi'(x)>_{x ~ N(0,
Delta_i)}. For a saturating phi (S' < 0) the units with the largest variance respond least: the
network partly normalises the structure of J that the homogeneous linear-equivalent network
amplifies. This moves a, Nc2 and PR at O(1/N) relative, i.e. PR at O(1) -- the same order as p_0.

For one J, with S = diag(s_i), the linear-equivalent dynamics dx = (-x + J (S x + eta)) dt + dxi
(xi white of intensity sigma2, residual eta_j of the large-N power) give

    equal time (Lyapunov):  A Sigma + Sigma A^T = sigma2 1 + Q J J^T,   A = 1 - J S
                            Delta_i = Sigma_ii,   s_i = S(Delta_i)          (solved by iteration)
    zero frequency:         C_x   = M (sigma2 + P J J^T) M^T,   M = (1 - J S)^-1
                            C_phi = L (sigma2 S^2 + P) L^T,     L = (1 - S J)^-1

The residual is treated as white in the equal-time equation, with the intensity Q that makes the
N = infinity limit exact: at N = infinity the equation gives Delta = (sigma2 + g^2 Q) /
(2 sqrt(1 - g_eff^2)), so Q = (2 Delta0 sqrt(1 - g_eff^2) - sigma2)/g^2 with Delta0 the root of
(E1). Q and P are the large-N values for every unit (they carry 1-3 % of the input power).

With s_i = s0 for all i (``heterogeneous=False``) the zero-frequency covariances are those of
``linear_equivalent_covariances``. Neglected: site dependence of P and Q, non-Gaussian residual
correlations, the frequency dependence of the gain beyond the linear-equivalent one.

Validation (docs/finite_size.md §8.3), tanh at g = 1, N = 100, simulations paired J by J: the
homogeneous network misses PR_phi/N by +0.0140 +- 0.0010; this network captures 70-80 % of that
(residual -0.0030 +- 0.0008), and of the shifts of a and Nc2; Var x to 0.12 %.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.linalg import solve_continuous_lyapunov

from rnncorr.activations import Activation
from rnncorr.estimators import scalar_mean_and_standard_error
from rnncorr.theory._finite_n import _batched_statistics
from rnncorr.theory._gauss import gauss_average
from rnncorr.threads import blas_threads

__all__ = [
    "SiteScalars",
    "heterogeneous_finite_n_prediction",
    "heterogeneous_statistics",
    "self_consistent_gains",
    "site_offsets",
    "site_scalars",
]

STATISTICS = ("a", "nc2", "pr", "pr_over_n")


@dataclass(frozen=True)
class SiteScalars:
    """Large-N single-site scalars that set the linear-equivalent network.

    s0 = <phi'>, delta0 = Var x, residual_power P = a_phi (1 - g_eff^2) - s0^2 sigma2 (zero
    frequency), white_residual Q (equal-time calibration, module docstring).
    """

    g: float
    sigma2: float
    s0: float
    delta0: float
    residual_power: float
    white_residual: float

    @property
    def g_eff(self) -> float:
        return self.g * self.s0


def site_scalars(activation: Activation, g: float, sigma2: float) -> SiteScalars:
    r"""Large-N scalars of the noise-driven network (science.md §3) for the finite-N network.

        Delta0 from (E1),  s0 = <phi'>,  a_phi from (R1),  P = a_phi (1 - g_eff^2) - s0^2 sigma2,
        Q = (2 Delta0 sqrt(1 - g_eff^2) - sigma2) / g^2      (0 when g = 0)

    Raises
    ------
    ValueError
        sigma2 <= 0, or no stationary single-site solution (reason in the message).
    """
    from rnncorr.theory._noisy import a_phi_zero_freq, single_site

    if not (math.isfinite(sigma2) and sigma2 > 0):
        raise ValueError(f"sigma2 must be > 0 for the noise-driven network, got {sigma2!r}")
    site = single_site(activation, g, sigma2)
    if not site.valid:
        raise ValueError(f"no stationary single-site solution: {site.reason}")
    k2 = (g * site.s0) ** 2
    a_phi = a_phi_zero_freq(activation, g, sigma2, site.delta0)
    residual = max(a_phi * (1.0 - k2) - site.s0**2 * sigma2, 0.0)
    white = (2.0 * site.delta0 * math.sqrt(1.0 - k2) - sigma2) / g**2 if g > 0 else 0.0
    return SiteScalars(float(g), float(sigma2), site.s0, site.delta0, residual, max(white, 0.0))


def self_consistent_gains(
    J: np.ndarray,
    activation: Activation,
    scalars: SiteScalars,
    *,
    heterogeneous: bool = True,
    tol: float = 1e-9,
    max_iter: int = 300,
) -> dict[str, Any]:
    r"""Per-unit gains s_i = S(Delta_i) and variances Delta_i, solved self-consistently for one J.

        A Sigma + Sigma A^T = sigma2 1 + Q J J^T,   A = 1 - J diag(s),   Delta_i = Sigma_ii,
        s_i <- S(Delta_i) = <phi'(x)>_{x ~ N(0, Delta_i)}

    Fixed-point iteration from s_i = s0, s <- s + theta (S(Delta) - s): theta = 1 while the
    residual max |S(Delta_i) - s_i| shrinks (it contracts for small g: 5-12 iterations to 1e-9
    for tanh up to g = 1), halved (down to 1/16) whenever it grows (oscillation, seen for tanh
    at g >= 1.6). Each iteration is one O(N^3) Lyapunov solve (Bartels-Stewart,
    ``scipy.linalg.solve_continuous_lyapunov``); the spectrum of A is checked once, at the end.

    Returns
    -------
    dict
        ``gains`` (N,), ``variances`` (N,), ``iterations``, ``stable`` (False when A has an
        eigenvalue with real part <= 0 -- no stationary linear-equivalent state -- or when the
        iteration did not converge in ``max_iter``; gains and variances are then NaN) and
        ``reason`` (None, "unstable" or "not_converged").
    """
    J = np.asarray(J, dtype=float)
    n = J.shape[0]
    noise = scalars.sigma2 * np.eye(n) + scalars.white_residual * (J @ J.T)
    gains = np.full(n, scalars.s0)
    nan = {"gains": np.full(n, np.nan), "variances": np.full(n, np.nan), "stable": False}
    theta, previous = 1.0, math.inf
    for iteration in range(1, max_iter + 1):
        a = np.eye(n) - J * gains[None, :]
        variances = np.diag(solve_continuous_lyapunov(a, noise)).copy()
        # An unstable A still has a Lyapunov solution, but not a covariance: non-positive
        # variances say so at once; the spectrum (O(N^3) eigenvalues) is checked at the end
        if not np.all(np.isfinite(variances) & (variances > 0)):
            return {**nan, "iterations": iteration, "reason": "unstable"}
        if not heterogeneous:
            break
        residual = gauss_average(activation, "dphi", variances) - gains
        change = float(np.max(np.abs(residual)))
        if change < tol:
            break
        if change > previous:
            theta = max(theta / 2, 1 / 16)
        previous = change
        gains = gains + theta * residual
    else:
        return {**nan, "iterations": max_iter, "reason": "not_converged"}
    if np.min(np.linalg.eigvals(np.eye(n) - J * gains[None, :]).real) <= 0:
        return {**nan, "iterations": iteration, "reason": "unstable"}
    return {
        "gains": gains,
        "variances": variances,
        "iterations": iteration,
        "stable": True,
        "reason": None,
    }


def _statistics(C: np.ndarray) -> dict[str, float]:
    st = _batched_statistics(C[None])
    n = C.shape[0]
    out = {k: float(st[k][0]) for k in ("a", "nc2", "pr")}
    out["pr_over_n"] = out["pr"] / n
    return out


def heterogeneous_statistics(
    J: np.ndarray,
    activation: Activation,
    scalars: SiteScalars,
    *,
    heterogeneous: bool = True,
) -> dict[str, Any]:
    r"""Zero-frequency statistics of x and phi for one J, with self-consistent per-unit gains.

        C_x = M (sigma2 + P J J^T) M^T,  M = (1 - J S)^-1
        C_phi = L (sigma2 S^2 + P) L^T,  L = (1 - S J)^-1
        a = tr C/N,  Nc2 = (tr C^2 - sum_i C_ii^2)/(N - 1),  PR = (tr C)^2/tr C^2

    plus the equal-time a_x = mean_i Delta_i and the spread of the gains.

    Parameters
    ----------
    J : ndarray (N, N)
    activation : Activation
    scalars : SiteScalars
        From :func:`site_scalars` (same g and sigma2 as J was drawn with).
    heterogeneous : bool
        False: every gain is s0 (the homogeneous linear-equivalent network).

    Returns
    -------
    dict
        {"x": {a, nc2, pr, pr_over_n}, "phi": {...}, "equal_time_a_x", "gain_sd", "stable"};
        NaN statistics (and ``reason``) when the linear-equivalent network has no stationary
        state for this J or the gains did not converge.
    """
    J = np.asarray(J, dtype=float)
    n = J.shape[0]
    sol = self_consistent_gains(J, activation, scalars, heterogeneous=heterogeneous)
    out: dict[str, Any] = {
        "stable": sol["stable"],
        "reason": sol["reason"],
        "equal_time_a_x": float(np.mean(sol["variances"])),
        "gain_sd": float(np.std(sol["gains"])),
    }
    if not sol["stable"]:
        for var in ("x", "phi"):
            out[var] = dict.fromkeys(STATISTICS, math.nan)
        return out
    gains, sigma2, P = sol["gains"], scalars.sigma2, scalars.residual_power
    eye = np.eye(n)
    M = np.linalg.inv(eye - J * gains[None, :])
    MJ = M @ J
    C_x = sigma2 * (M @ M.T) + P * (MJ @ MJ.T)
    L = np.linalg.inv(eye - gains[:, None] * J)
    C_phi = (L * (sigma2 * gains**2 + P)[None, :]) @ L.T
    out["x"], out["phi"] = _statistics(C_x), _statistics(C_phi)
    return out


def heterogeneous_finite_n_prediction(
    activation: Activation,
    g: float,
    sigma2: float,
    N: int,
    n_samples: int,
    seed: int | np.random.SeedSequence,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    r"""J-averaged finite-N statistics of the heterogeneous network, paired with the homogeneous.

    Draws J_ij iid N(0, g^2/N) and evaluates, on the same J, :func:`heterogeneous_statistics`
    with (``het``) and without (``hom``) the per-unit gains. The paired difference het - hom
    has a much smaller spread over J than either: it is the site-heterogeneity correction, and
    N (het - hom) of PR/N estimates its contribution to p_0 (docs/finite_size.md §8). The
    analytic value of the same term (no sampling): ``rnncorr.theory._site`` (§10).
    ``progress(done, total)`` is called after each J (the CLI prints it on stderr).

    Returns
    -------
    dict
        ``{"het": {var: {stat, stat_se}}, "hom": ..., "het_minus_hom": ..., "equal_time_a_x":
        (mean, se), "excluded": J without a stationary or converged solution, "n_samples":
        J used}``; var in ("x", "phi").
    """
    if int(N) != N or N < 2:
        raise ValueError(f"N must be an integer >= 2, got {N!r}")
    if int(n_samples) != n_samples or n_samples < 2:
        raise ValueError(f"n_samples must be an integer >= 2, got {n_samples!r}")
    scalars = site_scalars(activation, g, sigma2)
    rng = np.random.default_rng(seed)
    scale = g / math.sqrt(N)
    rows: dict[str, dict[str, dict[str, list[float]]]] = {
        k: {v: {s: [] for s in STATISTICS} for v in ("x", "phi")}
        for k in ("het", "hom", "het_minus_hom")
    }
    equal_time, excluded = [], 0
    for done in range(1, int(n_samples) + 1):
        J = rng.standard_normal((int(N), int(N))) * scale
        # one BLAS thread: at N ~ 100 the Lyapunov solves are 20-40 times slower with threads
        # competing for the cores (4 s instead of 0.1-0.2 s per J on 2 busy cores)
        with blas_threads(1):
            het = heterogeneous_statistics(J, activation, scalars)
            hom = heterogeneous_statistics(J, activation, scalars, heterogeneous=False)
        if not (het["stable"] and hom["stable"]):
            excluded += 1
            if progress is not None:
                progress(done, int(n_samples))
            continue
        equal_time.append(het["equal_time_a_x"])
        for var in ("x", "phi"):
            for s in STATISTICS:
                rows["het"][var][s].append(het[var][s])
                rows["hom"][var][s].append(hom[var][s])
                rows["het_minus_hom"][var][s].append(het[var][s] - hom[var][s])
        if progress is not None:
            progress(done, int(n_samples))

    out: dict[str, Any] = {"excluded": excluded, "n_samples": int(n_samples) - excluded}
    for key, per_var in rows.items():
        out[key] = {}
        for var, stats in per_var.items():
            out[key][var] = {}
            for s, values in stats.items():
                out[key][var][s], out[key][var][s + "_se"] = scalar_mean_and_standard_error(values)
    out["equal_time_a_x"] = scalar_mean_and_standard_error(equal_time)
    out["scalars"] = scalars
    return out


def site_offsets(
    activation: Activation,
    g_values: Any,
    sigma2_values: Any,
    N: int,
    n_samples: int,
    seed: int,
) -> dict[tuple[float, float], tuple[float, float]]:
    r"""Site term p_0^site = E[PR_het - PR_hom] of phi on a (g, sigma2) grid (finite_size.md §8.4).

    One :func:`heterogeneous_finite_n_prediction` per point, J of size N, the J stream of point
    (g, sigma2) seeded by ``SeedSequence([seed, round(1e6 g), round(1e6 sigma2)])`` (the same
    numbers whatever grid the point belongs to). Points without a noise-driven stationary
    solution (sigma2 = 0, non-odd phi, linear at g >= 1, ...) get NaN.

    Returns
    -------
    dict
        ``{(g, sigma2): (p_0_site, standard error)}``.
    """
    out = {}
    for g in g_values:
        for sigma2 in sigma2_values:
            key = (float(g), float(sigma2))
            stream = np.random.SeedSequence([int(seed), round(1e6 * g), round(1e6 * sigma2)])
            try:
                pred = heterogeneous_finite_n_prediction(
                    activation, g, sigma2, N, n_samples, stream
                )
            except ValueError:  # no stationary noise-driven solution at this point
                out[key] = (math.nan, math.nan)
                continue
            d = pred["het_minus_hom"]["phi"]
            out[key] = (d["pr"], d["pr_se"])
    return out
