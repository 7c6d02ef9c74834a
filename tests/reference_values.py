"""Reference numbers to test against: the table of docs/science.md §11, plus the few numbers
stated elsewhere in science.md (§4 support, §5 limit, §6 limits, §7 finite-N facts).

Every entry carries ``source=``. A number stated with k decimals is known to +- 0.5e-k (its
rounding), which is what ``Ref.atol`` returns; simulation entries carry their standard error
``se`` instead. Keys of ``values``: single site ``delta0 s0 phi2 g_eff``, statistics
``<kind>/<var>/<stat>`` with kind in {zero_frequency, equal_time}, var in {x, phi},
stat in {a, cbar, nc2, pr_over_n}; anything else is explained in the entry's ``note``.

Usage::

    from reference_values import REFERENCE
    case = REFERENCE["tanh_g0.5"]
    ref = case.values["zero_frequency/phi/pr_over_n"]
    assert abs(computed - ref.value) <= ref.atol
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["REFERENCE", "Case", "Ref"]


@dataclass(frozen=True)
class Ref:
    """One stated number: ``value`` with ``decimals`` digits after the point, or with ``se``."""

    value: float
    decimals: int | None = None
    se: float | None = None

    @property
    def atol(self) -> float:
        """Half a unit in the last stated decimal (the rounding of the stated number)."""
        if self.decimals is None:
            raise ValueError("this reference has a standard error, not a number of decimals")
        return 0.5 * 10.0 ** (-self.decimals)


@dataclass(frozen=True)
class Case:
    """One row of a reference table: parameters, stated values and where they come from."""

    activation: str
    g: float
    sigma2: float
    values: dict[str, Ref]
    source: str
    params: dict[str, float] = field(default_factory=dict)
    note: str = ""


_S11 = "docs/science.md §11"

REFERENCE: dict[str, Case] = {
    "linear_zero_freq_g0.5": Case(
        "linear",
        0.5,
        1.0,
        {
            "zero_frequency/x/a": Ref(1.333333, 6),
            "zero_frequency/x/nc2": Ref(1.382716, 6),
            "zero_frequency/x/pr_over_n": Ref(0.5625, 4),
        },
        source=f"{_S11}; exact closed forms of §4 (Hu & Sompolinsky 2022)",
        note="linear: the phi statistics equal the x statistics",
    ),
    "linear_equal_time_g0.5": Case(
        "linear",
        0.5,
        1.0,
        {"equal_time/x/a": Ref(0.577350, 6), "equal_time/x/pr_over_n": Ref(0.847730, 6)},
        source=f"{_S11}; exact closed forms of §4",
    ),
    "linear_spectrum_g0.5": Case(
        "linear",
        0.5,
        1.0,
        {"support_min": Ref(0.322767, 6), "support_max": Ref(7.343899, 6)},
        source="docs/science.md §4 (Hu & Sompolinsky, PLoS Comput Biol 18:e1010327, 2022)",
        note="support of the eigenvalue density of the zero-frequency C",
    ),
    "tanh_g0.5": Case(
        "tanh",
        0.5,
        1.0,
        {
            "delta0": Ref(0.53613, 5),
            "s0": Ref(0.71489, 5),
            "phi2": Ref(0.28511, 5),
            "zero_frequency/phi/a": Ref(0.59456, 5),
            "zero_frequency/phi/pr_over_n": Ref(0.76079, 5),
            "equal_time/phi/pr_over_n": Ref(0.93211, 5),
            "zero_frequency/x/pr_over_n": Ref(0.76047, 5),
        },
        source=f"{_S11} (large-N theory of §3, (E1), (R1)-(R3))",
    ),
    "power_alpha0.5_g0.5": Case(
        "power",
        0.5,
        1.0,
        {
            "delta0": Ref(0.57748, 5),
            "s0": Ref(0.98658, 5),
            "zero_frequency/phi/pr_over_n": Ref(0.57254, 5),
        },
        source=f"{_S11} (closed forms of §5)",
        params={"alpha": 0.5},
    ),
    "power_alpha0.5_limit": Case(
        "power",
        float("inf"),
        0.0,
        {"g_eff2": Ref(0.971997, 6)},
        source="docs/science.md §5 (limit sigma2 g^(-2/(1-alpha)) -> 0)",
        params={"alpha": 0.5},
        note="g_eff^2 -> alpha^2 2^(alpha-1) Gamma(alpha/2)^2 / (2 pi K_alpha); g and sigma2 "
        "stand for the limit u -> 0",
    ),
    "pade_g0.5": Case(
        "pade",
        0.5,
        1.0,
        {"delta0": Ref(0.53626, 5), "zero_frequency/phi/pr_over_n": Ref(0.75996, 5)},
        source=f"{_S11} ([3/2] Padé of tanh, a = 1/15, b = 6/15)",
        params={"a": 1.0 / 15.0, "b": 6.0 / 15.0},
    ),
    "tanh_chaos_g2": Case(
        "tanh",
        2.0,
        0.0,
        {
            "delta0": Ref(1.924805, 6),
            "equal_time/x/pr_over_n": Ref(0.0159148, 7),
            "equal_time/phi/pr_over_n": Ref(0.0197407, 7),
        },
        source=f"{_S11} (chaos without noise, §6, Clark et al. 2023/2025)",
        note="delta0 is C_x(0), the equal-time autocovariance of x",
    ),
    "tanh_chaos_large_g": Case(
        "tanh",
        float("inf"),
        0.0,
        {"equal_time/x/pr_over_n": Ref(0.0602, 4), "equal_time/phi/pr_over_n": Ref(0.126, 3)},
        source="docs/science.md §6 (large-g limits)",
    ),
    "simulation_tanh_g0.5_N200": Case(
        "tanh",
        0.5,
        1.0,
        {"var_x": Ref(0.536, se=0.003), "zero_frequency/phi/pr_over_n": Ref(0.76, se=0.02)},
        source=f"{_S11} (simulation, N = 200)",
        params={"N": 200},
        note="var_x: equal-time variance of x, to compare with delta0",
    ),
    "trained_tanh_P1_g0.5_A0.7": Case(
        "tanh",
        0.5,
        0.0,
        {"lambda_z": Ref(-0.42972, 5)},
        source=f"{_S11} (trained attractor, §10, Rivkind & Barak 2017)",
        params={"P": 1, "A": 0.7},
    ),
    "linear_finite_n_g0.3": Case(
        "linear",
        0.3,
        1.0,
        {"pr_offset": Ref(-0.22, se=0.03), "n_times_a_excess": Ref(0.24)},
        source="docs/science.md §7 (Monte Carlo of C = (1-J)^-1 (1-J)^-T)",
        note="pr_offset = E[PR] - N (1-g^2)^2; n_times_a_excess = N (E[a] - a_inf), 'about'",
    ),
    "linear_finite_n_g0.5": Case(
        "linear",
        0.5,
        1.0,
        {"pr_offset": Ref(-0.86, se=0.1), "n_times_a_excess": Ref(1.2)},
        source="docs/science.md §7 (Monte Carlo of C = (1-J)^-1 (1-J)^-T)",
        note="pr_offset = E[PR] - N (1-g^2)^2; n_times_a_excess = N (E[a] - a_inf), 'about'",
    ),
}
