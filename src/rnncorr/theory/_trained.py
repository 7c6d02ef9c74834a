r"""Mean-field theory of trained attractor networks: local dynamics near trained fixed points.

Reservoir with output feedback (docs/science.md §10; Rivkind & Barak, PRL 118:258101 (2017)):

    dx/dt = -x + J phi(x) + u z,   z = w^T phi(x),   J_ij ~ N(0, g^2/N),   u_i ~ N(0, 1)

w is trained (least squares) so that the network has fixed points x^1..x^P with outputs
z = A_1..A_P. At large N the fixed-point potentials x^mu_i = h^mu_i + u_i A_mu are jointly
Gaussian (the fields h^mu_i = sum_j J_ij phi(x^mu_j) are Gaussian, independent of u) with

    C_{nu rho} = Cov(x^nu, x^rho) = g^2 Q_{nu rho} + A_nu A_rho,                            (T1)
    Q_{nu rho} = <phi(x^nu) phi(x^rho)>

solved self-consistently (the diagonal K_mu = C_{mu mu} is the P = 1 equation
K = g^2 <phi^2>_K + A^2; each off-diagonal entry is then a scalar equation).

Linearised around attractor mu the closed-loop Jacobian is -1 + (J + u w^T) diag(phi'(x^mu)).
Its bulk is a disc centred at -1 of radius r_mu = g sqrt(<phi'(x^mu)^2>) (circular law), so

    bulk stable  <=>  g^2 <phi'(x^mu)^2> < 1                                              (T2)

and its outliers are the eigenvalues of the P x P matrix (derivation: docs/trained.md)

    L_mu = -I + g^2 (diag(a) + c e_mu^T) + b (Q^{-1} A)^T                                  (T3)
    a_nu = <phi'(x^nu) phi'(x^mu)>,  c_nu = <phi(x^nu) phi''(x^mu)>,
    b_nu = <u phi(x^nu) phi'(x^mu)> = A_nu a_nu + A_mu c_nu.

They are the local modes of the output z near the attractor (a P-th order linear ODE); a
positive real part predicts that training fails. The phi'' terms are evaluated through Stein's
lemma as regressions on (x^nu, x^mu), so activations with a kink (relu) need no delta function:
g^2 (diag(a) + c e_mu^T) Q = T with T_{nu rho} = <h^rho phi(x^nu) phi'(x^mu)>.

For P = 1, (T3) reduces to

    lambda_z = -1 + <x phi(x) phi'(x)> / <phi(x)^2>,   x ~ N(0, K),  K = g^2 <phi^2>_K + A^2   (T4)

(tanh, g = 0.5, A = 0.7: lambda_z = -0.42972); for relu x phi phi' = phi^2 and lambda_z = 0
exactly: positive homogeneity makes every trained fixed point part of a line of fixed points.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import optimize

from rnncorr.activations import Activation
from rnncorr.theory._gauss import (
    DX,
    gauss_average,
    gauss_mean,
    gauss_pair_mean,
    has_closed_form,
)

__all__ = [
    "MARGINAL_TOL",
    "TrainedTheory",
    "bulk_critical_g",
    "bulk_radius",
    "fixed_point_variance",
    "lambda_z",
    "local_matrix",
    "solve_trained",
    "trained_covariance",
]

#: x-space quadrature step for activations with a kink (relu, power): the trapezoid rule then
#: converges only algebraically (docs/science.md §3), so the step is 4x finer than DX.
_DX_KINK = DX / 4.0
_SMOOTH = ("linear", "tanh", "erf", "pade")
#: largest K searched for the single-site root (relu and linear have none for large g)
_K_MAX = 1e8
#: smallest eigenvalue of the correlation matrix of (x^1..x^P) below which two trained fixed
#: points count as proportional (the root of (T1) sits on the Cauchy-Schwarz bound to ~1e-14)
_DEPENDENT = 1e-9
#: a mode with |Re lambda| below this counts as marginal (relu's line attractor: lambda = 0 up
#: to rounding, ~1e-16), and marginal counts as stable: a perturbation neither grows nor decays
MARGINAL_TOL = 1e-9


def _dx(activation: Activation) -> float:
    return DX if activation.name in _SMOOTH else _DX_KINK


def _check(g: float, targets: Sequence[float]) -> np.ndarray:
    if not (math.isfinite(g) and g >= 0):
        raise ValueError(f"g must be a finite number >= 0, got {g!r}")
    a = np.atleast_1d(np.asarray(targets, dtype=float))
    if a.ndim != 1 or a.size == 0 or not np.all(np.isfinite(a)):
        raise ValueError(f"targets must be a non-empty list of finite numbers, got {targets!r}")
    if len(set(np.round(a, 12))) != a.size:
        raise ValueError(f"targets must be distinct, got {list(a)}")
    return a


def fixed_point_variance(activation: Activation, g: float, amplitude: float) -> float:
    r"""Variance K of the trained fixed point with output A, the root of (T1) for P = 1:

        K = g^2 <phi(x)^2>_{x ~ N(0, K)} + A^2

    Parameters
    ----------
    activation : Activation
        Any activation of :mod:`rnncorr.activations`.
    g : float
        Coupling gain, >= 0.
    amplitude : float
        Target output A.

    Returns
    -------
    float
        K, or NaN when no finite root exists (linear with g >= 1, relu with g >= sqrt 2).

    References
    ----------
    .. [1] Rivkind & Barak, PRL 118:258101 (2017); docs/science.md §10; docs/trained.md §1.
    """
    a2 = float(amplitude) ** 2

    def excess(k: float) -> float:
        return k - g * g * _phi2(activation, k) - a2

    lo = a2
    if excess(lo) == 0.0:
        return lo
    hi = max(2.0 * a2, 1.0) + g * g
    while excess(hi) <= 0.0:  # phi^2 grows at most like x^2: doubling brackets any root
        hi *= 2.0
        if hi > _K_MAX:
            return math.nan
    return float(optimize.brentq(excess, lo, hi, xtol=1e-15, rtol=1e-15, maxiter=200))


def lambda_z(activation: Activation, g: float, amplitude: float) -> float:
    r"""Local relaxation rate of the output near a single trained fixed point (P = 1), (T4):

        lambda_z = -1 + <x phi(x) phi'(x)> / <phi(x)^2>,   x ~ N(0, K),  K = g^2 <phi^2> + A^2

    Parameters
    ----------
    activation : Activation
        Any activation; relu gives 0 exactly (x phi phi' = phi^2, evaluated on the same nodes).
    g : float
        Coupling gain, >= 0.
    amplitude : float
        Target output A != 0.

    Returns
    -------
    float
        lambda_z (NaN when the fixed point has no finite variance).

    Notes
    -----
    The outlier is visible only outside the bulk disc: compare with :func:`bulk_radius`.

    References
    ----------
    .. [1] Rivkind & Barak, PRL 118:258101 (2017); docs/science.md §10; docs/trained.md §2.

    Examples
    --------
    >>> from rnncorr.activations import get_activation
    >>> round(lambda_z(get_activation("tanh"), 0.5, 0.7), 5)   # science.md §11
    -0.42972
    """
    k = fixed_point_variance(activation, g, amplitude)
    if not (math.isfinite(k) and k > 0):
        return math.nan
    phi, dphi, dx = activation.phi, activation.dphi, _dx(activation)
    num = float(gauss_mean(lambda x: x * phi(x) * dphi(x), k, dx))
    den = float(gauss_mean(lambda x: phi(x) * phi(x), k, dx))
    return -1.0 + num / den


def bulk_radius(activation: Activation, g: float, amplitude: float) -> float:
    r"""Radius of the bulk disc of the closed-loop Jacobian (centred at -1), (T2):

        r = g sqrt(<phi'(x)^2>),   x ~ N(0, K);   the bulk is stable iff r < 1

    Returns NaN when the fixed point has no finite variance.

    References
    ----------
    .. [1] docs/science.md §10; Rivkind & Barak (2017); Girko's circular law for J diag(phi').
    """
    k = fixed_point_variance(activation, g, amplitude)
    if not math.isfinite(k):
        return math.nan
    return g * math.sqrt(_dphi2(activation, k))


def bulk_critical_g(activation: Activation, amplitude: float, g_max: float = 20.0) -> float:
    r"""Gain g_c at which the bulk of a single trained attractor (target A) loses stability, (T2):

        g_c^2 <phi'(x)^2>_{x ~ N(0, K(g_c))} = 1

    Where the fixed point has no finite variance first (relu at g = sqrt 2: K = A^2/(1 - g^2/2))
    that gain is returned. NaN when the bulk is stable up to ``g_max``.

    References
    ----------
    .. [1] docs/science.md §10; docs/trained.md §4.
    """

    def excess(g: float) -> float:
        r = bulk_radius(activation, g, amplitude)
        return r - 1.0 if math.isfinite(r) else 1.0  # no fixed point counts as unstable

    lo, hi = 1e-6, 1.0
    while excess(hi) < 0.0:
        lo, hi = hi, 2.0 * hi
        if hi > g_max:
            return math.nan
    return float(optimize.brentq(excess, lo, hi, xtol=1e-12, rtol=1e-14))


def _phi2(activation: Activation, k: float) -> float:
    """<phi(x)^2>, x ~ N(0, k): closed form where one exists (relu, linear, erf, power)."""
    if has_closed_form(activation, "phi2"):
        return float(gauss_average(activation, "phi2", k))
    return float(gauss_mean(lambda x: activation.phi(x) ** 2, k, _dx(activation)))


def _dphi2(activation: Activation, k: float) -> float:
    """<phi'(x)^2>, x ~ N(0, k), with closed forms where they exist.

    relu: phi'^2 = phi' = step, so 1/2 (the trapezoid rule would be off by O(h) at the jump);
    linear, erf, power: <phi'(x) phi'(y)>_c at c = var.
    """
    if activation.name == "relu":
        return 0.5
    if k > 0 and has_closed_form(activation, "dphi_pair"):
        return float(gauss_average(activation, "dphi_pair", k, k))
    return float(gauss_mean(lambda x: activation.dphi(x) ** 2, k, _dx(activation)))


def _pair(activation: Activation, f, h, k1: float, k2: float, c: np.ndarray) -> np.ndarray:
    """E[f(x) h(y)], Var x = k1, Var y = k2, Cov = c (unequal variances by rescaling)."""
    s1, s2 = math.sqrt(k1), math.sqrt(k2)
    rho = np.clip(np.asarray(c, dtype=float) / (s1 * s2), -1.0, 1.0)
    dx = _dx(activation) / max(s1, s2, 1e-300)
    return gauss_pair_mean(lambda z: f(s1 * z), lambda z: h(s2 * z), 1.0, rho, dx)


def trained_covariance(
    activation: Activation, g: float, targets: Sequence[float]
) -> tuple[np.ndarray, np.ndarray]:
    r"""Self-consistent covariance of the trained fixed points, (T1):

        C_{nu rho} = g^2 <phi(x^nu) phi(x^rho)> + A_nu A_rho

    Parameters
    ----------
    activation : Activation
    g : float
        Coupling gain, >= 0.
    targets : sequence of float
        The P distinct target outputs A_1..A_P.

    Returns
    -------
    C, Q : ndarray (P, P)
        Covariance of the potentials and Gram matrix Q = <phi(x^nu) phi(x^rho)> (the trained
        read-out's normal matrix over N). NaN when a variance has no finite root.

    Notes
    -----
    Each off-diagonal entry solves a scalar equation on [-sqrt(K K'), sqrt(K K')], where the
    residual changes sign (Cauchy-Schwarz), by Brent's method.
    """
    a = _check(g, targets)
    p = a.size
    k = np.array([fixed_point_variance(activation, g, amp) for amp in a])
    c = np.full((p, p), math.nan)
    q = np.full((p, p), math.nan)
    if not np.all(np.isfinite(k) & (k > 0)):
        return c, q
    phi = activation.phi
    for i in range(p):
        c[i, i] = k[i]
        q[i, i] = float(gauss_mean(lambda x: phi(x) ** 2, k[i], _dx(activation)))
        for j in range(i):
            bound = math.sqrt(k[i] * k[j])

            def excess(cc: float, i=i, j=j) -> float:
                qq = float(_pair(activation, phi, phi, k[i], k[j], cc))
                return cc - g * g * qq - a[i] * a[j]

            lo, hi = excess(-bound), excess(bound)
            if lo >= 0:
                root = -bound
            elif hi <= 0:
                root = bound
            else:
                root = optimize.brentq(excess, -bound, bound, xtol=1e-14, rtol=1e-15)
            c[i, j] = c[j, i] = root
            q[i, j] = q[j, i] = float(_pair(activation, phi, phi, k[i], k[j], root))
    return c, q


def local_matrix(
    activation: Activation,
    g: float,
    targets: Sequence[float],
    mu: int,
    covariance: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    r"""The P x P matrix (T3) whose eigenvalues are the output's local modes at attractor mu:

        L_mu = -I + T Q^{-1} + b (Q^{-1} A)^T
        T_{nu rho} = <h^rho phi(x^nu) phi'(x^mu)> = g^2 (a_nu Q_{nu rho} + c_nu Q_{mu rho})
        b_nu = <u phi(x^nu) phi'(x^mu)>

    with h^rho = x^rho - u A_rho. Both are computed by Gaussian regression on (x^nu, x^mu),
    E[y F(x^nu, x^mu)] = s_y^T S^{-1} (E[x^nu F], E[x^mu F]), S = Cov(x^nu, x^mu), which
    equals the Stein form with phi'' of science.md §10 and avoids it.

    Parameters
    ----------
    activation : Activation
    g : float
    targets : sequence of float
        A_1..A_P.
    mu : int
        Index of the attractor (0-based).
    covariance : (C, Q), optional
        Output of :func:`trained_covariance` (computed when omitted).

    Returns
    -------
    ndarray (P, P)
        NaN when the covariance is not finite or Q is singular.

    References
    ----------
    .. [1] Rivkind & Barak, PRL 118:258101 (2017); docs/science.md §10; docs/trained.md §3.
    """
    a = _check(g, targets)
    p = a.size
    if not 0 <= mu < p:
        raise ValueError(f"mu must index a target (0 <= mu < {p}), got {mu!r}")
    c, q = covariance if covariance is not None else trained_covariance(activation, g, a)
    if not (np.all(np.isfinite(c)) and np.all(np.isfinite(q))):
        return np.full((p, p), math.nan)
    scale = 1.0 / np.sqrt(np.diag(c))
    if np.linalg.eigvalsh(c * np.outer(scale, scale)).min() < _DEPENDENT:
        # fixed points proportional to each other (relu with same-sign targets, odd phi with
        # A and -A): the read-out equations are dependent and Q is singular
        return np.full((p, p), math.nan)
    phi, dphi = activation.phi, activation.dphi
    # cross-covariances with x^sigma: Cov(h^rho, x^sigma) = g^2 Q = C - A A^T, Cov(u, x^sigma) = A
    cov_h = c - np.outer(a, a)
    t = np.empty((p, p))
    b = np.empty(p)
    for nu in range(p):
        if nu == mu:
            # one variable: E[y F(x)] = Cov(y, x)/K E[x F(x)],  F = phi phi'
            e = float(gauss_mean(lambda x: x * phi(x) * dphi(x), c[mu, mu], _dx(activation)))
            t[nu] = cov_h[:, mu] / c[mu, mu] * e
            b[nu] = a[mu] / c[mu, mu] * e
            continue
        kn, km, cnm = c[nu, nu], c[mu, mu], c[nu, mu]
        e1 = float(_pair(activation, lambda x: x * phi(x), dphi, kn, km, cnm))  # E[x^nu F]
        e2 = float(_pair(activation, phi, lambda x: x * dphi(x), kn, km, cnm))  # E[x^mu F]
        s = np.array([[kn, cnm], [cnm, km]])
        coef = np.linalg.solve(s, np.array([e1, e2]))
        t[nu] = cov_h[:, nu] * coef[0] + cov_h[:, mu] * coef[1]
        b[nu] = a[nu] * coef[0] + a[mu] * coef[1]
    try:
        qinv_t = np.linalg.solve(q, t.T).T  # T Q^{-1} (Q symmetric)
        qinv_a = np.linalg.solve(q, a)
    except np.linalg.LinAlgError:
        return np.full((p, p), math.nan)
    return -np.eye(p) + qinv_t + np.outer(b, qinv_a)


@dataclass(frozen=True)
class TrainedTheory:
    """Large-N prediction for one trained network (activation, g, targets A_1..A_P).

    ``eigenvalues[mu]`` are the P local modes (T3) at attractor mu (complex), ``bulk_radius[mu]``
    the radius (T2), ``stable[mu]`` whether the bulk is stable and no mode has a real part above
    ``MARGINAL_TOL`` (relu's exact zero mode counts as stable: a marginal line attractor).
    ``valid=False`` with a ``reason`` (and NaN) where the fixed points have no finite variance
    or are linearly dependent.
    """

    activation: str
    g: float
    targets: tuple[float, ...]
    variance: tuple[float, ...]
    eigenvalues: tuple[tuple[complex, ...], ...]
    bulk_radius: tuple[float, ...]
    bulk_stable: tuple[bool, ...]
    stable: tuple[bool, ...]
    valid: bool = True
    reason: str | None = None
    covariance: np.ndarray | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """``{"attractors": [{"target", "eigenvalues", "stable"}]}``: a real eigenvalue as a float,
        a complex one as [re, im], NaN as None."""
        return {
            "attractors": [
                {
                    "target": float(amp),
                    "eigenvalues": [_jsonable(ev) for ev in eigs],
                    "stable": bool(st),
                }
                for amp, eigs, st in zip(self.targets, self.eigenvalues, self.stable, strict=True)
            ]
        }


def _clean(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def _jsonable(value: complex) -> float | list[float | None] | None:
    """A real eigenvalue as a float, a complex one as [re, im], NaN as None."""
    value = complex(value)
    if value.imag == 0.0:
        return _clean(value.real)
    return [_clean(value.real), _clean(value.imag)]


def solve_trained(activation: Activation, g: float, targets: Sequence[float]) -> TrainedTheory:
    r"""Local modes (T3), bulk radius (T2) and predicted stability at every trained attractor.

    An attractor is predicted stable when every eigenvalue of L_mu has a negative real part and
    g^2 <phi'(x^mu)^2> < 1. Never raises for a regime without a solution: ``valid=False``.

    Parameters
    ----------
    activation : Activation
    g : float
        Coupling gain, >= 0.
    targets : sequence of float
        P distinct target outputs.

    Returns
    -------
    TrainedTheory

    References
    ----------
    .. [1] Rivkind & Barak, PRL 118:258101 (2017); docs/science.md §10; docs/trained.md.
    """
    a = _check(g, targets)
    p = a.size
    c, q = trained_covariance(activation, g, a)
    radii = tuple(bulk_radius(activation, g, amp) for amp in a)
    if not np.all(np.isfinite(c)):
        nan = (complex(math.nan),) * p
        return TrainedTheory(
            activation.label,
            float(g),
            tuple(map(float, a)),
            tuple(float(v) for v in np.diag(c)),
            (nan,) * p,
            radii,
            (False,) * p,
            (False,) * p,
            valid=False,
            reason="no_fixed_point: K = g^2 <phi^2>_K + A^2 has no finite root",
            covariance=c,
        )
    eigs = []
    for mu in range(p):
        if p == 1:  # (T4) directly: relu's zero comes out exact, not -1e-16 from (T3)
            ev = np.array([lambda_z(activation, g, a[0])])
        else:
            lmat = local_matrix(activation, g, a, mu, (c, q))
            ev = np.linalg.eigvals(lmat) if np.all(np.isfinite(lmat)) else np.full(p, math.nan)
        eigs.append(tuple(complex(v) for v in sorted(ev, key=lambda v: (-v.real, v.imag))))
    bulk = tuple(bool(r < 1.0) for r in radii)
    stable = tuple(
        bool(b and all(ev.real <= MARGINAL_TOL for ev in e))
        for b, e in zip(bulk, eigs, strict=True)
    )
    singular = any(not np.isfinite(e[0]) for e in eigs)
    return TrainedTheory(
        activation.label,
        float(g),
        tuple(map(float, a)),
        tuple(float(v) for v in np.diag(c)),
        tuple(eigs),
        radii,
        bulk,
        stable,
        valid=not singular,
        reason="singular_gram: targets give linearly dependent fixed points" if singular else None,
        covariance=c,
    )
