"""Simulations of tanh networks against the finite-N theories, J by J (docs/finite_size.md §8).

For each (g, N) it simulates ``--realizations`` J and evaluates, on the *same* J, the
homogeneous linear-equivalent network (gain s0 for every unit) and the self-consistent
heterogeneous one (gain S(Delta_i) per unit): ``rnncorr.paired``. The paired differences
sim - theory have a far smaller spread over J than the statistics themselves. Then it prints
the site term of p_0, E[PR_het - PR_hom], from a Monte Carlo over more J (no dynamics).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/finite_size_simulations.py [--quick]

Full run (g = 1.0 with 48 J x 16 x 8000, g = 0.5 with 24 J x 16 x 4000, N = 100; site term at
N = 100, 200): about 40 CPU minutes; --quick (g = 1.0, 16 J x 16 x 2000): about 1 minute.
"""

from __future__ import annotations

import argparse
import time

from rnncorr import get_activation, theory
from rnncorr.paired import paired_realizations, paired_settings, paired_summary
from rnncorr.theory._finite_n import nonlinear_pr_correction
from rnncorr.theory._heterogeneous import heterogeneous_finite_n_prediction, site_scalars
from rnncorr.theory._site import site_coefficients

TANH = get_activation("tanh")


def large_n_values(g: float) -> dict[str, float]:
    st = theory.solve(TANH, g, 1.0).statistics
    return {
        f"{kind}.{var}.{stat}": st[kind][var][stat]
        for kind in ("zero_frequency", "equal_time")
        for var in ("x", "phi")
        for stat in ("a", "nc2", "pr_over_n")
    }


def simulations(g: float, n: int, n_j: int, duration: float, seed: int) -> None:
    settings = paired_settings(n_j, duration)
    started = time.perf_counter()
    rows = paired_realizations(TANH, n, g, 1.0, settings, seed)
    summary = paired_summary(rows, large_n_values(g))
    print(
        f"\n## tanh g = {g}, N = {n}: {len(rows)} J x 16 x {duration:g}, seed {seed} "
        f"({time.perf_counter() - started:.0f} s)"
    )
    print("| statistic | sim - hom | sim - het | D = (sim - inf)^2 - (sim - het)^2 |")
    print("|---|---|---|---|")
    for key, d in summary.items():
        columns = ("sim_minus_hom", "sim_minus_het", "gain_over_large_n")
        cells = " | ".join("{:+.5f} +- {:.5f}".format(*d[c]) for c in columns)
        print(f"| {key} | {cells} |")


def site_term(g: float, n: int, n_j: int) -> None:
    pred = heterogeneous_finite_n_prediction(TANH, g, 1.0, n, n_j, seed=1000 + n)
    sc = site_scalars(TANH, g, 1.0)
    p_le = nonlinear_pr_correction(sc.g_eff, sc.s0, 1.0, sc.residual_power)["p_0_phi"]
    d = pred["het_minus_hom"]["phi"]
    analytic = site_coefficients(TANH, g, 1.0)["phi"]["p_0_site"]  # N -> infinity (§10)
    print(
        f"tanh g = {g}, N = {n}, {pred['n_samples']} J: p_0^LE = {p_le:+.3f}, "
        f"p_0^site = E[PR_het - PR_hom] = {d['pr']:+.3f} +- {d['pr_se']:.3f} "
        f"(analytic {analytic:+.3f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one small case (about 1 minute)")
    parser.add_argument(
        "--case",
        nargs=5,
        type=float,
        action="append",
        metavar=("G", "N", "REALIZATIONS", "DURATION", "SEED"),
        help="simulate only these cases (repeatable)",
    )
    args = parser.parse_args()
    if args.case:
        for g, n, n_j, duration, seed in args.case:
            simulations(g, int(n), int(n_j), duration, int(seed))
        return
    if args.quick:
        simulations(1.0, 100, 16, 2000.0, 12)
        site_term(1.0, 100, 16)
        return
    simulations(1.0, 100, 48, 8000.0, 12)
    simulations(0.5, 100, 24, 4000.0, 13)
    for g in (0.5, 1.0):
        for n in (100, 200):
            site_term(g, n, 48)


if __name__ == "__main__":
    main()
