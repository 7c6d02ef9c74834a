"""Analytic equal-time site term against the paired Monte Carlo (docs/finite_size_equal_time.md §6).

For each case (sigma2 = 1) and N it prints N E[het - hom] of a, Nc2 (x and phi) and E[PR_het -
PR_hom], +- s.e., from ``equal_time_montecarlo`` (both networks on the same J, seeds
SeedSequence([2027, N])) next to the N-independent analytic coefficients of
``equal_time_site_coefficients`` (the N -> infinity limit of these numbers).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/finite_size_equal_time_site.py [--quick]

Default: tanh g = 0.5, 1.0 and power alpha = 0.5 g = 0.5 at N = 100 (200 J), 200 (100 J) and
400 (40 J): about 25 CPU minutes (N = 400: 3-6 minutes per case). --quick: N = 100, 40 J.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from rnncorr import get_activation
from rnncorr.theory._finite_n_equal_time import equal_time_montecarlo
from rnncorr.theory._site_equal_time import equal_time_site_coefficients

CASES = {
    "tanh g = 0.5": (("tanh", {}), 0.5),
    "tanh g = 1.0": (("tanh", {}), 1.0),
    "power alpha = 0.5, g = 0.5": (("power", {"alpha": 0.5}), 0.5),
}
ROWS = [(v, s, k) for v in ("x", "phi") for s, k in (("a", "a_1"), ("nc2", "nc2_1"),
                                                      ("pr_over_n", "p_0"))]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    sizes = [(100, 40)] if args.quick else [(100, 200), (200, 100), (400, 40)]
    for name, ((act_name, kw), g) in CASES.items():
        act = get_activation(act_name, **kw)
        analytic = equal_time_site_coefficients(act, g, 1.0)
        runs = {}
        for n, n_j in sizes:
            started = time.perf_counter()
            runs[n] = equal_time_montecarlo(act, g, 1.0, n, n_j, np.random.SeedSequence([2027, n]))
            runs[n]["seconds"] = time.perf_counter() - started
        print(
            f"\n## {name}, sigma2 = 1 (MC: "
            + ", ".join(
                f"N = {n}: {r['n_samples']} J, {r['seconds']:.0f} s" for n, r in runs.items()
            )
            + ")"
        )
        print("| statistic | analytic | " + " | ".join(f"MC N = {n}" for n in runs) + " |")
        print("|---|---|" + "---|" * len(runs))
        for var, stat, key in ROWS:
            label = {"a": "a_1", "nc2": "nc2_1", "pr_over_n": "p_0"}[stat]
            cells = []
            for n, r in runs.items():
                mean, se = r["het_minus_hom"][var][stat]
                cells.append(f"{n * mean:+.4g} +- {n * se:.2g}")
            print(f"| {var} {label}^site | {analytic[var][key]:+.4g} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
