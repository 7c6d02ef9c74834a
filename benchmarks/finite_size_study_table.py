"""Print the finite-size study table from results/finite_size_study.nc (rnncorr.finite_size_study).

    .venv/bin/python benchmarks/finite_size_study_table.py [results/finite_size_study.nc]

Columns (PR of phi and x at zero frequency, in units of PR): case, N, J, simulation (control
variate) +- s.e., plain J average +- s.e., N = infinity (N p_inf), analytic finite N (N p_inf +
p_0 with the analytic p_0 when available, else p_0^LE + p_0^site(MC, extrapolated to N = inf)),
Monte Carlo finite N
(heterogeneous network), and the pulls: (CV - value)/s.e.(CV) for N = infinity and the analytic
value, mean/s.e. of the paired sim - het for the Monte Carlo network.

Then, when the file has the equal-time rows (finite_size_study.equal_time_dataset), the
equal-time table: case, var, N, J, sim - N p_inf (control variate) +- s.e. and its resolution
|sim - N p_inf|/s.e., plain J average, N p_inf, analytic offset p_0 + site term (+- the site
term's s.e. while it is a Monte Carlo), the homogeneous series' p_0, the network Monte Carlo,
the pull (CV - analytic)/sqrt(s.e.(CV)^2 + s.e.(site)^2) and the paired pull (sim - het)/s.e.
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

    if "pr_equal_time_cv" in ds:
        equal_time_table(ds)


def equal_time_table(ds: xr.Dataset) -> None:
    """The equal-time table (module docstring); every column in units of PR."""
    method = ds["pr_equal_time_pr_analytic"].attrs.get("site_method", "")
    print(f"\nEqual time (site term of the analytic line: {method})\n")
    print(
        "| case | var | N | J | sim - N p_inf (CV) | resolution | plain J average - N p_inf "
        "| N p_inf | analytic p_0 + site | p_0 (hom. series) | MC het - N p_inf "
        "| pull analytic | pull MC (paired) | time-step shift (removed) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for case in ds["et_case"].values:
        for var in ("x", "phi"):
            d = ds.sel(et_case=case, variable=var)
            for n in d["et_N"].values:
                row = d.sel(et_N=n)
                e = {
                    k: float(v)
                    for k, v in row.data_vars.items()
                    if k.startswith("pr_equal_time_") and v.ndim == 0
                }
                if not np.isfinite(e["pr_equal_time_cv"]):
                    continue
                inf = e["pr_equal_time_pr_inf"]
                cv, cv_se = e["pr_equal_time_cv"] - inf, e["pr_equal_time_cv_se"]
                sim, sim_se = e["pr_equal_time_sim"] - inf, e["pr_equal_time_sim_se"]
                an, site_se = e["pr_equal_time_pr_analytic"] - inf, e["pr_equal_time_site_se"]
                het, het_se = e["pr_equal_time_het_mc"] - inf, e["pr_equal_time_het_mc_se"]
                paired, paired_se = e["pr_equal_time_paired"], e["pr_equal_time_paired_se"]
                j = int(ds["pr_equal_time_n_j"].sel(et_case=case, et_N=n))
                pull = (cv - an) / math.hypot(cv_se, site_se if math.isfinite(site_se) else 0)
                print(
                    f"| {case} | {var} | {n} | {j} | {cv:+.4f} +- {cv_se:.4f} | "
                    f"{abs(cv) / cv_se:.1f} | {sim:+.3f} +- {sim_se:.3f} | {inf:.3f} | "
                    f"{an:+.4f} +- {site_se:.4f} | {e['pr_equal_time_p_0']:+.4f} | "
                    f"{het:+.4f} +- {het_se:.4f} | {pull:+.1f} | {paired / paired_se:+.1f} | "
                    f"{e.get('pr_equal_time_time_step_shift', math.nan):+.4f} |"
                )


if __name__ == "__main__":
    main(*sys.argv[1:2])
