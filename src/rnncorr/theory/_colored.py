r"""Network driven by Ornstein-Uhlenbeck (coloured) noise, large N (docs/science.md §8).

Noise spectrum K(w) = sigma2 / (1 + w^2 tau_n^2) (intensity sigma2 at w = 0, correlation time
tau_n; tau_n -> 0 is white noise). The DMFT

    (1 + w^2) Delta(w) = g^2 C_phi(w) + K(w),   C_phi(u) = F(Delta(u); Delta(0))            (D1)

has no energy integral (the source is not a delta function), so Delta0 = Delta(0) is part of
the unknown: for a trial variance v the lag equation (D2) is solved with F at variance v, and v
is updated by the secant method on r(v) = Delta(0; v) - v. Statistics follow from the
linear-equivalent network with residual power P(w) = C_phi(w)(1 - g^2 |S|^2) - |S|^2 K(w)
(= C_phi - S0^2 Delta): ``_dmft.lag_statistics`` with ``Noise(sigma2, tau_n)``.
"""

from __future__ import annotations

import math

import numpy as np

from rnncorr.activations import Activation
from rnncorr.theory._dmft import (
    DU_NOISY,
    LAG_DECAYS,
    DMFTConvergenceError,
    LagSolution,
    Noise,
    PowerPair,
    decay_rate,
    lag_grid,
    lag_statistics,
    pair_table,
    richardson_orders,
    solve_lag_equation,
)
from rnncorr.theory._gauss import gauss_average
from rnncorr.theory._noisy import single_site
from rnncorr.theory._result import TheoryResult

__all__ = ["DU_MIN", "DU_TAU", "solve_colored", "solve_colored_autocorrelation"]

#: lag step: min(DU_NOISY, max(DU_TAU * tau_n, DU_MIN)) (Delta(u) bends on the scale tau_n near
#: u = 0; below tau_n ~ 4 DU_MIN the Richardson-corrected trapezoid rule resolves the rounded
#: kink only to O(du^2 / tau_n): docs/NUMERICS.md#dmft)
DU_TAU: float = 0.25
DU_MIN: float = 0.002
#: relative tolerance of the variance self-consistency Delta(0) = v
VAR_TOL: float = 1e-12


def solve_colored_autocorrelation(
    activation: Activation,
    g: float,
    sigma2: float,
    noise_tau: float,
    *,
    du: float,
    v_start: float,
    max_iter: int = 30,
) -> tuple[LagSolution, float]:
    r"""Self-consistent lag solution of (D1) with OU noise, and its variance Delta0.

        Delta = D_K + g^2 G * F(Delta; v),   v = Delta(0)      (secant iteration on v)

    Parameters
    ----------
    activation : Activation
        Odd activation.
    g, sigma2, noise_tau : float
        Gain, noise intensity (> 0) and noise correlation time (> 0).
    du : float
        Lag step.
    v_start : float
        Starting variance (the white-noise Delta0 of (E1) is an upper bound).
    max_iter : int
        Largest number of secant steps.

    Returns
    -------
    LagSolution, float
        The solution at the self-consistent variance, and that variance.

    Raises
    ------
    DMFTConvergenceError
        When a lag solve or the variance iteration fails.

    References
    ----------
    .. [1] docs/science.md §8.
    """
    noise = Noise(sigma2, noise_tau)

    def run(v: float, guess: np.ndarray | None) -> LagSolution:
        table = pair_table(activation, v)
        s0 = float(gauss_average(activation, "dphi", v))
        kappa = decay_rate(g, s0)
        if kappa < 1e-6:
            raise DMFTConvergenceError(f"coloured noise: g S0 = {g * s0:.6g} >= 1")
        u = lag_grid((LAG_DECAYS + 5.0 + 10.0 * noise_tau) / kappa, du)
        src = noise.source(u)
        if guess is None or guess.size != u.size:
            guess = src / max(1.0 - (g * s0) ** 2, 1e-3)
        # power law: F at the variance of the solution itself (exact PowerPair, homogeneous in
        # v), as for white noise; at the fixed variance v the grid's Delta(0) overshoots v and F
        # is evaluated beyond rho = 1, where it does not exist (docs/NUMERICS.md#power-law-dmft).
        # The splines of the analytic activations are accurate only near their variance, and
        # the secant on v makes Delta(0) = v for them.
        pair = table if isinstance(table, PowerPair) else None
        sol = solve_lag_equation(table.f, table.df, g, src, u, guess, pair=pair)
        if not sol.converged:
            raise DMFTConvergenceError(f"coloured noise, v = {v:.6g}: {sol.flag}")
        return sol

    v0 = v_start
    sol0 = run(v0, None)
    r0 = float(sol0.delta[0]) - v0
    v1 = float(sol0.delta[0])
    sol1 = run(v1, sol0.delta)
    r1 = float(sol1.delta[0]) - v1
    for _ in range(max_iter):
        if abs(r1) <= VAR_TOL * v1:
            return sol1, v1
        v2 = v1 - r1 * (v1 - v0) / (r1 - r0) if r1 != r0 else v1 + r1
        if not (math.isfinite(v2) and v2 > 0):
            v2 = 0.5 * v1
        v0, r0 = v1, r1
        v1 = v2
        sol1 = run(v1, sol1.delta)
        r1 = float(sol1.delta[0]) - v1
    raise DMFTConvergenceError(
        f"coloured noise: variance iteration did not converge (|Delta(0) - v| = {abs(r1):.3g})"
    )


