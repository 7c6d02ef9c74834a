r"""Random connectivity matrices.

``iid`` (default): J_ij ~ N(0, g^2 / N) independently, self-couplings included
(docs/science.md §1). Samplers take a ``numpy.random.Generator`` and return float64 or float32.

``random_mode`` (docs/science.md §9; Clark, Marschall, van Meegen, Litwin-Kumar, PRX 15:041019
(2025), arXiv:2409.01969): M = round(alpha N) rank-one modes

    J = sum_{a <= M} D_a l_a r_a^T,   l_a, r'_a iid N(0, 1/N) entries,
    r_a = rho l_a + sqrt(1 - rho^2) r'_a                     (left-right overlap rho, default 0)

with a spectrum D_a of shape ``constant`` (D_a = 1), ``exponential`` (D_a ~ exp(-beta a / M)) or
``step`` (D_a = 1 for the first step_fraction M modes, else 0), rescaled so that
(M/N) <D^2> = g^2: the ``g`` handed to :meth:`RandomMode.sample` is g_eff, N Var J_ij = g_eff^2.
At large N only g_eff and the effective rank alpha PR_D, PR_D = <D^2>^2 / <D^4>, enter the
statistics of activity (docs/random_mode.md).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

__all__ = [
    "IID",
    "SPECTRA",
    "Connectivity",
    "RandomMode",
    "connectivity_from_args",
    "sample_iid",
    "singular_value_participation",
    "spectrum_participation_ratio",
]

#: spectrum shapes of the random-mode model
SPECTRA: tuple[str, ...] = ("constant", "exponential", "step")


def sample_iid(n: int, g: float, rng: np.random.Generator, dtype=np.float64) -> np.ndarray:
    """Gaussian coupling matrix with iid entries of variance g^2 / n.

    Drawn in float64 and then cast, so that float32 and float64 runs share the same J.
    """
    return (rng.standard_normal((n, n)) * (g / np.sqrt(n))).astype(dtype, copy=False)


@dataclass(frozen=True)
class Connectivity:
    """A connectivity model; ``sample(n, g, rng, dtype)`` draws one J with gain g."""

    kind: str = "iid"

    @property
    def label(self) -> str:
        return self.kind

    def sample(self, n: int, g: float, rng: np.random.Generator, dtype=np.float64) -> np.ndarray:
        return sample_iid(n, g, rng, dtype)


IID = Connectivity()


def _real(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _fmt(value: float) -> str:
    """6 significant digits, as in rnncorr.config.format_value (file-name safe)."""
    return f"{float(value):.6g}"


def spectrum_participation_ratio(values: np.ndarray) -> float:
    r"""PR_D = <D^2>^2 / <D^4> of a spectrum (mean over all M entries, zeros included).

    Parameters
    ----------
    values : ndarray
        D_1..D_M (any overall scale).

    Returns
    -------
    float
        In (0, 1]; 1 for a constant spectrum.
    """
    d2 = np.asarray(values, dtype=float) ** 2
    m2, m4 = float(np.mean(d2)), float(np.mean(d2 * d2))
    if not m4 > 0:
        raise ValueError("spectrum_participation_ratio: the spectrum is identically zero")
    return m2 * m2 / m4


def singular_value_participation(alpha: float, pr_d: float, n: int | None = None) -> float:
    r"""Participation ratio of the squared singular values s_k of a random-mode J.

        (sum_k s_k^2)^2 / (N sum_k s_k^4) = alpha PR_D / (1 + 2 alpha PR_D)       (N -> inf)

    Parameters
    ----------
    alpha : float
        Modes ratio M/N, > 0.
    pr_d : float
        PR_D = <D^2>^2/<D^4> of the spectrum, in (0, 1].
    n : int, optional
        Network size: returns instead the ratio of expectations at finite N (overlap rho = 0),
        (E sum s^2)^2 / (N E sum s^4) = x / (1 + 2/N + 3/N^2 + x (2 + 1/N)), x = alpha PR_D,
        from the Wishart moments E[W X W] = X + (X^T + tr X)/N of the Gram matrices L^T L and
        R^T R (docs/random_mode.md §2).

    Returns
    -------
    float
        Between 0 and 1/2 (the iid value, alpha PR_D -> inf, is 1/2: Marchenko-Pastur).

    References
    ----------
    .. [1] docs/science.md §9; Clark et al., PRX 15:041019 (2025).
    """
    if not (math.isfinite(alpha) and alpha > 0):
        raise ValueError(f"alpha (modes_ratio) must be a finite number > 0, got {alpha!r}")
    if not (math.isfinite(pr_d) and 0 < pr_d <= 1):
        raise ValueError(f"pr_d must be in (0, 1], got {pr_d!r}")
    x = alpha * pr_d
    if n is None:
        return x / (1.0 + 2.0 * x)
    if int(n) < 1:
        raise ValueError(f"n must be an integer >= 1, got {n!r}")
    inv = 1.0 / int(n)
    return x / (1.0 + 2.0 * inv + 3.0 * inv * inv + x * (2.0 + inv))


@dataclass(frozen=True)
class RandomMode(Connectivity):
    r"""Random-mode connectivity J = sum_a D_a l_a r_a^T (docs/science.md §9).

    Parameters
    ----------
    modes_ratio : float
        alpha = M/N, finite and > 0 (M = max(1, round(alpha N)) modes at size N).
    spectrum : {"constant", "exponential", "step"}
        Shape of D_a: 1; exp(-beta a/M), a = 1..M; 1 for a <= step_fraction M, else 0.
    beta : float
        Decay of the exponential spectrum, finite and >= 0 (used only when exponential).
    step_fraction : float
        Fraction of non-zero modes of the step spectrum, in (0, 1] (used only when step).
    overlap : float
        Left-right overlap rho in [0, 1): r_a = rho l_a + sqrt(1 - rho^2) r'_a.

    Notes
    -----
    ``g`` of :meth:`sample` is g_eff: D is rescaled so that (M/N) <D^2> = g^2 for the M modes
    actually drawn, i.e. E tr(J J^T) / N = g^2 (N Var J_ij = g^2). The large-N statistics depend
    on the connectivity only through g_eff and :attr:`effective_rank` = alpha PR_D (for
    overlap 0; a non-zero overlap gives J a mean trace rho alpha <D> and is not covered by
    the theory).
    """

    kind: str = "random_mode"
    modes_ratio: float = 1.0
    spectrum: str = "constant"
    beta: float = 1.0
    step_fraction: float = 0.5
    overlap: float = 0.0

    def __post_init__(self) -> None:
        if self.kind != "random_mode":
            raise ValueError(f"RandomMode.kind must be 'random_mode', got {self.kind!r}")
        a = self.modes_ratio
        if not (_real(a) and math.isfinite(a) and a > 0):
            raise ValueError(f"modes_ratio (alpha = M/N) must be a finite number > 0, got {a!r}")
        if self.spectrum not in SPECTRA:
            raise ValueError(f"spectrum must be one of {', '.join(SPECTRA)}, got {self.spectrum!r}")
        b = self.beta
        if not (_real(b) and math.isfinite(b) and b >= 0):
            raise ValueError(f"beta (exponential decay) must be a finite number >= 0, got {b!r}")
        f = self.step_fraction
        if not (_real(f) and 0 < f <= 1):
            raise ValueError(f"step_fraction must be in (0, 1], got {f!r}")
        rho = self.overlap
        if not (_real(rho) and 0 <= rho < 1):
            raise ValueError(f"overlap (rho) must be in [0, 1), got {rho!r}")

    # -- spectrum ---------------------------------------------------------------------------
    def n_modes(self, n: int) -> int:
        """M = max(1, round(alpha n)) at network size n."""
        return max(1, round(self.modes_ratio * int(n)))

    def spectrum_values(self, m: int) -> np.ndarray:
        """D_1..D_M of the spectrum shape, before the g_eff rescaling (max entry 1)."""
        m = int(m)
        if m < 1:
            raise ValueError(f"number of modes must be >= 1, got {m!r}")
        a = np.arange(1, m + 1, dtype=float)
        if self.spectrum == "exponential":
            return np.exp(-self.beta * (a - 1.0) / m)
        if self.spectrum == "step":
            return (a <= max(1, round(self.step_fraction * m))).astype(float)
        return np.ones(m)

    def couplings(self, n: int, g: float) -> np.ndarray:
        """D_a at size n, rescaled so that (M/n) <D^2> = g^2, i.e. sum_a D_a^2 = n g^2."""
        d = self.spectrum_values(self.n_modes(n))
        return d * (float(g) * math.sqrt(int(n)) / math.sqrt(float(np.sum(d * d))))

    @property
    def participation_ratio_d(self) -> float:
        r"""PR_D = <D^2>^2/<D^4> at M -> inf: 1, tanh(beta)/beta, step_fraction."""
        if self.spectrum == "exponential":
            return math.tanh(self.beta) / self.beta if self.beta > 0 else 1.0
        if self.spectrum == "step":
            return float(self.step_fraction)
        return 1.0

    @property
    def effective_rank(self) -> float:
        """alpha PR_D (effective rank over N; the iid limit is alpha PR_D -> inf)."""
        return self.modes_ratio * self.participation_ratio_d

    def participation_ratio_d_at(self, n: int) -> float:
        """PR_D of the M = round(alpha n) modes drawn at size n (-> participation_ratio_d)."""
        return spectrum_participation_ratio(self.spectrum_values(self.n_modes(n)))

    def effective_rank_at(self, n: int) -> float:
        """(M/n) PR_D of the modes drawn at size n."""
        return self.n_modes(n) / int(n) * self.participation_ratio_d_at(n)

    @property
    def label(self) -> str:
        """Stable file-name label: ``rm-alpha0.5-exponential-beta2[-rho0.3]``."""
        parts = ["rm", f"alpha{_fmt(self.modes_ratio)}", self.spectrum]
        if self.spectrum == "exponential":
            parts.append(f"beta{_fmt(self.beta)}")
        elif self.spectrum == "step":
            parts.append(f"frac{_fmt(self.step_fraction)}")
        if self.overlap:
            parts.append(f"rho{_fmt(self.overlap)}")
        return "-".join(parts)

    # -- sampling ---------------------------------------------------------------------------
    def sample(self, n: int, g: float, rng: np.random.Generator, dtype=np.float64) -> np.ndarray:
        """One J with N Var J_ij = g^2 (g = g_eff); drawn in float64, then cast.

        Draw order: L (n x M), then R' (n x M), standard normals scaled by 1/sqrt(n).
        """
        n = int(n)
        if n < 1:
            raise ValueError(f"n must be an integer >= 1, got {n!r}")
        if not (math.isfinite(g) and g >= 0):
            raise ValueError(f"g (g_eff) must be a finite number >= 0, got {g!r}")
        d = self.couplings(n, g)
        m = d.size
        scale = 1.0 / math.sqrt(n)
        left = rng.standard_normal((n, m)) * scale
        right = rng.standard_normal((n, m)) * scale
        if self.overlap:
            right *= math.sqrt(1.0 - self.overlap**2)
            right += self.overlap * left
        left *= d
        return (left @ right.T).astype(dtype, copy=False)


def connectivity_from_args(
    kind: str = "iid",
    modes_ratio: float | None = None,
    spectrum: str | None = None,
    beta: float | None = None,
    step_fraction: float | None = None,
    overlap: float | None = None,
) -> Connectivity:
    """Connectivity from the CLI options ``--connectivity --modes-ratio --spectrum ...``.

    ``iid`` takes no further option; ``random_mode`` needs ``modes_ratio`` (others default
    to RandomMode's: constant spectrum, beta 1, step_fraction 0.5, overlap 0). An option that
    the chosen model does not use is an error, naming it.
    """
    given = {
        "modes_ratio": modes_ratio,
        "spectrum": spectrum,
        "beta": beta,
        "step_fraction": step_fraction,
        "overlap": overlap,
    }
    given = {k: v for k, v in given.items() if v is not None}
    if kind == "iid":
        if given:
            names = ", ".join("--" + k.replace("_", "-") for k in given)
            raise ValueError(f"{names}: only with --connectivity random_mode (got iid)")
        return IID
    if kind != "random_mode":
        raise ValueError(f"connectivity must be one of iid, random_mode, got {kind!r}")
    if "modes_ratio" not in given:
        raise ValueError("--connectivity random_mode needs --modes-ratio ALPHA (> 0)")
    spec = given.get("spectrum", "constant")
    if "beta" in given and spec != "exponential":
        raise ValueError(f"--beta applies to --spectrum exponential only (got {spec})")
    if "step_fraction" in given and spec != "step":
        raise ValueError(f"--step-fraction applies to --spectrum step only (got {spec})")
    return RandomMode(**given)
