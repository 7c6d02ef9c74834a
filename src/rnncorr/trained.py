r"""Trained attractor networks: build, train, find fixed points, measure their local dynamics.

Reservoir with output feedback (docs/science.md §10; Rivkind & Barak, PRL 118:258101 (2017)):

    dx/dt = -x + J phi(x) + u z,   z = w^T phi(x),   J_ij ~ N(0, g^2/N),   u_i ~ N(0, 1)

Training (open loop): for every target A_mu clamp z = A_mu, find the driven fixed point
x^mu = J phi(x^mu) + u A_mu by damped Newton, then solve w^T phi(x^mu) = A_mu for w in the
minimum-norm sense (``ridge=0``) or by ridge regression. Closing the loop, x^mu is again a fixed
point (exactly for the minimum-norm read-out; found by Newton from x^mu otherwise). Near it

    M_mu = -I + (J + u w^T) diag(phi'(x^mu))                   (closed-loop Jacobian)

has a bulk disc centred at -1 of radius g sqrt(<phi'^2>) and P outliers, predicted by
:func:`rnncorr.theory._trained.solve_trained`. This module measures them (ARPACK on the N x N
Jacobian), measures the relaxation rate of z after a small perturbation by integrating the
nonlinear closed-loop dynamics, and reports failures (fixed point not found or lost, unstable)
as data: every result carries a ``status`` and NaN where a number does not exist.

Public entry points: :func:`train_network`, :func:`analyse_attractor`, :func:`trained_report`
(the ``rnncorr trained`` CLI) and :func:`trained_scan` (the workflow's per-activation dataset).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr
from scipy.sparse import linalg as sparse_linalg

from rnncorr.activations import Activation, get_activation
from rnncorr.theory._trained import (
    MARGINAL_TOL,
    _jsonable,
    bulk_critical_g,
    bulk_radius,
    lambda_z,
    solve_trained,
)

__all__ = [
    "STATUSES",
    "AttractorResult",
    "FixedPoint",
    "TrainedNetwork",
    "analyse_attractor",
    "closed_loop_fixed_point",
    "closed_loop_jacobian_eigenvalues",
    "driven_fixed_point",
    "make_reservoir",
    "relaxation_rate",
    "train_network",
    "train_readout",
    "aggregate_trained",
    "trained_report",
    "trained_scan",
]

#: outcome of one trained attractor; "stable" and "marginal" (relu's line attractor) count as
#: training success, the other three as failure
STATUSES: tuple[str, ...] = (
    "stable",
    "marginal",
    "unstable",
    "fixed_point_lost",
    "open_loop_not_found",
)
#: stream id mixed into the seed so that trained reservoirs never share random numbers with
#: the noise-driven simulations (rnncorr.simulate uses SeedSequence([seed, cell_id]))
_STREAM = 0x7472_6169  # "trai"
#: Newton stops when max_i |F_i(x)| is below this (potentials are O(1))
NEWTON_TOL = 1e-11
#: a closed-loop fixed point whose output misses the target by more than this is "lost"
TARGET_TOL = 1e-3
#: measured modes with |Re lambda| below this are marginal: ARPACK's relative tolerance 1e-10
#: times |lambda + 1| ~ 1, with margin
MEASURED_MARGINAL_TOL = 1e-8
#: dense eigen-decomposition up to this N, ARPACK (k largest |lambda + 1|) beyond
DENSE_MAX_N = 300
#: ARPACK restarts: outliers converge in a few; the clustered bulk-edge eigenvalues may not, and
#: are then dropped (only the outliers and an estimate of the edge are needed)
_ARPACK_RESTARTS = 300


# ---------------------------------------------------------------------------------------------
# network and fixed points
# ---------------------------------------------------------------------------------------------
def make_reservoir(n: int, g: float, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """J (N x N, iid N(0, g^2/N)), feedback u (iid N(0, 1)) and a unit-variance direction xi.

    Streams: ``SeedSequence([seed, _STREAM, N])`` spawns one child each for J, u and xi (used
    for perturbations), so that networks with the same seed and N differ only through g: a scan
    over g rescales one matrix.
    """
    if not (isinstance(n, (int, np.integer)) and n >= 2):
        raise ValueError(f"N must be an integer >= 2, got {n!r}")
    if not (math.isfinite(g) and g >= 0):
        raise ValueError(f"g must be a finite number >= 0, got {g!r}")
    if not (isinstance(seed, (int, np.integer)) and seed >= 0):
        raise ValueError(f"seed must be an integer >= 0, got {seed!r}")
    streams = np.random.SeedSequence([int(seed), _STREAM, int(n)]).spawn(3)
    rng_j, rng_u, rng_xi = (np.random.default_rng(s) for s in streams)
    j = rng_j.standard_normal((n, n)) * (g / math.sqrt(n))
    return j, rng_u.standard_normal(n), rng_xi.standard_normal(n)


@dataclass(frozen=True)
class FixedPoint:
    """A Newton solve of 0 = -x + W phi(x) + b: the point, whether it converged, max |F|."""

    x: np.ndarray
    converged: bool
    residual: float
    iterations: int


def _newton(
    w_mat: np.ndarray,
    feedback: tuple[np.ndarray, np.ndarray] | None,
    bias: np.ndarray,
    activation: Activation,
    x0: np.ndarray,
    max_iter: int = 40,
) -> FixedPoint:
    """Damped Newton on F(x) = -x + W phi(x) + u (w^T phi(x)) + b, backtracking on |F|."""
    phi, dphi = activation.phi, activation.dphi

    def field(x: np.ndarray) -> np.ndarray:
        p = phi(x)
        out = -x + w_mat @ p + bias
        if feedback is not None:
            out += feedback[0] * (feedback[1] @ p)
        return out

    x = np.array(x0, dtype=float)
    f = field(x)
    res = float(np.max(np.abs(f)))
    n = x.size
    for it in range(max_iter):
        if not math.isfinite(res):
            break
        if res <= NEWTON_TOL:
            return FixedPoint(x, True, res, it)
        jac = w_mat * dphi(x)[None, :]
        if feedback is not None:
            jac += np.outer(feedback[0], feedback[1] * dphi(x))
        jac[np.diag_indices(n)] -= 1.0
        try:
            step = np.linalg.solve(jac, -f)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(jac, -f, rcond=None)[0]
        t = 1.0
        while t > 1e-6:  # backtrack until |F| decreases (Armijo with a loose constant)
            x_new = x + t * step
            f_new = field(x_new)
            res_new = float(np.max(np.abs(f_new)))
            if res_new < (1.0 - 1e-4 * t) * res or res_new <= NEWTON_TOL:
                break
            t *= 0.5
        else:
            break  # no descent: a singular or indefinite region; report non-convergence
        x, f, res = x_new, f_new, res_new
    return FixedPoint(x, bool(res <= NEWTON_TOL), res, max_iter)


def driven_fixed_point(
    j: np.ndarray, u: np.ndarray, activation: Activation, z: float, x0: np.ndarray | None = None
) -> FixedPoint:
    r"""Open-loop fixed point x = J phi(x) + u z with the output clamped to z (damped Newton).

    Starts from ``x0`` (default u z, the fixed point at g = 0). For a bulk-stable network
    (g^2 <phi'^2> < 1) the driven fixed point is unique and Newton converges in a few steps;
    in the chaotic regime it may find one of many unstable fixed points or none.
    """
    x0 = u * z if x0 is None else x0
    return _newton(j, None, u * z, activation, x0)


def train_readout(phis: np.ndarray, targets: Sequence[float], ridge: float = 0.0) -> np.ndarray:
    r"""Read-out w with w^T phi(x^mu) = A_mu: minimum norm (ridge = 0) or ridge regression.

        ridge = 0:  w = Phi (Phi^T Phi)^+ A     (numpy lstsq, exact interpolation for P < N)
        ridge > 0:  w = Phi (Phi^T Phi + ridge I)^{-1} A

    Parameters
    ----------
    phis : ndarray (N, P)
        Columns phi(x^mu).
    targets : sequence of float
        A_1..A_P.
    ridge : float
        Tikhonov parameter, >= 0.
    """
    a = np.asarray(targets, dtype=float)
    if ridge < 0 or not math.isfinite(ridge):
        raise ValueError(f"ridge must be a finite number >= 0, got {ridge!r}")
    if ridge == 0:
        return np.linalg.lstsq(phis.T, a, rcond=None)[0]
    gram = phis.T @ phis + ridge * np.eye(a.size)
    return phis @ np.linalg.solve(gram, a)


def closed_loop_fixed_point(
    j: np.ndarray, u: np.ndarray, w: np.ndarray, activation: Activation, x0: np.ndarray
) -> FixedPoint:
    """Closed-loop fixed point x = (J + u w^T) phi(x), by damped Newton from ``x0``."""
    return _newton(j, (u, w), np.zeros_like(u), activation, x0)


@dataclass(frozen=True)
class TrainedNetwork:
    """A reservoir with its trained read-out and its open-loop fixed points (columns of x)."""

    activation: Activation
    g: float
    targets: tuple[float, ...]
    j: np.ndarray
    u: np.ndarray
    xi: np.ndarray
    w: np.ndarray
    open_loop: tuple[FixedPoint, ...]
    seed: int
    ridge: float

    @property
    def n(self) -> int:
        return self.u.size


def train_network(
    activation: Activation | str,
    g: float,
    targets: Sequence[float],
    n: int,
    seed: int,
    ridge: float = 0.0,
) -> TrainedNetwork:
    """Build the reservoir, find the P driven fixed points and train w on those that exist.

    A target whose driven fixed point is not found is left out of the read-out (its
    ``open_loop[mu].converged`` is False); with none found, w = 0.
    """
    act = get_activation(activation) if isinstance(activation, str) else activation
    a = tuple(float(v) for v in np.atleast_1d(targets))
    if not a or not all(math.isfinite(v) for v in a):
        raise ValueError(f"targets must be a non-empty list of finite numbers, got {targets!r}")
    j, u, xi = make_reservoir(n, g, seed)
    fps = tuple(driven_fixed_point(j, u, act, amp) for amp in a)
    ok = [mu for mu, fp in enumerate(fps) if fp.converged]
    if ok:
        phis = np.stack([act.phi(fps[mu].x) for mu in ok], axis=1)
        w = train_readout(phis, [a[mu] for mu in ok], ridge)
    else:
        w = np.zeros(n)
    return TrainedNetwork(act, float(g), a, j, u, xi, w, fps, int(seed), float(ridge))


# ---------------------------------------------------------------------------------------------
# local dynamics
# ---------------------------------------------------------------------------------------------
def _edge_factor(n: int) -> float:
    """Finite-N margin on the circular-law radius: the spectral radius of an N x N iid matrix
    exceeds its limit by about sqrt(log N / (4 N)) (Rider 2003); twice that separates the bulk's
    edge from an outlier (N = 400: 12%, N = 2000: 6%; observed excess here 2-4% at N = 400-1000).
    """
    return 1.0 + math.sqrt(math.log(n) / n)


def closed_loop_jacobian_eigenvalues(
    net: TrainedNetwork, x: np.ndarray, k: int | None = None
) -> tuple[np.ndarray, float]:
    r"""Eigenvalues of M = -I + (J + u w^T) diag(phi'(x)) of largest |lambda + 1|, and r_bulk.

    Returns the ``k`` eigenvalues of largest |lambda + 1| (default P + 2; all of them for
    N <= DENSE_MAX_N), sorted by decreasing |lambda + 1|, and the circular-law bulk radius
    r_bulk = g sqrt(mean_i phi'(x_i)^2) of this network. ARPACK ("LM" on (J + u w^T) D, matrix-
    vector products only) converges fast for the outliers; bulk-edge eigenvalues that do not
    converge are dropped (the partial result is kept).
    """
    d = net.activation.dphi(x)
    r_bulk = net.g * math.sqrt(float(np.mean(d * d)))
    n = net.n
    if n <= DENSE_MAX_N:
        mat = (net.j + np.outer(net.u, net.w)) * d[None, :]
        ev = np.linalg.eigvals(mat)
    else:
        k = min(k or len(net.targets) + 2, n - 2)
        j, u, w = net.j, net.u, net.w

        def matvec(v: np.ndarray) -> np.ndarray:
            dv = d * v.ravel()
            return j @ dv + u * (w @ dv)

        op = sparse_linalg.LinearOperator((n, n), matvec=matvec, dtype=float)
        v0 = np.ones(n) / math.sqrt(n)  # deterministic start: results reproducible
        try:
            ev = sparse_linalg.eigs(
                op,
                k=k,
                which="LM",
                tol=1e-10,
                ncv=min(n - 1, max(4 * k, 20)),
                v0=v0,
                maxiter=_ARPACK_RESTARTS,
                return_eigenvectors=False,
            )
        except sparse_linalg.ArpackNoConvergence as exc:
            ev = exc.eigenvalues
    ev = np.asarray(ev, dtype=complex)
    ev = ev[np.argsort(-np.abs(ev), kind="stable")]
    return ev - 1.0, r_bulk


def relaxation_rate(
    net: TrainedNetwork,
    x: np.ndarray,
    eps: float = 1e-3,
    dt: float = 0.2,
    t_max: float = 80.0,
    floor: float = 1e-11,
) -> tuple[float, np.ndarray, np.ndarray]:
    r"""Decay rate of z(t) - z* after a small kick, from the nonlinear closed-loop dynamics.

    Integrates d delta/dt = -delta + (J + u w^T)(phi(x* + delta) - phi(x*)) (the closed-loop
    equation written about the fixed point, so that its O(1e-12) residual does not drive a
    drift) by classical RK4, from delta(0) = eps (u + xi)/sqrt(2) (the feedback direction, which
    excites the outliers, plus a random one, which excites the bulk). Stops when |delta z| falls
    below ``floor`` (rounding of z) or exceeds 0.1 (nonlinear regime) or at t_max, and fits
    log |delta z| = c + rate t by least squares on the last third of the record, where the bulk
    (decaying at >= 1 - r_bulk) has died out.

    Returns
    -------
    rate : float
        Fitted rate: lambda_z for P = 1 (0 for relu's line attractor, > 0 when unstable);
        NaN if fewer than 5 points are usable.
    t, dz : ndarray
        The record (for plots).

    Notes
    -----
    RK4 at dt = 0.2: the local error of a mode e^{lambda t} is (lambda dt)^5/120, a rate error
    below 1e-5 for |lambda| < 1.5; the bulk (|lambda + 1| < 1) is well inside RK4's stability
    region. Nonlinear corrections are O(eps) relative and decay twice as fast.
    """
    phi = net.activation.phi
    j, u, w = net.j, net.u, net.w
    p0 = phi(x)

    def rhs(delta: np.ndarray) -> np.ndarray:
        dp = phi(x + delta) - p0
        return -delta + j @ dp + u * (w @ dp)

    delta = eps * (u + net.xi) / math.sqrt(2.0)
    steps = int(round(t_max / dt))
    t_rec = [0.0]
    dz_rec = [float(w @ (phi(x + delta) - p0))]
    for step in range(1, steps + 1):
        k1 = rhs(delta)
        k2 = rhs(delta + 0.5 * dt * k1)
        k3 = rhs(delta + 0.5 * dt * k2)
        k4 = rhs(delta + dt * k3)
        delta = delta + dt / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
        dz = float(w @ (phi(x + delta) - p0))
        if not math.isfinite(dz):
            break
        t_rec.append(step * dt)
        dz_rec.append(dz)
        if abs(dz) < floor or abs(dz) > 0.1:
            break
    t_arr, dz_arr = np.array(t_rec), np.array(dz_rec)
    use = np.arange(t_arr.size) >= (2 * t_arr.size) // 3
    use &= (np.abs(dz_arr) > floor) & np.isfinite(dz_arr)
    if use.sum() < 5:
        return math.nan, t_arr, dz_arr
    rate = float(np.polyfit(t_arr[use], np.log(np.abs(dz_arr[use])), 1)[0])
    return rate, t_arr, dz_arr


@dataclass(frozen=True)
class AttractorResult:
    """Measured local dynamics at one trained attractor.

    ``outliers``: eigenvalues of the closed-loop Jacobian outside the bulk disc (radius
    ``bulk_radius`` x the finite-N edge factor), by decreasing real part; ``max_real``: the
    largest real part of the spectrum, max(Re outliers, -1 + bulk edge), with the edge the
    larger of ``bulk_radius`` and ``bulk_edge`` (the largest |lambda + 1| inside the disc);
    ``relaxation``: the fitted decay rate of z; ``status``: one of ``STATUSES``. NaN where a
    number does not exist.
    """

    target: float
    status: str
    output: float
    residual: float
    outliers: tuple[complex, ...]
    bulk_radius: float
    bulk_edge: float
    max_real: float
    relaxation: float

    @property
    def stable(self) -> bool:
        """Training succeeded here: a fixed point at the target, stable or marginal."""
        return self.status in ("stable", "marginal")


def analyse_attractor(net: TrainedNetwork, mu: int, relax: bool = True) -> AttractorResult:
    """Closed-loop fixed point from the open-loop one, Jacobian outliers, relaxation, status.

    Status: ``open_loop_not_found`` (Newton failed on the driven network), ``fixed_point_lost``
    (closed-loop Newton fails or its output misses A_mu by more than TARGET_TOL), ``unstable``
    (an outlier with Re > MEASURED_MARGINAL_TOL or a bulk disc reaching |lambda + 1| >= 1),
    ``marginal`` (the largest real part within MEASURED_MARGINAL_TOL of 0), else ``stable``.
    """
    amp = net.targets[mu]
    nan = math.nan
    fp0 = net.open_loop[mu]
    if not fp0.converged:
        return AttractorResult(
            amp, "open_loop_not_found", nan, fp0.residual, (), nan, nan, nan, nan
        )
    fp = closed_loop_fixed_point(net.j, net.u, net.w, net.activation, fp0.x)
    z = float(net.w @ net.activation.phi(fp.x)) if np.all(np.isfinite(fp.x)) else nan
    if not fp.converged or not abs(z - amp) <= TARGET_TOL:
        return AttractorResult(amp, "fixed_point_lost", z, fp.residual, (), nan, nan, nan, nan)
    ev, r_bulk = closed_loop_jacobian_eigenvalues(net, fp.x)
    shifted = np.abs(ev + 1.0)
    edge = r_bulk * _edge_factor(net.n)
    outliers = ev[shifted > edge]
    outliers = tuple(complex(v) for v in sorted(outliers, key=lambda v: (-v.real, v.imag)))
    inner = shifted[shifted <= edge]
    bulk_edge = float(inner.max()) if inner.size else nan
    # the bulk is a disc centred at -1: its rightmost point is -1 + edge (the largest-|lambda+1|
    # eigenvalues ARPACK returns lie anywhere on the edge circle, not necessarily near the axis)
    disc = r_bulk if not math.isfinite(bulk_edge) else max(bulk_edge, r_bulk)
    max_real = max([-1.0 + disc] + [v.real for v in outliers])
    if max_real > MEASURED_MARGINAL_TOL or disc >= 1.0:
        status = "unstable"
    elif max_real >= -MEASURED_MARGINAL_TOL:
        status = "marginal"
    else:
        status = "stable"
    rate = relaxation_rate(net, fp.x)[0] if relax else nan
    return AttractorResult(amp, status, z, fp.residual, outliers, r_bulk, bulk_edge, max_real, rate)


# ---------------------------------------------------------------------------------------------
# reports and datasets
# ---------------------------------------------------------------------------------------------
def trained_report(
    activation: str | Activation,
    g: float,
    targets: Sequence[float],
    N: int,  # noqa: N803 (the CLI's and science.md's name)
    seed: int,
) -> dict[str, Any]:
    """Theory and simulation of one trained network, the JSON of ``rnncorr trained``.

    Returns exactly ``{"theory": {"attractors": [{"target", "eigenvalues", "stable"}]},
    "simulation": {"attractors": [...]}}``: theory eigenvalues are the P local modes (T3),
    simulated ones the closed-loop Jacobian's outliers; a real eigenvalue is a float, a complex
    one [re, im], a missing one null; ``stable`` is True for a stable or marginal attractor.

    Examples
    --------
    >>> report = trained_report("tanh", 0.5, [0.7], N=200, seed=0)
    >>> round(report["theory"]["attractors"][0]["eigenvalues"][0], 5)   # science.md §11
    -0.42972
    """
    act = get_activation(activation) if isinstance(activation, str) else activation
    theory = solve_trained(act, g, targets).to_dict()
    net = train_network(act, g, targets, N, seed)
    measured = [analyse_attractor(net, mu, relax=False) for mu in range(len(net.targets))]
    simulation = {
        "attractors": [
            {
                "target": r.target,
                "eigenvalues": [_jsonable(v) for v in r.outliers],
                "stable": r.stable,
            }
            for r in measured
        ]
    }
    return {"theory": theory, "simulation": simulation}


def trained_scan(
    activation: str | Activation,
    g_values: Sequence[float],
    amplitudes: Sequence[float],
    N: int,  # noqa: N803
    seeds: Sequence[int],
    ridge: float = 0.0,
    relax: bool = True,
) -> xr.Dataset:
    r"""Single-target (P = 1) networks on a (g, A, seed) grid, theory and measurement.

    Dataset (dims ``g, target, seed``; scalar coords ``activation`` (label), ``N``):

    ==================  ==========================  ================================================
    lambda_theory       (g, target)                 lambda_z (T4)
    g_critical_theory   (target)                    gain where g^2 <phi'^2> = 1 (bulk boundary)
    bulk_theory         (g, target)                 g sqrt(<phi'^2>) (T2); bulk stable iff < 1
    success_theory      (g, target)                 1 if bulk_theory < 1 and lambda_theory <= 0
    lambda_outlier      (g, target, seed)           real part of the Jacobian's outlier (NaN: none)
    n_outliers          (g, target, seed)           number of outliers found
    lambda_relax        (g, target, seed)           fitted relaxation rate of z
    bulk_radius         (g, target, seed)           g sqrt(mean phi'(x*)^2) of the network
    max_real            (g, target, seed)           largest real part among computed eigenvalues
    status              (g, target, seed)           index into ``STATUSES`` (attr flag_meanings)
    success             (g, target, seed)           1 if status is stable or marginal
    ==================  ==========================  ================================================
    """
    act = get_activation(activation) if isinstance(activation, str) else activation
    gs = [float(v) for v in g_values]
    amps = [float(v) for v in amplitudes]
    seeds = [int(s) for s in seeds]
    shape_t = (len(gs), len(amps))
    shape = (*shape_t, len(seeds))
    lam_t, bulk_t = np.full(shape_t, np.nan), np.full(shape_t, np.nan)
    out = {k: np.full(shape, np.nan) for k in ("outlier", "relax", "bulk", "max_real")}
    n_out = np.zeros(shape, dtype=np.int32)
    status = np.zeros(shape, dtype=np.int8)
    for i, g in enumerate(gs):
        for a_idx, amp in enumerate(amps):
            lam_t[i, a_idx] = lambda_z(act, g, amp)
            bulk_t[i, a_idx] = bulk_radius(act, g, amp)
        for s_idx, seed in enumerate(seeds):
            for a_idx, amp in enumerate(amps):
                res = analyse_attractor(train_network(act, g, [amp], N, seed, ridge), 0, relax)
                idx = (i, a_idx, s_idx)
                status[idx] = STATUSES.index(res.status)
                n_out[idx] = len(res.outliers)
                out["outlier"][idx] = res.outliers[0].real if res.outliers else np.nan
                out["relax"][idx] = res.relaxation
                out["bulk"][idx] = res.bulk_radius
                out["max_real"][idx] = res.max_real
    g_crit = np.array([bulk_critical_g(act, amp) for amp in amps])
    success_t = ((bulk_t < 1.0) & (lam_t <= MARGINAL_TOL)).astype(np.int8)
    success = np.isin(status, [0, 1]).astype(np.int8)
    dims_t, dims = ("g", "target"), ("g", "target", "seed")
    rate = "1 / time constant"
    data = {
        "lambda_theory": (dims_t, lam_t, {"long_name": "lambda_z, mean-field (T4)", "units": rate}),
        "bulk_theory": (dims_t, bulk_t, {"long_name": "bulk radius g sqrt(<phi'^2>) (T2)"}),
        "success_theory": (dims_t, success_t, {"long_name": "predicted training success"}),
        "g_critical_theory": (
            ("target",),
            g_crit,
            {"long_name": "g at which the bulk loses stability, g^2 <phi'^2> = 1 (T2)"},
        ),
        "lambda_outlier": (
            dims,
            out["outlier"],
            {"long_name": "real part of the closed-loop Jacobian's outlier", "units": rate},
        ),
        "n_outliers": (dims, n_out, {"long_name": "outliers outside the bulk disc"}),
        "lambda_relax": (
            dims,
            out["relax"],
            {"long_name": "fitted relaxation rate of z after a kick", "units": rate},
        ),
        "bulk_radius": (dims, out["bulk"], {"long_name": "g sqrt(mean phi'(x*)^2)"}),
        "max_real": (dims, out["max_real"], {"long_name": "largest real part", "units": rate}),
        "status": (
            dims,
            status,
            {
                "long_name": "outcome of training",
                "flag_values": list(range(len(STATUSES))),
                "flag_meanings": " ".join(STATUSES),
            },
        ),
        "success": (dims, success, {"long_name": "1 if stable or marginal"}),
    }
    coords = {"g": gs, "target": amps, "seed": seeds, "activation": act.label, "N": int(N)}
    settings = {
        "newton_tol": NEWTON_TOL,
        "target_tol": TARGET_TOL,
        "ridge": ridge,
        "relaxation": {"eps": 1e-3, "dt": 0.2, "t_max": 80.0, "integrator": "rk4"},
        "eigen": "dense" if N <= DENSE_MAX_N else "arpack LM, k = P + 2, ncv 20, tol 1e-10",
        "outlier_edge": "|lambda + 1| > r_bulk (1 + sqrt(log N / N))",
    }
    attrs = {"settings": json.dumps(settings, sort_keys=True), "model": "science.md §10"}
    return xr.Dataset(data, coords=coords, attrs=attrs)


def aggregate_trained(
    parts: Sequence[str | xr.Dataset], config: dict[str, Any] | None = None
) -> xr.Dataset:
    """Combine per-(activation, seed) scans into one dataset, dims (activation, g, target, seed).

    Parts are netCDF paths or datasets from :func:`trained_scan`; the result carries
    :func:`rnncorr.io.provenance` attributes (with the ``trained`` config section when given).
    """
    from rnncorr import io  # io imports the config machinery; keep it out of import time

    datasets = []
    for part in parts:
        if isinstance(part, xr.Dataset):
            datasets.append(part)
        else:
            with xr.open_dataset(part) as opened:
                datasets.append(opened.load())
    by_activation: dict[str, list[xr.Dataset]] = {}
    for ds in datasets:
        by_activation.setdefault(str(ds.activation.values), []).append(ds)
    merged = []
    for label, group in by_activation.items():
        # theory variables (no seed dim) are identical across seeds: "minimal" keeps one copy
        seeds = xr.concat(
            [d.drop_vars("activation") for d in group],
            dim="seed",
            data_vars="minimal",
            coords="minimal",
            compat="override",
            combine_attrs="override",
        )
        merged.append(seeds.sortby("seed").expand_dims(activation=[label]))
    out = xr.concat(merged, dim="activation", data_vars="all", combine_attrs="override")
    extra: dict[str, Any] = {"settings": datasets[0].attrs.get("settings", "{}")}
    if config is not None and "trained" in config:
        extra["config"] = config["trained"]
    out.attrs = {**io.provenance(**extra), "model": "science.md §10 (Rivkind & Barak 2017)"}
    return out
