r"""Statistics of a covariance matrix, with the finite-sample bias of tr C^2 removed.

Definitions (docs/science.md §2), for an N x N covariance C::

    a      = (1/N) tr C                       mean autocovariance
    cbar   = mean_{i != j} C_ij               mean cross-covariance, O(1/N)
    nc2    = N mean_{i != j} C_ij^2           scaled second moment of cross-covariances, O(1)
    PR     = (tr C)^2 / tr C^2                participation dimension, reported as PR/N

Why a correction: a sample covariance C_hat = C + E carries estimation noise E with
E[tr C_hat^2] = tr C^2 + E[tr E^2], so the naive PR is biased down (by a factor of order
1/(1 + N/n) for n samples; the Marchenko–Pastur broadening) and nc2 is biased up.

**Cross-block estimator (used here).** Split the samples into K >= 2 disjoint blocks, estimate an
unbiased C_A in each, and use products of *different* blocks, whose noises are independent::

    tr C^2      ~  mean_{A != B} tr(C_A C_B)
                =  [ ||sum_A C_A||_F^2 - sum_A ||C_A||_F^2 ] / (K (K - 1))
    (tr C)^2    ~  mean_{A != B} tr C_A tr C_B
    sum_{i!=j} C_ij^2  likewise with the diagonal removed.

Blocks are consecutive stretches of time (of all trajectories of one J realization), so they
are independent up to correlations across a block boundary, O(tau_c / block length). Only the
running sums above are kept (:class:`BlockMoments`), never the blocks themselves.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "BlockMoments",
    "STATISTIC_NAMES",
    "block_covariance",
    "covariance_statistics",
    "cell_window_check",
    "cross_block_statistics",
    "integrated_correlation_time",
    "mean_and_standard_error",
    "moments_of",
    "richardson_block_covariances",
    "scalar_mean_and_standard_error",
    "window_bias_exponential",
    "window_check",
]

#: Names of the statistics returned by :meth:`BlockMoments.statistics`.
STATISTIC_NAMES: tuple[str, ...] = ("a", "cbar", "nc2", "pr_over_n", "pr_over_n_naive")


def block_covariance(sum_y: np.ndarray, sum_yy: np.ndarray, n: int) -> np.ndarray:
    """Unbiased covariance from the sums of n samples: (sum y y^T - s s^T / n) / (n - 1)."""
    if n < 2:
        raise ValueError(f"a block needs at least 2 samples, got {n}")
    mean = sum_y / n
    return (sum_yy - n * np.outer(mean, mean)) / (n - 1)


@dataclass
class BlockMoments:
    """Running sums over blocks A = 1..K of one covariance: all the cross-block estimator needs.

    Attributes are float64 whatever the simulation precision (sums of many small terms).
    """

    size: int
    sum_cov: np.ndarray = field(init=False)
    sum_trace: float = 0.0
    sum_trace_sq: float = 0.0
    sum_frobenius_sq: float = 0.0
    sum_diagonal_sq: float = 0.0
    n_blocks: int = 0

    def __post_init__(self) -> None:
        self.sum_cov = np.zeros((self.size, self.size))

    def add_block(self, cov: np.ndarray) -> None:
        """Fold one block's (unbiased) covariance estimate into the sums."""
        cov = np.asarray(cov, dtype=np.float64)
        diagonal = np.diagonal(cov)
        trace = float(diagonal.sum())
        self.sum_cov += cov
        self.sum_trace += trace
        self.sum_trace_sq += trace * trace
        self.sum_frobenius_sq += float(np.einsum("ij,ij->", cov, cov))
        self.sum_diagonal_sq += float(diagonal @ diagonal)
        self.n_blocks += 1

    @property
    def covariance(self) -> np.ndarray:
        """Pooled estimate: the mean of the block covariances."""
        return self.sum_cov / self.n_blocks

    def statistics(self) -> dict[str, float]:
        """a, cbar, nc2, PR/N (cross-block) and PR/N (naive, for comparison) of the pooled C.

        Returns NaN for every entry when fewer than two blocks were added.
        """
        n, k = self.size, self.n_blocks
        if k < 2:
            return dict.fromkeys(STATISTIC_NAMES, np.nan)
        total = self.sum_cov
        trace = float(np.trace(total))
        frobenius_sq = float(np.einsum("ij,ij->", total, total))
        diagonal_sq = float(np.diagonal(total) @ np.diagonal(total))
        pairs = k * (k - 1)
        trace_c2 = (frobenius_sq - self.sum_frobenius_sq) / pairs
        trace_sq = (trace * trace - self.sum_trace_sq) / pairs
        offdiag_sq = frobenius_sq - diagonal_sq - self.sum_frobenius_sq + self.sum_diagonal_sq
        offdiag_sq /= pairs
        pooled = total / k
        pooled_trace = trace / k
        return {
            "a": pooled_trace / n,
            "cbar": (float(pooled.sum()) - pooled_trace) / (n * (n - 1)),
            "nc2": offdiag_sq / (n - 1),
            "pr_over_n": trace_sq / trace_c2 / n if trace_c2 > 0 else np.nan,
            "pr_over_n_naive": pooled_trace**2 / float(np.einsum("ij,ij->", pooled, pooled)) / n,
        }


