r"""Non-Gaussian gain of a unit fed back onto itself by the loops of J (docs/finite_size.md §10.7).

The heterogeneous linear-equivalent network (``_heterogeneous``, §8) gives unit i the Gaussian
gain s_i = S(Delta_i) = <phi'(x)>_{x ~ N(0, Delta_i)}. At finite N unit i also feeds back onto
itself through the loops of J -- the self-coupling J_ii and, with the other units responding
linearly with gain S0 at leading order, the loops r_i^(n) = [J (S0 J)^n]_ii, each a strength of
O(1/sqrt(N)) -- so its field is not Gaussian:

    x_i = x0 + sum_n r_i^(n) (K_n * phi(x0)),   K_n(v) = v^n e^-v / n!   (the n + 1 links' kernel)

with x0 the Gaussian N = infinity field of autocovariance C(v) (the Newton particle, dC/dv =
-sqrt(2 D(C)), C(0) = Delta0; science.md §3). To first order in one kernel K (int K = 1) of
strength r:

    kappa4 / Delta0^2 = 4 r S3 int K(v) C(v)^3 dv / Delta0^2
    s^zf - S(Var x)  = r [ a_phi/a_x + int K(v) P2(v) dv - 2 S0^2 - S3 S0 int K(v) C(v) dv ]
    P2(v) = E phi''(x_t) phi(x_t-v) + E phi'(x_t) phi'(x_t-v),   a_x = sigma2 + g^2 a_phi

where S3 = <phi'''>, s^zf = C_phi,x(w=0)/C_x(w=0) is the unit's zero-frequency regression gain
and S(Var x) the Gaussian gain at its actual variance (d Var x = 2 r S0 int K C, S' = S3/2).
Derivation: cum(x, x, x, f(z)) = Cov(x, z)^3 <f'''> for Gaussian x, z; the gain expanded to first
order with the Stein lemma for the three-point term E[phi'(x_t) y_t x_t-u]. For a linear phi
both vanish. Per unit, the correction is

    s_i^zf - S(Delta_i) = sum_n gain_n r_i^(n)        (:func:`loop_gain_corrections`)

Validation (tanh g = 1, sigma2 = 1, N = 100, 32 J x 16 x 2000, paired simulations,
``benchmarks/finite_size_missing_term.py``): the measured per-unit deviations s_i^zf - S(Delta_i)
regress on this prediction with slope 1.01 +- 0.04, the measured kurtoses on the predicted ones
with slope 0.98 +- 0.01 (kappa4/Delta^2 per J_ii: -0.426 +- 0.005 measured, -0.435 predicted);
added to the heterogeneous network the correction moves N a_phi by +0.43 +- 0.04 and PR_phi by
-0.26 +- 0.02, against +0.42 +- 0.03 and -0.32 +- 0.03 measured for the unit-to-unit part of the
gain. Not included: the O(1/N) mean shift of the gains (second order in the loops: measured
+0.06/N at g = 1) and the off-diagonal residual (§10.7).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.integrate import cumulative_trapezoid

from rnncorr.activations import Activation

__all__ = ["loop_gain_coefficients", "loop_gain_corrections", "loop_strengths"]

#: activations smooth enough for the finite-difference derivatives used here
SMOOTH_ODD = ("tanh", "erf", "pade", "linear")
#: Gauss-Hermite nodes per dimension and the finite-difference step of the derivatives
_NODES = 60
_STEP = 1e-3
#: lag grid: C(v) from Delta0 down to this fraction of it (v ~ 30 at g = 1)
_C_FLOOR = 1e-7
_C_POINTS = 400


def _derivative(activation: Activation, order: int, x: np.ndarray) -> np.ndarray:
    """phi^(order)(x) by central differences (step 1e-3; relative error ~ 1e-6 for tanh)."""
    h = _STEP
    if order == 0:
        return activation.phi(x)
    if order == 1:
        return (activation.phi(x + h) - activation.phi(x - h)) / (2 * h)
    if order == 2:
        return (activation.phi(x + h) - 2 * activation.phi(x) + activation.phi(x - h)) / h**2
    if order == 3:
        return (
            activation.phi(x + 2 * h)
            - 2 * activation.phi(x + h)
            + 2 * activation.phi(x - h)
            - activation.phi(x - 2 * h)
        ) / (2 * h**3)
    raise ValueError(f"derivative order must be 0..3, got {order}")


def _pair_average(
    activation: Activation, orders: tuple[int, int], var: float, cov: np.ndarray
) -> np.ndarray:
    """E[phi^(a)(x) phi^(b)(y)], (x, y) Gaussian with variances var and covariances cov."""
    z, w = np.polynomial.hermite_e.hermegauss(_NODES)
    w = w / w.sum()
    cov = np.asarray(cov, dtype=float)[:, None, None]
    sd = math.sqrt(var)
    x = np.broadcast_to(sd * z[:, None], (_NODES, _NODES))
    y = (cov / sd) * z[:, None] + np.sqrt(np.maximum(var - cov**2 / var, 0.0)) * z[None, :]
    values = _derivative(activation, orders[0], x)[None] * _derivative(activation, orders[1], y)
    return np.einsum("kij,i,j->k", values, w, w)


def loop_gain_coefficients(
    activation: Activation, g: float, sigma2: float, n_max: int = 8
) -> dict[str, np.ndarray | float]:
    r"""Coefficients gain_n, kurtosis_n of the loop strengths r^(n), n = 0..n_max (module doc).

    Parameters
    ----------
    activation : Activation
        Smooth and odd (tanh, erf, pade, linear).
    g, sigma2 : float
        Coupling and noise of the noise-driven network (a stationary N = infinity state).
    n_max : int
        Longest loop kept; the strengths fall like g_eff^n (r^(n) has variance ~ g^2 g_eff^(2n)/N).

    Returns
    -------
    dict
        ``gain`` (n_max + 1,), ``kurtosis`` (n_max + 1,), ``s0``, ``delta0``, ``s3``.

    Raises
    ------
    ValueError
        Non-smooth or non-odd activation, or no stationary single-site solution.
    """
    from rnncorr.theory._noisy import a_phi_zero_freq, potential_drop, single_site

    if activation.name not in SMOOTH_ODD:
        raise ValueError(f"needs a smooth odd activation ({SMOOTH_ODD}), got {activation.name!r}")
    site = single_site(activation, g, sigma2)
    if not site.valid:
        raise ValueError(f"no stationary single-site solution: {site.reason}")
    d0, s0 = site.delta0, site.s0
    # C runs from Delta0 (v = 0) down to _C_FLOOR Delta0; Gauss-Legendre in t, c = Delta0 t^2
    # clusters nodes at small c (long lags, where v(c) grows like log(1/c))
    t, wt = np.polynomial.legendre.leggauss(_C_POINTS)
    lo = math.sqrt(_C_FLOOR)
    t = lo + (1.0 - lo) * (t + 1.0) / 2.0
    wt = wt * (1.0 - lo) / 2.0
    c = d0 * t**2
    dc = wt * 2.0 * d0 * t  # dc = 2 Delta0 t dt
    inv = 1.0 / np.sqrt(2.0 * potential_drop(activation, g, d0, c))  # dv = dc / sqrt(2 D)
    # lag v(c) = int_c^Delta0 dc'/sqrt(2 D(c')): cumulative, on a fine grid in c
    fine = np.linspace(d0, c[0], 20001)
    v_fine = cumulative_trapezoid(
        1.0 / np.sqrt(2.0 * potential_drop(activation, g, d0, fine)), -fine, initial=0.0
    )
    v = np.interp(c, fine[::-1], v_fine[::-1])
    z, w = np.polynomial.hermite_e.hermegauss(_NODES)
    s3 = float(_derivative(activation, 3, math.sqrt(d0) * z) @ (w / w.sum()))  # <phi^(3)>
    a_phi = a_phi_zero_freq(activation, g, sigma2, d0)
    a_x = sigma2 + g * g * a_phi
    # P2 -> S0^2 at long lags: integrate P2 - S0^2; int K = 1 carries the rest
    pairs = (
        _pair_average(activation, (2, 0), d0, c) + _pair_average(activation, (1, 1), d0, c) - s0**2
    )
    gain, kurtosis = [], []
    for n in range(n_max + 1):
        weight = v**n * np.exp(-v) / math.factorial(n) * inv * dc  # K_n(v) dv
        kurtosis.append(4.0 * s3 * np.sum(weight * c**3) / d0**2)
        gain.append(a_phi / a_x + np.sum(weight * pairs) - s0**2 - s3 * s0 * np.sum(weight * c))
    return {
        "gain": np.array(gain),
        "kurtosis": np.array(kurtosis),
        "s0": s0,
        "delta0": d0,
        "s3": s3,
    }


def loop_strengths(J: np.ndarray, s0: float, n_max: int) -> np.ndarray:
    """r_i^(n) = [J (s0 J)^n]_ii for n = 0..n_max: array (n_max + 1, N)."""
    J = np.asarray(J, dtype=float)
    out, power = [], J.copy()
    for _ in range(n_max + 1):
        out.append(np.diag(power).copy())
        power = s0 * (J @ power)
    return np.array(out)


def loop_gain_corrections(J: np.ndarray, coefficients: dict) -> np.ndarray:
    """Per-unit first-order non-Gaussian gain correction sum_n gain_n r_i^(n) (module docstring).

    ``coefficients`` from :func:`loop_gain_coefficients`. Add it to the Gaussian gains S(Delta_i)
    of the heterogeneous network (``_heterogeneous.self_consistent_gains``) to include the loops'
    non-Gaussian response at zero frequency.
    """
    gain = np.asarray(coefficients["gain"])
    return gain @ loop_strengths(J, float(coefficients["s0"]), len(gain) - 1)
