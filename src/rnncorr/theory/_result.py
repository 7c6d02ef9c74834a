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
    #: zero-frequency 1/N coefficients per variable (``{"phi": {"a_inf", "a_1", "p_inf", "p_0",
    #: ...}, "x": {...}}``), from the linear-equivalent network (docs/finite_size.md)
    corrections: dict[str, dict[str, float]] = field(default_factory=dict)

    def finite_n(self, n: int, complete: dict[str, Any] | None = None) -> dict[str, Any]:
        """Zero-frequency statistics at size N (``rnncorr theory --N``), JSON-ready.

        Without ``complete``: the 1/N series of the homogeneous linear-equivalent network
        (``pr``, ``a``, ``nc2``, ``pr_over_n`` of phi; ``x`` the same for x). With ``complete``
        (the dict of :func:`rnncorr.theory.finite_n_statistics`): the complete analytic
        prediction N p_inf + p_0^LE + p_0^site under the same keys -- null where the point is
        outside the series' range (``valid`` False, ``reason``) -- plus ``terms`` (every term,
        and the homogeneous series under ``terms.homogeneous``), ``equal_time`` (hook),
        ``n_gap``, ``pr_truncation``, ``gain_spread``, and ``truncation_error`` (``pr``,
        ``pr_over_n``: estimated size of the neglected O(1/N) term, docs/finite_size.md §10.6;
        also ``pr_truncation_error``, ``pr_over_n_truncation_error`` of phi and of x).
        """

        def series(coefficients: dict[str, float], name: str) -> float | None:
            inf, first = coefficients.get(f"{name}_inf"), coefficients.get(f"{name}_1")
            if inf is None or first is None or not math.isfinite(inf + first):
                return None
            return float(inf + first / n)

        def at_n(var: str) -> dict[str, Any]:
            c = self.corrections.get(var, {})
            pr = None
            if math.isfinite(c.get("p_inf", math.nan) + c.get("p_0", math.nan)):
                pr = float(n * c["p_inf"] + c["p_0"])
            return {
                "pr": pr,
                "pr_over_n": None if pr is None else pr / n,
                "a": series(c, "a"),
                "nc2": series(c, "nc2"),
                "p_inf": c.get("p_inf"),
                "p_0": c.get("p_0"),
            }

        homogeneous = {
            "N": int(n),
            "kind": "zero_frequency",
            **at_n("phi"),
            "x": at_n("x"),
            "method": "1/N series of the linear-equivalent network at g_eff (docs/finite_size.md)",
        }
        if complete is None:
            return homogeneous
        zf = complete["zero_frequency"]
        # the homogeneous series' own error bar: its next term p_m1^LE/N (finite_size.md §4.1)
        p_m1_le = complete.get("terms", {}).get("p_m1_le")
        if p_m1_le is not None:
            for block in (homogeneous, homogeneous["x"]):
                block["pr_truncation_error"] = abs(p_m1_le) / n
                block["pr_over_n_truncation_error"] = abs(p_m1_le) / n**2
        keys = (
            *("pr", "pr_over_n", "a", "nc2", "p_inf", "p_0", "a_1", "nc2_1"),
            *("pr_truncation_error", "pr_over_n_truncation_error"),
        )
        out = {
            "N": int(n),
            "kind": "zero_frequency",
            **{k: zf["phi"].get(k) for k in keys},
            "x": {k: zf["x"].get(k) for k in keys},
            "valid": complete["valid"],
            "reason": complete["reason"],
            **{
                k: complete.get(k)
                for k in (
                    "n_gap",
                    "n_gap_min",
                    "n_min",
                    "next_order_ratio",
                    "next_order_ratio_max",
                    "gain_spread",
                    "gain_spread_max",
                    "pr_truncation",
                )
            },
            # size of the neglected O(1/N) term of PR (phi; x under "x"), docs/finite_size.md §10.6
            "truncation_error": complete.get("truncation_error", {}).get("phi"),
            "terms": {
                **complete["terms"],
                "homogeneous": {"phi": homogeneous, "x": homogeneous.pop("x")},
            },
            "equal_time": complete["equal_time"],
            "method": complete["method"],
        }
        if "zero_frequency_unvalidated" in complete:
            out["zero_frequency_unvalidated"] = complete["zero_frequency_unvalidated"]
        return _json_clean(out)

    def finite_n_validity(self, n: int) -> dict[str, Any]:
        """Whether the N = infinity numbers are testable at size N (``rnncorr theory --N``).

        The 1/N series are expansions in 1/(N (1 - g_eff^2)^2) (docs/finite_size.md §4; for
        chaos docs/finite_size_equal_time.md §4): ``parameter`` = N (1 - g_eff^2)^2 must be >=
        ``threshold`` = 20 (the smallest value at which the linear series was confirmed, §4)
        for the large-N values (and the series) to describe a simulation at this N. ``min_n``
        is the N where it is reached. In chaos (sigma2 = 0) no 1/N series is available at all
        (``series_available`` False): the linear-equivalent one has the wrong sign there.
        """
        threshold = 20.0
        k2 = self.g_eff**2 if math.isfinite(self.g_eff) else math.nan
        chaos = self.sigma2 == 0 and self.noise_tau is None
        if not (self.valid and math.isfinite(k2) and k2 < 1):
            return {
                "N": int(n),
                "testable": False,
                "parameter": None,
                "threshold": threshold,
                "min_n": None,
                "series_available": False,
                "reason": self.reason or "no stationary large-N solution",
            }
        parameter = n * (1.0 - k2) ** 2
        testable = bool(parameter >= threshold)
        if chaos:
            reason = (
                "chaos (sigma2 = 0): g_eff is close to 1; the linear-equivalent 1/N series "
                "(an expansion in 1/(N (1 - g_eff^2)^2)) has the wrong sign here and no other "
                "is derived, so only N >= min_n (by analogy with the noise-driven threshold) "
                "tests the large-N values"
            )
        elif testable:
            reason = "N (1 - g_eff^2)^2 >= threshold: large-N values plus the 1/N series apply"
        else:
            reason = (
                "N (1 - g_eff^2)^2 < threshold: higher orders in 1/N are not small; compare "
                "with the finite-N Monte Carlo (--finite-n-samples), not the series"
            )
        return {
            "N": int(n),
            "testable": testable,
            "parameter": float(parameter),
            "threshold": threshold,
            "min_n": int(math.ceil(threshold / (1.0 - k2) ** 2)),
            "series_available": not chaos,
            "reason": reason,
        }

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


def _json_clean(value: Any) -> Any:
    """Recursively: non-finite floats -> None, numpy scalars -> float (valid JSON)."""
    if isinstance(value, dict):
        return {k: _json_clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_clean(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, (str, int)):
        return value
    try:
        f = float(value)
    except (TypeError, ValueError):
        return value
    return f if math.isfinite(f) else None
