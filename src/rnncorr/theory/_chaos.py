r"""Chaotic network without noise (sigma2 = 0) at large N: DMFT and dimension of activity.

docs/science.md §6 (Clark, Abbott, Litwin-Kumar, PRL 131:118401 (2023)). For g phi'(0) <= 1 the
only stationary state is x = 0. For g > 1 (odd phi with phi'(0) = 1) the autocorrelation is the
Newton particle in V(c) = -c^2/2 + g^2 <Phi(x) Phi(y)>_c with zero initial slope:

    Delta0^2 / 2 = g^2 (<Phi^2> - <Phi>^2)     (V(Delta0) = V(0); (E1) at sigma2 = 0)      (C1)
    (1 + w^2) Delta(w) = g^2 C_phi(w)                                                      (D1)

solved on a lag grid by ``_dmft.solve_lag_equation``. With S0 = <phi'(x)>, x ~ N(0, Delta0),
S(w) = S0/(1 + i w), S_x(w) = 1/(1 + i w), the four-point functions are

    Psi_phi(w1, w2) = C_phi(w1) C_phi(w2) / |1 - g^2 S(w1) S(w2)|^2
    Psi_x(w1, w2)   = C_x1 C_x2 + |U|^2 C_phi1 C_phi2 + [U S0^2 C_x1 C_x2 + c.c.],
                      U = g^2 S_x1 S_x2 / (1 - g^2 S1 S2)

(science.md §6 prints ``U S0`` in the last term; dimensional analysis and the linear-equivalent
derivation, docs/theory.md §4, give ``U S0^2``; with S0 the tanh g = 2 reference
PR_x/N = 0.0159148 is reproduced only with S0^2). Equal-time dimension:
PR/N = C(u=0)^2 / Psi(tau1 = tau2 = 0), Psi(0, 0) = (2 pi)^-2 int int Psi(w1, w2); these are
the white-noise kernels of ``_dmft.trace_moments`` with K = 0. Zero frequency: the same kernels
at w1 = w2 = 0, i.e. a_phi = C_phi(w=0), PR_phi/N = (1 - g_eff^2)^2, a_x = g^2 C_phi(0) and (R2)
with sigma2 = 0 (docs/theory.md §4).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize

from rnncorr.activations import Activation
from rnncorr.theory._dmft import (
    N_TABLE,
    DMFTConvergenceError,
    LagSolution,
    Noise,
    decay_rate,
    lag_grid,
    lag_statistics,
    newton_particle_guess,
    pair_table,
    solve_lag_equation,
)
from rnncorr.theory._gauss import gauss_average
from rnncorr.theory._noisy import e1_residual, slope_at_infinity
from rnncorr.theory._power import power_delta0
from rnncorr.theory._result import TheoryResult

__all__ = [
    "DU_CHAOS",
    "chaos_delta0",
    "chaos_table_nodes",
    "solve_chaos",
    "solve_chaos_autocorrelation",
]

#: lag step of the chaotic DMFT, capped at DU_CHAOS_G / g: C_phi(u) bends on the time scale
#: 1/g near u = 0 at large g (phi(x) -> sign x). Delta(u) is smooth, so the spectral kernel
#: converges faster than any power of du (docs/NUMERICS.md#dmft)
DU_CHAOS: float = 0.1
DU_CHAOS_G: float = 1.0
#: lag window U = (CHAOS_DECAYS + 10) / kappa
CHAOS_DECAYS: float = 30.0
#: largest Delta0 searched for (C1)
DELTA0_MAX: float = 1e8


def chaos_delta0(activation: Activation, g: float) -> tuple[float, str | None]:
    r"""Variance Delta0 of the chaotic state: the positive root of (C1).

        h(D) = D^2/2 - g^2 Var Phi(x) = 0,   x ~ N(0, D)       (V(Delta0) = V(0), sigma2 = 0)

    Parameters
    ----------
    activation : Activation
        Odd activation.
    g : float
        Coupling gain.

    Returns
    -------
    delta0, reason : float, str or None
        ``(nan, reason)`` when there is no chaotic state: ``quiescent`` for g phi'(0) <= 1 (x = 0
        is the only stationary state), ``no_stationary_state`` when phi grows like m x with
        g m >= 1 (linear, Padé at large g) or no root is bracketed below DELTA0_MAX. The power
        law (phi'(0) = inf: chaotic for every g > 0) uses its closed form.

    References
    ----------
    .. [1] docs/science.md §6; Sompolinsky, Crisanti, Sommers, PRL 61:259 (1988).
    """
    if activation.name == "power" and g > 0:
        # closed form (2 K_alpha g^2)^(1/(1-alpha)) (science.md §5): it falls below the scan's
        # 1e-8 for small g (alpha = 0.75, g = 0.1: 1e-9), which the scan would misreport as
        # no_stationary_state
        return float(power_delta0(g, 0.0, float(activation.kwargs["alpha"]))), None
    slope0 = float(activation.dphi(np.array(0.0)))
    if g * slope0 <= 1.0:
        return math.nan, (
            f"quiescent: g phi'(0) = {g * slope0:.6g} <= 1, the only stationary state of the "
            "noiseless network is x = 0 (no chaos)"
        )
    m = slope_at_infinity(activation)
    if g * m >= 1.0:
        return math.nan, (
            f"no_stationary_state: phi(x) ~ {m:.6g} x at large |x| and g m = {g * m:.6g} >= 1: "
            "activity grows without bound"
        )

    def h(d: float) -> float:
        return float(e1_residual(activation, g, 0.0, d))

    # h < 0 just above 0 (h ~ (1 - g^2 phi'(0)^2) D^2/2), h > 0 at large D: scan geometrically
    grid = np.geomspace(1e-8, DELTA0_MAX, 81)
    values = e1_residual(activation, g, 0.0, grid)
    sign_change = np.nonzero((values[:-1] < 0) & (values[1:] > 0))[0]
    if sign_change.size == 0:
        return math.nan, (
            f"no_stationary_state: V(Delta0) = V(0) has no root with Delta0 <= {DELTA0_MAX:g}"
        )
    i = int(sign_change[-1])
    root = optimize.brentq(h, grid[i], grid[i + 1], xtol=1e-300, rtol=1e-15, maxiter=200)
    return float(root), None


def chaos_table_nodes(g: float) -> int:
    """Nodes of the F table: N_TABLE, times g/20 beyond g = 20.

    At large g, phi(x) ~ sign x on the scale Delta0 ~ g^2 and F(c) has a square-root branch
    point at a distance O(1) beyond c = Delta0; the node spacing near c = Delta0 (about
    Delta0 (pi/(2 n))^2 / 2) must stay below it (docs/NUMERICS.md#dmft).
    """
    return N_TABLE * max(1, math.ceil(g / 20.0))


def solve_chaos_autocorrelation(
    activation: Activation, g: float, delta0: float, *, du: float = DU_CHAOS, table=None
) -> tuple[LagSolution, float]:
    r"""Lag-grid autocorrelation of the chaotic network, and S0.

        Delta = g^2 G * F(Delta),  G(u) = exp(-|u|)/2,  F(c) = <phi(x) phi(y)>_c, Var = Delta0

    Started from the Newton-particle trajectory (Delta(0) = Delta0, Delta'(0) = 0), polished
    by Newton-Krylov (``_dmft.solve_lag_equation``).

    Parameters
    ----------
    activation : Activation
    g : float
    delta0 : float
        Root of (C1) (:func:`chaos_delta0`).
    du : float
        Lag step.
    table : PairTable, optional
        F at variance delta0.

    Returns
    -------
    LagSolution, float
        The solution (check ``converged``) and S0 = <phi'(x)>, x ~ N(0, Delta0).

    References
    ----------
    .. [1] docs/science.md §6.
    """
    table = table or pair_table(activation, delta0, chaos_table_nodes(g))
    s0 = float(gauss_average(activation, "dphi", delta0))
    kappa = decay_rate(g, s0)
    if kappa < 1e-6:
        raise DMFTConvergenceError(f"chaos: g S0 = {g * s0:.6g} >= 1, Delta(u) does not decay")
    u = lag_grid((CHAOS_DECAYS + 10.0) / kappa, du)
    guess = newton_particle_guess(table, g, 0.0, u)
    sol = solve_lag_equation(
        table.f, table.df, g, np.zeros_like(u), u, guess, kernel="spectral", pair=table
    )
    return sol, s0


def solve_chaos(activation: Activation, g: float) -> TheoryResult:
    r"""Large-N statistics of the noiseless chaotic network (sigma2 = 0).

        Delta0 from V(Delta0) = V(0) (C1); DMFT (1 + w^2) Delta(w) = g^2 C_phi(w)
        equal time:  a_phi = <phi^2>, a_x = Delta0,
                     PR/N = C(u=0)^2 / Psi(tau1 = tau2 = 0)   (Psi_phi, Psi_x of science.md §6)
        zero freq.:  a_phi = C_phi(w=0), PR_phi/N = (1 - g_eff^2)^2, a_x = g^2 C_phi(0),
                     PR_x/N from (R2) with sigma2 = 0 (docs/theory.md §4)

    Parameters
    ----------
    activation : Activation
        Odd activation (tanh, erf closed forms; any other odd phi through quadrature).
    g : float
        Coupling gain.

    Returns
    -------
    TheoryResult
        sigma2 = 0. ``valid=False`` with reason ``quiescent: ...`` for g phi'(0) <= 1,
        ``no_stationary_state: ...`` when phi grows linearly too fast, ``dmft_not_converged:
        ...`` when the lag solver refuses its answer. ``settings`` holds the numerics.

    Notes
    -----
    Large N, iid Gaussian J, odd phi. Near g = 1 + eps the lag window grows like 1/eps; the
    solver refuses (lag_grid) below eps ~ 1e-3.

    References
    ----------
    .. [1] Clark, Abbott, Litwin-Kumar, PRL 131:118401 (2023); docs/science.md §6;
       docs/theory.md §4.

    Examples
    --------
    >>> from rnncorr.activations import get_activation
    >>> res = solve_chaos(get_activation("tanh"), 2.0)
    >>> round(res.delta0, 6)                                        # science.md §11
    1.924805
    >>> round(res.statistics["equal_time"]["phi"]["pr_over_n"], 6)  # science.md §11
    0.019741
    >>> round(res.statistics["equal_time"]["x"]["pr_over_n"], 6)    # science.md §11
    0.015915
    """
    label = activation.label
    if not activation.is_odd:
        return TheoryResult.invalid(
            label, g, 0.0, f"odd_phi_required: {activation.name} is not odd"
        )
    delta0, reason = chaos_delta0(activation, g)
    if reason is not None:
        return TheoryResult.invalid(label, g, 0.0, reason)
    table = pair_table(activation, delta0, chaos_table_nodes(g))
    mean_phi = float(gauss_average(activation, "phi_mean", delta0))
    a_phi = float(table.f(np.array(delta0))) - mean_phi**2

    def solve(h: float):
        sol, s0 = solve_chaos_autocorrelation(activation, g, delta0, du=h, table=table)
        return sol, s0, a_phi, delta0

    try:
        du = min(DU_CHAOS, DU_CHAOS_G / g)
        stats = lag_statistics(solve, du, g, Noise(0.0), what="chaotic DMFT")
    except (DMFTConvergenceError, ValueError) as err:
        s0 = float(gauss_average(activation, "dphi", delta0))
        return TheoryResult.invalid(
            label, g, 0.0, f"dmft_not_converged: {err}", delta0=delta0, s0=s0, g_eff=g * s0
        )
    s0 = stats.s0
    return TheoryResult(
        label,
        g,
        0.0,
        delta0=delta0,
        s0=s0,
        g_eff=g * s0,
        statistics={"zero_frequency": stats.zero_frequency, "equal_time": stats.equal_time},
        settings={"solver": "chaos lag grid, spectral kernel", **stats.settings},
    )
