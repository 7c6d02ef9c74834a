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
network: (1 - A) factorises as (1 - e^{-dt})(1 - J)(1 + c J), cancelling the noise filter -- up
to the scalar (dt/2) coth(dt/2) = 1 + dt^2/12 of the step-sampled noise power (+0.33 % in a at
dt = 0.2; docs/NUMERICS.md).

Implementation (docs/performance.md has the measurements behind every choice):

* B noise trajectories of one J are advanced together, as the rows of (B, N) C-order arrays.
* The product is numpy's ``matmul``: the rows of gain J p are p @ K, K = gain J^T with
  gain = 1 - e^{-dt} folded in once, K stored in the layout numpy's BLAS multiplies fastest
  (C order for B > 1; for B = 1 a transposed view of C-order gain J, which becomes one gemv).
  The new x goes into a second state buffer, ``x' = p @ K + sd n + e x`` (the noise and the
  leak by ``?axpy``), and the two buffers swap. Heun's corrector adds
  ``(1/2) (phi(x*) - phi(x)) @ K`` to x* through a scratch buffer: a Heun step is two
  products plus six passes over the B x N state, an Euler step one product and two passes.
* phi is evaluated in place by :func:`phi_kernel` (no temporaries; tanh in float64 through
  ``exp``: 2.2x faster than ``np.tanh`` where numpy has no SIMD float64 tanh or expm1
  (docs/performance.md); within 1.5 x 2^-52 of it in absolute terms).
* Noise is drawn by an SFC64 generator (about 25 % faster normals than PCG64), in the simulation
  dtype.

Nothing but running sums is kept (no trajectories):

* equal time: y_t = x_t and phi(x_t) sampled every ``sample_every`` steps of each window; the
  samples are buffered (at least 256 columns) and folded in by BLAS ``dsyrk`` (half the flops of
  a gemm) into the upper triangle of a float64 accumulator;
* zero frequency: window sums Y = dt sum_{t in window} y_t; C(W) = Cov[Y] / W. The window bias
  C(W) ~ C(0) - c / W (science.md §2) is removed, when ``extrapolate_window`` is set, by the
  Richardson combination 2 C(2W) - C(W), with 2W windows formed from consecutive pairs. Both
  outer-product sums go into *one* accumulator, pre-weighted by their 1/(n - 1) (the sample
  counts of a block are known in advance), and the mean terms are subtracted at block end.

Memory is O(N^2 + N B): two symmetric N x N matrices share one (N + 1) x N array (one in the
upper triangle of rows 0..N-1, the other in the lower triangle of rows 1..N; see
:class:`_Packed`), so x and phi of one kind cost one N x N float64 array, and there are four
such arrays (equal-time and zero-frequency, this block and the sum over blocks) besides J:
5 N^2 numbers in all (640 MB at N = 4000), where a plain layout needs 13.

Time after burn-in is cut into ``blocks`` blocks; each block yields unbiased covariance
estimates that feed the cross-block estimator of :mod:`rnncorr.estimators` (the same formulas
as :class:`rnncorr.estimators.BlockMoments`, evaluated on the packed sums).

Seeding: realization r of a cell uses ``SeedSequence([seed, cell.seed_key, r])``, spawned into
one stream for J (PCG64, :func:`numpy.random.default_rng`) and one for the initial state and
the noise (SFC64): first the initial state as a (B, N) array of standard normals, then one
(B, N) array per step (element [b, i]: trajectory b, unit i). The cell key is a hash of the
rounded parameters, so a cell gives the same numbers whatever grid it belongs to. The same seed
gives bit-identical statistics at a fixed BLAS thread count.

``settings.backend == "torch"`` runs :class:`rnncorr.simulate_torch.TorchEngine` instead (same
interface, same J and initial state, torch's own noise, this module's block-end and final
statistics code); its statistics agree with this engine's within statistical error.

