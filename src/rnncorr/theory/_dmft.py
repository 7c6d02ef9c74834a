r"""Dynamic mean-field theory (DMFT) on a lag grid, and equal-time statistics of the noisy network.

The autocorrelation Delta(u) = <x_i(t+u) x_i(t)> of a large random network
``dx/dt = -x + J phi(x) + xi`` (docs/science.md §1, §3) solves, in frequency space,

    (1 + w^2) Delta(w) = g^2 C_phi(w) + K(w),     C_phi(u) = F(Delta(u)),                   (D1)
    F(c) = <phi(x) phi(y)>_c,   (x, y) Gaussian, Var x = Var y = Delta(0), Cov = c,

with K(w) = sigma2 for white noise (§3), K(w) = sigma2 / (1 + w^2 tau_n^2) for OU noise (§8)
and K = 0 in the chaotic network (§6). In the lag domain (1 - d^2/du^2) has the Green's function
G(u) = exp(-|u|)/2, so (D1) reads

    Delta = D_K + g^2 G * F(Delta),   D_K = G * K  (sigma2 exp(-|u|)/2 for white noise)      (D2)

For white noise and for chaos (D2) is the Newton particle in V(c) = -c^2/2 + g^2 <Phi Phi>_c
that starts at Delta0 with slope -sigma2/2 (0 in chaos) and comes to rest at c = 0.

Numerics (settings and evidence: docs/NUMERICS.md#dmft)
* F is tabulated once per variance on nodes c = var sin(pi t/2), |t| <= 1 (dense near c = var,
  where F varies fastest) and interpolated by a cubic spline; F' is the spline's derivative.
  The lag solver evaluates F at the variance of its own solution, F(Delta(u); Delta(0))
  (``PairTable.at``: splines in rho = c/v at three variances): with F at the fixed Delta0 of
  (E1) the grid's Delta(0) = Delta0 + O(du^2) put F beyond c = var and the discrete equation
  had a spurious zero mode where Delta0 = g^2 <phi^2> (docs/NUMERICS.md#power-law-dmft).
  The power law uses the exact 2F1 forms and homogeneity instead (``PowerPair``): its F is
  not analytic at c = var (F' ~ -log(1 - rho^2) at alpha = 1/2).
* (D2) is discretised on u_k = k du, k = 0..n, extended evenly to a period 2 U; the convolution
  is the periodic trapezoid rule, done with DCT-I (the DFT of an even sequence). The source D_K
  is exact at the nodes, so the only discretisation error is O(du^2) from the trapezoid rule.
* Solver: damped FFT fixed-point sweeps while they contract, then Newton-Krylov (GMRES) with a
  backtracking line search. It reports residual and iterations and flags non-convergence and a
  negative power spectrum (``LagSolution.flag``); ``require_converged`` turns a flag into an error.
* Spectra at arbitrary w: exact Fourier transform of the piecewise-linear interpolant of C_phi(u)
  (Filon): C_phi(w) = du sinc^2(w du/2) [C_0 + 2 sum_k C_k cos(w u_k)]; its 1/w^2 tail is right.
* Double frequency integrals (equal-time statistics, (R3) and docs/theory.md): the inner
  integral in closed form through Laplace transforms of C_phi(u) and Delta(u) at complex
  arguments (``equal_time_moments``; it resolves the diagonal ridge of |q|^2 exactly), the outer
  one by Gauss-Legendre in theta, w = w_s tan(theta). ``trace_moments`` is the brute-force
  tensor-product version (matrix products), used at w = 0 and as a check.
* Trapezoid-kernel results are Richardson-extrapolated (``lag_statistics``): from steps 2 du and
  du for analytic F (error du^2), from 4 du, 2 du, du for the power law, whose C_phi(u) has a
  |u|^(alpha + 1/2) singularity (error du^2 + du^(alpha + 3/2); ``richardson_orders``).
* A lag solve is accepted at residual <= TOL, or, if it stalls, at residual below 1 % of
  kappa^2 times the grid error of Delta (``GRID_ERROR_FRACTION``).

Equal-time statistics (docs/theory.md §2-§3, linear-equivalent network of science.md §7):
with S(w) = S0/(1 + i w), S_x(w) = 1/(1 + i w), L(w) = 1/(1 - g^2 |S|^2), q = 1/(1 - z),
z = g^2 S(w) S(w')*, residual power P(w) = C_phi(w)(1 - g^2 |S|^2) - |S|^2 K(w),
alpha(w) = |S_x|^2 K(w), beta(w) = P(w)/S0^2, double integrals over (2 pi)^-2 dw dw':

    Nc2_phi = int int C_phi C_phi' (|q|^2 - 1)                                              (R3)
    Nc2_x   = int int [ alpha alpha' K1 + alpha beta' K2 + beta alpha' K3 + beta beta' K4 ]    (T-x)
      K1 = L L' (|q|^2 - 1),   K2 = L [L'(|q|^2 - 1) - 2 Re(q - 1)],  K3 = K2 with w <-> w',
      K4 = (L - 1)(L' - 1)(|q|^2 - 1) + |q - 1|^2 (L + L' - 1)
    a_phi = <phi^2> - <phi>^2,  a_x = Delta(0),  PR/N = a^2 / (a^2 + Nc2),  cbar = 0.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import fft as sfft
from scipy import special
from scipy.interpolate import make_interp_spline
from scipy.sparse.linalg import LinearOperator, gmres

from rnncorr.activations import Activation
from rnncorr.theory._gauss import gauss_average, power_dphi_pair, power_phi_pair
from rnncorr.theory._result import SingleSite, Stats, nan_statistics

__all__ = [
    "DMFTConvergenceError",
    "LagSolution",
    "LagStatistics",
    "Noise",
    "PairTable",
    "PowerPair",
    "decay_rate",
    "equal_time_moments",
    "equal_time_statistics",
    "frequency_grid",
    "grid_frequencies",
    "lag_grid",
    "lag_statistics",
    "laplace",
    "newton_particle_guess",
    "pair_table",
    "richardson_extrapolate",
    "richardson_orders",
    "richardson_steps",
    "richardson_weights",
    "require_converged",
    "solve_lag_equation",
    "solve_white_noise",
    "spectrum",
    "trace_moments",
    "white_noise_source",
]

#: default lag step for noise-driven networks (kink of Delta at u = 0): docs/NUMERICS.md
DU_NOISY: float = 0.01
#: lag window: Delta(U) / Delta(0) ~ exp(-kappa U) < exp(-LAG_DECAYS), kappa = sqrt(1 - g_eff^2)
LAG_DECAYS: float = 30.0
#: largest number of lag points (memory / time guard)
N_LAG_MAX: int = 2**18
#: Gauss-Legendre nodes in theta for the double frequency integrals
N_FREQ: int = 192
#: nodes of the pair-average table in t (c = var sin(pi t / 2), 0 <= t <= 1)
N_TABLE: int = 97
#: residual tolerance of the lag equation, relative to Delta(0)
TOL: float = 1e-11
#: a power spectrum below -SPECTRUM_TOL * max is rejected
SPECTRUM_TOL: float = 1e-7
#: residual power P(w) below -P_TOL * max C_phi is rejected (P = 0 exactly for linear phi; the
#: Filon spectra carry O(du^2) ~ 1e-5 errors)
P_TOL: float = 1e-3


class DMFTConvergenceError(RuntimeError):
    """The lag-grid solver did not reach its tolerance or found a negative power spectrum."""


# ---------------------------------------------------------------------------------------------
# pair averages F(c) = <phi(x) phi(y)>_c at fixed variance
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PairTable:
    """Spline of F(c) = <phi(x) phi(y)>_c, Var x = Var y = ``var``, on c in [-var, var].

    ``f(c)`` and ``df(c)`` = F'(c) = <phi'(x) phi'(y)>_c (Price's theorem, through the spline).
    ``at(c, v)`` gives F(c; v) and its partial derivatives for a variance v near ``var``
    (quadratic interpolation in v between splines in rho = c/v at v_k = var (1 + k VAR_STEP),
    k = -1, 0, 1): the lag solver evaluates F at the variance of its own solution,
    v = Delta(u = 0) (docs/NUMERICS.md#power-law-dmft, "variance").
    """

    var: float
    nodes: np.ndarray
    values: np.ndarray
    _spline: Any = field(repr=False)
    _dspline: Any = field(repr=False)
    _family: tuple = field(default=(), repr=False)

    def f(self, c: np.ndarray) -> np.ndarray:
        """F(c)."""
        return self._spline(c)

    def df(self, c: np.ndarray) -> np.ndarray:
        """F'(c) (the spline's derivative)."""
        return self._dspline(c)

    def at(self, c: np.ndarray, v: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        r"""F(c; v), dF/dc and dF/dv at variance v, |c| <= v (rho = c/v clipped to [-1, 1]).

            F(c; v) = sum_k L_k(v) Ft_k(c/v),  Ft_k(rho) = F(rho v_k; v_k)  (spline in rho)
            dF/dc   = sum_k L_k(v) Ft_k'(rho) / v
            dF/dv   = sum_k L_k'(v) Ft_k(rho) - rho/v sum_k L_k(v) Ft_k'(rho)

        L_k: quadratic Lagrange weights on v_k = var (1 + k h), k = -1, 0, 1, h = VAR_STEP.
        Interpolation error ~ |v/var - 1| h^2 F_vvv var^3 / 6, i.e. O(du^2) h^2 (the grid's
        Delta(0) differs from var by O(du^2)), removed with the du^2 term by Richardson.
        """
        if not self._family:
            raise ValueError("PairTable.at: table built without a variance family")
        rho = np.clip(np.asarray(c, dtype=float) / v, -1.0, 1.0)
        h = self._family[0]
        t = (v / self.var - 1.0) / h
        lag = (0.5 * t * (t - 1.0), 1.0 - t * t, 0.5 * t * (t + 1.0))
        dlag = ((t - 0.5) / (h * self.var), -2.0 * t / (h * self.var), (t + 0.5) / (h * self.var))
        val = np.zeros_like(rho)
        dval = np.zeros_like(rho)
        dv = np.zeros_like(rho)
        for weight, dweight, (spline, dspline) in zip(lag, dlag, self._family[1], strict=True):
            fk = spline(rho)
            val += weight * fk
            dval += weight * dspline(rho)
            dv += dweight * fk
        return val, dval / v, dv - rho / v * dval


#: relative variance step of the F family of ``PairTable.at``
VAR_STEP: float = 5e-3


@dataclass(frozen=True)
class PowerPair:
    r"""Exact F(c) = <phi(x) phi(y)>_c for phi = sign(x)|x|^alpha (2F1 closed forms, no spline).

        F(c; v)  = v^alpha 2^(alpha+1)/pi Gamma(alpha/2+1)^2 rho 2F1(b, b; 3/2; rho^2),
        F'(c; v) = alpha^2 <|x|^(alpha-1) |y|^(alpha-1)>
                 = alpha^2 (2 v)^(alpha-1)/pi Gamma(alpha/2)^2 2F1(b, b; 1/2; rho^2),
        rho = c/v,  b = (1 - alpha)/2           (``_gauss.power_phi_pair``, ``power_dphi_pair``)

    Why not a spline (docs/NUMERICS.md#power-law-dmft): near rho = 1 both 2F1 have the
    singular part (1 - rho^2)^(c - a - b) (times log(1 - rho^2) when c - a - b is an integer):
    F - F(v) has (1 - rho^2)^(alpha + 1/2) and F' diverges like (1 - rho^2)^(alpha - 1/2)
    (alpha < 1/2) or -log(1 - rho^2) (alpha = 1/2), which a cubic spline cannot follow. F is
    homogeneous, F(c; v) = v^alpha F(c/v; 1) (``degree`` = alpha), so the lag solver can use the
    variance of its own solution, v = Delta(u = 0), and never evaluates F beyond rho = 1, where it
    does not exist (``solve_lag_equation(pair=...)``, ``PowerPair.at``). Outside [-1, 1] rho
    is clipped; F' is evaluated at |rho| <= 1 - RHO_EPS (finite; at rho = 1 the solver needs
    only the total derivative d F(v; v)/dv = alpha F(v; v)/v).
    """

    var: float
    alpha: float

    @property
    def degree(self) -> float:
        """Degree of homogeneity of F in (c, v): alpha."""
        return self.alpha

    def f(self, c: np.ndarray) -> np.ndarray:
        """F(c) at variance ``var`` (|c| > var clipped to +-var)."""
        rho = np.clip(np.asarray(c, dtype=float) / self.var, -1.0, 1.0)
        return power_phi_pair(self.var, rho * self.var, self.alpha)

    def df(self, c: np.ndarray) -> np.ndarray:
        """F'(c) = <phi' phi'>_c at variance ``var``, |rho| capped at 1 - RHO_EPS."""
        rho = np.clip(np.asarray(c, dtype=float) / self.var, RHO_EPS - 1.0, 1.0 - RHO_EPS)
        return power_dphi_pair(self.var, rho * self.var, self.alpha)

    def at(self, c: np.ndarray, v: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        r"""F(c; v), dF/dc and dF/dv at variance v by homogeneity (exact):

        F(c; v) = s^alpha F(c/s),  dF/dc = s^(alpha-1) F'(c/s),  dF/dv = (alpha F - c dF/dc)/v,
        s = v/var.
        """
        c = np.asarray(c, dtype=float)
        scale = v / self.var
        val = scale**self.alpha * self.f(c / scale)
        dval = scale ** (self.alpha - 1.0) * self.df(c / scale)
        return val, dval, (self.alpha * val - c * dval) / v


#: |rho| cap of the power-law F' (infinite at rho = 1 for alpha <= 1/2; scipy's hyp2f1 returns inf
#: within ~1e-15 of z = rho^2 = 1)
RHO_EPS: float = 1e-12


def pair_table(activation: Activation, var: float, n_nodes: int = N_TABLE) -> PairTable | PowerPair:
    r"""Tabulate F(c) = <phi(x) phi(y)>_c for an odd activation and spline it.

        F(c) = E[phi(x) phi(y)],  Var x = Var y = var,  Cov(x, y) = c,  F(-c) = -F(c)

    Parameters
    ----------
    activation : Activation
        Odd activation (``activation.is_odd``); Gaussian averages come from
        :func:`rnncorr.theory._gauss.gauss_average` (closed form where one exists).
    var : float
        Common variance Delta(0) > 0.
    n_nodes : int
        Nodes on 0 <= c <= var, c = var sin(pi t/2) with t uniform (dense near c = var, where F
        bends most); mirrored to negative c by oddness.

    Returns
    -------
    PairTable or PowerPair
        The spline; for the power law the exact closed forms (:class:`PowerPair`), since F is
        not analytic at c = var there (docs/NUMERICS.md#power-law-dmft).

    References
    ----------
    .. [1] docs/science.md §3 (F(c) and the Newton particle); Price's theorem for F'.
    """
    if not activation.is_odd:
        raise ValueError(f"pair_table: the DMFT here assumes an odd activation, got {activation}")
    if not (math.isfinite(var) and var > 0):
        raise ValueError(f"pair_table: var must be finite and > 0, got {var!r}")
    if activation.name == "power":  # non-analytic at c = var: exact 2F1, no spline
        return PowerPair(float(var), float(activation.kwargs["alpha"]))
    t = np.linspace(0.0, 1.0, n_nodes)
    c_pos = var * np.sin(0.5 * math.pi * t)
    c_pos[-1] = var
    f_pos = np.asarray(gauss_average(activation, "phi_pair", var, c_pos), dtype=float)
    f_pos[0] = 0.0  # oddness: F(0) = <phi>^2 = 0
    nodes = np.concatenate([-c_pos[:0:-1], c_pos])
    values = np.concatenate([-f_pos[:0:-1], f_pos])
    spline = make_interp_spline(nodes, values, k=3)
    # the same table in rho = c/v at v_k = var (1 + k VAR_STEP), k = -1, 0, 1 (PairTable.at)
    rho_nodes = nodes / var
    family = []
    for k in (-1, 0, 1):
        vk = var * (1.0 + k * VAR_STEP)
        if k == 0:
            fk = values
        else:
            f_half = np.asarray(
                gauss_average(activation, "phi_pair", vk, vk * rho_nodes[n_nodes - 1 :])
            )
            f_half[0] = 0.0
            fk = np.concatenate([-f_half[:0:-1], f_half])
        sk = make_interp_spline(rho_nodes, fk, k=3)
        family.append((sk, sk.derivative()))
    return PairTable(
        float(var), nodes, values, spline, spline.derivative(), (VAR_STEP, tuple(family))
    )


# ---------------------------------------------------------------------------------------------
# lag grid and solver
# ---------------------------------------------------------------------------------------------
def lag_grid(window: float, du: float) -> np.ndarray:
    """Lags u_k = k du, k = 0..n with n du >= window (n capped at N_LAG_MAX)."""
    if not (du > 0 and window > 0):
        raise ValueError(f"lag_grid: need du > 0 and window > 0, got du={du!r}, window={window!r}")
    n = math.ceil(window / du)
    if n > N_LAG_MAX:
        raise ValueError(
            f"lag_grid: window {window:.4g} / du {du:.4g} needs {n} > {N_LAG_MAX} lags "
            "(too close to the critical point)"
        )
    return du * np.arange(n + 1)


def _periodic_green(u: np.ndarray) -> np.ndarray:
    """G(u) = exp(-|u|)/2 summed over the period 2U: (e^-u + e^-(2U-u)) / (2 (1 - e^-2U))."""
    big_u = u[-1]
    return (np.exp(-u) + np.exp(-(2.0 * big_u - u))) / (2.0 * (-np.expm1(-2.0 * big_u)))


def grid_frequencies(u: np.ndarray) -> np.ndarray:
    """DFT frequencies w_m = pi m / U, m = 0..n, of the even extension of a lag grid (DCT-I)."""
    return math.pi * np.arange(u.size) / float(u[-1])


def white_noise_source(u: np.ndarray, sigma2: float) -> np.ndarray:
    """D_K(u) = G * sigma2 delta = sigma2 exp(-|u|)/2 (periodic), the noise part of (D2)."""
    return sigma2 * _periodic_green(u)


@dataclass(frozen=True)
class Noise:
    r"""Noise spectrum K(w): white (tau = 0), Ornstein-Uhlenbeck (tau > 0) or none (sigma2 = 0).

    K(w) = sigma2 / (1 + w^2 tau^2)                       (science.md §3, §8)
    D_K(u) = (G * K)(u) = sigma2/2 (tau e^(-|u|/tau) - e^(-|u|)) / (tau^2 - 1)
                        (white: sigma2 e^(-|u|)/2;  tau = 1: sigma2 (1 + |u|) e^(-|u|)/4)
    """

    sigma2: float
    tau: float = 0.0

    def spectrum(self, w: np.ndarray) -> np.ndarray:
        """K(w)."""
        w = np.asarray(w, dtype=float)
        return self.sigma2 / (1.0 + (w * self.tau) ** 2)

    def source(self, u: np.ndarray) -> np.ndarray:
        """D_K(u_k), the noise-driven part of (D2) (periodic wrap included for white noise)."""
        tau = self.tau
        if self.sigma2 == 0.0:
            return np.zeros_like(u)
        if tau == 0.0:
            return white_noise_source(u, self.sigma2)
        if abs(tau - 1.0) < 1e-6:
            return 0.25 * self.sigma2 * (1.0 + u) * np.exp(-u)
        return 0.5 * self.sigma2 * (tau * np.exp(-u / tau) - np.exp(-u)) / (tau * tau - 1.0)

    def laplace_alpha_l(self, lam: np.ndarray, kappa: float) -> np.ndarray:
        r"""int_0^inf e^(-lam t) A(t) dt for A(w) = K(w) / (kappa^2 + w^2) (= alpha L).

        white: A(t) = sigma2 e^(-kappa|t|)/(2 kappa)  ->  sigma2 / (2 kappa (lam + kappa))
        OU:    A(w) = sigma2/(1 - tau^2 kappa^2) [1/(kappa^2 + w^2) - tau^2/(1 + tau^2 w^2)]
        """
        tau, s2 = self.tau, self.sigma2
        white = 1.0 / (2.0 * kappa * (lam + kappa))
        if s2 == 0.0:
            return np.zeros_like(lam)
        if tau == 0.0:
            return s2 * white
        d = 1.0 - (tau * kappa) ** 2
        if abs(d) < 1e-6:  # tau = 1/kappa: A(w) = sigma2 kappa^2 / (kappa^2 + w^2)^2
            return s2 / (4.0 * kappa) * (1.0 / (lam + kappa) + kappa / (lam + kappa) ** 2)
        return s2 / d * (white - 0.5 * tau / (lam + 1.0 / tau))


@dataclass(frozen=True)
class LagSolution:
    """Solution of the lag equation (D2) on the grid u_k = k du.

    Attributes
    ----------
    u, delta, cphi : ndarray
        Lags, Delta(u_k) and C_phi(u_k) = F(Delta(u_k)).
    residual : float
        max_k |Delta - D_K - g^2 G*F(Delta)| / Delta(0) at the returned solution.
    iterations : int
        Fixed-point sweeps plus Newton steps.
    converged : bool
        residual <= tolerance and no negative power spectrum.
    flag : str
        ``ok``, ``maxiter``, ``negative_spectrum`` or ``trivial`` (Delta = 0).
    min_spectrum : float
        min over the grid frequencies of the power spectra of Delta and C_phi, divided by their
        maxima (a valid autocorrelation has min_spectrum >= 0).
    settings : dict
        du, window, n, tolerances.
    """

    u: np.ndarray
    delta: np.ndarray
    cphi: np.ndarray
    residual: float
    iterations: int
    converged: bool
    flag: str
    min_spectrum: float
    settings: dict[str, Any]

    @property
    def du(self) -> float:
        """Lag step."""
        return float(self.u[1] - self.u[0])


def require_converged(sol: LagSolution, what: str = "lag equation") -> LagSolution:
    """Return ``sol`` if it converged; raise :class:`DMFTConvergenceError` otherwise."""
    if not sol.converged:
        raise DMFTConvergenceError(
            f"{what}: {sol.flag} (residual {sol.residual:.3g} after {sol.iterations} iterations, "
            f"min spectrum {sol.min_spectrum:.3g}, settings {sol.settings})"
        )
    return sol


def solve_lag_equation(
    f: Callable[[np.ndarray], np.ndarray],
    df: Callable[[np.ndarray], np.ndarray],
    g: float,
    source: np.ndarray,
    u: np.ndarray,
    initial: np.ndarray,
    *,
    tol: float = TOL,
    max_fixed_point: int = 200,
    max_newton: int = 40,
    damping: float = 1.0,
    kernel: str = "trapezoid",
    pair: PairTable | PowerPair | None = None,
) -> LagSolution:
    r"""Solve Delta = D_K + g^2 G * F(Delta) (D2) on an even, periodic lag grid.

        R(Delta)_k = Delta_k - D_K(u_k) - g^2 du sum_j G(u_k - u_j) F(Delta_j)      (trapezoid)

    With ``pair`` (:class:`PairTable` or :class:`PowerPair`) the pair average takes the variance
    of the solution itself, F(Delta_j) -> F(Delta_j; Delta_0), as in the DMFT proper
    (Var x = Delta(0)); ``f`` and ``df`` then serve only the preconditioner. Why: with F at a
    fixed variance var = Delta0 (E1), the grid's Delta(0) = var + O(du^2) makes F be evaluated
    beyond c = var (where the power-law F does not exist), and the discrete problem is singular
    where V'(Delta0) = Delta0 - g^2 <phi^2> = 0 (Delta''(0+) = 0: the even solution of the
    linearised Newton-particle equation with y'(0) = 0 decays, a zero mode; tanh, sigma2 = 1:
    g = 1.956). With the variance of the solution, rho_j = Delta_j/Delta_0 is in [-1, 1] and the
    zero mode is gone (it would need a fold of (E1)). The Newton step carries the column
    dF_j/dDelta_0 (at j = 0 the total derivative d F(v; v)/dv, finite for the power law too).
    Evidence: docs/NUMERICS.md#power-law-dmft.

    Parameters
    ----------
    f, df : callable
        F(c) and F'(c) (e.g. from :func:`pair_table`).
    g : float
        Coupling gain.
    source : ndarray
        D_K(u_k) = (G * K)(u_k); zero for the chaotic network.
    u : ndarray
        Lag grid from :func:`lag_grid`.
    initial : ndarray
        Starting guess Delta(u_k) (e.g. the energy-route solution).
    tol : float
        Required max |R| / Delta(0).
    max_fixed_point : int
        Largest number of damped FFT fixed-point sweeps; the sweeps stop as soon as they stop
        contracting (ratio of successive residuals > 0.9) or reach 1e-4.
    max_newton : int
        Largest number of Newton-Krylov steps.
    damping : float
        Weight lambda of the sweep Delta <- (1 - lambda) Delta + lambda T(Delta).
    pair : PairTable or PowerPair, optional
        F(c; v) with its derivatives (``pair.at``): F at the variance Delta(0) of the solution.
        None: F = ``f`` at a fixed variance.
    kernel : {"trapezoid", "spectral"}
        ``trapezoid``: G * F by the periodic trapezoid rule with the exact G(u_k) (O(du^2), for
        solutions with a kink at u = 0: white noise); ``spectral``: G(w_m) = 1/(1 + w_m^2) on
        the DFT frequencies w_m = pi m / U (spectrally accurate for smooth Delta: chaos). The
        trapezoid rule's O(du^2) error acts like an error du^2/12 in G(w = 0), i.e. a relative
        error ~ du^2 / (12 kappa^2) near criticality; the spectral kernel has none.

    Returns
    -------
    LagSolution
        Never raises for non-convergence: ``flag`` says what went wrong (see
        :func:`require_converged`).

    Notes
    -----
    The solution is rejected (``negative_spectrum``) when the trapezoid power spectrum of Delta
    or of C_phi is below -SPECTRUM_TOL times its maximum (science.md §6: a solution with a
    negative spectrum is not an autocorrelation). Convergence evidence: docs/NUMERICS.md.

    References
    ----------
    .. [1] docs/science.md §3, §6, §8; Sompolinsky, Crisanti, Sommers, PRL 61:259 (1988).
    """
    du = float(u[1] - u[0])
    g2 = g * g
    if kernel == "trapezoid":
        green_hat = du * sfft.dct(_periodic_green(u), type=1)
    elif kernel == "spectral":
        green_hat = 1.0 / (1.0 + grid_frequencies(u) ** 2)
    else:
        raise ValueError(f"kernel must be 'trapezoid' or 'spectral', got {kernel!r}")
    src = np.asarray(source, dtype=float)

    def conv(v: np.ndarray) -> np.ndarray:
        return sfft.idct(green_hat * sfft.dct(v, type=1), type=1)

    def pair_values(d: np.ndarray) -> np.ndarray:
        """F(Delta_j) (fixed variance) or F(Delta_j; Delta_0)."""
        if pair is None:
            return f(d)
        if not d[0] > 0:
            return np.full_like(d, np.nan)
        return pair.at(d, float(d[0]))[0]

    def pair_slopes(d: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """dF_j = diag_j dDelta_j + col0_j dDelta_0."""
        if pair is None:
            return df(d), None
        _, diag, col0 = pair.at(d, float(d[0]))
        diag[0], col0[0] = diag[0] + col0[0], 0.0  # total derivative of F(v; v)
        return diag, col0

    def resid(d: np.ndarray) -> np.ndarray:
        return d - src - g2 * conv(pair_values(d))

    def norm(r: np.ndarray, d: np.ndarray) -> float:
        return float(np.max(np.abs(r)) / max(abs(d[0]), 1e-300))

    delta = np.array(initial, dtype=float)
    r = resid(delta)
    res = norm(r, delta)
    iterations = 0
    # damped Picard sweeps: cheap, and they bring a crude guess into Newton's basin when g^2 F'
    # is a contraction (noise-driven networks); stop when they stall (chaos)
    for _ in range(max_fixed_point):
        if res < 1e-4:
            break
        trial = delta - damping * r
        r_new = resid(trial)
        res_new = norm(r_new, trial)
        if not np.isfinite(res_new) or res_new > 0.9 * res:
            break
        delta, r, res = trial, r_new, res_new
        iterations += 1
    # Newton-Krylov with backtracking. Preconditioner: the Jacobian of the linearised tail,
    # 1 - g^2 F'(0) G(w), inverted exactly in frequency space (F'(Delta(u)) -> F'(0) = S0^2 as
    # u grows). It removes the near-singular low frequencies (1 - g_eff^2 small) that otherwise
    # cost GMRES hundreds of iterations; what remains is a compact perturbation near u = 0.
    n = delta.size
    tail = float(df(np.zeros(1))[0])
    if pair is not None and delta[0] > 0:
        tail = float(pair.at(np.zeros(1), float(delta[0]))[1][0])
    precond_hat = 1.0 / np.maximum(1.0 - g2 * tail * green_hat, 1e-12)
    precond = LinearOperator(
        (n, n), matvec=lambda v: sfft.idct(precond_hat * sfft.dct(v, type=1), type=1), dtype=float
    )
    for _ in range(max_newton):
        if res <= tol:
            break
        slope, col0 = pair_slopes(delta)
        if col0 is None:
            jac = LinearOperator(
                (n, n), matvec=lambda v, s=slope: v - g2 * conv(s * v), dtype=float
            )
        else:
            jac = LinearOperator(
                (n, n),
                matvec=lambda v, s=slope, c0=col0: v - g2 * conv(s * v + c0 * v[0]),
                dtype=float,
            )
        step, _info = gmres(
            jac,
            -r,
            rtol=min(1e-2, max(res, 0.1 * tol / res)),
            atol=0.0,
            restart=40,
            maxiter=10,
            M=precond,
        )
        lam = 1.0
        while lam > 1e-4:
            trial = delta + lam * step
            r_new = resid(trial)
            res_new = norm(r_new, trial)
            if np.isfinite(res_new) and res_new < (1 - 1e-4 * lam) * res:
                break
            lam *= 0.5
        else:
            break
        delta, r, res = trial, r_new, res_new
        iterations += 1
    cphi = pair_values(delta)
    spec_d = sfft.dct(delta, type=1)
    spec_c = sfft.dct(cphi, type=1)
    scale_d, scale_c = np.max(np.abs(spec_d)), np.max(np.abs(spec_c))
    if scale_d == 0 or scale_c == 0:
        min_spec = 0.0
    else:
        min_spec = float(min(spec_d.min() / scale_d, spec_c.min() / scale_c))
    if not np.isfinite(res) or res > tol:
        flag = "maxiter"
    elif abs(delta[0]) <= 1e-12 * max(abs(float(initial[0])), 1.0 if pair is None else 1e-300):
        # relative to the guess's Delta(0) with the solution's variance: the power-law chaos at
        # small g has Delta0 ~ g^(2/(1 - alpha)) (1e-17 at alpha = 0.75, g = 0.01), not trivial
        flag = "trivial"
    elif min_spec < -SPECTRUM_TOL:
        flag = "negative_spectrum"
    else:
        flag = "ok"
    settings = {
        "du": du,
        "window": float(u[-1]),
        "n_lags": int(u.size),
        "tol": tol,
        "kernel": kernel,
        "pair_variance": "fixed" if pair is None else "solution",
    }
    return LagSolution(u, delta, cphi, res, iterations, flag == "ok", flag, min_spec, settings)


def newton_particle_guess(table: PairTable, g: float, slope0: float, u: np.ndarray) -> np.ndarray:
    r"""Newton-particle trajectory: Delta'' = Delta - g^2 F(Delta), Delta(0) = var, Delta'(0) = v0.

    Integrated (RK45) until Delta falls below 1e-3 var, then continued by the linearised tail
    Delta ~ exp(-kappa u), kappa^2 = 1 - g^2 F'(0). The separatrix is unstable, so this is only a
    starting guess for :func:`solve_lag_equation` (and an independent check in the tests).
    """
    from scipy.integrate import solve_ivp

    var = table.var
    kappa = math.sqrt(max(1.0 - g * g * float(table.df(np.array(0.0))), 1e-12))

    def rhs(_t, y):
        return [y[1], y[0] - g * g * float(table.f(np.array(y[0])))]

    def low(_t, y):
        return y[0] - 1e-3 * var

    def turn(_t, y):
        return y[1]

    low.terminal = True
    turn.terminal = True
    turn.direction = 1.0
    sol = solve_ivp(
        rhs,
        (0.0, float(u[-1])),
        [var, slope0],
        events=(low, turn),
        rtol=1e-7,
        atol=1e-10 * var,
        dense_output=True,
    )
    t_end = float(sol.t[-1])
    guess = np.empty_like(u)
    inside = u <= t_end
    guess[inside] = sol.sol(u[inside])[0]
    d_end = float(sol.y[0, -1])
    guess[~inside] = max(d_end, 0.0) * np.exp(-kappa * (u[~inside] - t_end))
    return guess


def decay_rate(g: float, s0: float) -> float:
    """kappa = sqrt(1 - g_eff^2): Delta(u) ~ exp(-kappa u) at large u (F'(0) = S0^2)."""
    return math.sqrt(max(1.0 - (g * s0) ** 2, 0.0))


def solve_white_noise(
    activation: Activation,
    g: float,
    sigma2: float,
    site: SingleSite,
    *,
    du: float = DU_NOISY,
    decays: float = LAG_DECAYS,
    table: PairTable | None = None,
) -> LagSolution:
    r"""Autocorrelation Delta(u) of the white-noise-driven network (docs/science.md §3).

        Delta'' = Delta - g^2 F(Delta)  (u > 0),  Delta(0) = Delta0 (E1),  Delta'(0+) = -sigma2/2,
        Delta(u) -> 0;  in frequency space (1 + w^2) Delta(w) = g^2 C_phi(w) + sigma2.

    Parameters
    ----------
    activation : Activation
        Odd activation.
    g, sigma2 : float
        Gain and white-noise intensity (> 0).
    site : SingleSite
        Single-site solution (Delta0 from (E1), S0); the pair averages use variance Delta0.
    du : float
        Lag step.
    decays : float
        Lag window U = (decays + 5)/kappa with kappa = sqrt(1 - g_eff^2).
    table : PairTable, optional
        Precomputed F table at variance Delta0.

    Returns
    -------
    LagSolution
        Check ``converged`` (or call :func:`require_converged`). The grid value Delta(0) differs
        from Delta0 by the O(du^2) discretisation error (a check of the grid).

    References
    ----------
    .. [1] docs/science.md §3 (Newton particle); Mato, Rigatuso, Torroba, arXiv:2510.21742.
    """
    if not sigma2 > 0:
        raise ValueError(f"solve_white_noise: sigma2 must be > 0, got {sigma2!r}")
    table = table or pair_table(activation, site.delta0)
    kappa = decay_rate(g, site.s0)
    if kappa < 1e-6:
        raise ValueError(f"solve_white_noise: g_eff = {g * site.s0:.6g} >= 1, no stationary state")
    u = lag_grid((decays + 5.0) / kappa, du)
    guess = newton_particle_guess(table, g, -0.5 * sigma2, u)
    return solve_lag_equation(table.f, table.df, g, Noise(sigma2).source(u), u, guess, pair=table)


# ---------------------------------------------------------------------------------------------
# spectra and double frequency integrals
# ---------------------------------------------------------------------------------------------
def spectrum(values: np.ndarray, u: np.ndarray, w: np.ndarray, method: str = "filon") -> np.ndarray:
    r"""Fourier transform of an even function known on u_k = k du.

        filon:    C(w) = du sinc^2(w du / 2) [C_0 + 2 sum_{k>=1} C_k cos(w u_k)]
        spectral: C(w) = du [C_0 + 2 sum_{k>=1} C_k cos(w u_k)] for |w| <= pi/du, else 0

    ``filon`` is exact for the piecewise-linear interpolant of C (zero beyond the window) and
    keeps the 1/w^2 tail produced by a kink at u = 0 (white noise); ``spectral`` is the
    trapezoid rule, spectrally accurate for a smooth C (chaos), cut at the Nyquist frequency.

    Parameters
    ----------
    values : ndarray
        C(u_k).
    u : ndarray
        Uniform lags starting at 0.
    w : ndarray
        Angular frequencies.
    method : {"filon", "spectral"}
        As above; use the ``kernel`` of the lag solution ("trapezoid" -> "filon").

    Returns
    -------
    ndarray
        C(w), the shape of ``w``.
    """
    du = float(u[1] - u[0])
    weights = 2.0 * np.asarray(values, dtype=float)
    weights[0] *= 0.5
    w = np.asarray(w, dtype=float)
    out = np.empty(w.shape)
    flat_w, flat_out = w.ravel(), out.reshape(-1)
    step = max(1, 4_000_000 // u.size)
    for start in range(0, flat_w.size, step):
        ww = flat_w[start : start + step]
        flat_out[start : start + step] = np.cos(np.outer(ww, u)) @ weights
    if method == "filon":
        return du * np.sinc(w * du / (2.0 * math.pi)) ** 2 * out
    if method == "spectral":
        return np.where(np.abs(w) <= math.pi / du, du * out, 0.0)
    raise ValueError(f"method must be 'filon' or 'spectral', got {method!r}")


@functools.lru_cache(maxsize=8)
def _legendre(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Legendre nodes and weights on [-1, 1] (cached: the eigenvalue solve is slow)."""
    x, wt = special.roots_legendre(n)
    x.flags.writeable = False
    wt.flags.writeable = False
    return x, wt


def frequency_grid(scale: float, n: int = N_FREQ) -> tuple[np.ndarray, np.ndarray]:
    r"""Nodes and weights for int dw/(2 pi) f(w) over the real line.

        w = scale tan(theta),  theta = Gauss-Legendre nodes on (-pi/2, pi/2),
        weight = GL weight * scale / cos^2(theta) / (2 pi)

    A Lorentzian of width ``scale`` becomes a constant in theta; 1/w^2 tails become smooth.
    """
    x, wt = _legendre(n)
    theta = 0.5 * math.pi * x
    w = scale * np.tan(theta)
    weight = 0.5 * math.pi * wt * scale / np.cos(theta) ** 2 / (2.0 * math.pi)
    return w, weight


def _kernels(g: float, s0: float, w1: np.ndarray, w2: np.ndarray):
    """L(w1), L(w2) and q = 1/(1 - g^2 S(w1) S(w2)*) as an outer array."""
    s1 = s0 / (1.0 + 1j * w1)
    s2 = s0 / (1.0 + 1j * w2)
    l1 = 1.0 / (1.0 - g * g * np.abs(s1) ** 2)
    l2 = 1.0 / (1.0 - g * g * np.abs(s2) ** 2)
    q = 1.0 / (1.0 - g * g * np.outer(s1, np.conj(s2)))
    return l1, l2, q


def trace_moments(
    g: float,
    s0: float,
    w: np.ndarray,
    weight: np.ndarray,
    cphi: np.ndarray,
    noise: np.ndarray,
) -> tuple[float, float, float]:
    r"""Connected double-frequency integrals of the linear-equivalent network (docs/theory.md §2).

        Nc2_phi = sum_ij p_i p_j C_i C_j (|q_ij|^2 - 1)                                     (R3)
        Nc2_x   = sum_ij p_i p_j [alpha_i alpha_j K1 + alpha_i beta_j K2 + beta_i alpha_j K3
                                  + beta_i beta_j K4]                                       (T-x)

    with the kernels of the module docstring, alpha = K/(1 + w^2), beta = P/S0^2,
    P = C_phi (1 - g^2 |S|^2) - |S|^2 K, S = S0/(1 + i w). With a single node w = 0 and weight 1
    the same sums are the zero-frequency moments (R1), (R2).

    Parameters
    ----------
    g, s0 : float
        Gain and S0 = <phi'(x)>.
    w, weight : ndarray
        Frequency nodes and weights for int dw/(2 pi) (e.g. :func:`frequency_grid`).
    cphi, noise : ndarray
        C_phi(w) and the noise spectrum K(w) at the nodes.

    Returns
    -------
    nc2_phi, nc2_x, min_residual_power : float
        The two Nc2 and min_w P(w)/max(C_phi) (must be >= 0 up to rounding).

    References
    ----------
    .. [1] docs/science.md §3 (R3), §6 (Psi_x, Clark et al. PRL 131:118401 (2023)), §7, §8;
       derivation: docs/theory.md §2.
    """
    l1, _, q = _kernels(g, s0, w, w)
    s_abs2 = s0 * s0 / (1.0 + w * w)
    p = cphi * (1.0 - g * g * s_abs2) - s_abs2 * noise
    alpha = noise / (1.0 + w * w)
    beta = p / (s0 * s0) if s0 > 0 else np.zeros_like(p)
    m1 = np.abs(q) ** 2 - 1.0  # |q|^2 - 1
    re_q1 = (q - 1.0).real  # Re(q - 1)
    abs_q1 = np.abs(q - 1.0) ** 2
    la, lb = l1[:, None], l1[None, :]
    k1 = la * lb * m1
    k2 = la * (lb * m1 - 2.0 * re_q1)
    k3 = lb * (la * m1 - 2.0 * re_q1)
    k4 = (la - 1.0) * (lb - 1.0) * m1 + abs_q1 * (la + lb - 1.0)
    pc = weight * cphi
    pa = weight * alpha
    pb = weight * beta
    nc2_phi = float(pc @ m1 @ pc)
    nc2_x = float(pa @ k1 @ pa + pa @ k2 @ pb + pb @ k3 @ pa + pb @ k4 @ pb)
    cmax = float(np.max(np.abs(cphi))) or 1.0
    return nc2_phi, nc2_x, float(np.min(p) / cmax)


def laplace(values: np.ndarray, u: np.ndarray, lam: np.ndarray) -> np.ndarray:
    r"""One-sided Laplace transform of a function known on u_k = k du, for complex lam.

        L(lam) = int_0^U e^(-lam t) f(t) dt
               = du [h_0/2 + sum_{k>=1} h_k] + du^2/12 h'(0) - du^4/720 h^(3)(0) + O(du^6),

    h(t) = e^(-lam t) f(t) (Euler-Maclaurin; the terms at t = U vanish with f). The one-sided
    derivatives f'(0+), f''(0+), f'''(0+) come from 6-point one-sided differences, so a kink
    of f at t = 0 (white noise) costs no accuracy. Meant for |lam du| << 1.

    Parameters
    ----------
    values : ndarray
        f(u_k), k = 0..n, with f(U) ~ 0.
    u : ndarray
        Uniform lags from 0.
    lam : ndarray
        Complex arguments, Re lam > 0 or f decaying fast enough.

    Returns
    -------
    ndarray
        Complex L(lam), the shape of ``lam``.
    """
    du = float(u[1] - u[0])
    f = np.asarray(values, dtype=float)
    lam = np.asarray(lam, dtype=complex)
    flat = lam.ravel()
    total = np.empty(flat.shape, dtype=complex)
    step = max(1, 2_000_000 // u.size)
    weights = f.copy()
    weights[0] *= 0.5
    for start in range(0, flat.size, step):
        ll = flat[start : start + step]
        total[start : start + step] = np.exp(-np.outer(ll, u)) @ weights
    total *= du
    # one-sided differences at t = 0+ (exact for polynomials of degree 5)
    f5 = f[:6]
    d1 = np.dot([-137 / 60, 5, -5, 10 / 3, -5 / 4, 1 / 5], f5) / du
    d2 = np.dot([15 / 4, -77 / 6, 107 / 6, -13, 61 / 12, -5 / 6], f5) / du**2
    d3 = np.dot([-17 / 4, 71 / 4, -59 / 2, 49 / 2, -41 / 4, 7 / 4], f5) / du**3
    f0 = f[0]
    h1 = d1 - flat * f0
    h3 = d3 - 3.0 * flat * d2 + 3.0 * flat**2 * d1 - flat**3 * f0
    total += du**2 / 12.0 * h1 - du**4 / 720.0 * h3
    return total.reshape(lam.shape)


def equal_time_moments(
    g: float,
    s0: float,
    w: np.ndarray,
    weight: np.ndarray,
    cphi_w: np.ndarray,
    noise: Noise,
    lap_cphi: np.ndarray,
    lap_delta: np.ndarray,
) -> tuple[float, float]:
    r"""Equal-time Nc2 of phi and x: outer frequency quadrature, inner integral in closed form.

    With k = g S0, kappa^2 = 1 - k^2, lam(w) = 1 - k^2/(1 + i w) and L_f(lam) = int_0^inf
    e^(-lam t) f(t) dt, the inner w' integrals of docs/theory.md §3 are exact (partial fractions
    of q - 1 = k^2 / ((1 + i w)(lam - i w'))):

        Q[f](w) = int dw'/2pi f(w') (q - 1)   = k^2/(1 + i w) L_f(lam)
        M[f](w) = int dw'/2pi f(w') |q - 1|^2 = k^4/(1 + w^2) Re L_f(lam) / Re lam

    for f in {C_phi, Delta, alpha L}; beta = C_phi/S0^2 - Delta (Bussgang: P = C_phi - S0^2 Delta)
    and beta L = C_phi/S0^2 - alpha L. Then

        Nc2_phi = int dw/2pi C_phi (M[C_phi] + 2 Re Q[C_phi])                               (R3)
        Nc2_x   = int dw/2pi [alpha A + beta B],
          A = L (M[C_phi]/S0^2 + 2 Re Q[C_phi]/S0^2 - 2 Re Q[beta])
          B = L (M[aL] + 2 Re Q[aL]) - 2 Re Q[aL] + (L - 1)(M[bL - b] + 2 Re Q[bL - b])
              + (L - 1) M[beta] + M[beta L]                                                 (T-x)

    (aL = alpha L, b = beta). The diagonal ridge of |q|^2 (width kappa^2 + w^2, narrower than
    the spectra near criticality) is integrated exactly, so the outer rule needs no refinement.

    Parameters
    ----------
    g, s0 : float
        Gain and S0.
    w, weight : ndarray
        Outer nodes and weights for int dw/(2 pi).
    cphi_w : ndarray
        C_phi(w) at the nodes.
    noise : Noise
        Noise spectrum K (alpha L has a closed-form Laplace transform).
    lap_cphi, lap_delta : ndarray
        L_{C_phi}(lam(w)) and L_Delta(lam(w)) at the nodes (:func:`laplace`).

    Returns
    -------
    nc2_phi, nc2_x : float

    References
    ----------
    .. [1] docs/theory.md §3; docs/science.md §3 (R3), §6.
    """
    k2 = (g * s0) ** 2
    kappa2 = 1.0 - k2
    kappa = math.sqrt(kappa2)
    w2 = w * w
    lam = 1.0 - k2 / (1.0 + 1j * w)
    pref_q = k2 / (1.0 + 1j * w)
    pref_m = k2 * k2 / (1.0 + w2) / lam.real
    lap_al = noise.laplace_alpha_l(lam, kappa)
    inv_s2 = 1.0 / (s0 * s0)

    def q_re(lap: np.ndarray) -> np.ndarray:
        return (pref_q * lap).real

    def m_of(lap: np.ndarray) -> np.ndarray:
        return pref_m * lap.real

    lap_b = lap_cphi * inv_s2 - lap_delta  # beta
    lap_bl = lap_cphi * inv_s2 - lap_al  # beta L
    lap_bl_b = lap_bl - lap_b  # beta (L - 1)
    big_l = (1.0 + w2) / (kappa2 + w2)
    k_w = noise.spectrum(w)
    alpha = k_w / (1.0 + w2)
    delta_w = (g * g * cphi_w + k_w) / (1.0 + w2)
    beta = cphi_w * inv_s2 - delta_w
    nc2_phi = float(np.sum(weight * cphi_w * (m_of(lap_cphi) + 2.0 * q_re(lap_cphi))))
    big_a = big_l * ((m_of(lap_cphi) + 2.0 * q_re(lap_cphi)) * inv_s2 - 2.0 * q_re(lap_b))
    big_b = (
        big_l * (m_of(lap_al) + 2.0 * q_re(lap_al))
        - 2.0 * q_re(lap_al)
        + (big_l - 1.0) * (m_of(lap_bl_b) + 2.0 * q_re(lap_bl_b))
        + (big_l - 1.0) * m_of(lap_b)
        + m_of(lap_bl)
    )
    nc2_x = float(np.sum(weight * (alpha * big_a + beta * big_b)))
    return nc2_phi, nc2_x


def _stats(a_phi: float, nc2_phi: float, a_x: float, nc2_x: float) -> Stats:
    def one(a: float, nc2: float) -> dict[str, float]:
        a, nc2 = float(a), float(nc2)
        return {"a": a, "cbar": 0.0, "nc2": nc2, "pr_over_n": a * a / (a * a + nc2)}

    return {"x": one(a_x, nc2_x), "phi": one(a_phi, nc2_phi)}


@dataclass(frozen=True)
class LagStatistics:
    """Equal-time and zero-frequency Stats from the lag solution, with provenance."""

    equal_time: Stats
    zero_frequency: Stats
    delta0: float
    s0: float
    settings: dict[str, Any]


#: what a per-step solve returns: the lag solution, S0, equal-time a_phi and a_x = Delta(0)
StepSolve = Callable[[float], tuple[LagSolution, float, float, float]]


def richardson_orders(activation: Activation, noise_tau: float = 0.0) -> tuple[float, ...]:
    r"""Orders p of the lag-step error X(du) = X + sum_p c_p du^p of the trapezoid-kernel DMFT.

    * F analytic at c = Delta0 (linear, tanh, erf, Padé): (2,), the trapezoid rule's du^2
      (kink of G and of Delta at u = 0); measured step-change ratio 4.00
      (docs/NUMERICS.md#dmft, #power-law-dmft).
    * power law, white noise (``noise_tau`` = 0): (2, alpha + 3/2). C_phi(u) = F(Delta(u))
      inherits the branch point of F at rho = 1: F(Delta0) - F(c) has a (1 - rho^2)^(alpha + 1/2)
      part and 1 - rho^2 ~ sigma2 u / Delta0, so C_phi has a |u|^(alpha + 1/2) singularity
      (|u| log|u| at alpha = 1/2), whose trapezoid error is O(du^(alpha + 3/2)) (generalised
      Euler-Maclaurin, Navot 1961); du^2 log du at alpha = 1/2. Measured ratios: 3.27-3.34
      (alpha = 0.25), 3.91-4.15 (0.5), 4.00 (0.75).
    * power law, OU noise (``noise_tau`` > 0): (2, 2 alpha + 2). x is differentiable, so
      1 - rho ~ u^2 near u = 0 and the singularity is |u|^(2 alpha + 1): error du^(2 alpha + 2),
      subleading to du^2. Measured (g = 1, sigma2 = 1, tau_n = 0.5, du = 0.04 ... 0.0025): step
      ratios 4.02-4.04, and after the du^2 step the residual changes by 2^2.5 (alpha = 0.25)
      and 2^3 (0.5) per halving; the three-step value with 2 alpha + 2 changes by 1e-9, that
      with alpha + 3/2 by 4e-8 (docs/NUMERICS.md#power-law-dmft).
    """
    if activation.name == "power":
        alpha = float(activation.kwargs["alpha"])
        return (2.0, 2.0 * alpha + 2.0) if noise_tau > 0 else (2.0, alpha + 1.5)
    return (2.0,)


def _error_basis(orders: tuple[float, ...], t: float) -> list[float]:
    """Error terms at step ratio t: t^2, then (t^p - t^2)/(p - 2) (-> t^2 ln t as p -> 2)."""
    out = []
    for p in orders:
        if abs(p - 2.0) < 1e-12 and not out:
            out.append(t * t)
        elif abs(p - 2.0) < 1e-6:
            out.append(t * t * math.log(t))
        else:
            out.append((t**p - t * t) / (p - 2.0) if orders[0] == 2.0 else t**p)
    return out


def richardson_weights(orders: tuple[float, ...]) -> np.ndarray:
    r"""Weights w_i, steps h_i = 2^(m - i) du (i = 0..m, m = len(orders)), that remove the error
    terms of ``orders``: sum_i w_i = 1 and sum_i w_i phi_p(h_i) = 0 for every p.

    (2,): (-1/3, 4/3), the classic (4 X(du) - X(2 du))/3. (2, p): three steps 4 du, 2 du, du,
    with the basis {t^2, (t^p - t^2)/(p - 2)}, which spans {t^2, t^p} and tends to {t^2, t^2 ln t}
    as p -> 2 (the alpha = 1/2 power law), so the weights are continuous in p.
    """
    m = len(orders)
    ratios = [2.0 ** (m - i) for i in range(m + 1)]
    mat = np.array([[1.0, *_error_basis(orders, t)] for t in ratios]).T
    rhs = np.zeros(m + 1)
    rhs[0] = 1.0
    return np.linalg.solve(mat, rhs)


def richardson_steps(du: float, orders: tuple[float, ...]) -> list[float]:
    """Lag steps h_i = 2^(m - i) du, i = 0..m (coarsest first), m = len(orders): the steps at
    which :func:`richardson_weights` combines a number that carries the error terms ``orders``
    (:func:`richardson_orders`)."""
    return [du * 2.0**i for i in range(len(orders), -1, -1)]


def richardson_extrapolate(values: Any, orders: tuple[float, ...]) -> Any:
    r"""X = sum_i w_i X(h_i): remove the error terms du^p, p in ``orders``, from values at
    :func:`richardson_steps` (coarsest first; first axis of ``values``), with
    :func:`richardson_weights`.

    The one extrapolation of the trapezoid-kernel lag solutions: ``lag_statistics`` and the
    random-mode rank integral (``_random_mode.rank_integral_equal_time``) call it, so that the
    power law's du^(alpha + 3/2) term is removed wherever a lag solution is used.
    """
    table = np.asarray(values, dtype=float)
    if table.shape[0] != len(orders) + 1:
        raise ValueError(
            f"richardson_extrapolate: {table.shape[0]} values for {len(orders)} error orders "
            f"(need {len(orders) + 1}, at richardson_steps)"
        )
    return richardson_weights(orders) @ table


#: a lag solve that stopped above TOL is accepted when its residual is below this fraction of
#: kappa^2 times the estimated grid error of Delta (its effect on Delta, <= residual/kappa^2, is
#: then < 1 % of the discretisation error; docs/NUMERICS.md#power-law-dmft)
GRID_ERROR_FRACTION: float = 1e-2


def lag_statistics(
    solve: StepSolve,
    du: float,
    g: float,
    noise: Noise,
    *,
    n_freq: int = N_FREQ,
    what: str = "DMFT",
    orders: tuple[float, ...] = (2.0,),
) -> LagStatistics:
    r"""Equal-time and zero-frequency statistics from lag solutions at steps 2^m du, ..., du.

    For each step h the lag solution gives C_phi(w) (:func:`spectrum`) on the frequency grid
    (:func:`frequency_grid`, scale min(kappa, 1)) and the moments of :func:`trace_moments`:

        equal time:      a_phi, a_x from ``solve``; Nc2 from the double integrals (R3), (T-x)
        zero frequency:  a_phi = C_phi(w=0),  a_x = Delta(w=0) = g^2 C_phi(0) + K(0)   (D1),
                         Nc2 from the same kernels at w = w' = 0 ((R1), (R2) when K = sigma2)

    Lag solutions with the trapezoid kernel (white and coloured noise) carry the error terms
    du^p, p in ``orders`` (:func:`richardson_orders`), so every number X is extrapolated with
    :func:`richardson_weights` from m + 1 = len(orders) + 1 steps: (4 X(du) - X(2 du))/3 for
    orders (2,), three steps for the power law. With the spectral kernel (chaos) X = X(du) and
    X(2 du) is a convergence check.

    Convergence criterion of each lag solve: residual <= TOL (the solver's target), or, if the
    solver stalls above it, residual <= GRID_ERROR_FRACTION kappa^2 e_grid with e_grid =
    max |Delta_du - Delta_2du| / Delta(0) (the grid error of the coarser solution; a solver
    error below 1 % of it changes nothing; docs/NUMERICS.md#power-law-dmft).

    Parameters
    ----------
    solve : callable
        ``solve(h) -> (LagSolution, S0, a_phi, a_x)`` for a lag step h.
    du : float
        The finest step.
    g : float
        Coupling gain.
    noise : Noise
        Noise spectrum (``Noise(0.0)`` for chaos).
    n_freq : int
        Gauss-Legendre nodes of the frequency integrals.
    what : str
        Name used in error messages.
    orders : tuple of float
        Error orders of the trapezoid kernel (:func:`richardson_orders`); ignored (two steps,
        no extrapolation) for the spectral kernel.

    Returns
    -------
    LagStatistics
        settings: du, window, kernel, lag residual/iterations, n_freq, the change of the
        equal-time PR/N between steps 2 du and du, the observed ratio of successive step
        changes of PR/N (three steps), the Richardson orders, and min_w P(w)/max C_phi.

    Raises
    ------
    DMFTConvergenceError
        If a lag solve does not converge, or the residual power P(w) of the linear-equivalent
        network is negative beyond discretisation error (min P/max C_phi < -P_TOL).
    """
    solved = []
    for h in richardson_steps(du, orders):
        sol, s0, a_phi, a_x = solve(h)
        if sol.settings["kernel"] == "spectral" and h > 2.0 * du:
            continue  # the spectral kernel needs no extrapolation: steps 2 du and du only
        solved.append((sol, s0, a_phi, a_x))
    _accept_by_grid_error(solved, g, what)
    rows = []
    info: dict[str, Any] = {}
    for sol, s0, a_phi, a_x in solved:
        kappa = decay_rate(g, s0)
        w, weight = frequency_grid(max(min(kappa, 1.0), 1e-4), n_freq)
        method = "spectral" if sol.settings["kernel"] == "spectral" else "filon"
        cphi_w = spectrum(sol.cphi, sol.u, w, method)
        lam = 1.0 - (g * s0) ** 2 / (1.0 + 1j * w)
        nc2_phi, nc2_x = equal_time_moments(
            g,
            s0,
            w,
            weight,
            cphi_w,
            noise,
            laplace(sol.cphi, sol.u, lam),
            laplace(sol.delta, sol.u, lam),
        )
        k_w = noise.spectrum(w)
        p_w = cphi_w - s0 * s0 * (g * g * cphi_w + k_w) / (1.0 + w * w)  # P = C_phi - S0^2 Delta
        p_min = float(np.min(p_w) / max(float(np.max(np.abs(cphi_w))), 1e-300))
        zero = np.zeros(1)
        cphi0 = spectrum(sol.cphi, sol.u, zero, method)
        k0 = noise.spectrum(zero)
        z_phi, z_x, p0 = trace_moments(g, s0, zero, np.ones(1), cphi0, k0)  # no integral at w=0
        a_phi0 = float(cphi0[0])
        a_x0 = float(g * g * cphi0[0] + k0[0])
        if min(p_min, p0) < -P_TOL:
            raise DMFTConvergenceError(
                f"{what}: negative residual power P(w) (min P/max C_phi = {min(p_min, p0):.3g}); "
                "the linear-equivalent network does not apply"
            )
        rows.append([a_phi, nc2_phi, a_x, nc2_x, a_phi0, z_phi, a_x0, z_x, s0, float(sol.delta[0])])
        info = {
            **sol.settings,
            "lag_residual": max(float(x[0].residual) for x in solved),
            "lag_iterations": sol.iterations,
            "n_freq": n_freq,
            "min_residual_power": min(p_min, p0),
        }
    table = np.array(rows)
    fine = table[-1]
    spectral = method == "spectral"
    # trapezoid: error terms du^p (``orders``) -> Richardson; spectral: the coarse step is a check
    best = fine if spectral else richardson_extrapolate(table, orders)
    eq = _stats(*best[0:4])
    zf = _stats(*best[4:8])
    pr = [_stats(*row[0:4]) for row in table]
    for var in ("phi", "x"):
        changes = [
            pr[i + 1][var]["pr_over_n"] - pr[i][var]["pr_over_n"] for i in range(len(pr) - 1)
        ]
        info[f"step_change_pr_{var}_equal_time"] = float(changes[-1])
        if len(changes) >= 2:  # observed ratio of successive step changes (4 for pure du^2)
            info[f"step_ratio_pr_{var}_equal_time"] = float(changes[-2] / changes[-1])
    info["richardson"] = not spectral
    info["richardson_orders"] = list(orders) if not spectral else []
    info["grid_delta0"] = float(best[9])
    return LagStatistics(eq, zf, float(best[9]), float(best[8]), info)


def _accept_by_grid_error(solved: list, g: float, what: str) -> None:
    """Raise unless every lag solve converged, by TOL or by the grid-error criterion."""
    fine, coarse = solved[-1][0], solved[-2][0]
    grid_error = 0.0
    if np.all(np.isfinite(fine.delta)) and np.all(np.isfinite(coarse.delta)):
        ratio = round(coarse.du / fine.du)  # 2: the coarse lags are every other fine lag
        fine_on_coarse = fine.delta[::ratio]
        n_common = min(coarse.u.size, fine_on_coarse.size)
        diff = fine_on_coarse[:n_common] - coarse.delta[:n_common]
        grid_error = float(np.max(np.abs(diff)) / max(abs(fine.delta[0]), 1e-300))
    for sol, s0, *_ in solved:
        if sol.converged:
            continue
        kappa2 = decay_rate(g, s0) ** 2
        limit = GRID_ERROR_FRACTION * kappa2 * grid_error
        if sol.flag == "maxiter" and np.isfinite(sol.residual) and sol.residual <= limit:
            sol.settings["accepted_by_grid_error"] = {"grid_error": grid_error, "limit": limit}
            continue
        raise DMFTConvergenceError(
            f"{what}: {sol.flag} (residual {sol.residual:.3g} after {sol.iterations} "
            f"iterations; grid-error criterion {limit:.3g}: grid error {grid_error:.3g} of "
            f"Delta, kappa^2 = {kappa2:.3g}; min spectrum {sol.min_spectrum:.3g}, "
            f"settings {sol.settings})"
        )


def equal_time_statistics(
    activation: Activation, g: float, sigma2: float, site: SingleSite
) -> Stats:
    r"""Equal-time statistics of x and phi(x), white noise, large N.

        phi:  a = <phi^2> - <phi>^2,  cbar = 0,
              Nc2 = (2 pi)^-2 int int dw dw' C_phi(w) C_phi(w') [1/|1 - g^2 S S'*|^2 - 1]  (R3)
        x:    a = Delta0,  cbar = 0,  Nc2 from (T-x) (docs/theory.md §2), S(w) = S0/(1 + i w);
        PR/N = a^2 / (a^2 + Nc2).

    Parameters
    ----------
    activation : Activation
        Odd activation.
    g : float
        Coupling gain.
    sigma2 : float
        White-noise intensity, > 0.
    site : SingleSite
        Single-site solution (Delta0 from (E1), S0, <phi^2>), from ``_noisy.single_site``.

    Returns
    -------
    Stats
        {"x": {...}, "phi": {...}}; all NaN if ``site`` is not valid.

    Raises
    ------
    DMFTConvergenceError
        If the lag-grid solver does not converge or finds a negative power spectrum.

    Notes
    -----
    Large N, stationary state, odd phi; the x statistics use the linear-equivalent network
    (science.md §7), exact for linear phi (§4 closed forms reproduced to < 1e-6, tests).

    References
    ----------
    .. [1] Mato, Rigatuso, Torroba, arXiv:2510.21742; docs/science.md §3 (R3); docs/theory.md.

    Examples
    --------
    >>> from rnncorr.activations import get_activation
    >>> from rnncorr.theory._noisy import single_site
    >>> tanh = get_activation("tanh")
    >>> st = equal_time_statistics(tanh, 0.5, 1.0, single_site(tanh, 0.5, 1.0))
    >>> round(st["phi"]["pr_over_n"], 5)   # science.md §11
    0.93211
    """
    if not site.valid:
        return nan_statistics()
    table = pair_table(activation, site.delta0)
    mean_phi = float(gauss_average(activation, "phi_mean", site.delta0))
    a_phi = site.phi2 - mean_phi**2

    def solve(h: float) -> tuple[LagSolution, float, float, float]:
        sol = solve_white_noise(activation, g, sigma2, site, du=h, table=table)
        return sol, site.s0, a_phi, site.delta0

    return lag_statistics(
        solve,
        DU_NOISY,
        g,
        Noise(sigma2),
        what="white-noise DMFT",
        orders=richardson_orders(activation),
    ).equal_time
