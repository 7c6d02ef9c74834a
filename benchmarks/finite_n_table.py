"""The complete analytic finite-N prediction against simulations and the Monte Carlo
(docs/finite_size.md §10).

Two tables.

1. Site term (no dynamics): analytic p_0^site, a_1^site (``rnncorr.theory._site``) against the
   Monte Carlo of the heterogeneous network (``heterogeneous_finite_n_prediction``) at N = 100
   and 200, and the 1/N extrapolation 2 MC(200) - MC(100).
2. PR_phi/N: case, simulation +- s.e. (mean over J), two paired estimates (MC mean of the
   heterogeneous network + mean over the simulated J of sim - het on the same J; linear Monte
   Carlo at g_eff + mean of sim - hom, ``rnncorr.paired.paired_pr_phi_estimate``), N = infinity,
   the analytic finite-N prediction N p_inf + p_0^LE + p_0^site +- its truncation error and its
   validity flag (reason, next-order ratio), the Monte Carlo finite N, and the pulls.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/finite_n_table.py [--quick] [--site-only]

--quick: tanh g = 1, N = 100 only, 8 J x 16 x 1000 (about 2 minutes on a busy 2-core machine).
Full: tanh g = 0.5 (N = 100), g = 1 (N = 100, 200), power alpha = 0.5 g = 1 (N = 200), 40 J x 16
x 4000 each, plus the site table with 200 J: several CPU hours.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

from rnncorr import get_activation, theory
from rnncorr.estimators import scalar_mean_and_standard_error
from rnncorr.paired import paired_pr_phi_estimate, paired_realizations, paired_settings
from rnncorr.theory._heterogeneous import heterogeneous_finite_n_prediction
from rnncorr.theory._site import site_coefficients

ACTIVATIONS = {"tanh": get_activation("tanh"), "power": get_activation("power", alpha=0.5)}
KEY = "zero_frequency.phi.pr_over_n"


def site_table(cases: list[tuple[str, float]], n_j: int) -> None:
    print("\n## Site term: analytic vs Monte Carlo of the heterogeneous network (sigma2 = 1)")
    print(f"MC: {n_j} J per N, paired het - hom, seed SeedSequence([2026, N])\n")
    print("| case | var | analytic p_0^site | MC N=100 | MC N=200 | MC 1/N-extrap. | pull(200) |")
    print("|---|---|---|---|---|---|---|")
    for name, g in cases:
        act = ACTIVATIONS[name]
        site = site_coefficients(act, g, 1.0)
        mc = {
            n: heterogeneous_finite_n_prediction(
                act, g, 1.0, n, n_j, np.random.SeedSequence([2026, n])
            )["het_minus_hom"]
            for n in (100, 200)
        }
        for var in ("phi", "x"):
            for stat, scale, label in (("pr", 1, "p_0"), ("a", None, "a_1")):
                an = site[var]["p_0_site" if stat == "pr" else "a_1_site"]
                vals = {}
                for n, d in mc.items():
                    s = n if scale is None else scale
                    vals[n] = (s * d[var][stat], s * d[var][stat + "_se"])
                ext = 2 * vals[200][0] - vals[100][0]
                ext_se = math.hypot(2 * vals[200][1], vals[100][1])
                pull = (vals[200][0] - an) / vals[200][1]
                print(
                    f"| {name} g={g} {label} | {var} | {an:+.4f} | "
                    f"{vals[100][0]:+.4f} +- {vals[100][1]:.4f} | "
                    f"{vals[200][0]:+.4f} +- {vals[200][1]:.4f} | {ext:+.4f} +- {ext_se:.4f} | "
                    f"{pull:+.1f} |"
                )


PR_HEADER = (
    "| case | sim +- s.e. (J mean) | paired (het MC) | paired (lin MC) | N = inf | "
    "analytic finite N +- truncation | valid / reason | MC finite N (het) | "
    "pull analytic: sim s.e. / combined | pull N = inf | pull no site term | pull MC | time |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
)


def pr_row(
    name: str,
    g: float,
    n: int,
    n_j: int,
    duration: float,
    seed: int,
    mc_j: int,
    lin_j: int | None = None,
) -> None:
    """One row of the PR_phi/N table (finite_size.md §10.8).

    Two paired estimates of the J-averaged simulation: "het MC" = Monte Carlo mean of the
    heterogeneous network (``mc_j`` J) + mean of sim - het; "lin MC" = the linear Monte Carlo at
    g_eff (``lin_j`` J, default 20 ``mc_j``, LU only) + mean of sim - hom
    (``paired_pr_phi_estimate``, as in the acceptance test). Pulls of the analytic prediction
    against "lin MC": with the simulation s.e. alone and combined with the truncation error;
    N = inf and the series without the site term (N p_inf + p_0^LE) against the same estimate
    with its s.e. alone.
    """
    act = ACTIVATIONS[name]
    settings = paired_settings(n_j, duration)
    started = time.perf_counter()
    rows = paired_realizations(act, n, g, 1.0, settings, seed)
    sim = np.array([r["sim"][KEY] for r in rows])
    het = np.array([r["het"][KEY] for r in rows])
    sim_mean, sim_se = scalar_mean_and_standard_error(sim)
    diff, diff_se = scalar_mean_and_standard_error(sim - het)
    mc = heterogeneous_finite_n_prediction(act, g, 1.0, n, mc_j, np.random.SeedSequence([7, n]))
    mc_mean, mc_se = mc["het"]["phi"]["pr_over_n"], mc["het"]["phi"]["pr_over_n_se"]
    paired, paired_se = mc_mean + diff, math.hypot(mc_se, diff_se)
    large_n = theory.solve(act, g, 1.0).statistics["zero_frequency"]["phi"]["pr_over_n"]
    fin = theory.finite_n_statistics(act, g, 1.0, n)
    lin_j = 20 * mc_j if lin_j is None else lin_j
    lin = paired_pr_phi_estimate(rows, fin["terms"]["g_eff"], n, lin_j, seed + 1)
    est, se = lin["est"], lin["se"]
    block = fin["zero_frequency"] if fin["valid"] else fin["zero_frequency_unvalidated"]
    analytic = block["phi"]["pr_over_n"]
    no_site = block["phi"]["p_inf"] + fin["terms"]["phi"]["p_0_le"] / n
    trunc = fin["truncation_error"]["phi"]["pr_over_n"]
    status = "valid" if fin["valid"] else (fin["reason"] or "").split(":")[0]
    print(
        f"| {name} g={g} N={n} | {sim_mean:.4f} +- {sim_se:.4f} ({len(rows)} J) | "
        f"{paired:.4f} +- {paired_se:.4f} | {est:.4f} +- {se:.4f} | {large_n:.4f} | "
        f"{analytic:.4f} +- {trunc:.4f} | {status} (ratio {fin['next_order_ratio']:.2f}) | "
        f"{mc_mean:.4f} +- {mc_se:.4f} | "
        f"{(est - analytic) / se:+.1f} / {(est - analytic) / math.hypot(se, trunc):+.1f} | "
        f"{(est - large_n) / se:+.1f} | {(est - no_site) / se:+.1f} | "
        f"{(sim_mean - mc_mean) / math.hypot(sim_se, mc_se):+.1f} | "
        f"{time.perf_counter() - started:.0f} s |",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one small case (minutes)")
    parser.add_argument("--site-only", action="store_true", help="only the site-term table")
    parser.add_argument("--site-samples", type=int, default=200, help="J per N, site table")
    parser.add_argument(
        "--case",
        nargs=6,
        action="append",
        metavar=("ACTIVATION", "G", "N", "REALIZATIONS", "DURATION", "SEED"),
        help="only these PR rows (repeatable), e.g. --case tanh 1.0 200 24 2000 22; the "
        "acceptance test's cases: tanh 1.0 100 40 750 1601, tanh 1.0 200 12 750 1602, "
        "power 1.0 200 8 750 1603",
    )
    parser.add_argument("--mc-samples", type=int, default=100, help="het MC J per --case row")
    parser.add_argument(
        "--lin-samples", type=int, default=None, help="linear MC J per --case row (20 x het)"
    )
    args = parser.parse_args()
    if args.case:
        print(PR_HEADER)
        for name, g, n, n_j, duration, seed in args.case:
            pr_row(
                name,
                float(g),
                int(n),
                int(n_j),
                float(duration),
                int(seed),
                args.mc_samples,
                args.lin_samples,
            )
        return
    if not args.quick:
        site_table([("tanh", 0.5), ("tanh", 1.0), ("power", 0.5)], args.site_samples)
    if args.site_only:
        return
    print("\n## PR_phi/N: simulations vs the finite-N predictions (sigma2 = 1)")
    print("pulls against the paired estimate (lin MC); pull MC: het MC vs sim (J mean)\n")
    print(PR_HEADER)
    if args.quick:
        pr_row("tanh", 1.0, 100, 8, 1000.0, 12, 40)
        return
    for name, g, n, seed in (
        ("tanh", 0.5, 100, 13),
        ("tanh", 1.0, 100, 12),
        ("tanh", 1.0, 200, 22),
        ("power", 1.0, 200, 31),
    ):
        pr_row(name, g, n, 40, 4000.0, seed, 200)


if __name__ == "__main__":
    main()
