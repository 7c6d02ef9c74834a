"""Result containers shared by every theory solver.

A solver never hides a failure: it returns ``valid=False`` with a ``reason`` and NaN statistics
(style guide §5.3). ``TheoryResult.to_dict`` gives the JSON layout of ``rnncorr theory``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

__all__ = ["KINDS", "STATISTICS", "VARIABLES", "SingleSite", "TheoryResult", "nan_statistics"]

KINDS: tuple[str, ...] = ("zero_frequency", "equal_time")
VARIABLES: tuple[str, ...] = ("x", "phi")
STATISTICS: tuple[str, ...] = ("a", "cbar", "nc2", "pr_over_n")

#: statistics of one covariance kind: {"x": {"a": .., "cbar": .., "nc2": .., "pr_over_n": ..},
#: "phi": {...}}
Stats = dict[str, dict[str, float]]


def nan_statistics() -> Stats:
    """Statistics of one kind, all NaN (for a quantity the theory does not define)."""
    return {var: {stat: math.nan for stat in STATISTICS} for var in VARIABLES}


@dataclass(frozen=True)
class SingleSite:
    """Single-site (collective-variable) solution of the large-N theory.

    delta0 = <x^2>, s0 = <phi'(x)>, g_eff = g s0, phi2 = <phi(x)^2>, x ~ N(0, delta0).
    """

    delta0: float
    s0: float
    g_eff: float
    phi2: float
    valid: bool = True
    reason: str | None = None


@dataclass(frozen=True)
class TheoryResult:
    """Large-N statistics of one parameter set (activation, g, sigma2[, noise_tau])."""

    activation: str
    g: float
    sigma2: float
    delta0: float
    s0: float
    g_eff: float
    statistics: dict[str, Stats] = field(
        default_factory=lambda: {k: nan_statistics() for k in KINDS}
    )
    valid: bool = True
    reason: str | None = None
    noise_tau: float | None = None
    settings: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def invalid(
        cls, activation: str, g: float, sigma2: float, reason: str, **kw: Any
    ) -> TheoryResult:
        """A result with every number NaN and ``valid=False``."""
        nan = math.nan
        return cls(
            activation,
            g,
            sigma2,
            delta0=kw.pop("delta0", nan),
            s0=kw.pop("s0", nan),
            g_eff=kw.pop("g_eff", nan),
            valid=False,
            reason=reason,
            **kw,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON layout of ``rnncorr theory --format json``; NaN becomes None (null)."""

        def clean(value: float) -> float | None:
            return None if value is None or not math.isfinite(value) else float(value)

        out: dict[str, Any] = {
            "delta0": clean(self.delta0),
            "s0": clean(self.s0),
            "g_eff": clean(self.g_eff),
        }
        for kind in KINDS:
            out[kind] = {
                var: {stat: clean(self.statistics[kind][var][stat]) for stat in STATISTICS}
                for var in VARIABLES
            }
        out["valid"] = bool(self.valid)
        out["reason"] = self.reason
        return out
