r"""Chaos (sigma2 = 0) at finite N: the linear-equivalent estimate of the single-site shift.

docs/finite_size_equal_time.md §4. The same construction as ``_finite_n.single_site_shift``
(docs/finite_size.md §7) with the chaotic DMFT in place of the white-noise one: the 1/N term of
the linear-equivalent diagonal at frequency w,

    D_1(w) = 2 Re[t/(1 - t)] beta (L^2 - 1),   t = g^2 S^2,  L = 1/(1 - g^2 |S|^2),
    beta = P(w)/S0^2,  P = C_phi(w) (1 - g^2 |S|^2)          (no external noise: alpha = 0)

acts as an extra input spectrum K_1/N = (1 + w^2) D_1/(N L) on the single site, whose linear
response (the chaotic DMFT linearised around its lag solution, GMRES on the lag grid)

    dDelta(u) = G * [g^2 (F_c(Delta(u)) dDelta(u) + F_D(Delta(u)) dDelta(0))] + s(u)

gives Delta_1 = N dDelta(0) and the equal-time <phi^2> shift d<phi^2>/dDelta0 Delta_1. This is
the leading finite-N shift *at the linear-equivalent level*; in chaos it is not confirmed by
simulation (the sign and size are discussed in the docs) and it is not used by any default
output.
"""

from __future__ import annotations

import math

import numpy as np

from rnncorr.activations import Activation

__all__ = ["chaos_single_site_shift"]


def chaos_single_site_shift(
    activation: Activation, g: float, *, n_freq: int = 4000
) -> dict[str, float]:
    r"""Linear-equivalent finite-N shift of Delta0 and <phi^2> in the chaotic network.

    Returns
    -------
    dict
        ``delta0``, ``s0``, ``g_eff``, ``delta1_source`` (int D_1 dw/2pi, fixed S0 and P),
        ``delta1`` (self-consistent, Delta = Delta0 + delta1/N), ``phi2_1`` (<phi^2> =
        <phi^2>_inf + phi2_1/N), ``phi2`` (<phi^2>_inf), ``gmres_info``.
    """
    from rnncorr.theory._chaos import chaos_delta0, chaos_table_nodes, solve_chaos_autocorrelation
    from rnncorr.theory._dmft import spectrum
    from rnncorr.theory._finite_n import variance_response, variance_shift_spectrum
    from rnncorr.theory._gauss import gauss_average

    d0, reason = chaos_delta0(activation, g)
    if reason is not None or not math.isfinite(d0):
        raise ValueError(f"no chaotic solution: {reason}")
    sol, s0 = solve_chaos_autocorrelation(activation, g, d0)
    u, delta, cphi = sol.u, np.minimum(sol.delta, d0), sol.cphi
    theta = (np.arange(n_freq) + 0.5) * (0.5 * math.pi / n_freq)
    kappa = math.sqrt(max(1 - (g * s0) ** 2, 1e-8))
    wq = kappa * np.tan(theta)
    wt = kappa / np.cos(theta) ** 2 * (0.5 * math.pi / n_freq) / math.pi  # dw/pi, even integrand
    cphi_w = spectrum(cphi, u, wq, "spectral")
    s_abs2 = s0 * s0 / (1 + wq * wq)
    p_w = cphi_w * (1 - g * g * s_abs2)
    d1, lw = variance_shift_spectrum(wq, g, s0, 0.0, p_w)
    src_w = wt * d1 / lw
    response = variance_response(
        activation,
        g,
        d0,
        u,
        delta,
        wq,
        src_w,
        n_nodes=chaos_table_nodes(g),
        rtol=1e-10,
        restart=200,
        maxiter=2000,
    )
    dd, h, info = response["dd"], response["h"], response["info"]
    dphi2 = float(
        (gauss_average(activation, "phi2", d0 + h) - gauss_average(activation, "phi2", d0 - h))
        / (2 * h)
    )
    delta1 = float(dd[0])
    return {
        "delta0": float(d0),
        "s0": float(s0),
        "g_eff": float(g * s0),
        "delta1_source": float(np.sum(wt * d1)),
        "delta1": delta1,
        "phi2": float(gauss_average(activation, "phi2", d0)),
        "phi2_1": dphi2 * delta1,
        "gmres_info": int(info),
    }
