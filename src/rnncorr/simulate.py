r"""Simulation engine: stochastic rate networks streamed into covariance accumulators.

Model and integrator (docs/science.md §1): exponential Euler, leak and noise exact over a step,
recurrent input frozen::

    x <- e^{-dt} x + (1 - e^{-dt}) J phi(x) + sqrt(sigma2 (1 - e^{-2 dt}) / 2) * N(0, 1)

and (``integrator="heun"``, the default) its trapezoidal predictor-corrector: the step above
gives a predictor x*, then J phi(x) is replaced by J (phi(x) + phi(x*)) / 2 with the same noise.
Why: the frozen recurrent input biases equal-time statistics by O(dt) — for the linear network
at g = 0.5, dt = 0.1, exponential Euler's stationary PR/N is 0.8585 against the exact 0.8481
(discrete Lyapunov equation, one J, N = 200) — while Heun at dt = 0.2 gives 0.8484 for the same
cost (two matrix products per step). Both schemes are exact at zero frequency for the linear
network: (1 - A) factorises as (1 - e^{-dt})(1 - J)(1 + c J), cancelling the noise filter.

B noise trajectories of one J are advanced together as one (N x N) @ (N x B) product per step.
Nothing but running sums is kept (no trajectories):

* equal time: y_t = x_t and phi(x_t) sampled every ``sample_interval``; per block the sums
  s = sum y and S = sum y y^T (buffered so that S is updated by one large matrix product);
* zero frequency: window sums Y = dt sum_{t in window} y_t; C(W) = Cov[Y] / W. The window bias
  C(W) ~ C(0) - c / W (science.md §2) is removed, when ``extrapolate_window`` is set, by the
  Richardson combination 2 C(2W) - C(W), with 2W windows formed from consecutive pairs.

Time after burn-in is cut into ``blocks`` blocks; each block yields unbiased covariance
estimates that feed the cross-block estimator of :mod:`rnncorr.estimators`.

Seeding: realization r of a cell uses ``SeedSequence([seed, cell.seed_key, r])``, spawned into
one stream for J and one for the initial state and noise. The cell key is a hash of the rounded
parameters, so a cell gives the same numbers whatever grid it belongs to.

Divergence (linear or relu with g >= 1, Padé beyond its limit) is data: once |x| exceeds
``DIVERGENCE_THRESHOLD`` or turns non-finite, that realization stops and is returned with
``diverged=True`` and NaN statistics.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from rnncorr.activations import Activation
from rnncorr.config import Cell, SimulationSettings
from rnncorr.connectivity import IID, Connectivity
from rnncorr.estimators import BlockMoments, block_covariance

__all__ = [
    "DIVERGENCE_THRESHOLD",
    "KINDS",
    "VARIABLES",
    "CellResult",
    "RealizationResult",
    "realization_seed",
    "simulate_cell",
    "simulate_realization",
]

KINDS: tuple[str, ...] = ("zero_frequency", "equal_time")
VARIABLES: tuple[str, ...] = ("x", "phi")

#: |x| above this (or a non-finite value) marks a realization as diverged. Stationary states of
#: every supported network are O(1)-O(10) for sigma2 ~ 1; the threshold leaves room for large
#: sigma2 without letting a runaway linear state reach float overflow.
DIVERGENCE_THRESHOLD = 1e6

Progress = Callable[[str], None]


@dataclass
class RealizationResult:
    """Statistics of one J realization: ``statistics[kind][var][stat]``, spectra, divergence."""

    statistics: dict[str, dict[str, dict[str, float]]]
    eigenvalues: dict[str, dict[str, np.ndarray]]
    diverged: bool = False
    diverged_at: float = math.nan
    wall_time: float = 0.0


@dataclass
class CellResult:
    """All realizations of one grid cell, plus the settings that produced them."""

    cell: Cell
    settings: SimulationSettings
    seed: int
    realizations: list[RealizationResult] = field(default_factory=list)


def realization_seed(seed: int, cell: Cell, realization: int) -> np.random.SeedSequence:
    """SeedSequence of one realization, from (base seed, cell fingerprint, realization index)."""
    return np.random.SeedSequence([int(seed), cell.seed_key, int(realization)])


class _Accumulator:
    """Running sum and sum of outer products of column vectors (one block, one variable)."""

    def __init__(self, n: int) -> None:
        self.sum = np.zeros(n)
        self.outer = np.zeros((n, n))
        self.count = 0

    def add(self, columns: np.ndarray) -> None:
        columns = columns.astype(np.float64, copy=False)
        self.sum += columns.sum(axis=1)
        self.outer += columns @ columns.T
        self.count += columns.shape[1]

    def covariance(self) -> np.ndarray:
        return block_covariance(self.sum, self.outer, self.count)


def _nan_result(n: int, diverged_at: float, wall_time: float) -> RealizationResult:
    stats = {
        k: {
            v: dict.fromkeys(("a", "cbar", "nc2", "pr_over_n", "pr_over_n_naive"), math.nan)
            for v in VARIABLES
        }
        for k in KINDS
    }
    eig = {k: {v: np.full(n, np.nan) for v in VARIABLES} for k in KINDS}
    return RealizationResult(stats, eig, True, diverged_at, wall_time)


def simulate_realization(
    activation: Activation,
    n: int,
    g: float,
    sigma2: float,
    settings: SimulationSettings,
    seed_sequence: np.random.SeedSequence,
    progress: Progress | None = None,
    connectivity: Connectivity = IID,
) -> RealizationResult:
    """Integrate one J realization with B trajectories and return its covariance statistics."""
    started = time.perf_counter()
    dtype = np.float32 if settings.float32 else np.float64
    j_seed, noise_seed = seed_sequence.spawn(2)
    coupling = connectivity.sample(n, g, np.random.default_rng(j_seed), dtype)
    rng = np.random.default_rng(noise_seed)
    batch, dt = settings.trajectories, settings.dt

    decay = dtype(math.exp(-dt))
    gain = dtype(1.0 - math.exp(-dt))
    noise_sd = dtype(math.sqrt(sigma2 * (1.0 - math.exp(-2.0 * dt)) / 2.0))
    phi = activation.phi

    # initial state N(0, 1): nonzero also for sigma2 = 0, where chaos must be seeded
    x = rng.standard_normal((n, batch), dtype=dtype)
    drive, noise = np.empty_like(x), np.empty_like(x)
    heun = settings.integrator == "heun"
    predictor, corrector = (np.empty_like(x), np.empty_like(x)) if heun else (None, None)

    def step(p: np.ndarray) -> None:
        """One step from x (with p = phi(x) already computed), in place.

        euler: x <- e x + (1 - e) J p + n. heun: the same as a predictor x*, then
        x <- e x + (1 - e) J (p + phi(x*)) / 2 + n with the same noise n.
        """
        np.matmul(coupling, p, out=drive)
        np.multiply(x, decay, out=x)
        if noise_sd > 0:
            rng.standard_normal(dtype=dtype, out=noise)
            np.multiply(noise, noise_sd, out=noise)
            np.add(x, noise, out=x)
        if heun:
            np.multiply(drive, gain, out=predictor)
            np.add(predictor, x, out=predictor)
            np.matmul(coupling, phi(predictor), out=corrector)
            np.add(drive, corrector, out=drive)
            np.multiply(drive, gain / 2, out=drive)
        else:
            np.multiply(drive, gain, out=drive)
        np.add(x, drive, out=x)

    def runaway() -> bool:
        peak = float(np.max(np.abs(x)))
        return not (peak < DIVERGENCE_THRESHOLD)  # also catches NaN

    steps_per_window = settings.steps_per_window
    burn_in_steps = settings.burn_in_steps
    for step_index in range(burn_in_steps):
        step(phi(x))
        if (step_index + 1) % steps_per_window == 0 and runaway():
            return _nan_result(n, (step_index + 1) * dt, time.perf_counter() - started)
    if runaway():
        return _nan_result(n, burn_in_steps * dt, time.perf_counter() - started)

    window = steps_per_window * dt
    sample_every = settings.sample_every
    # equal-time samples are buffered and folded in by one (N x m B) @ (m B x N) product
    slots = max(1, 256 // batch)
    buffer = {v: np.empty((n, slots * batch), dtype=dtype) for v in VARIABLES}
    moments = {k: {v: BlockMoments(n) for v in VARIABLES} for k in KINDS}
    window_sum = {v: np.zeros((n, batch), dtype=dtype) for v in VARIABLES}
    elapsed_steps = burn_in_steps

    for block in range(settings.blocks):
        equal_time = {v: _Accumulator(n) for v in VARIABLES}
        single = {v: _Accumulator(n) for v in VARIABLES}
        double = {v: _Accumulator(n) for v in VARIABLES}
        previous: dict[str, np.ndarray] = {}
        filled = 0
        for window_index in range(settings.windows_per_block):
            for v in VARIABLES:
                window_sum[v].fill(0)
            for step_index in range(steps_per_window):
                p = phi(x)
                window_sum["x"] += x
                window_sum["phi"] += p
                if step_index % sample_every == 0:
                    columns = slice(filled * batch, (filled + 1) * batch)
                    buffer["x"][:, columns] = x
                    buffer["phi"][:, columns] = p
                    filled += 1
                    if filled == slots:
                        for v in VARIABLES:
                            equal_time[v].add(buffer[v])
                        filled = 0
                step(p)
            elapsed_steps += steps_per_window
            if runaway():
                return _nan_result(n, elapsed_steps * dt, time.perf_counter() - started)
            for v in VARIABLES:
                # integral over the window; Cov / W estimates the zero-frequency covariance
                integral = window_sum[v].astype(np.float64) * dt
                single[v].add(integral)
                if settings.extrapolate_window:
                    if window_index % 2 == 0:
                        previous[v] = integral
                    else:
                        double[v].add(previous[v] + integral)
        for v in VARIABLES:
            if filled:
                equal_time[v].add(buffer[v][:, : filled * batch])
            moments["equal_time"][v].add_block(equal_time[v].covariance())
            zero_frequency = single[v].covariance() / window
            if settings.extrapolate_window:
                # Richardson: C(W) = C0 - c/W + O(W^-2)  =>  C0 ~ 2 C(2W) - C(W)
                zero_frequency = 2.0 * double[v].covariance() / (2.0 * window) - zero_frequency
            moments["zero_frequency"][v].add_block(zero_frequency)
        if progress is not None:
            progress(f"block {block + 1}/{settings.blocks}")

    statistics = {k: {v: moments[k][v].statistics() for v in VARIABLES} for k in KINDS}
    eigenvalues = {
        k: {v: np.linalg.eigvalsh(moments[k][v].covariance)[::-1] for v in VARIABLES} for k in KINDS
    }
    return RealizationResult(
        statistics, eigenvalues, False, math.nan, time.perf_counter() - started
    )


def _terminal_progress(prefix: str) -> Progress | None:
    """Progress lines on stderr when it is a terminal; silent in logs and pipes."""
    if not sys.stderr.isatty():
        return None

    def report(message: str) -> None:
        print(f"\r{prefix} {message}   ", end="", file=sys.stderr, flush=True)

    return report


def simulate_cell(
    cell: Cell,
    settings: SimulationSettings,
    seed: int,
    threads: int | None = None,
    progress: bool = True,
) -> CellResult:
    """Simulate every J realization of one grid cell.

    Parameters
    ----------
    cell : Cell
        Activation, N, g, sigma2.
    settings : SimulationSettings
        Durations, batch size, estimator settings.
    seed : int
        Base seed of the run.
    threads : int, optional
        BLAS threads for the matrix products (default: leave BLAS as it is).
    progress : bool
        Print progress to stderr when it is a terminal.
    """
    from threadpoolctl import threadpool_limits

    result = CellResult(cell, settings, int(seed))
    with threadpool_limits(limits=threads, user_api="blas"):
        for r in range(settings.realizations):
            report = _terminal_progress(f"{cell.path}: realization {r + 1}/{settings.realizations}")
            result.realizations.append(
                simulate_realization(
                    cell.activation,
                    cell.N,
                    cell.g,
                    cell.sigma2,
                    settings,
                    realization_seed(seed, cell, r),
                    report if progress else None,
                )
            )
    if progress and sys.stderr.isatty():
        print(file=sys.stderr)
    return result
