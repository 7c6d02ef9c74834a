"""Equal-time 1/N corrections: simulations against the theory (docs/finite_size_equal_time.md).

For each case (activation tanh, sigma2 = 1, g, N) it simulates ``J`` networks and evaluates, on
the *same* J, the equal-time covariances of the heterogeneous linear-equivalent network
(``rnncorr.theory._finite_n_equal_time.equal_time_network_statistics``), with the estimator's
block-mean bias E[C_hat] = C - (C_zf - C)/n applied to the theory (so that like is compared with
like). It prints, for a, Nc2 and PR/N of x and phi:

* sim: the plain J average of the simulated statistic, +- s.e. over J;
* sim - het: the paired difference (spread: estimation noise only);
* CV: the control-variate estimate of E[sim] = E_MC[het] + mean(sim - het), with E_MC[het] from
  ``--mc`` further J (no dynamics) -- unbiased, and far more precise than the plain average;
* N = inf, the analytic series (homogeneous, ``equal_time_prediction``) and series + site term.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/finite_size_equal_time.py [--quick]

Default: tanh g = 0.5, N = 100, 64 J x 16 x 4000 (seed 31), 400 MC J: about 6 CPU minutes.
--quick: 8 J x 16 x 1000, 40 MC J (about 30 s).
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

from rnncorr import get_activation, theory
from rnncorr.estimators import scalar_mean_and_standard_error
from rnncorr.finite_size_study import equal_time_estimator_statistics
from rnncorr.paired import paired_settings, simulated_couplings
from rnncorr.theory._finite_n_equal_time import equal_time_montecarlo, equal_time_prediction
from rnncorr.theory._heterogeneous import site_scalars

KEYS = [(v, s) for v in ("x", "phi") for s in ("a", "nc2", "pr_over_n")]


def run_case(g: float, n: int, n_j: int, duration: float, seed: int, n_mc: int) -> None:
    act = get_activation("tanh")
    settings = paired_settings(n_j, duration)
    per_block = settings.trajectories * settings.samples_per_block
    scalars = site_scalars(act, g, 1.0)
    started = time.perf_counter()
    sim: dict = {k: [] for k in KEYS}
    diff: dict = {k: [] for k in KEYS}
    for result, J in simulated_couplings(act, n, g, 1.0, settings, seed):
        het = equal_time_estimator_statistics(J, act, scalars, per_block)
        for v, s in KEYS:
            value = result.statistics["equal_time"][v][s]
            sim[(v, s)].append(value)
            diff[(v, s)].append(value - het[v][s])
    t_sim = time.perf_counter() - started
    mc = equal_time_montecarlo(act, g, 1.0, n, n_mc, seed=np.random.SeedSequence([seed, n, 7]))
    large_n = theory.solve(act, g, 1.0).statistics["equal_time"]
    pred = equal_time_prediction(act, g, 1.0, n)
    print(
        f"\n## tanh g = {g}, sigma2 = 1, N = {n}: {len(sim[KEYS[0]])} J x 16 x {duration:g} "
        f"(seed {seed}, {t_sim:.0f} s), MC {mc['n_samples']} J"
    )
    print(
        "| statistic | sim | sim - het | CV estimate | MC het | MC hom | N = inf | series (hom) "
        "| series + site |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for v, s in KEYS:
        m, se = scalar_mean_and_standard_error(sim[(v, s)])
        d, dse = scalar_mean_and_standard_error(diff[(v, s)])
        het_mc, het_se = mc["het"][v][s]
        hom_mc, hom_se = mc["hom"][v][s]
        site, _ = mc["het_minus_hom"][v][s]
        cv, cv_se = het_mc + d, math.hypot(dse, het_se)
        series = pred[v][s]
        print(
            f"| {v}.{s} | {m:.5f} +- {se:.5f} | {d:+.5f} +- {dse:.5f} | {cv:.5f} +- {cv_se:.5f} | "
            f"{het_mc:.5f} +- {het_se:.5f} | {hom_mc:.5f} +- {hom_se:.5f} | {large_n[v][s]:.5f} | "
            f"{series:.5f} | {series + site:.5f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--case",
        nargs=6,
        type=float,
        action="append",
        metavar=("G", "N", "J", "DURATION", "SEED", "MC"),
    )
    args = parser.parse_args()
    if args.case:
        for g, n, n_j, duration, seed, n_mc in args.case:
            run_case(g, int(n), int(n_j), duration, int(seed), int(n_mc))
    elif args.quick:
        run_case(0.5, 100, 8, 1000.0, 31, 40)
    else:
        run_case(0.5, 100, 64, 4000.0, 31, 400)


if __name__ == "__main__":
    main()