def cross_block_statistics(blocks: Iterable[np.ndarray]) -> dict[str, float]:
    """Statistics from raw samples split into blocks, each an (n_A, N) array of rows = samples.

    Convenience for data held in memory (tests, analysis); the simulation streams instead.
    """
    moments: BlockMoments | None = None
    for samples in blocks:
        samples = np.asarray(samples, dtype=np.float64)
        if moments is None:
            moments = BlockMoments(samples.shape[1])
        moments.add_block(
            block_covariance(samples.sum(axis=0), samples.T @ samples, samples.shape[0])
        )
    if moments is None:
        raise ValueError("no blocks given")
    return moments.statistics()


def centred_block_covariances(
    blocks: list[np.ndarray], mean: str = "block", known_mean: np.ndarray | None = None
) -> list[np.ndarray]:
    r"""Covariance of each block of samples ((n_A, N) arrays), centred on one of three means.

    ``"block"``: each block's own mean, normalised by n_A - 1 (the engine's estimator).
    For correlated samples its expectation is C - (n_A / (n_A - 1)) (Var ybar_A - C / n_A),
    with Var ybar_A ~ S / T_A (S = int C(u) du, T_A the block's sampled time): biased *down*
    by ~ S / T_A, most in the slowest modes (docs/NUMERICS.md, "Block means").
    ``"global"``: the mean of all blocks, normalised by n_A (1 - n_A / n) (unbiased for
    independent samples): the bias shrinks to ~ S / T (T = all blocks).
    ``"known"``: ``known_mean`` (default 0), normalised by n_A: unbiased whatever the
    correlations (for odd phi the stationary mean is exactly 0 by symmetry).
    """
    blocks = [np.asarray(b, dtype=np.float64) for b in blocks]
    total = sum(b.shape[0] for b in blocks)
    if mean == "global":
        centre = sum(b.sum(axis=0) for b in blocks) / total
    elif mean == "known":
        centre = np.zeros(blocks[0].shape[1]) if known_mean is None else known_mean
    elif mean != "block":
        raise ValueError(f"mean must be block, global or known, got {mean!r}")
    covs = []
    for b in blocks:
        n = b.shape[0]
        if mean == "block":
            covs.append(np.cov(b.T))
            continue
        d = b - centre
        norm = n * (1.0 - n / total) if mean == "global" else float(n)
        covs.append(d.T @ d / norm)
    return covs


def richardson_block_covariances(
    integrals: list[np.ndarray], window: float, mean: str = "block"
) -> list[np.ndarray]:
    r"""Zero-frequency block covariances 2 C(2W) - C(W) = [Cov(I1 + I2) - Cov(I)] / W.

    ``integrals``: per block an (m, B, N) array of window integrals I = int_window y dt, m
    consecutive windows (m even) of B trajectories; pairs (I_{2k}, I_{2k+1}) of a trajectory
    form the 2W integrals, as in the engine. ``mean`` as in :func:`centred_block_covariances`
    (for "known" the mean is 0).
    """
    singles = [np.asarray(i).reshape(-1, np.shape(i)[-1]) for i in integrals]
    pairs = [
        (np.asarray(i)[0::2] + np.asarray(i)[1::2]).reshape(-1, np.shape(i)[-1]) for i in integrals
    ]
    one = centred_block_covariances(singles, mean)
    two = centred_block_covariances(pairs, mean)
    return [(c2 - c1) / window for c1, c2 in zip(one, two, strict=True)]


def moments_of(covariances: Iterable[np.ndarray]) -> BlockMoments:
    """:class:`BlockMoments` of a list of block covariance matrices."""
    moments: BlockMoments | None = None
    for cov in covariances:
        if moments is None:
            moments = BlockMoments(np.shape(cov)[0])
        moments.add_block(cov)
    if moments is None:
        raise ValueError("no blocks given")
    return moments


def covariance_statistics(cov: np.ndarray) -> dict[str, float]:
    """a, cbar, nc2 and PR/N of a known (exact, noise-free) covariance matrix."""
    cov = np.asarray(cov, dtype=np.float64)
    n = cov.shape[0]
    diagonal = np.diagonal(cov)
    trace = float(diagonal.sum())
    frobenius_sq = float(np.einsum("ij,ij->", cov, cov))
    return {
        "a": trace / n,
        "cbar": (float(cov.sum()) - trace) / (n * (n - 1)),
        "nc2": (frobenius_sq - float(diagonal @ diagonal)) / (n - 1),
        "pr_over_n": trace**2 / frobenius_sq / n,
    }


