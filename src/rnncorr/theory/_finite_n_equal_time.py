r"""Equal-time 1/N corrections of noise-driven networks (docs/finite_size_equal_time.md).

Linear-equivalent network at equal time (docs/finite_size.md §5, §8.2), J_ij iid N(0, g^2/N),
k = g_eff = g s0, white residual of intensity Q (``SiteScalars.white_residual``)::

    (1 - s0 J) Sigma + Sigma (1 - s0 J)^T = sigma2 1 + Q J J^T                  (Lyapunov)
    Sigma = int dw/2pi C(w),  C(w) = alpha(w) A A^H + beta (A - 1)(A - 1)^H,
    A = A(z_w) = (1 - z_w Jt)^-1,  z_w = k/(1 + i w),  Jt = J/g,  alpha = sigma2/(1 + w^2),
    beta = Q/s0^2

The normalised traces a = tr Sigma/N and b = tr Sigma^2/N are frequency integrals of the word
moments (1/N) E tr of words in A(z) and A(z)^T with *complex* gains; :func:`complex_word_moments`
extends the Schwinger-Dyson recursion of ``_finite_n._word_moments`` (one real gain) to letters
that carry their own gain: a J-J^T (planar) pairing of letters with gains z, y carries z y, a
J-J (twisted, GinOE) pairing the same product at order 1/N. Then

    E[a] = a_inf + a_1/N,   E[b] = b_inf + b_1/N,   E[PR] = N a_inf^2/b_inf + p_0,
    p_0 = p_inf (2 a_1/a_inf - b_1/b_inf)       (fluctuations of a, b enter at O(1/N), §2.7)

on a Gauss-Legendre grid in theta = arctan(w) (one dimension for a, two for b).

phi at equal time is not linear in x: for a Gaussian pair, Cov(phi_i, phi_j) = S_i S_j C_ij +
S3_i S3_j C_ij^3/6 + ... (Hermite / Price expansion, S = <phi'>, S3 = <phi'''> = 2 dS/dDelta)
and Var phi_i = F(Delta_i) = <phi^2>_{Delta_i} - <phi>^2. :func:`equal_time_network_statistics`
maps the Lyapunov Sigma of one J (with per-unit gains, ``_heterogeneous``) to both covariance
matrices; :func:`equal_time_montecarlo` averages over J (the paired het - hom difference is the
site term, derived analytically in ``_site_equal_time``, docs/finite_size_equal_time.md §6).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy.linalg import solve_continuous_lyapunov

from rnncorr.activations import Activation
from rnncorr.estimators import scalar_mean_and_standard_error
from rnncorr.theory._gauss import gauss_average
from rnncorr.theory._heterogeneous import (
    SiteScalars,
    _statistics,
    self_consistent_gains,
    site_scalars,
)

__all__ = [
    "complex_word_moments",
    "equal_time_linear_equivalent_series",
    "equal_time_covariances",
    "equal_time_finite_n_coefficients",
    "equal_time_montecarlo",
    "equal_time_network_statistics",
    "equal_time_prediction",
    "equal_time_series",
    "phi_covariance_map",
    "spectral_series",
]

# A letter is (transposed, gain index): (0, i) = A(z_i) = (1 - z_i J)^-1, (1, i) = A(z_i)^T,
# J_ij iid N(0, 1/N). A(z)^H = A(conj z)^T for real J: conjugates get their own index.
Letter = tuple[int, int]
Word = tuple[Letter, ...]


def _transpose(word: Word) -> Word:
    return tuple((1 - t, i) for t, i in reversed(word))


def _canonical(word: Word) -> Word:
    """Smallest rotation of the word or of its transpose (tr is invariant under both)."""
    n = len(word)
    return min(v[r:] + v[:r] for v in (word, _transpose(word)) for r in range(max(n, 1)))


def _leading(word: Word, z: tuple[complex, ...], memo: dict) -> complex:
    """phi0(w): free (circular-element) moments; a planar pairing of gains z, y carries z y."""
    w = _canonical(word)
    if w in memo:
        return memo[w]
    n = len(w)
    if n == 0 or all(t == w[0][0] for t, _ in w):
        # words of A's only (or A^T's only) are analytic in the circular element: tau = f(0)
        result: complex = 1.0
    else:
        v = next(w[r:] + w[:r] for r in range(n) if w[r][0] == 0 and w[r - 1][0] == 1)
        z0 = z[v[0][1]]
        rest = _leading(v[1:], z, memo)
        for k in range(1, n - 1):
            t, i = v[k]
            if t == 1:
                rest += z0 * z[i] * _leading(v[:k] + (v[k],), z, memo) * _leading(v[k:], z, memo)
        result = rest / (1 - z0 * z[v[-1][1]])
    memo[w] = result
    return result


def complex_word_moments(
    word: Word, z: tuple[complex, ...], _memo: dict | None = None
) -> tuple[complex, complex]:
    r"""Leading and 1/N coefficients of (1/N) E tr(w), w a word in A(z_i) and A(z_i)^T.

    A(z) = (1 - z J)^-1, J_ij iid N(0, 1/N) real. With A(z) = 1 + z J A(z) on a first letter
    A(z0) and Gaussian integration by parts (dA(y)/dJ_ij = y A(y) e_i e_j^T A(y))::

        phi(A(z0) R) = phi(R) + z0 phi(J A(z0) R)
        phi(J W) = sum_{W = P A(y)^T Q} y phi(P A(y)^T) phi(A(y)^T Q)          (planar)
                 + (1/N) sum_{W = P A(y) Q} y phi0(A(y)^T P^T A(y) Q)          (twisted, GinOE)
                 + O(1/N^2)

    the complex-gain version of docs/finite_size.md §2.1 (there every gain is g). The planar
    term of the last letter (an A^T, the word is rotated to end with one) contains phi(w)
    itself and is solved for.

    Parameters
    ----------
    word : tuple of (transposed, index)
        Letters left to right: (0, i) is A(z[i]), (1, i) is A(z[i])^T.
    z : tuple of complex
        The gains; |z_i z_j| < 1 for the planar series to converge (stable network).

    Returns
    -------
    (phi0, phi1) : complex
        (1/N) E tr(w) = phi0 + phi1/N + O(1/N^2).
    """
    memo: dict = {"leading": {}} if _memo is None else _memo
    lead = memo["leading"]
    w = _canonical(tuple(word))
    if w in memo:
        return memo[w]
    n = len(w)
    w0 = _leading(w, z, lead)
    if n == 0:
        w1: complex = 0.0
    elif all(t == w[0][0] for t, _ in w):
        if w[0][0] == 1:
            w1 = complex_word_moments(_transpose(w), z, memo)[1]
        else:  # no planar pairing: phi(A R) = phi(R) + z0 (1/N) sum_k y_k phi0(twisted)
            z0 = z[w[0][1]]
            w1 = complex_word_moments(w[1:], z, memo)[1]
            for k in range(n):
                p, q = w[:k], w[k + 1 :]
                w1 += (
                    z0
                    * z[w[k][1]]
                    * _leading(((1, w[k][1]),) + _transpose(p) + (w[k],) + q, z, lead)
                )
    else:
        v = next(w[r:] + w[:r] for r in range(n) if w[r][0] == 0 and w[r - 1][0] == 1)
        z0, y_last = z[v[0][1]], z[v[-1][1]]
        m1 = complex_word_moments((v[-1],), z, memo)[1]  # phi(A(y)^T) = 1 + m1/N
        rest1 = complex_word_moments(v[1:], z, memo)[1]
        for k in range(n - 1):
            p, q = v[:k], v[k + 1 :]
            t, i = v[k]
            if t == 1:
                a, b = p + (v[k],), (v[k],) + q
                rest1 += (
                    z0
                    * z[i]
                    * (
                        complex_word_moments(a, z, memo)[1] * _leading(b, z, lead)
                        + _leading(a, z, lead) * complex_word_moments(b, z, memo)[1]
                    )
                )
            else:
                rest1 += z0 * z[i] * _leading(((1, i),) + _transpose(p) + (v[k],) + q, z, lead)
        w1 = (rest1 + z0 * y_last * w0 * m1) / (1 - z0 * y_last)
    memo[w] = (w0, w1)
    return memo[w]


def _covariance_terms(c: tuple[float, float, float, float], i: int, j: int) -> list:
    """C(w) = c0 A A^H + c1 A + c2 A^H + c3 as (coefficient, word) pairs, A = A(z_i),
    A^H = A(z_j)^T with z_j = conj(z_i)."""
    a, ah = (0, i), (1, j)
    return [(c[0], (a, ah)), (c[1], (a,)), (c[2], (ah,)), (c[3], ())]


def spectral_series(
    g_eff: float,
    omega: np.ndarray,
    weight: np.ndarray,
    coefficients: np.ndarray,
) -> dict[str, float]:
    r"""a = tr Sigma/N and b = tr Sigma^2/N to O(1/N) for Sigma = int dw/2pi C(w).

        C(w) = c0(w) A A^H + c1(w) A + c2(w) A^H + c3(w),   A = (1 - z_w Jt)^-1,  z_w = k/(1+iw)
        a = sum_m p_m (1/N) E tr C(w_m),   b = sum_mn p_m p_n (1/N) E tr C(w_m) C(w_n)

    with the word moments of :func:`complex_word_moments` (each to O(1/N)).

    Parameters
    ----------
    g_eff : float
        k = g s0 in [0, 1).
    omega, weight : ndarray (M,)
        Nodes and weights of int dw/2pi (e.g. ``_dmft.frequency_grid``).
    coefficients : ndarray (M, 4)
        c0..c3 at the nodes. x: (alpha + beta, -beta, -beta, beta) with alpha = K/(1 + w^2),
        beta = P(w)/s0^2; phi: (E, 0, 0, 0) with E = s0^2 K/(1 + w^2) + P(w) (docs/theory.md §1).

    Returns
    -------
    dict
        ``a_inf, a_1, b_inf, b_1, p_inf = a_inf^2/b_inf, p_0 = p_inf (2 a_1/a_inf - b_1/b_inf)``,
        ``v_1`` = N Var_i Sigma_ii (cavity, leading order), ``nc2_inf = b_inf - a_inf^2`` and
        ``nc2_1 = nc2_inf + b_1 - 2 a_inf a_1 - v_1`` (E[Nc2] = nc2_inf + nc2_1/N; Nc2 =
        N/(N - 1) (b - mean_i Sigma_ii^2), as docs/finite_size.md §2.6).
    """
    k = float(g_eff)
    if not (math.isfinite(k) and 0 <= k < 1):
        raise ValueError(f"g_eff must satisfy 0 <= g_eff < 1, got {g_eff!r}")
    omega = np.asarray(omega, dtype=float)
    weight = np.asarray(weight, dtype=float)
    coefficients = np.asarray(coefficients, dtype=float)
    zs = k / (1 + 1j * omega)
    a0 = a1 = 0.0
    for m in range(len(omega)):
        z = (zs[m], np.conj(zs[m]))
        memo: dict = {"leading": {}}
        for c, word in _covariance_terms(coefficients[m], 0, 1):
            f0, f1 = complex_word_moments(word, z, memo)
            a0 += weight[m] * c * complex(f0).real
            a1 += weight[m] * c * complex(f1).real
    b0 = b1 = v1 = 0.0
    # cavity (docs/finite_size_equal_time.md §2.5): delta C_ii(w) = c0 dQ(w) + 2 d(w) Re v_i(z),
    # d = c0 L + (c1 + c2)/2, L = 1/(1 - |z|^2)
    lw = 1.0 / (1.0 - np.abs(zs) ** 2)
    dw = coefficients[:, 0] * lw + 0.5 * (coefficients[:, 1] + coefficients[:, 2])
    for m in range(len(omega)):
        for n in range(m, len(omega)):  # tr C(w) C(w') = tr C(w') C(w): upper triangle, doubled
            z = (zs[m], np.conj(zs[m]), zs[n], np.conj(zs[n]))
            memo = {"leading": {}}
            t0 = t1 = 0.0
            for c1, u in _covariance_terms(coefficients[m], 0, 1):
                for c2, v in _covariance_terms(coefficients[n], 2, 3):
                    if c1 == 0 or c2 == 0:
                        continue
                    f0, f1 = complex_word_moments(u + v, z, memo)
                    t0 += c1 * c2 * complex(f0).real
                    t1 += c1 * c2 * complex(f1).real
            pair = weight[m] * weight[n] * (1 if m == n else 2)
            b0 += pair * t0
            b1 += pair * t1
            lead = memo["leading"]
            xy = _leading(((0, 0), (1, 1), (0, 2), (1, 3)), z, lead)
            xyb = _leading(((0, 0), (1, 1), (0, 3), (1, 2)), z, lead)
            za, zb = zs[m], zs[n]
            quad = abs(za * zb) ** 2 * (complex(xy).real + complex(xyb).real)
            lin = 2 * (za * zb / (1 - za * zb) + za * np.conj(zb) / (1 - za * np.conj(zb))).real
            v1 += pair * (coefficients[m, 0] * coefficients[n, 0] * quad + dw[m] * dw[n] * lin)
    p_inf = a0**2 / b0
    nc2_inf = b0 - a0**2
    return {
        "a_inf": float(a0),
        "a_1": float(a1),
        "b_inf": float(b0),
        "b_1": float(b1),
        "p_inf": float(p_inf),
        "p_0": float(p_inf * (2 * a1 / a0 - b1 / b0)),
        "v_1": float(v1),
        "nc2_inf": float(nc2_inf),
        "nc2_1": float(nc2_inf + b1 - 2 * a0 * a1 - v1),
    }


def _theta_grid(nodes: int, scale: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """w = scale tan(theta), Gauss-Legendre in theta: nodes and weights of int dw/2pi."""
    x, wts = np.polynomial.legendre.leggauss(int(nodes))
    theta = x * math.pi / 2
    omega = scale * np.tan(theta)
    return omega, wts * (math.pi / 2) * scale / np.cos(theta) ** 2 / (2 * math.pi)


def equal_time_linear_equivalent_series(
    g_eff: float,
    s0: float,
    sigma2: float,
    white_residual: float,
    *,
    nodes: int = 48,
) -> dict[str, float]:
    r"""Equal-time a, b, PR of x to O(1/N), homogeneous network with a *white* residual Q.

    :func:`spectral_series` with alpha = sigma2/(1 + w^2), beta = Q/s0^2: the network whose
    Lyapunov equation is (1 - s0 J) Sigma + Sigma (1 - s0 J)^T = sigma2 + Q J J^T (the
    ``_heterogeneous`` network with every gain s0). Linear network: s0 = 1, Q = 0, and then
    a_inf = sigma2/(2 sqrt(1 - g^2)) (science.md §4).
    """
    omega, weight = _theta_grid(nodes)
    alpha = sigma2 / (1 + omega**2)
    beta = np.full_like(omega, float(white_residual) / s0**2)
    c = np.stack([alpha + beta, -beta, -beta, beta], axis=1)
    return spectral_series(g_eff, omega, weight, c)


def equal_time_series(
    activation: Activation, g: float, sigma2: float, *, nodes: int = 40
) -> dict[str, dict[str, float]]:
    r"""Equal-time 1/N series of x and phi of the homogeneous linear-equivalent network.

    The residual r = phi - S0 x has the DMFT power spectrum P(w) = C_phi(w) - S0^2 Delta(w)
    (docs/theory.md §1 (P)), C_phi(w) the single-site spectrum of the white-noise lag solution
    (``_dmft.solve_white_noise``, step ``DU_NOISY``). Then (docs/theory.md (C))

        x:    c = (alpha + beta, -beta, -beta, beta),  alpha = sigma2/(1 + w^2), beta = P/S0^2
        phi:  c = (E, 0, 0, 0),                        E = S0^2 sigma2/(1 + w^2) + P

    and :func:`spectral_series`. At N = infinity these are (T-x) and (R3) (same integrals, a
    coarser grid); the 1/N coefficients are those of the linear-equivalent network: they leave
    out the gain heterogeneity (site term: ``_site_equal_time``, :func:`equal_time_montecarlo`) and
    the finite-N shift of the single-site scalars (docs/finite_size.md §7, +0.008 in p_0 at tanh
    g = 0.5).

    phi: the network's off-diagonal part with the single-site diagonal Var phi_i = F(Delta_i)
    (:func:`_phi_diagonal_corrected`); ``phi_le`` is the plain linear-equivalent phi series,
    kept for comparison (rejected by simulation, docs/finite_size_equal_time.md §3).

    Returns
    -------
    dict
        ``{"x": {a_inf, a_1, b_inf, b_1, p_inf, p_0, v_1, nc2_inf, nc2_1}, "phi": {...},
        "phi_le": {...}, "g_eff", "s0"}``.
    """
    from rnncorr.theory._dmft import pair_table, solve_white_noise, spectrum
    from rnncorr.theory._noisy import single_site

    site = single_site(activation, g, sigma2)
    if not site.valid:
        raise ValueError(f"no stationary single-site solution: {site.reason}")
    sol = solve_white_noise(activation, g, sigma2, site, table=pair_table(activation, site.delta0))
    k = g * site.s0
    omega, weight = _theta_grid(nodes, scale=max(math.sqrt(1 - k * k), 1e-3))
    cphi = spectrum(sol.cphi, sol.u, omega, "filon")
    s2 = site.s0**2 / (1 + omega**2)
    residual = np.maximum(cphi * (1 - g * g * s2) - s2 * sigma2, 0.0)
    alpha = sigma2 / (1 + omega**2)
    beta = residual / site.s0**2
    cx = np.stack([alpha + beta, -beta, -beta, beta], axis=1)
    cphi_le = np.stack([s2 * sigma2 + residual, 0 * omega, 0 * omega, 0 * omega], axis=1)
    out: dict[str, Any] = {"g_eff": k, "s0": site.s0}
    for var, c in (("x", cx), ("phi_le", cphi_le)):
        out[var] = spectral_series(k, omega, weight, c)
    out["phi"] = _phi_diagonal_corrected(activation, out["x"], out["phi_le"])
    return out


def _phi_diagonal_corrected(
    activation: Activation, x: dict[str, float], le: dict[str, float]
) -> dict[str, float]:
    r"""phi series with the diagonal of C_phi from the single site, the rest from the network.

    The linear-equivalent network makes Var phi_i = int E(w) (A A^H)_ii dw/2pi follow the
    unit-to-unit spread of (A A^H)_ii; in the network x_i is Gaussian with variance Delta_i =
    Sigma_ii, so Var phi_i = F(Delta_i), F(D) = <phi^2>_D - <phi>_D^2, exactly. With the mean and
    spread of Delta_i from the x series (a_1, v_1):

        a_phi,1 = F' a_x,1 + F''/2 v_x,1,     v_phi,1 = F'^2 v_x,1
        off-diagonal part o_1 = b_1 - 2 a_inf a_1 - v_1 kept from the network (its N = infinity
        value is (R3)),  b_phi,1 = o_1 + 2 a_phi,inf a_phi,1 + v_phi,1

    (docs/finite_size_equal_time.md §3; tanh g = 0.5: F' = 0.308 against the network's
    effective 0.53, v_phi,1 = 0.0042 against 0.0118).
    """
    d0 = x["a_inf"]
    h = 1e-3 * d0

    def f(d: float) -> float:
        m = float(gauss_average(activation, "phi_mean", d))
        return float(gauss_average(activation, "phi2", d)) - m * m

    f1 = (f(d0 + h) - f(d0 - h)) / (2 * h)
    f2 = (f(d0 + h) - 2 * f(d0) + f(d0 - h)) / h**2
    a_inf, b_inf = le["a_inf"], le["b_inf"]
    a1 = f1 * x["a_1"] + 0.5 * f2 * x["v_1"]
    v1 = f1 * f1 * x["v_1"]
    o1 = le["b_1"] - 2 * a_inf * le["a_1"] - le["v_1"]
    b1 = o1 + 2 * a_inf * a1 + v1
    p_inf = a_inf**2 / b_inf
    nc2_inf = b_inf - a_inf**2
    return {
        "a_inf": a_inf,
        "a_1": float(a1),
        "b_inf": b_inf,
        "b_1": float(b1),
        "p_inf": p_inf,
        "p_0": float(p_inf * (2 * a1 / a_inf - b1 / b_inf)),
        "v_1": float(v1),
        "nc2_inf": nc2_inf,
        "nc2_1": float(nc2_inf + b1 - 2 * a_inf * a1 - v1),
    }


# --------------------------------------------------------------------------------------------
# One J: the equal-time covariances of x and phi of the (heterogeneous) linear-equivalent network
# --------------------------------------------------------------------------------------------


def _gain_slope(activation: Activation, variances: np.ndarray) -> np.ndarray:
    """dS/dDelta by central differences (S3 = <phi'''> = 2 dS/dDelta, Price's theorem)."""
    h = 1e-4 * np.maximum(variances, 1e-3)
    up = gauss_average(activation, "dphi", variances + h)
    down = gauss_average(activation, "dphi", variances - h)
    return (np.asarray(up) - np.asarray(down)) / (2 * h)


def equal_time_covariances(
    J: np.ndarray,
    activation: Activation,
    scalars: SiteScalars,
    *,
    heterogeneous: bool = True,
) -> dict[str, Any]:
    r"""Equal-time covariance matrices of x and phi of the linear-equivalent network on one J.

        x:    A Sigma + Sigma A^T = sigma2 1 + Q J J^T,  A = 1 - J diag(s),  s_i = S(Delta_i)
        phi:  C_phi,ii = <phi^2>_{Delta_i} - <phi>_{Delta_i}^2,
              C_phi,ij = s_i s_j Sigma_ij + S3_i S3_j Sigma_ij^3 / 6          (i != j)

    (Hermite expansion of a jointly Gaussian pair, S3 = <phi'''> = 2 dS/dDelta.) The phi map is
    approximate: x_i and x_j are not jointly Gaussian at O(N^-1/2) (x_i is driven by phi_j
    through J_ij), which the N = infinity (R3) accounts for through the coloured residual; this
    map gives Nc2_phi about 4 % below (R3) at tanh g = 0.5 (docs/finite_size_equal_time.md).
    ``heterogeneous=False``: s_i = s0 and S3 at Delta0 on every unit.

    Returns
    -------
    dict
        ``x`` (N, N), ``phi`` (N, N), ``gains`` (N,), ``stable``, ``reason``; the matrices are
        None when the network has no stationary state.
    """
    J = np.asarray(J, dtype=float)
    n = J.shape[0]
    sol = self_consistent_gains(J, activation, scalars, heterogeneous=heterogeneous)
    out: dict[str, Any] = {"stable": sol["stable"], "reason": sol["reason"], "x": None, "phi": None}
    if not sol["stable"]:
        return out
    gains = sol["gains"]
    A = np.eye(n) - J * gains[None, :]
    noise = scalars.sigma2 * np.eye(n) + scalars.white_residual * (J @ J.T)
    sigma = solve_continuous_lyapunov(A, noise)
    sigma = 0.5 * (sigma + sigma.T)
    gain_var = None if heterogeneous else np.full(n, scalars.delta0)
    out.update(x=sigma, phi=phi_covariance_map(sigma, activation, gain_var), gains=gains)
    return out


def phi_covariance_map(
    sigma: np.ndarray, activation: Activation, gain_variances: np.ndarray | None = None
) -> np.ndarray:
    r"""Equal-time covariance of phi from that of x (Hermite expansion of a Gaussian pair)::

        C_phi,ii = <phi^2>_{Delta_i} - <phi>_{Delta_i}^2,
        C_phi,ij = s_i s_j Sigma_ij + S3_i S3_j Sigma_ij^3 / 6     (i != j)

    with s_i = S(v_i), S3_i = 2 S'(v_i) at v = ``gain_variances`` (default: Delta_i = Sigma_ii).
    """
    delta = np.diag(sigma).copy()
    gain_var = delta if gain_variances is None else np.asarray(gain_variances, dtype=float)
    s = np.asarray(gauss_average(activation, "dphi", gain_var))
    s3 = 2 * _gain_slope(activation, gain_var)
    c_phi = np.outer(s, s) * sigma + np.outer(s3, s3) * sigma**3 / 6
    mean = np.asarray(gauss_average(activation, "phi_mean", delta))
    np.fill_diagonal(c_phi, np.asarray(gauss_average(activation, "phi2", delta)) - mean**2)
    return c_phi


def equal_time_network_statistics(
    J: np.ndarray,
    activation: Activation,
    scalars: SiteScalars,
    *,
    heterogeneous: bool = True,
) -> dict[str, Any]:
    r"""Equal-time a, Nc2, PR/N of x and phi of the linear-equivalent network on one J.

    The statistics of :func:`equal_time_covariances`: a = tr C/N, Nc2 = (tr C^2 - sum_i C_ii^2)
    / (N - 1), PR/N = (tr C)^2 / (N tr C^2).

    Returns
    -------
    dict
        ``{"x": {a, nc2, pr_over_n}, "phi": {...}, "stable": bool, "reason"}``; NaN when the
        network has no stationary state.
    """
    cov = equal_time_covariances(J, activation, scalars, heterogeneous=heterogeneous)
    out: dict[str, Any] = {"stable": cov["stable"], "reason": cov["reason"]}
    if not cov["stable"]:
        nan = {"a": math.nan, "nc2": math.nan, "pr_over_n": math.nan}
        return {**out, "x": dict(nan), "phi": dict(nan)}
    for var in ("x", "phi"):  # the zero-frequency statistics' formulas (a, Nc2, PR/N)
        stats = _statistics(cov[var])
        out[var] = {k: stats[k] for k in ("a", "nc2", "pr_over_n")}
    return out


def equal_time_montecarlo(
    activation: Activation,
    g: float,
    sigma2: float,
    N: int,
    n_samples: int,
    seed: int | np.random.SeedSequence,
) -> dict[str, Any]:
    r"""J average of :func:`equal_time_network_statistics`, heterogeneous and homogeneous.

    J_ij iid N(0, g^2/N), both networks on the same J (their difference is the equal-time site
    term). Returns ``{"het": {var: {stat: (mean, se)}}, "hom": ..., "het_minus_hom": ...,
    "n_samples", "excluded"}``. Cost: a few N x N Lyapunov solves per J (N = 100: ~0.3 s).
    """
    if int(N) != N or N < 2:
        raise ValueError(f"N must be an integer >= 2, got {N!r}")
    scalars = site_scalars(activation, g, sigma2)
    rng = np.random.default_rng(seed)
    keys = ("a", "nc2", "pr_over_n")
    rows: dict[str, dict[str, dict[str, list[float]]]] = {
        k: {v: {s: [] for s in keys} for v in ("x", "phi")} for k in ("het", "hom", "het_minus_hom")
    }
    excluded = 0
    for _ in range(int(n_samples)):
        J = rng.standard_normal((int(N), int(N))) * (g / math.sqrt(N))
        het = equal_time_network_statistics(J, activation, scalars)
        hom = equal_time_network_statistics(J, activation, scalars, heterogeneous=False)
        if not (het["stable"] and hom["stable"]):
            excluded += 1
            continue
        for var in ("x", "phi"):
            for s in keys:
                rows["het"][var][s].append(het[var][s])
                rows["hom"][var][s].append(hom[var][s])
                rows["het_minus_hom"][var][s].append(het[var][s] - hom[var][s])
    out: dict[str, Any] = {"n_samples": int(n_samples) - excluded, "excluded": excluded}
    for key, per_var in rows.items():
        out[key] = {
            var: {s: scalar_mean_and_standard_error(v) for s, v in stats.items()}
            for var, stats in per_var.items()
        }
    return out


def equal_time_finite_n_coefficients(
    activation: Activation, g: float, sigma2: float, *, nodes: int = 24, site_nodes: int = 8
) -> dict[str, Any]:
    r"""N-independent coefficients of the complete equal-time 1/N series (x and phi).

        E[PR] = N p_inf + p_0,  E[a] = a_inf + a_1/N,  E[Nc2] = nc2_inf + nc2_1/N,
        p_0 = p_0^LE + p_0^site,  a_1 = a_1^LE + a_1^site,  nc2_1 = nc2_1^LE + nc2_1^site

    LE: :func:`equal_time_series` (homogeneous network, phi diagonal-corrected); site: the
    analytic term of ``_site_equal_time.equal_time_site_coefficients``
    (docs/finite_size_equal_time.md §6). The equal-time analogue of
    ``_site.finite_n_coefficients`` (for a dataset or table; no validity flag here -- the
    series' range is that of the zero-frequency one, N (1 - g_eff^2)^2 >= 20).

    Returns
    -------
    dict
        ``{"x": {p_inf, p_0, a_inf, a_1, nc2_inf, nc2_1, p_0_le, p_0_site, a_1_le, a_1_site,
        nc2_1_le, nc2_1_site}, "phi": {...}, "g_eff"}``.
    """
    from rnncorr.theory._site_equal_time import equal_time_site_coefficients

    ser = equal_time_series(activation, g, sigma2, nodes=nodes)
    site = equal_time_site_coefficients(activation, g, sigma2, nodes=site_nodes)
    out: dict[str, Any] = {"g_eff": ser["g_eff"]}
    for var in ("x", "phi"):
        c, st = ser[var], site[var]
        out[var] = {
            "p_inf": c["p_inf"],
            "a_inf": c["a_inf"],
            "nc2_inf": c["nc2_inf"],
            "p_0": c["p_0"] + st["p_0"],
            "a_1": c["a_1"] + st["a_1"],
            "nc2_1": c["nc2_1"] + st["nc2_1"],
            "p_0_le": c["p_0"],
            "a_1_le": c["a_1"],
            "nc2_1_le": c["nc2_1"],
            "p_0_site": st["p_0"],
            "a_1_site": st["a_1"],
            "nc2_1_site": st["nc2_1"],
        }
    return out


def equal_time_prediction(
    activation: Activation,
    g: float,
    sigma2: float,
    N: int,
    *,
    nodes: int = 24,
    site_samples: int = 0,
    seed: int = 0,
    site_method: str = "analytic",
    site_nodes: int = 8,
) -> dict[str, Any]:
    r"""Equal-time statistics at size N: the 1/N series of :func:`equal_time_series` + site term.

        a = a_inf + a_1/N,   Nc2 = nc2_inf + nc2_1/N,   PR = N p_inf + p_0       (homogeneous)
        ..._with_site: the same plus the site term (gain heterogeneity) a_1^site/N,
        nc2_1^site/N, p_0^site

    Homogeneous linear-equivalent network with the DMFT residual spectrum; phi uses the
    diagonal-corrected series (docs/finite_size_equal_time.md §3). The site term is analytic
    by default (``site_method="analytic"``: ``_site_equal_time.equal_time_site_coefficients``,
    docs/finite_size_equal_time.md §6; N-independent coefficients, the N -> infinity limit of
    the het - hom difference). With ``site_samples`` > 0 the Monte Carlo of
    :func:`equal_time_montecarlo` at this N (het - hom on the same J) is added as an
    independent check under ``site_montecarlo`` (mean, se in PR), ``a_site_montecarlo``,
    ``nc2_site_montecarlo``; ``site_method="montecarlo"`` makes it the site term used in the
    ``..._with_site`` keys instead. At tanh g = 0.5, N = 100: PR_x/N = 0.92831 (series) +
    0.00023 (site) against the simulated 0.92863 +- 0.00011 (§2.4, §6.5).

    Returns
    -------
    dict
        ``{"N", "g_eff", "site_method", "x": {"pr_over_n", "pr", "a", "p_inf", "p_0", "a_1",
        "nc2", "nc2_1", "site" ((p_0^site, s.e.) in PR; s.e. 0 for the analytic term),
        "p_0_site", "a_1_site", "nc2_1_site", "pr_with_site", "pr_over_n_with_site",
        "a_with_site", "nc2_with_site" [, "site_montecarlo", "a_site_montecarlo",
        "nc2_site_montecarlo"]}, "phi": {...}, "validated"}``. ``site_method="none"`` leaves the
        site keys out.
    """
    if site_method not in ("analytic", "montecarlo", "none"):
        raise ValueError(f"site_method must be analytic, montecarlo or none, got {site_method!r}")
    if site_method == "montecarlo" and not site_samples:
        raise ValueError("site_method='montecarlo' needs site_samples > 0")
    ser = equal_time_series(activation, g, sigma2, nodes=nodes)
    out: dict[str, Any] = {
        "N": int(N),
        "g_eff": ser["g_eff"],
        "site_method": site_method,
        "validated": {"x": True, "phi": True},
    }
    mc = None
    if site_samples:
        mc = equal_time_montecarlo(activation, g, sigma2, int(N), int(site_samples), seed)
    analytic = None
    if site_method == "analytic":
        from rnncorr.theory._site_equal_time import equal_time_site_coefficients

        analytic = equal_time_site_coefficients(activation, g, sigma2, nodes=site_nodes)
    for var in ("x", "phi"):
        c = ser[var]
        pr = N * c["p_inf"] + c["p_0"]
        a = c["a_inf"] + c["a_1"] / N
        nc2 = c["nc2_inf"] + c["nc2_1"] / N
        block = {
            "pr": pr,
            "pr_over_n": pr / N,
            "a": a,
            "p_inf": c["p_inf"],
            "p_0": c["p_0"],
            "a_1": c["a_1"],
            "nc2": nc2,
            "nc2_1": c["nc2_1"],
        }
        if mc is not None:
            d = mc["het_minus_hom"][var]
            block["site_montecarlo"] = (N * d["pr_over_n"][0], N * d["pr_over_n"][1])
            block["a_site_montecarlo"] = d["a"]
            block["nc2_site_montecarlo"] = d["nc2"]
        if analytic is not None:
            st = analytic[var]
            site = (st["p_0"], 0.0)
            p0s, a1s, n1s = st["p_0"], st["a_1"], st["nc2_1"]
        elif mc is not None and site_method == "montecarlo":
            site = block["site_montecarlo"]
            p0s, a1s, n1s = site[0], N * block["a_site_montecarlo"][0], N * d["nc2"][0]
        else:
            out[var] = block
            continue
        block.update(
            site=site,
            p_0_site=p0s,
            a_1_site=a1s,
            nc2_1_site=n1s,
            pr_with_site=pr + p0s,
            pr_over_n_with_site=(pr + p0s) / N,
            a_with_site=a + a1s / N,
            nc2_with_site=nc2 + n1s / N,
        )
        out[var] = block
    return out