Divergence (linear or relu with g >= 1, Padé beyond its limit) is data: once |x| exceeds
``DIVERGENCE_THRESHOLD`` or turns non-finite, that realization stops and is returned with
``diverged=True`` and NaN statistics.
"""

from __future__ import annotations

import math
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy import special
from scipy.linalg import blas

from rnncorr.activations import Activation
from rnncorr.config import (
    Cell,
    SimulationSettings,
    check_cell,
    check_memory,
    check_settings,
    machine_memory_bytes,
)
from rnncorr.connectivity import IID, Connectivity
from rnncorr.estimators import STATISTIC_NAMES, cell_window_check

__all__ = [
    "DIVERGENCE_THRESHOLD",
    "KINDS",
    "VARIABLES",
    "CellResult",
    "WindowWarning",
    "RealizationResult",
    "phi_kernel",
    "realization_coupling",
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

#: Equal-time samples are folded into the accumulators in batches of at least this many columns
#: (one dsyrk of rank >= 256 runs near the BLAS peak; the buffer costs 2 x 8 x 256 N bytes).
SAMPLE_BUFFER_COLUMNS = 256

#: Rows per chunk in the O(N^2) block-end reductions (bounds their temporaries to ~ chunk N).
_CHUNK_ROWS = 128

Progress = Callable[[str], None]
Kernel = Callable[[np.ndarray, np.ndarray, np.ndarray], None]


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


def _draw_network(
    seed_sequence: np.random.SeedSequence,
    n: int,
    g: float,
    connectivity: Connectivity,
    dtype,
) -> tuple[np.ndarray, np.random.SeedSequence]:
    """J of one realization and the SeedSequence of its noise stream ("Seeding" above).

    The sequence spawns (J stream, noise stream); J is sampled with ``default_rng`` on the
    first. Both engines and :func:`realization_coupling` draw here, so all see the same J.
    """
    j_seed, noise_seed = seed_sequence.spawn(2)
    return connectivity.sample(n, g, np.random.default_rng(j_seed), dtype), noise_seed


def realization_coupling(
    seed_sequence: np.random.SeedSequence, n: int, g: float, connectivity: Connectivity = IID
) -> np.ndarray:
    """The float64 J that :func:`simulate_realization` draws from ``seed_sequence``.

    A fresh copy of the sequence is spawned, so the caller's sequence is left untouched.
    """
    fresh = np.random.SeedSequence(seed_sequence.entropy, spawn_key=seed_sequence.spawn_key)
    return _draw_network(fresh, n, g, connectivity, np.float64)[0]


def _exponential_euler(dt: float, sigma2: float) -> tuple[float, float, float]:
    """(decay, gain, noise_sd) of one exponential-Euler step of length dt:
    x' = decay x + gain J phi(x) + noise_sd n, decay = e^{-dt}, gain = 1 - e^{-dt},
    noise_sd^2 = sigma2 (1 - e^{-2 dt}) / 2 (the exact OU increment)."""
    decay = math.exp(-dt)
    return decay, 1.0 - decay, math.sqrt(sigma2 * (1.0 - math.exp(-2.0 * dt)) / 2.0)


# ---------------------------------------------------------------------------------------------
# phi in place
# ---------------------------------------------------------------------------------------------
_SQRT_PI_HALF = math.sqrt(math.pi) / 2.0


def phi_kernel(activation: Activation, dtype) -> Kernel:
    """``kernel(x, out, work)``: writes phi(x) into ``out`` without allocating (``work``: scratch).

    Equal to ``activation.phi(x)`` bit for bit, except tanh in float64 and power with
    alpha = 1/4 or 3/4 (square roots instead of ``pow``, within 2 ulp, four times faster).
    tanh: 1 - 2 / (1 + exp(2x)), because numpy's float64 tanh and expm1 are scalar libm code
    without AVX-512 (13 ns per element here) and its exp is 2.6x faster. The error is absolute,
    at most 1.5 x 2^-52 (1.5 ulp of 1; 4 ulp where |tanh x| >= 1/2): near x = 0 the relative
    error grows as 2^-53 / |x|, which is below the rounding of the sum J phi(x) that phi feeds
    (N terms, each rounded to 2^-53 |J_ij phi_j|).
    Unknown activations fall back to ``activation.phi`` (one temporary per call).
    """
    name, params = activation.name, activation.kwargs
    f64 = np.dtype(dtype) == np.float64

    if name == "linear":

        def kernel(x, out, work):
            np.copyto(out, x)

    elif name == "tanh" and f64:

        def kernel(x, out, work):
            # tanh x = 1 - 2 / (1 + e^{2x}): numpy's exp is 2.6x faster than its expm1 or tanh
            # here; e^{2x} = inf for x > 354.9 gives 1, as it should
            with np.errstate(over="ignore"):
                np.multiply(x, 2.0, out=work)
                np.exp(work, out=work)
            np.add(work, 1.0, out=work)
            np.divide(2.0, work, out=work)
            np.subtract(1.0, work, out=out)

    elif name == "tanh":

        def kernel(x, out, work):
            np.tanh(x, out=out)

    elif name == "erf":

        def kernel(x, out, work):
            np.multiply(x, _SQRT_PI_HALF, out=work)
            special.erf(work, out=out)

    elif name == "power":
        alpha = params["alpha"]

        def kernel(x, out, work):
            np.abs(x, out=work)
            if alpha == 0.5:
                np.sqrt(work, out=work)
            elif alpha == 0.25:
                np.sqrt(work, out=work)
                np.sqrt(work, out=work)
            elif alpha == 0.75:
                np.sqrt(work, out=work)
                np.sqrt(work, out=out)
                np.multiply(work, out, out=work)
            else:
                np.power(work, alpha, out=work)
            np.copysign(work, x, out=out)

    elif name == "pade":
        a, b = params["a"], params["b"]

        def kernel(x, out, work):
            # x (1 + a x^2) / (1 + b x^2), evaluated in the same order as activations._pade
            np.multiply(x, x, out=work)
            np.multiply(work, a, out=out)
            np.add(out, 1.0, out=out)
            np.multiply(x, out, out=out)
            np.multiply(work, b, out=work)
            np.add(work, 1.0, out=work)
            np.divide(out, work, out=out)

    elif name == "relu":

        def kernel(x, out, work):
            np.maximum(x, 0, out=out)

    else:

        def kernel(x, out, work):
            np.copyto(out, activation.phi(x))

    return kernel


# ---------------------------------------------------------------------------------------------
# Two symmetric matrices in one array, and the cross-block sums
# ---------------------------------------------------------------------------------------------
class _Packed:
    """Two symmetric N x N float64 matrices ("x" and "phi") in one (N + 1) x N array.

    Matrix 0 is the upper triangle (diagonal included) of rows 0..N-1, matrix 1 the lower
    triangle of rows 1..N: together they tile the array exactly. BLAS sees Fortran views:
    ``data[:N].T`` with ``lower=1`` for matrix 0 and ``data[1:].T`` with ``lower=0`` for matrix 1.
    """

    def __init__(self, n: int) -> None:
        self.n = n
        self.data = np.zeros((n + 1, n))

    def syrk(self, index: int, samples: np.ndarray, alpha: float = 1.0) -> None:
        """Matrix ``index`` += alpha * sum over rows y of y y^T (``samples``: (m, N), C order)."""
        if index == 0:
            blas.dsyrk(alpha, samples.T, beta=1.0, c=self.data[:-1].T, lower=1, overwrite_c=1)
        else:
            blas.dsyrk(alpha, samples.T, beta=1.0, c=self.data[1:].T, lower=0, overwrite_c=1)

    def eigenvalues(self, index: int, scale: float) -> np.ndarray:
        """Eigenvalues of scale * matrix ``index``, descending (LAPACK reads one triangle)."""
        if index == 0:
            values = np.linalg.eigvalsh(self.data[:-1], UPLO="U")
        else:
            values = np.linalg.eigvalsh(self.data[1:], UPLO="L")
        return values[::-1] * scale

    def reduce(
        self,
        alpha: float = 1.0,
        beta: float = 0.0,
        sums: np.ndarray | None = None,
        into: _Packed | None = None,
    ) -> np.ndarray:
        """Sums over the two matrices of C = alpha * M - beta * s s^T (s = ``sums[index]``).

        Adds C into ``into`` when given. Returns a (2, 4) array: per matrix, trace, sum of the
        squared entries, sum of the squared diagonal, and the sum of all entries. Works in row
        chunks, so its temporaries are O(chunk N).
        """
        n = self.n
        out = np.zeros((2, 4))
        if sums is not None:
            s0 = np.append(sums[0], 0.0)  # row i of the array holds row i of matrix 0 ...
            s1 = np.insert(sums[1], 0, 0.0)  # ... and row i - 1 of matrix 1
        columns = np.arange(n)
        for start in range(0, n + 1, _CHUNK_ROWS):
            stop = min(start + _CHUNK_ROWS, n + 1)
            rows = np.arange(start, stop)[:, None]
            upper = columns >= rows
            block = self.data[start:stop]
            c = block * alpha if alpha != 1.0 else block.copy()
            if beta != 0.0:
                rank_one = np.multiply.outer(beta * s0[start:stop], sums[0])
                np.subtract(c, rank_one, out=c, where=upper)
                np.multiply.outer(beta * s1[start:stop], sums[1], out=rank_one)
                np.subtract(c, rank_one, out=c, where=~upper)
                del rank_one
            if into is not None:
                into.data[start:stop] += c
            inside = rows[:, 0] < n
            diag0 = c[inside, rows[inside, 0]]
            inside1 = rows[:, 0] >= 1
            diag1 = c[inside1, rows[inside1, 0] - 1]
            total_upper = float(np.sum(c, where=upper))
            total = float(c.sum())
            np.multiply(c, c, out=c)
            square_upper = float(np.sum(c, where=upper))
            square = float(c.sum())
            out[0] += (diag0.sum(), 0.0, diag0 @ diag0, 2.0 * total_upper)
            out[0, 1] += 2.0 * square_upper
            out[1] += (diag1.sum(), 0.0, diag1 @ diag1, 2.0 * (total - total_upper))
            out[1, 1] += 2.0 * (square - square_upper)
        # off-diagonal entries were counted twice above, the diagonal twice too: correct that
        out[:, 1] -= out[:, 2]
        out[:, 3] -= out[:, 0]
        return out


class _CrossBlockSums:
    """Sum of block covariances (packed) and scalar sums of one kind, for x and phi.

    The statistics are those of :meth:`rnncorr.estimators.BlockMoments.statistics`.
    """

    def __init__(self, n: int) -> None:
        self.n = n
        self.total = _Packed(n)
        # per variable: sum of traces, of squared traces, of ||C_A||_F^2, of ||diag C_A||^2
        self.scalars = np.zeros((2, 4))
        self.blocks = 0

    def add_block(self, block: _Packed, alpha: float, beta: float, sums: np.ndarray) -> None:
        """Fold C_A = alpha M - beta s s^T (the block's unbiased covariance) into the sums."""
        reduced = block.reduce(alpha, beta, sums, into=self.total)
        trace = reduced[:, 0]
        self.scalars += np.stack([trace, trace * trace, reduced[:, 1], reduced[:, 2]], axis=1)
        self.blocks += 1

    def statistics(self) -> list[dict[str, float]]:
        n, k = self.n, self.blocks
        if k < 2:
            return [dict.fromkeys(STATISTIC_NAMES, math.nan) for _ in VARIABLES]
        reduced = self.total.reduce()
        pairs = k * (k - 1)
        result = []
        for v in range(2):
            trace, frobenius_sq, diagonal_sq, entries = reduced[v]
            sum_trace, sum_trace_sq, sum_frobenius_sq, sum_diagonal_sq = self.scalars[v]
            trace_c2 = (frobenius_sq - sum_frobenius_sq) / pairs
            trace_sq = (trace * trace - sum_trace_sq) / pairs
            offdiag_sq = frobenius_sq - diagonal_sq - sum_frobenius_sq + sum_diagonal_sq
            offdiag_sq /= pairs
            pooled_trace = trace / k
            result.append(
                {
                    "a": float(pooled_trace / n),
                    "cbar": float((entries / k - pooled_trace) / (n * (n - 1))),
                    "nc2": float(offdiag_sq / (n - 1)),
                    "pr_over_n": float(trace_sq / trace_c2 / n) if trace_c2 > 0 else math.nan,
                    "pr_over_n_naive": float(trace * trace / frobenius_sq / n),
                }
            )
        return result

    def eigenvalues(self) -> list[np.ndarray]:
        return [self.total.eigenvalues(v, 1.0 / self.blocks) for v in range(2)]


def _check_count(count: int) -> None:
    if count < 2:
        raise ValueError(f"a block needs at least 2 samples, got {count}")


def _block_coefficients(
    settings: SimulationSettings, batch: int, equal_time_count: int
) -> tuple[tuple[float, float], tuple[float, float]]:
    """(alpha, beta) of the block covariances C = alpha M - beta s s^T, equal time and zero
    frequency, from the block's sums M (outer products) and s (samples); shared by both backends.

    Equal time: the unbiased covariance of ``equal_time_count`` samples. Zero frequency: window
    integrals I, C(W) = Cov[I] / W, or with ``extrapolate_window`` the Richardson combination
    2 C(2W) - C(W) = [Cov(pairs) - Cov(singles)] / W, whose outer products the engines have
    accumulated pre-weighted (see ``_Engine._fold_window``); the pair sums add up to the single
    sums s, so the mean terms combine into one multiple of s s^T.
    """
    count = equal_time_count
    _check_count(count)
    equal_time = (1.0 / (count - 1), 1.0 / (count * (count - 1)))
    single, double = _window_counts(settings, batch)
    window = settings.steps_per_window * settings.dt
    if not settings.extrapolate_window:
        _check_count(single)
        zero_frequency = (
            1.0 / ((single - 1) * window),
            1.0 / (single * (single - 1) * window),
        )
    else:
        _check_count(double)
        zero_frequency = (
            1.0 / window,
            (1.0 / (double * (double - 1)) - 1.0 / (single * (single - 1))) / window,
        )
    return equal_time, zero_frequency


def _window_counts(settings: SimulationSettings, batch: int) -> tuple[int, int]:
    """Window integrals per block (per variable), single and paired."""
    single = settings.windows_per_block * batch
    return single, single // 2


def _richardson_weights(settings: SimulationSettings, batch: int) -> tuple[float, float]:
    """Weights 1/(n1 - 1), 1/(n2 - 1) of the single and paired window outer products, with
    which both engines pre-weight the Richardson sums (see ``_Engine._fold_window``)."""
    single, double = _window_counts(settings, batch)
    return 1.0 / max(single - 1, 1), 1.0 / max(double - 1, 1)


def _final_results(moments: dict[str, _CrossBlockSums]) -> tuple[dict, dict]:
    """Statistics and eigenvalues of both kinds from the cross-block sums."""
    statistics, eigenvalues = {}, {}
    for kind in KINDS:
        per_variable = moments[kind].statistics()
        statistics[kind] = dict(zip(VARIABLES, per_variable, strict=True))
        eigenvalues[kind] = dict(zip(VARIABLES, moments[kind].eigenvalues(), strict=True))
    return statistics, eigenvalues


# ---------------------------------------------------------------------------------------------
# The engine
# ---------------------------------------------------------------------------------------------
class _Engine:
    """State, buffers and accumulators of one realization. Benchmarks drive it directly.

    ``burn_in(steps)`` integrates without recording; ``record_window()`` integrates one window
    (``settings.steps_per_window`` steps) with window sums and equal-time sampling and folds the
    window into the block accumulators; ``end_block()`` folds the block into the cross-block
    sums. ``runaway()`` is the divergence test. :class:`rnncorr.simulate_torch.TorchEngine`
    has the same interface.
    """

    def __init__(
        self,
        activation: Activation,
        n: int,
        g: float,
        sigma2: float,
        settings: SimulationSettings,
        seed_sequence: np.random.SeedSequence,
        connectivity: Connectivity = IID,
    ) -> None:
        self.n, self.settings = n, settings
        dtype = self.dtype = np.dtype(np.float32 if settings.float32 else np.float64)
        batch = self.batch = settings.trajectories
        self.decay, self.gain, self.noise_sd = _exponential_euler(settings.dt, sigma2)

        coupling, noise_seed = _draw_network(seed_sequence, n, g, connectivity, dtype)
        # the rows of gain J p are p @ K, K = gain J^T: stored C order for B > 1 (a transposed
        # view of C-order gain J for B = 1), the fastest layouts of numpy's BLAS for these
        # shapes (docs/performance.md); the gain is folded into K once
        scaled = np.empty((n, n), dtype=dtype)
        if batch == 1:
            np.multiply(coupling, self.gain, out=scaled)
            self.coupling = scaled.T
        else:
            np.multiply(coupling.T, self.gain, out=scaled)
            self.coupling = scaled
        del coupling, scaled
        self.rng = np.random.Generator(np.random.SFC64(noise_seed))

        self.heun = settings.integrator == "heun"
        self.phi = phi_kernel(activation, dtype)
        self._axpy = blas.get_blas_funcs("axpy", dtype=dtype)

        # two stacked states (x, phi(x)), each (B, N) C order: a step writes the new x into the
        # other one, and one add updates both window sums
        self.states = np.empty((2, 2, batch, n), dtype=dtype)
        self.current = 0
        self._bind()
        # initial state N(0, 1): nonzero also for sigma2 = 0, where chaos must be seeded
        self.rng.standard_normal(dtype=dtype, out=self.x)
        self.noise = np.empty((batch, n), dtype=dtype)
        self.work = np.empty((batch, n), dtype=dtype)
        self.corrector = np.empty((batch, n), dtype=dtype) if self.heun else None

        # recording
        self.steps_per_window = settings.steps_per_window
        self.sample_every = max(1, settings.sample_every)
        self.slots = max(1, -(-SAMPLE_BUFFER_COLUMNS // batch))
        self.samples = np.empty((2, self.slots * batch, n))
        self.window_sum = np.zeros((2, batch, n), dtype=dtype)
        self.integral = np.empty((2, batch, n))
        self.previous = np.empty((2, batch, n)) if settings.extrapolate_window else None
        self.equal_time = _Packed(n)
        self.zero_frequency = _Packed(n)
        self.moments = {kind: _CrossBlockSums(n) for kind in KINDS}
        self._start_block()

    def _bind(self) -> None:
        """Name the current state (x, p) and the other one, where the next x goes."""
        self.state = self.states[self.current]
        self.x, self.p = self.state[0], self.state[1]
        self.following = self.states[1 - self.current, 0]

    # -- integration -------------------------------------------------------------------------
    # (methods, not closures stored on self: a reference cycle would keep J and the
    # accumulators of a finished realization alive until the garbage collector runs)
    def _product(self, p: np.ndarray, out: np.ndarray) -> None:
        """out <- gain J p for each trajectory (p, out: (B, N), one trajectory per row)."""
        np.matmul(p, self.coupling, out=out)

    def step(self) -> None:
        """One step from x, with p = phi(x) already in ``self.p``; the new x becomes current.

        euler: x' = (1 - e) J p + n + e x. heun: that is the predictor x*; then
        x' = x* + ((1 - e) / 2) J (phi(x*) - p), i.e. e x + (1 - e) J (p + phi(x*)) / 2 + n.
        """
        x, new = self.x, self.following
        flat = new.reshape(-1)
        self._product(self.p, new)
        if self.noise_sd > 0:
            self.rng.standard_normal(dtype=self.dtype, out=self.noise)
            self._axpy(self.noise.reshape(-1), flat, a=self.noise_sd)
        self._axpy(x.reshape(-1), flat, a=self.decay)
        if self.heun:
            q, work = self.corrector, self.work
            self.phi(new, q, work)
            np.subtract(q, self.p, out=q)
            self._product(q, work)
            self._axpy(work.reshape(-1), flat, a=0.5)
        self.current = 1 - self.current
        self._bind()

    def burn_in(self, steps: int) -> None:
        """Integrate ``steps`` steps without recording."""
        for _ in range(steps):
            self.phi(self.x, self.p, self.work)
            self.step()

    def runaway(self) -> bool:
        """True when |x| exceeds the divergence threshold somewhere or is not finite."""
        peak = float(np.max(np.abs(self.x)))
        return not (peak < DIVERGENCE_THRESHOLD)  # also catches NaN

    # -- recording ---------------------------------------------------------------------------
    def _start_block(self) -> None:
        self.equal_time.data.fill(0.0)
        self.zero_frequency.data.fill(0.0)
        self.equal_time_sum = np.zeros((2, self.n))
        self.equal_time_count = 0
        self.zero_frequency_sum = np.zeros((2, self.n))
        self.filled = 0
        self.window_index = 0

    def _flush_samples(self) -> None:
        columns = self.filled * self.batch
        if columns == 0:
            return
        for v in range(2):
            samples = self.samples[v, :columns]
            self.equal_time.syrk(v, samples)
            self.equal_time_sum[v] += samples.sum(axis=0)
        self.equal_time_count += columns
        self.filled = 0

    def record_window(self) -> None:
        """Integrate one window, recording window sums and equal-time samples."""
        batch, sample_every = self.batch, self.sample_every
        window_sum = self.window_sum
        window_sum.fill(0)
        for step_index in range(self.steps_per_window):
            state = self.state
            self.phi(state[0], state[1], self.work)
            np.add(window_sum, state, out=window_sum)
            if step_index % sample_every == 0:
                self.samples[:, self.filled * batch : (self.filled + 1) * batch] = state
                self.filled += 1
                if self.filled == self.slots:
                    self._flush_samples()
            self.step()
        self._fold_window()

    def _fold_window(self) -> None:
        # integral over the window; Cov / W estimates the zero-frequency covariance
        integral = self.integral
        np.multiply(self.window_sum, self.settings.dt, out=integral)
        self.zero_frequency_sum += integral.sum(axis=1)
        if self.previous is None:
            for v in range(2):
                self.zero_frequency.syrk(v, integral[v])
        elif self.window_index % 2 == 0:
            self.previous[...] = integral
        else:
            # M += D D^T / (n2 - 1) - (I1 I1^T + I2 I2^T) / (n1 - 1), D = I1 + I2 (see end_block)
            w_single, w_double = _richardson_weights(self.settings, self.batch)
            for v in range(2):
                self.zero_frequency.syrk(v, self.previous[v], -w_single)
                self.zero_frequency.syrk(v, integral[v], -w_single)
            np.add(self.previous, integral, out=self.previous)
            for v in range(2):
                self.zero_frequency.syrk(v, self.previous[v], w_double)
        self.window_index += 1

    def end_block(self) -> None:
        """Fold the block's covariances into the cross-block sums and start a new block."""
        self._flush_samples()
        equal_time, zero_frequency = _block_coefficients(
            self.settings, self.batch, self.equal_time_count
        )
        self.moments["equal_time"].add_block(self.equal_time, *equal_time, self.equal_time_sum)
        self.moments["zero_frequency"].add_block(
            self.zero_frequency, *zero_frequency, self.zero_frequency_sum
        )
        self._start_block()

    def result(self) -> tuple[dict, dict]:
        """Statistics and eigenvalues of both kinds; frees the per-block buffers first."""
        self.coupling = self.equal_time = self.zero_frequency = None
        return _final_results(self.moments)


def _engine_class(settings: SimulationSettings) -> type:
    """The engine of ``settings.backend``: numpy (here) or torch (imported only when used)."""
    if settings.backend == "numpy":
        return _Engine
    if settings.backend == "torch":
        from rnncorr.simulate_torch import TorchEngine

        return TorchEngine
    raise ValueError(f"simulation backend must be numpy or torch, got {settings.backend!r}")


class WindowWarning(UserWarning):
    """The zero-frequency window is short against the measured correlation time."""


def _settings_key(name: str) -> str:
    """How :func:`rnncorr.config.check_settings` names a setting in a library call."""
    return f"simulation setting {name!r}"


def _nan_result(n: int, diverged_at: float, wall_time: float) -> RealizationResult:
    stats = {k: {v: dict.fromkeys(STATISTIC_NAMES, math.nan) for v in VARIABLES} for k in KINDS}
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
    # validation hook: the checks of the workflow and the command line (rnncorr.config)
    check_settings(settings, _settings_key)
    check_cell(Cell(activation, n, g, sigma2), _settings_key)
    started = time.perf_counter()
    engine = _engine_class(settings)(
        activation, n, g, sigma2, settings, seed_sequence, connectivity
    )
    dt = settings.dt

    def diverged(steps: int) -> RealizationResult:
        return _nan_result(n, steps * dt, time.perf_counter() - started)

    steps_per_window = settings.steps_per_window
    burn_in_steps = settings.burn_in_steps
    done = 0
    while done < burn_in_steps:
        chunk = min(steps_per_window, burn_in_steps - done)
        engine.burn_in(chunk)
        done += chunk
        if chunk == steps_per_window and engine.runaway():
            return diverged(done)
    if engine.runaway():
        return diverged(burn_in_steps)

    elapsed_steps = burn_in_steps
    for block in range(settings.blocks):
        for _ in range(settings.windows_per_block):
            engine.record_window()
            elapsed_steps += steps_per_window
            if engine.runaway():
                return diverged(elapsed_steps)
        engine.end_block()
        if progress is not None:
            progress(f"block {block + 1}/{settings.blocks}")

    statistics, eigenvalues = engine.result()
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
        BLAS threads for the matrix products (default: numpy's BLAS as it is; any other BLAS,
        e.g. scipy's, always gets one: :func:`rnncorr.threads.blas_threads`), and torch's CPU
        threads with the torch backend. Results are bit-identical for a fixed thread count.
    progress : bool
        Print progress to stderr when it is a terminal.
    """
    from contextlib import nullcontext

    from rnncorr.threads import blas_threads

    # validation hook: refuse before any allocation (a 10^6-unit cell would ask for TiB)
    check_settings(settings, _settings_key)
    check_cell(cell, _settings_key)
    check_memory(cell, settings, machine_memory_bytes(), "Cell.N")
    result = CellResult(cell, settings, int(seed))
    torch_threads = nullcontext()
    if settings.backend == "torch":
        from rnncorr.simulate_torch import torch_device
        from rnncorr.simulate_torch import torch_threads as limit_torch

        torch_device(settings)  # no GPU (or no torch): say so before any work
        torch_threads = limit_torch(threads)
    with blas_threads(threads), torch_threads:
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
    window_ok, message, _ = cell_window_check(result)
    if not window_ok:  # also recorded in the file (rnncorr.io.cell_dataset)
        warnings.warn(f"{cell.path}: zero-frequency {message}", WindowWarning, stacklevel=2)
    return result
