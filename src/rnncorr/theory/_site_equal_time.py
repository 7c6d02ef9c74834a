r"""Analytic equal-time site term (docs/finite_size_equal_time.md §6), no sampling of J.

The heterogeneous linear-equivalent network (``_heterogeneous``, docs/finite_size.md §8) gives
unit i the gain s_i = S(Delta_i) of its own equal-time variance. This module computes, to
leading order in 1/N and J-averaged, how that changes the *equal-time* statistics relative to
the homogeneous network (all gains s0) on the same J -- what ``equal_time_montecarlo`` measures
as het - hom::

    p_0^site = lim E[PR_het - PR_hom],  a_1^site = lim N E[a_het - a_hom],
    nc2_1^site = lim N E[Nc2_het - Nc2_hom]         (N -> infinity; x and phi)

Same expansion as the zero-frequency site term (docs/finite_size.md §10, ``_site``): s_i = s0
(1 + eps_i), eps_i = ebar + (S'/s0)(Delta_i - E Delta_i), and for a trace statistic F

    E[F_het - F_hom] = (1/N) [N ebar tau(X) + N Cov(eps_0, X_00) + N Var(eps) F2]

(mean, correlated, spread channels), X the first-order matrix of F in the gain of unit 0, F2 its
second-order mean, N Cov from orthogonal invariance (``_site.diagonal_covariance``). What is new
at equal time is that the statistic itself is a frequency integral:

    Sigma(E) = int dw/2pi |z|^2 M_E N M_E^H,   M_E = (1 - z K (1 + E))^-1,  z = 1/(1 + i w),
    N = sigma2 + q K K^T    (the Lyapunov equation of ``_heterogeneous`` with A = 1 - J S)

so tr Sigma^2 is a double and N Cov(Delta_0, (d tr Sigma^2/deps_0)_00) a triple frequency
integral of planar traces of words with complex gains. They are evaluated with the ``_site``
engine (``planar_trace`` recursion, ``Expr``/``_Series`` expansion, ``diagonal_covariance``) on
a grid of Gauss-Legendre frequency nodes with *symbolic* gains (``_site._GridTrace``: one
recursion per word for all nodes at once).

phi uses the per-J map of ``equal_time_covariances`` (the map whose het - hom the Monte Carlo
measures): off-diagonal s_i s_j Sigma_ij, diagonal Var phi_i = F(Delta_i) (the diagonal
correction of docs/finite_size_equal_time.md §3). Its cubic Hermite term S3_i S3_j Sigma_ij^3/6
changes between het and hom only at O(1/N) relative to the site term and is dropped.
"""

from __future__ import annotations

import copy
from functools import lru_cache
from typing import Any

import numpy as np

from rnncorr.activations import Activation
from rnncorr.theory._gauss import gauss_average
from rnncorr.theory._site import (
    _K,
    _KT,
    _ONE,
    _P,
    _R,
    _T,
    _T_,
    _add,
    _first_order_matrix,
    _frequency_nodes,
    _GridTrace,
    _letter,
    _mul,
    _Series,
    _sigma_integrand,
    _tau_expr,
    _trace_expr,
    diagonal_covariance,
    site_coefficients,
)

__all__ = ["equal_time_site_coefficients"]


def _scaled(e: dict, c: Any) -> dict:
    return {w: c * v for w, v in e.items()}


