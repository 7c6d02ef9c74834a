"""Print the finite-size study table from results/finite_size_study.nc (rnncorr.finite_size_study).

    .venv/bin/python benchmarks/finite_size_study_table.py [results/finite_size_study.nc]

Columns (PR of phi and x at zero frequency, in units of PR): case, N, J, simulation (control
variate) +- s.e., plain J average +- s.e., N = infinity (N p_inf), analytic finite N (N p_inf +
p_0 with the analytic p_0 when available, else p_0^LE + p_0^site(MC, extrapolated to N = inf)),
Monte Carlo finite N
(heterogeneous network), and the pulls: (CV - value)/s.e.(CV) for N = infinity and the analytic
value, mean/s.e. of the paired sim - het for the Monte Carlo network.
"""

from __future__ import annotations

import math
import sys

import numpy as np
import xarray as xr

from rnncorr.finite_size_study import site_term_limit


def main(path: str = "results/finite_size_study.nc") -> None:
    ds = xr.open_dataset(path).load()
    print(
        "| case | var | N | J | simulation (CV) | plain J average | N p_inf "
        "| analytic N p_inf + p_0 | MC finite N (het) | pull N = inf | pull analytic "
        "| pull MC (paired) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for case in ds["case"].values:
        for var in ds["variable"].values:
            d = ds.sel(case=case, variable=var)
            site, _ = site_term_limit(d["N"].values, d["site_mc"].values, d["site_mc_se"].values)
            for n in d["N"].values:
                e = d.sel(N=n)
                if not np.isfinite(float(e["cv"])):
                    continue
                p_inf = float(e["p_inf"])
                cv, cv_se = n * float(e["cv"]), n * float(e["cv_se"])
                sim, sim_se = n * float(e["sim"]), n * float(e["sim_se"])
                p0 = float(e["p_0_analytic"])
                if not math.isfinite(p0):
                    p0 = float(e["p_0_le"]) + site
                het, het_se = n * float(e["het_mc"]), n * float(e["het_mc_se"])
                # CV contains the MC mean: test sim against het by the paired difference alone
                paired, paired_se = float(e["paired"]), float(e["paired_se"])
                inf, analytic = n * p_inf, n * p_inf + p0
                j = int(ds["n_j"].sel(case=case, N=n))
                print(
                    f"| {case} | {var} | {n} | {j} | {cv:.2f} +- {cv_se:.2f} | "
                    f"{sim:.2f} +- {sim_se:.2f} | {inf:.2f} | {analytic:.2f} | "
                    f"{het:.2f} +- {het_se:.2f} | {(cv - inf) / cv_se:+.1f} | "
                    f"{(cv - analytic) / cv_se:+.1f} | {paired / paired_se:+.1f} |"
                )


if __name__ == "__main__":
    main(*sys.argv[1:2])