def solve_colored(
    activation: Activation,
    g: float,
    sigma2: float,
    noise_tau: float,
    *,
    du: float | None = None,
) -> TheoryResult:
    r"""Large-N statistics of a network driven by OU noise K(w) = sigma2/(1 + w^2 tau_n^2).

        (1 + w^2) Delta(w) = g^2 C_phi(w) + K(w)                                          (D1)
        P(w) = C_phi(w)(1 - g^2 |S(w)|^2) - |S(w)|^2 K(w),   S(w) = S0/(1 + i w)
        equal time:  a_phi = <phi^2>, a_x = Delta0, Nc2 from (R3) and (T-x) with K(w)
        zero freq.:  a_phi = C_phi(0), a_x = g^2 C_phi(0) + sigma2, PR_phi/N = (1 - g_eff^2)^2,
                     PR_x/N from (R2) (K(0) = sigma2)

    Parameters
    ----------
    activation : Activation
        Odd activation.
    g : float
        Coupling gain.
    sigma2 : float
        Noise intensity K(0), > 0.
    noise_tau : float
        Noise correlation time tau_n > 0.
    du : float, optional
        Finest lag step (default min(DU_NOISY, max(DU_TAU tau_n, DU_MIN))); the statistics are
        Richardson-extrapolated from the steps and with the error orders of
        ``_dmft.richardson_orders(activation, noise_tau)`` (du^2; and du^(2 alpha + 2) for the
        power law, from 4 du, 2 du, du).

    Returns
    -------
    TheoryResult
        ``noise_tau`` set; Delta0, S0 and g_eff at the self-consistent variance. ``valid=False``
        with reason ``no_stationary_state`` (from the white-noise single site, whose variance
        bounds the coloured one) or ``dmft_not_converged``.

    Notes
    -----
    tau_n -> 0 recovers the white-noise results (to O(tau_n)); for linear phi the equal-time
    variance is sigma2 / (2 kappa (1 + kappa tau_n)), kappa = sqrt(1 - g^2) (tests).

    References
    ----------
    .. [1] docs/science.md §8; docs/theory.md §5.
    """
    if not (math.isfinite(noise_tau) and noise_tau > 0):
        raise ValueError(f"noise_tau must be a finite number > 0, got {noise_tau!r}")
    if not (math.isfinite(sigma2) and sigma2 > 0):
        raise ValueError(f"sigma2 must be a finite number > 0, got {sigma2!r}")
    label = activation.label
    white = single_site(activation, g, sigma2)
    if not white.valid:
        return TheoryResult.invalid(label, g, sigma2, white.reason or "", noise_tau=noise_tau)

    def solve(h: float):
        sol, v = solve_colored_autocorrelation(
            activation, g, sigma2, noise_tau, du=h, v_start=white.delta0
        )
        s0 = float(gauss_average(activation, "dphi", v))
        a_phi = (
            float(gauss_average(activation, "phi2", v))
            - float(gauss_average(activation, "phi_mean", v)) ** 2
        )
        return sol, s0, a_phi, v

    if du is None:
        du = min(DU_NOISY, max(DU_TAU * noise_tau, DU_MIN))
    try:
        stats = lag_statistics(
            solve,
            du,
            g,
            Noise(sigma2, noise_tau),
            what="coloured-noise DMFT",
            orders=richardson_orders(activation, noise_tau),
        )
    except (DMFTConvergenceError, ValueError) as err:
        return TheoryResult.invalid(
            label, g, sigma2, f"dmft_not_converged: {err}", noise_tau=noise_tau
        )
    return TheoryResult(
        label,
        g,
        sigma2,
        delta0=stats.delta0,
        s0=stats.s0,
        g_eff=g * stats.s0,
        statistics={"zero_frequency": stats.zero_frequency, "equal_time": stats.equal_time},
        noise_tau=noise_tau,
        settings={"solver": "coloured lag grid + variance secant + Richardson", **stats.settings},
    )