def _sigma_series(
    grid: _GridTrace, axis: int, zs: np.ndarray, ws: np.ndarray, q: float, sigma2: float
) -> _Series:
    r"""Sigma(E) on node axis ``axis`` to second order in the site marker (one unit's gain).

    Sigma = sum_m wt_m |z_m|^2 M_E(z_m) N M_E(z_m)^H over the full real line of nodes, with
    M_E = R + z R K P R + z^2 R K P R K P R,  M_E^H = R^H + z* R^H P K^T R^H + ...,
    R = (1 - z K)^-1, R^H = (1 - z* K^T)^-1 (letter gains are grid symbols).
    """
    shape = np.shape(grid.gains[grid.symbol(axis)])
    z = zs.reshape(shape)
    wt = ws.reshape(shape)
    zc = np.conj(z)
    R = {((_R, grid.symbol(axis)),): 1.0}
    Rh = {((_T, grid.symbol(axis, True)),): 1.0}
    K, Kt, Pm = _letter(_K), _letter(_KT), _letter(_P)
    me = _Series([R, _scaled(_mul(R, K, Pm, R), z), _scaled(_mul(R, K, Pm, R, K, Pm, R), z * z)])
    meh = _Series(
        [Rh, _scaled(_mul(Rh, Pm, Kt, Rh), zc), _scaled(_mul(Rh, Pm, Kt, Rh, Pm, Kt, Rh), zc * zc)]
    )
    noise = _Series([_add(_ONE, _mul(K, Kt), coefs=[sigma2, q]), {}, {}])
    return (me * noise * meh).scale(wt * np.abs(z) ** 2)


def _total(x: Any) -> float:
    return float(np.sum(x).real)


def equal_time_site_coefficients(
    activation: Activation, g: float, sigma2: float, *, nodes: int = 8
) -> dict[str, Any]:
    r"""Analytic equal-time site coefficients (docs/finite_size_equal_time.md §6).

    x (Sigma of the Lyapunov network), for F = a = tr Sigma/N and b = tr Sigma^2/N::

        F_1^site = N ebar tau(X_F) + (S'/s0) N Cov(Delta_0, (X_F)_00) + N Var(eps) F2
        p_0^site = p_inf (2 a_1^site/a_inf - b_1^site/b_inf)
        nc2_1^site = b_1^site - 2 a_inf a_1^site - N (Var Delta^het - Var Delta^hom),
        N (Var Delta^het - Var Delta^hom) = 2 tau_c (S'/s0) N Var Delta + tau_c^2 N Var eps

    (tau_c = E dSigma_00/deps_0, zero at leading order at equal time: tau(R_z K) = 0).

    phi (map C_phi = S Sigma S off the diagonal, F(Delta_i) on it; F(D) = <phi^2>_D - <phi>_D^2),
    with A = a_1,x^site and V = N (Var Delta^het - Var Delta^hom)::

        a_1^site = F' A + F''/2 V
        nc2_1^site = o_1^site = [N E(tr (S Sigma S)^2/N)]^site - [N E(mean_i s_i^4 Delta_i^2)]^site
        b_1^site = o_1^site + 2 F F' A + (F'^2 + F F'') V

    the first bracket from the engine with S Sigma S = s0^2 (1 + E) Sigma(E) (1 + E), the second

        s0^4 [4 ebar Delta0^2 + 8 Delta0 (S'/s0) Var Delta + 6 Delta0^2 Var eps + 2 Delta0 A
              + 2 tau_c (S'/s0) Var Delta + 8 Delta0 tau_c Var eps + tau_c^2 Var eps]   (x N)

    and p_0^site = p_inf (2 a_1^site/a_inf - b_1^site/b_inf) with the map's N = infinity values
    a_inf = F(Delta0), b_inf = s0^4 nc2_x,inf + F(Delta0)^2.

    N Var eps, S', S'' and Delta_1^hom are those of the zero-frequency site term
    (``_site.site_coefficients``, docs/finite_size.md §10.3-10.4): the gains are the same. N ebar
    is solved self-consistently with a_1,x^site (§6.3: s0 ebar = S' (E Delta^het - Delta0) +
    S''/2 Var Delta, N (E Delta^het - Delta0) = Delta_1^hom + a_1,x^site), which includes how
    unit 0's gain moves the other units' variances; fs §10.4 (``n_ebar_zero_frequency``) keeps
    only the unit's own loops (tanh g = 1: N ebar = +0.087 here, -0.012 there; measured +0.17 +-
    0.06 at N = 200).

    Parameters
    ----------
    activation : Activation
        Odd phi.
    g, sigma2 : float
        Coupling and white-noise intensity (> 0).
    nodes : int
        Gauss-Legendre nodes on the half line per frequency integral (w = tan phi, mirrored to
        the full line; the nodes of ``_site``). 8 agrees with 16 to 1e-5 relative at tanh g = 1
        (4: 1e-2); cost 3-6 s, half of it ``site_coefficients``.

    Returns
    -------
    dict
        ``{"x": {"p_0", "a_1", "nc2_1", "b_1", "p_inf", "a_inf", "b_inf", "nc2_inf", "v_1"
        (N Var Delta, hom.), "channels": {"a": {mean, correlated, spread}, "b": {...}}},
        "phi": {"p_0", "a_1", "nc2_1", "b_1", "p_inf", "a_inf", "b_inf", "nc2_inf"},
        "n_var_eps", "n_ebar", "n_ebar_zero_frequency" (fs §10.4's), "tau_c", "nodes"}``.
        ``p_0``, ``a_1``, ``nc2_1`` are the site parts only (N-independent coefficients).

    Raises
    ------
    ValueError
        Non-odd phi, or no stationary noise-driven state (from ``site_coefficients``).
    """
    if not activation.is_odd:
        raise ValueError("odd_phi_required: the linear-equivalent network assumes an odd phi")
    # cached: the finite-size figure and the CLI ask for the same point at many N
    return copy.deepcopy(_coefficients(activation, float(g), float(sigma2), int(nodes)))