def mean_and_standard_error(values: np.ndarray, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Mean over realizations and its standard error std/sqrt(n), ignoring NaN (diverged)."""
    values = np.asarray(values, dtype=np.float64)
    count = np.sum(np.isfinite(values), axis=axis)
    # all-NaN slices (every realization diverged) are expected: NaN, without a warning
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(values, axis=axis)
        std = np.nanstd(values, axis=axis, ddof=1)
        return mean, np.where(count > 1, std / np.sqrt(np.maximum(count, 1)), np.nan)


def scalar_mean_and_standard_error(values: np.ndarray) -> tuple[float, float]:
    """:func:`mean_and_standard_error` of a 1-d sample, as two Python floats."""
    mean, se = mean_and_standard_error(values)
    return float(mean), float(se)


# ---------------------------------------------------------------------------------------------
# Is the zero-frequency window long enough? (docs/NUMERICS.md, "Window length")
# ---------------------------------------------------------------------------------------------
#: W must be at least this many integrated correlation times with W/2W extrapolation ...
WINDOW_FACTOR_EXTRAPOLATED = 5.0
#: ... and without it (the plain window's bias is ~ tau_int / W, first order)
WINDOW_FACTOR_PLAIN = 20.0


def integrated_correlation_time(a_zero_frequency: float, a_equal_time: float) -> float:
    r"""tau_int = a_zf / (2 a_et) = int tr C(u) du / (2 tr C(0)), from the measured ``a``.

    The integrated correlation time of the mean autocovariance: for C(u) = C(0) e^{-|u|/tau}
    it is tau. It weighs the units equally, so the slowest collective modes (which dominate
    nc2 and PR near criticality) can be slower than tau_int; it is a floor for the time scale
    the window must resolve.
    """
    if not (np.isfinite(a_zero_frequency) and np.isfinite(a_equal_time)) or a_equal_time <= 0:
        return float("nan")
    return float(a_zero_frequency / (2.0 * a_equal_time))


def window_bias_exponential(window: float, tau: float, extrapolated: bool) -> float:
    r"""Relative bias of the window-W zero-frequency estimate for C(u) = C(0) e^{-|u|/tau}.

    C(W) = (1/W) int_{-W}^{W} (W - |u|) C(u) du = S [1 - (tau/W)(1 - e^{-W/tau})], S = 2 tau C(0);
    the Richardson combination 2 C(2W) - C(W) leaves S (tau/W)(e^{-2W/tau} - e^{-W/tau}).
    Returns the (negative) bias over S: at W = 5 tau -0.13 % extrapolated, -20 % plain.
    """
    r = window / tau
    if extrapolated:
        return float((np.exp(-2.0 * r) - np.exp(-r)) / r)
    return float(-(1.0 - np.exp(-r)) / r)


def window_check(window: float, tau: float, extrapolated: bool) -> tuple[bool, str]:
    """(ok, message): is W >= 5 tau_int (extrapolated) or >= 20 tau_int (plain window)?

    ``tau`` is the measured :func:`integrated_correlation_time` (NaN: nothing to check, ok).
    The message states W, tau_int, their ratio and the bias of an exponential correlation
    with that tau; a failed check means the zero-frequency statistics may carry a window bias
    beyond their error bars (e.g. chaos at W = 40 with tau_c ~ 20: pulls of 3-4 against
    theory), so lengthen ``window`` (and ``duration``).
    """
    factor = WINDOW_FACTOR_EXTRAPOLATED if extrapolated else WINDOW_FACTOR_PLAIN
    if not np.isfinite(tau) or tau <= 0:
        return True, f"not checked: no finite correlation time (window W = {window:g})"
    ratio = window / tau
    bias = window_bias_exponential(window, tau, extrapolated)
    text = (
        f"W = {window:g} is {ratio:.3g} tau_int (tau_int = a_zf / (2 a_et) = {tau:.3g}); "
        f"an exponential correlation would bias the zero-frequency covariance by {bias:+.2%} "
        f"({'with' if extrapolated else 'without'} W/2W extrapolation)"
    )
    if ratio >= factor:
        return True, f"ok: {text}"
    return False, (
        f"window too short: {text}; need W >= {factor:g} tau_int = {factor * tau:.3g}: "
        "lengthen the window (simulation.window, --window)"
    )


def cell_window_check(result: object) -> tuple[bool, str, dict[str, float]]:
    """:func:`window_check` of a simulated cell (a :class:`rnncorr.simulate.CellResult`; typed
    ``object`` here because this module depends on numpy only).

    tau_int per variable is the mean over the realizations that did not diverge; the check uses
    the larger of x and phi. Returns (ok, message, {variable: tau_int}).
    """
    settings = result.settings  # type: ignore[attr-defined]
    taus: dict[str, float] = {}
    for var in ("x", "phi"):
        values = [
            integrated_correlation_time(
                r.statistics["zero_frequency"][var]["a"], r.statistics["equal_time"][var]["a"]
            )
            for r in result.realizations  # type: ignore[attr-defined]
        ]
        finite = [v for v in values if np.isfinite(v)]
        taus[var] = float(np.mean(finite)) if finite else float("nan")
    finite_taus = [t for t in taus.values() if np.isfinite(t)]
    tau = max(finite_taus) if finite_taus else float("nan")
    window = settings.steps_per_window * settings.dt
    ok, message = window_check(window, tau, settings.extrapolate_window)
    return ok, message, taus
