r"""Random-mode connectivity at large N: the dimension of activity against the effective rank.

docs/science.md §9 and docs/random_mode.md (Clark, Marschall, van Meegen, Litwin-Kumar,
PRX 15:041019 (2025), arXiv:2409.01969). J = sum_a D_a l_a r_a^T with independent left and right
modes is bi-unitarily invariant, so at large N it is an R-diagonal element whose only free
cumulants that reach the covariance statistics are

    kappa_1 = tau(J J^T) = g_eff^2,
    kappa_2 = tau((J J^T)^2) - 2 kappa_1^2 = g_eff^4 / (alpha PR_D)

(kappa_2 = 0 for iid J). Two-point traces (1/N) tr[A A^H], A = (1 - S J)^-1, involve kappa_1
only: the single-unit statistics (Delta0, S0, C_phi(u), Delta(u)) are the iid ones at g_eff
(:func:`rnncorr.theory.solve`). The four-point trace of docs/theory.md (4P) gains one
non-crossing block that takes one J from each of the four resolvents:

    (1/N) tr[A_a A_b^H A_c A_d^H] = f(a,b) f(c,b) f(c,d) f(a,d) [1 + kappa_2 a b* c d*]      (4P-rm)

so, with z = g_eff^2 S(w) S(w')*, q = 1/(1 - z), |z q|^2 = |q - 1|^2 and eps = 1/(alpha PR_D),

    Psi_phi = [1 + eps |z|^2] C_phi C_phi' |q|^2                        (science.md §9)
    Psi_x   = C_x C_x' + (1 + eps) |U|^2 C_phi C_phi' + [U S0^2 C_x C_x' + c.c.]   (derived)
    Nc2_phi = Nc2_phi(iid) + eps I,      Nc2_x = Nc2_x(iid) + eps I / S0^4,
    I       = (2 pi)^-2 int int dw dw' C_phi(w) C_phi(w') |q - 1|^2                        (RM)

(the extra term of every trace of (C) is the same, kappa_2 |S S'|^2 L L' |q|^2, and the weights
combine to (alpha + beta) L = C_phi / S0^2). Hence, per kind and variable,

    1/(PR/N) = 1/(PR_iid/N) + 1/(K alpha PR_D),   K = a^2 / I   (I_x = I / S0^4)          (RM-PR)

and in the low-rank limit PR/N -> K(g_eff) alpha PR_D. Zero frequency (w = w' = 0,
k = g_eff S0): I = a_phi^2 k^4/(1 - k^2)^2, so PR_phi/N = (1 - k^2)^2 / (1 + eps k^4).
Equal time: I is the ``M[C_phi]`` part of ``_dmft.equal_time_moments`` (inner integral in
closed form through the Laplace transform of C_phi(u), outer Gauss-Legendre), on the lag
solutions of ``_dmft.solve_white_noise`` (sigma2 > 0) or ``_chaos.solve_chaos_autocorrelation``
(sigma2 = 0), Richardson-extrapolated with the orders of ``_dmft.lag_statistics`` for the
trapezoid kernel (``_dmft.richardson_extrapolate``; du^2, and du^(alpha + 3/2) for the power law).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from rnncorr.activations import Activation
from rnncorr.connectivity import Connectivity, RandomMode, singular_value_participation
from rnncorr.theory._chaos import (
    DU_CHAOS,
    DU_CHAOS_G,
    chaos_table_nodes,
    solve_chaos_autocorrelation,
)
from rnncorr.theory._dmft import (
    DU_NOISY,
    N_FREQ,
    DMFTConvergenceError,
    LagSolution,
    decay_rate,
    frequency_grid,
    laplace,
    pair_table,
    require_converged,
    richardson_extrapolate,
    richardson_orders,
    richardson_steps,
    solve_white_noise,
    spectrum,
)
from rnncorr.theory._noisy import single_site
from rnncorr.theory._result import KINDS, VARIABLES, Stats, TheoryResult, nan_statistics

__all__ = [
    "RankTerms",
    "low_rank_coefficient",
    "random_mode_statistics",
    "rank_integral_equal_time",
    "rank_terms",
    "singular_value_participation",
    "solve_random_mode",
]


def random_mode_statistics(iid: Stats, integrals: dict[str, float], effective_rank: float) -> Stats:
    r"""Statistics of one kind for the random-mode model from the iid ones at g_eff.

        Nc2 = Nc2_iid + I / (alpha PR_D),   PR/N = a^2 / (a^2 + Nc2),   a, cbar unchanged  (RM)

    Parameters
    ----------
    iid : Stats
        ``{"x": {...}, "phi": {...}}`` of the iid network at gain g_eff.
    integrals : dict
        ``{"x": I_x, "phi": I_phi}`` (:func:`rank_terms`).
    effective_rank : float
        alpha PR_D > 0; ``math.inf`` returns the iid statistics.

    Returns
    -------
    Stats
    """
    if not effective_rank > 0:
        raise ValueError(f"effective_rank (alpha PR_D) must be > 0, got {effective_rank!r}")
    eps = 0.0 if math.isinf(effective_rank) else 1.0 / effective_rank
    out: Stats = {}
    for var in VARIABLES:
        a = iid[var]["a"]
        nc2 = iid[var]["nc2"] + eps * integrals[var]
        out[var] = {**iid[var], "nc2": nc2, "pr_over_n": a * a / (a * a + nc2)}
    return out


def _rank_integral(sol: LagSolution, g: float, s0: float, n_freq: int = N_FREQ) -> float:
    """I = int dw/2pi C_phi(w) M[C_phi](w) on one lag solution (the M part of (R3))."""
    kappa = decay_rate(g, s0)
    w, weight = frequency_grid(max(min(kappa, 1.0), 1e-4), n_freq)
    method = "spectral" if sol.settings["kernel"] == "spectral" else "filon"
    cphi_w = spectrum(sol.cphi, sol.u, w, method)
    k2 = (g * s0) ** 2
    lam = 1.0 - k2 / (1.0 + 1j * w)
    m_cphi = k2 * k2 / (1.0 + w * w) / lam.real * laplace(sol.cphi, sol.u, lam).real
    return float(np.sum(weight * cphi_w * m_cphi))


def rank_integral_equal_time(
    activation: Activation,
    g: float,
    sigma2: float,
    delta0: float | None = None,
    *,
    du: float | None = None,
) -> tuple[float, dict[str, Any]]:
    r"""Equal-time I = (2 pi)^-2 int int C_phi C_phi' |q - 1|^2 of the iid network at gain g.

    Parameters
    ----------
    activation : Activation
        Odd activation.
    g : float
        Gain (g_eff of the random-mode connectivity).
    sigma2 : float
        White-noise intensity; 0 selects the chaotic DMFT (then ``delta0`` is required).
    delta0 : float, optional
        Chaos: the root of (C1) (``TheoryResult.delta0`` of :func:`rnncorr.theory.solve`).
    du : float, optional
        Finest lag step (default: ``DU_NOISY``, white noise; min(DU_CHAOS, DU_CHAOS_G / g),
        chaos); a smaller one checks the convergence.

    Returns
    -------
    I, settings : float, dict
        I Richardson-extrapolated (white noise; trapezoid kernel) from the steps and with the
        error orders of ``_dmft.lag_statistics`` (``richardson_orders``: du^2, and for the
        power law du^(alpha + 3/2), from 4 du, 2 du, du), or at du (chaos; spectral kernel,
        2 du as a check); settings hold the values at every step (``I_steps``, coarsest
        first; ``I_coarse``, ``I_fine`` at 2 du and du) and the orders.

    Raises
    ------
    DMFTConvergenceError
        If a lag solve does not converge.
    """
    values = []
    if sigma2 > 0:
        site = single_site(activation, g, sigma2)
        if not site.valid:
            raise DMFTConvergenceError(f"no single-site solution: {site.reason}")
        table = pair_table(activation, site.delta0)
        du = DU_NOISY if du is None else du
        # the error terms of the trapezoid kernel: du^2, and du^(alpha + 3/2) for the power law
        orders = richardson_orders(activation)
        for h in richardson_steps(du, orders):
            sol = require_converged(
                solve_white_noise(activation, g, sigma2, site, du=h, table=table),
                "white-noise DMFT (random mode)",
            )
            values.append(_rank_integral(sol, g, site.s0))
        best = float(richardson_extrapolate(values, orders))
        kernel = "trapezoid, Richardson"
    else:
        if delta0 is None or not math.isfinite(delta0):
            raise ValueError("rank_integral_equal_time: chaos (sigma2 = 0) needs a finite delta0")
        table = pair_table(activation, delta0, chaos_table_nodes(g))
        du = min(DU_CHAOS, DU_CHAOS_G / g) if du is None else du
        for h in (2.0 * du, du):
            sol, s0 = solve_chaos_autocorrelation(activation, g, delta0, du=h, table=table)
            require_converged(sol, "chaotic DMFT (random mode)")
            values.append(_rank_integral(sol, g, s0))
        best = values[1]
        kernel = "spectral"
        orders = ()
    settings = {
        "du": du,
        "kernel": kernel,
        "I_coarse": values[-2],
        "I_fine": values[-1],
        "I_steps": values,
        "richardson_orders": list(orders),
    }
    return float(best), settings


@dataclass(frozen=True)
class RankTerms:
    """The iid solution at g_eff and the effective-rank integrals I[kind][var] of (RM)."""

    iid: TheoryResult
    integrals: dict[str, dict[str, float]]
    settings: dict[str, Any] = field(default_factory=dict)

    def statistics(self, effective_rank: float) -> dict[str, Stats]:
        """``{kind: Stats}`` at effective rank alpha PR_D (NaN where the iid ones are NaN)."""
        return {
            kind: random_mode_statistics(
                self.iid.statistics[kind], self.integrals[kind], effective_rank
            )
            for kind in KINDS
        }

    def low_rank_coefficient(self) -> dict[str, dict[str, float]]:
        """K = a^2 / I per kind and variable: PR/N -> K alpha PR_D as alpha PR_D -> 0."""
        out: dict[str, dict[str, float]] = {}
        for kind in KINDS:
            out[kind] = {}
            for var in VARIABLES:
                a, i = self.iid.statistics[kind][var]["a"], self.integrals[kind][var]
                out[kind][var] = a * a / i if i > 0 else math.nan
        return out


def rank_terms(activation: Activation, g_eff: float, sigma2: float) -> RankTerms:
    r"""Solve the iid network at g_eff once; the random-mode statistics follow for every rank.

    Parameters
    ----------
    activation : Activation
        Odd activation (relu gives the iid solver's ``valid=False``).
    g_eff : float
        Gain of the connectivity, g_eff^2 = alpha <D^2> (>= 0).
    sigma2 : float
        White-noise intensity (>= 0; 0 is the chaotic network, g_eff phi'(0) > 1 needed).

    Returns
    -------
    RankTerms
        ``iid``: :func:`rnncorr.theory.solve` at g_eff; ``integrals[kind][var]``: I of (RM),
        I_x = I_phi / S0^4; NaN where the iid result is invalid or the lag solve is refused.

    References
    ----------
    .. [1] docs/science.md §9; docs/random_mode.md; Clark et al., PRX 15:041019 (2025).
    """
    from rnncorr.theory import solve  # the package imports this module

    iid = solve(activation, g_eff, sigma2)
    nan = {var: math.nan for var in VARIABLES}
    integrals = {kind: dict(nan) for kind in KINDS}
    settings: dict[str, Any] = {}
    if not math.isfinite(iid.s0) or iid.s0 <= 0:
        return RankTerms(iid, integrals, settings)
    s0, k = iid.s0, g_eff * iid.s0
    a_phi0 = iid.statistics["zero_frequency"]["phi"]["a"]
    if math.isfinite(a_phi0) and k < 1.0:
        i_zf = a_phi0**2 * k**4 / (1.0 - k * k) ** 2
        integrals["zero_frequency"] = {"phi": i_zf, "x": i_zf / s0**4}
    if iid.valid:
        try:
            i_eq, settings = rank_integral_equal_time(activation, g_eff, sigma2, iid.delta0)
            integrals["equal_time"] = {"phi": i_eq, "x": i_eq / s0**4}
        except (DMFTConvergenceError, ValueError) as error:
            settings = {"rank_integral_error": str(error)}
    return RankTerms(iid, integrals, settings)


def _effective_rank(connectivity: Connectivity | float) -> tuple[float, dict[str, Any]]:
    if isinstance(connectivity, RandomMode):
        return connectivity.effective_rank, {
            "connectivity": connectivity.label,
            "modes_ratio": connectivity.modes_ratio,
            "participation_ratio_d": connectivity.participation_ratio_d,
            "overlap": connectivity.overlap,
        }
    if isinstance(connectivity, Connectivity):
        if connectivity.kind == "iid":
            return math.inf, {"connectivity": "iid"}
        raise ValueError(f"no random-mode theory for connectivity {connectivity.kind!r}")
    rank = float(connectivity)
    if not rank > 0:
        raise ValueError(f"effective_rank (alpha PR_D) must be > 0, got {connectivity!r}")
    return rank, {"connectivity": "random_mode"}


def solve_random_mode(
    activation: Activation,
    g_eff: float,
    sigma2: float,
    connectivity: Connectivity | float,
    terms: RankTerms | None = None,
) -> TheoryResult:
    r"""Large-N statistics of a network with random-mode connectivity.

        single unit: the iid solution at g_eff (Delta0, S0, a);
        Nc2 = Nc2_iid + I/(alpha PR_D),  PR/N = a^2/(a^2 + Nc2)  (equal time and zero freq.)  (RM)

    Parameters
    ----------
    activation : Activation
        Odd activation.
    g_eff : float
        Connectivity gain, g_eff^2 = alpha <D^2> = N Var J_ij (>= 0).
    sigma2 : float
        White-noise intensity (>= 0).
    connectivity : RandomMode, Connectivity or float
        The model (its ``effective_rank`` is used), ``IID`` (infinite rank), or alpha PR_D.
    terms : RankTerms, optional
        :func:`rank_terms` at (activation, g_eff, sigma2), to reuse across ranks.

    Returns
    -------
    TheoryResult
        ``g`` = g_eff (the connectivity's), ``g_eff`` = g_eff S0 as for iid;
        ``settings["effective_rank"]``. ``valid=False`` with reason ``overlap_not_covered``
        for a left-right overlap rho != 0 (J then has a mean trace rho alpha <D>), and with the
        iid solver's reason where that has no solution.

    References
    ----------
    .. [1] docs/science.md §9; docs/random_mode.md; Clark et al., PRX 15:041019 (2025).

    Examples
    --------
    >>> from rnncorr.activations import get_activation
    >>> res = solve_random_mode(get_activation("linear"), 0.5, 1.0, 1.0)
    >>> round(res.statistics["zero_frequency"]["phi"]["pr_over_n"], 6)   # (1-k^2)^2/(1+k^4)
    0.529412
    """
    rank, info = _effective_rank(connectivity)
    if isinstance(connectivity, RandomMode) and connectivity.overlap:
        return TheoryResult.invalid(
            activation.label,
            g_eff,
            sigma2,
            f"overlap_not_covered: left-right overlap rho = {connectivity.overlap:g} makes J "
            "non-R-diagonal (mean trace rho alpha <D>); the random-mode theory here has rho = 0",
            settings={"effective_rank": rank, **info},
        )
    terms = terms if terms is not None else rank_terms(activation, g_eff, sigma2)
    iid = terms.iid
    stats = terms.statistics(rank)
    valid, reason = iid.valid, iid.reason
    if valid and not math.isfinite(terms.integrals["equal_time"]["phi"]):
        stats["equal_time"] = nan_statistics()
        valid = False
        reason = f"dmft_not_converged (random-mode term): {terms.settings}"
    return replace(
        iid,
        statistics=stats,
        valid=valid,
        reason=reason,
        settings={
            **iid.settings,
            **terms.settings,
            "effective_rank": rank,
            **info,
            "rank_integrals": terms.integrals,
        },
        corrections={},
    )


def low_rank_coefficient(
    activation: Activation, g_eff: float, sigma2: float
) -> dict[str, dict[str, float]]:
    r"""K(g_eff) of the low-rank limit PR/N -> K alpha PR_D, per kind and variable.

    K = a^2 / I,  I of (RM);  zero frequency, phi: K = (1 - k^2)^2 / k^4,  k = g_eff S0
    """
    return rank_terms(activation, g_eff, sigma2).low_rank_coefficient()