@lru_cache(maxsize=64)
def _coefficients(activation: Activation, g: float, sigma2: float, nodes: int) -> dict[str, Any]:
    # own loops: the self-consistent N ebar is solved below (site_coefficients' default calls this)
    site = site_coefficients(activation, g, sigma2, mean_gain_shift="own_loops")
    sc = site["scalars"]
    s0, k2, delta0 = sc.s0, sc.g_eff**2, sc.delta0
    q = sc.white_residual / (s0 * s0)
    ds, d2s, n_var_eps = site["ds"], site["d2s"], site["n_var_eps"]
    z_half, w_half = _frequency_nodes(nodes)
    zs = np.concatenate([z_half, np.conj(z_half)])  # w and -w: Sigma = sum over the full line
    ws = np.concatenate([w_half, w_half])
    grid = _GridTrace(k2, [zs, zs])  # two independent frequency integrals (tr Sigma^2)
    sig = [_sigma_series(grid, axis, zs, ws, q, sigma2) for axis in (0, 1)]
    # Delta_0 = Sigma_00 as an outer loop over numeric nodes, as in _site: Sigma = sum wt (e + e^T)
    delta_terms = []
    for z, wt in zip(z_half, w_half, strict=True):
        e = _sigma_integrand(z, q, sigma2)
        delta_terms.append((_add(e, _T_(e)), wt))

    def n_cov_delta(X: dict) -> float:
        """N Cov(Delta_0, X_00) for X on the symbolic axes (outer loop over Delta_0's nodes)."""
        total = 0.0
        for e, wt in delta_terms:
            grid.reset()
            total += wt * _total(diagonal_covariance(e, X, k2, grid))
        grid.reset()
        return total

    def channels(C: list[_Series]) -> dict[str, Any]:
        """Per-site expansion of tr C/N ("a") and tr C^2/N ("b"); C[m] on axis m. Returns the
        N = infinity value, tau(X) (to be multiplied by N ebar), the correlated and the spread
        channel."""
        out: dict[str, Any] = {}
        for name, S in (("a", C[0]), ("b", C[0] * C[1])):
            X = _first_order_matrix(S.t[1])
            out[name] = {
                "tau0": _total(_tau_expr(S.t[0], k2, grid)),
                "tau_first": _total(_tau_expr(X, k2, grid)),
                "correlated": (ds / s0) * n_cov_delta(X),
                "spread": n_var_eps * _total(_trace_expr(S.t[2], k2, grid)),
            }
        return out

    # ---- x ----
    ch = channels(sig)
    a0, b0 = ch["a"]["tau0"], ch["b"]["tau0"]
    marker = _letter(_P)
    tau_c = _total(_trace_expr(_mul(marker, sig[0].t[1]), k2, grid))  # E dSigma_00/deps_0
    n_var_delta = 2 * (_total(_tau_expr(_mul(sig[0].t[0], sig[1].t[0]), k2, grid)) - a0 * a0)
    # ebar, self-consistently with a_x (= mean Delta_i): s0 ebar = S' (E Delta^het - Delta0) +
    # S''/2 Var Delta, N (E Delta^het - Delta0) = Delta_1^hom + N ebar tau(X_a) + correlated_a +
    # spread_a (docs/finite_size_equal_time.md §6.3; _site keeps only the unit's own loops)
    ca = ch["a"]
    n_ebar = (
        ds * (site["delta_1_hom"] + ca["correlated"] + ca["spread"]) + 0.5 * d2s * n_var_delta
    ) / (s0 - ds * ca["tau_first"])

    def total_site(c: dict[str, float]) -> tuple[float, dict[str, float]]:
        parts = {
            "mean": n_ebar * c["tau_first"],
            "correlated": c["correlated"],
            "spread": c["spread"],
        }
        return sum(parts.values()), parts

    a1, a_parts = total_site(ch["a"])
    b1, b_parts = total_site(ch["b"])
    n_dvar = 2 * tau_c * (ds / s0) * n_var_delta + tau_c**2 * n_var_eps
    p_inf = a0 * a0 / b0
    x = {
        "a_inf": a0,
        "b_inf": b0,
        "nc2_inf": b0 - a0 * a0,
        "p_inf": p_inf,
        "v_1": n_var_delta,
        "a_1": a1,
        "b_1": b1,
        "p_0": p_inf * (2 * a1 / a0 - b1 / b0),
        "nc2_1": b1 - 2 * a0 * a1 - n_dvar,
        "channels": {"a": a_parts, "b": b_parts},
    }

    # ---- phi: S Sigma S off the diagonal, F(Delta_i) on it ----
    f0, f1, f2 = _variance_map(activation, delta0)
    one_e = _Series([_ONE, marker, {}])  # 1 + E
    chp = channels([(one_e * sg * one_e).scale(s0 * s0) for sg in sig])
    t_1, _ = total_site(chp["b"])  # N E[tr (S Sigma S)^2 / N]^site
    cov_eps_delta = (ds / s0) * n_var_delta  # N Cov(eps_0, Delta_0)
    diag4 = s0**4 * (  # N E[mean_i s_i^4 Delta_i^2]^site
        4 * n_ebar * delta0**2
        + 8 * delta0 * cov_eps_delta
        + 6 * delta0**2 * n_var_eps
        + 2 * delta0 * a1
        + 2 * tau_c * cov_eps_delta
        + 8 * delta0 * tau_c * n_var_eps
        + tau_c**2 * n_var_eps
    )
    o_1 = t_1 - diag4
    a1_phi = f1 * a1 + 0.5 * f2 * n_dvar
    b1_phi = o_1 + 2 * f0 * f1 * a1 + (f1 * f1 + f0 * f2) * n_dvar
    nc2_inf_phi = s0**4 * (b0 - a0 * a0)
    b_inf_phi = nc2_inf_phi + f0 * f0
    p_inf_phi = f0 * f0 / b_inf_phi
    phi = {
        "a_inf": f0,
        "b_inf": b_inf_phi,
        "nc2_inf": nc2_inf_phi,
        "p_inf": p_inf_phi,
        "a_1": a1_phi,
        "b_1": b1_phi,
        "p_0": p_inf_phi * (2 * a1_phi / f0 - b1_phi / b_inf_phi),
        "nc2_1": o_1,
    }
    return {
        "x": x,
        "phi": phi,
        "n_var_eps": n_var_eps,
        "n_ebar": n_ebar,
        "n_ebar_zero_frequency": site["n_ebar"],
        "tau_c": tau_c,
        "nodes": int(nodes),
    }


def _variance_map(activation: Activation, delta0: float) -> tuple[float, float, float]:
    """F, F', F'' at Delta0 of F(D) = <phi^2>_D - <phi>_D^2 (central differences)."""
    h = 1e-3 * delta0

    def f(d: float) -> float:
        m = float(gauss_average(activation, "phi_mean", d))
        return float(gauss_average(activation, "phi2", d)) - m * m

    fm, f0, fp = f(delta0 - h), f(delta0), f(delta0 + h)
    return f0, (fp - fm) / (2 * h), (fp - 2 * f0 + fm) / (h * h)
