r"""Finite-size study: E[PR] - N p_inf resolved by pairing (docs/finite_size_equal_time.md §5).

The J-average of a simulated PR scatters by O(sqrt(N)) in PR across networks, so resolving the
O(1) offset p_0 from plain J averages takes hundreds of networks (docs/finite_size.md §8.4). This
module uses the heterogeneous linear-equivalent network (``theory._heterogeneous``) as a
*control variate*: for each simulated J (``paired.paired_realizations``) it evaluates the theory
on the same J, and estimates

    E[PR_sim] = E_MC[PR_het] + mean_J (PR_sim,J - PR_het,J)

with E_MC[PR_het] from an independent Monte Carlo over ``mc_samples`` further J (no dynamics).
Both terms are unbiased, so the sum is an unbiased estimate of E[PR_sim] whatever the quality of
the theory; its variance is that of the paired difference (estimation noise of one simulation,
no network-to-network spread) plus that of the Monte Carlo (cheap to make small). The plain J
average is kept for comparison.

Config section ``finite_size_study`` (workflow/schemas/config.schema.yaml; example
config/finite_size.yaml), one job per (case, N): :func:`study_cell`; then :func:`study_dataset`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import xarray as xr

from rnncorr.activations import Activation
from rnncorr.config import SimulationSettings, activation_from_entry
from rnncorr.estimators import scalar_mean_and_standard_error

__all__ = [
    "STUDY_KEYS",
    "analytic_offset",
    "site_term_limit",
    "study_cell",
    "study_dataset",
    "study_plan",
]

#: statistics of the study (PR/N at zero frequency, of phi and of x)
STUDY_KEYS = ("zero_frequency.phi.pr_over_n", "zero_frequency.x.pr_over_n")


def study_plan(config: Mapping[str, Any]) -> dict[str, Any]:
    """Cases and jobs of the ``finite_size_study`` config section (validated by load_config).

    Returns
    -------
    dict
        ``cells``: {path stem: {"activation": entry, "label", "g", "sigma2", "N", "realizations",
        "mc_samples"}}, ``settings``: SimulationSettings (top-level simulation with the section's
        overrides; realizations are set per N), ``seed``.
    """
    section = config["finite_size_study"]
    base = {k: v for k, v in config["simulation"].items() if k != "realizations"}
    base.update(section.get("simulation", {}))
    n_values = list(section["N"])
    realizations = list(section["realizations"])
    mc_samples = list(section["mc_samples"])
    if not len(realizations) == len(mc_samples) == len(n_values):
        raise ValueError("finite_size_study.realizations and .mc_samples need one entry per N")
    cells = {}
    for case in section["cases"]:
        act = activation_from_entry(case["activation"])
        for n, r, m in zip(n_values, realizations, mc_samples, strict=True):
            stem = f"{act.label}_g{case['g']:g}_sigma2_{case['sigma2']:g}/N{n}"
            cells[stem] = {
                "activation": dict(case["activation"]),
                "label": act.label,
                "g": float(case["g"]),
                "sigma2": float(case["sigma2"]),
                "N": int(n),
                "realizations": int(r),
                "mc_samples": int(m),
            }
    return {
        "cells": cells,
        "settings": SimulationSettings(realizations=1, **base),
        "seed": int(config["seed"]),
    }


def analytic_offset(activation: Activation, g: float, sigma2: float, N: int) -> dict[str, float]:
    r"""O(1) offsets of E[PR] at zero frequency: p_0^LE and, where available, the full p_0.

    p_0^LE = -g_eff^2 (2 + 7 g_eff^2) for phi (docs/finite_size.md §5), the x value from
    ``nonlinear_pr_correction``. The complete analytic p_0 (p_0^LE + analytic p_0^site) comes
    from ``rnncorr.theory._site.finite_n_coefficients``; it is NaN where that has no series (no
    stationary state, chaos), and the figure then shows the Monte Carlo site term instead.
    """
    from rnncorr.theory._finite_n import nonlinear_pr_correction
    from rnncorr.theory._heterogeneous import site_scalars
    from rnncorr.theory._site import finite_n_coefficients

    sc = site_scalars(activation, g, sigma2)
    le = nonlinear_pr_correction(sc.g_eff, sc.s0, sigma2, sc.residual_power)
    out = {
        "p_0_le.phi": float(le["p_0_phi"]),
        "p_0_le.x": float(le["p_0_x"]),
        "p_0_analytic.phi": math.nan,
        "p_0_analytic.x": math.nan,
    }
    # the complete analytic p_0 = p_0^LE + p_0^site (docs/finite_size.md §10); N-independent.
    # Drawn even where N (1 - g_eff^2)^2 is below the series' threshold: the figure's point is
    # to show how the two-term series compares with the resolved finite-N offset there.
    coefficients = finite_n_coefficients(activation, g, sigma2)
    if coefficients["reason"] is None:
        for var in ("phi", "x"):
            out[f"p_0_analytic.{var}"] = float(coefficients[var]["p_0"])
    return out


def study_cell(
    activation_entry: Mapping[str, Any],
    g: float,
    sigma2: float,
    N: int,
    realizations: int,
    settings: SimulationSettings,
    mc_samples: int,
    seed: int,
    *,
    threads: int | None = 1,
) -> dict[str, Any]:
    r"""One (case, N): paired simulations and the control-variate estimate of E[PR].

    Returns
    -------
    dict
        For each key of ``STUDY_KEYS`` (short names ``phi``, ``x``): ``sim`` (mean, se) plain
        J average; ``paired`` (mean, se) of sim - het; ``het_mc``, ``hom_mc`` (mean, se) Monte
        Carlo of the networks; ``site_mc`` (mean, se) of het - hom; ``cv`` (mean, se)
        = het_mc + paired; plus ``p_inf``, ``n_j``, the analytic offsets and the cell's
        parameters.
    """
    from dataclasses import replace

    from rnncorr import theory
    from rnncorr.paired import paired_realizations
    from rnncorr.theory._heterogeneous import heterogeneous_finite_n_prediction

    act = activation_from_entry(activation_entry)
    st = replace(settings, realizations=int(realizations))
    rows = paired_realizations(act, int(N), g, sigma2, st, seed, threads=threads)
    stream = np.random.SeedSequence([int(seed), int(N), round(1e6 * g), round(1e6 * sigma2), 16])
    mc = heterogeneous_finite_n_prediction(act, g, sigma2, int(N), int(mc_samples), stream)
    large_n = theory.solve(act, g, sigma2).statistics["zero_frequency"]
    out: dict[str, Any] = {
        "activation": dict(activation_entry),
        "label": act.label,
        "g": float(g),
        "sigma2": float(sigma2),
        "N": int(N),
        "n_j": len(rows),
        "mc_samples": int(mc["n_samples"]),
        **analytic_offset(act, g, sigma2, int(N)),
    }
    for key in STUDY_KEYS:
        var = key.split(".")[1]
        sim = np.array([r["sim"][key] for r in rows])
        het = np.array([r["het"][key] for r in rows])
        ok = np.isfinite(sim) & np.isfinite(het)
        paired = scalar_mean_and_standard_error(sim[ok] - het[ok])
        het_mc = (mc["het"][var]["pr_over_n"], mc["het"][var]["pr_over_n_se"])
        hom_mc = (mc["hom"][var]["pr_over_n"], mc["hom"][var]["pr_over_n_se"])
        site = (mc["het_minus_hom"][var]["pr"], mc["het_minus_hom"][var]["pr_se"])
        out[var] = {
            "sim": scalar_mean_and_standard_error(sim[np.isfinite(sim)]),
            "paired": paired,
            "het_mc": het_mc,
            "hom_mc": hom_mc,
            "site_mc": site,
            "cv": (het_mc[0] + paired[0], math.hypot(het_mc[1], paired[1])),
            "p_inf": float(large_n[var]["pr_over_n"]),
        }
    return out


def study_dataset(cells: list[Mapping[str, Any]]) -> xr.Dataset:
    r"""Join :func:`study_cell` outputs into one Dataset with dims (case, N, variable).

    Variables (PR/N unless stated): ``sim``, ``sim_se``, ``paired``, ``paired_se``, ``het_mc``,
    ``het_mc_se``, ``hom_mc``, ``hom_mc_se``, ``cv``, ``cv_se``, ``p_inf``, ``site_mc``,
    ``site_mc_se`` (in PR), ``p_0_le``, ``p_0_analytic`` (in PR), ``n_j``. Case coordinates:
    ``label``, ``g``, ``sigma2``; ``case`` is "label g=.. sigma2=..".
    """
    cases = sorted({(c["label"], c["g"], c["sigma2"]) for c in cells})
    n_values = sorted({int(c["N"]) for c in cells})
    variables = ["phi", "x"]
    shape = (len(cases), len(n_values), len(variables))
    names = ("sim", "paired", "het_mc", "hom_mc", "cv", "site_mc")
    data = {f"{n}{s}": np.full(shape, np.nan) for n in names for s in ("", "_se")}
    data.update({k: np.full(shape, np.nan) for k in ("p_inf", "p_0_le", "p_0_analytic")})
    n_j = np.zeros(shape[:2], dtype=int)
    for c in cells:
        i = cases.index((c["label"], c["g"], c["sigma2"]))
        j = n_values.index(int(c["N"]))
        n_j[i, j] = c["n_j"]
        for k, var in enumerate(variables):
            for name in names:
                data[name][i, j, k], data[f"{name}_se"][i, j, k] = c[var][name]
            data["p_inf"][i, j, k] = c[var]["p_inf"]
            data["p_0_le"][i, j, k] = c[f"p_0_le.{var}"]
            data["p_0_analytic"][i, j, k] = c[f"p_0_analytic.{var}"]
    dims = ("case", "N", "variable")
    ds = xr.Dataset(
        {k: (dims, v) for k, v in data.items()} | {"n_j": (("case", "N"), n_j)},
        coords={
            "case": [f"{lab} g={g:g} sigma2={s2:g}" for lab, g, s2 in cases],
            "N": n_values,
            "variable": variables,
            "label": ("case", [c[0] for c in cases]),
            "g": ("case", [c[1] for c in cases]),
            "sigma2": ("case", [c[2] for c in cases]),
        },
    )
    ds.attrs["description"] = (
        "finite-size study: PR/N at zero frequency; cv = control-variate estimate of E[PR_sim] "
        "(rnncorr.finite_size_study); site_mc, p_0_le, p_0_analytic in units of PR"
    )
    return ds


def site_term_limit(n: Any, site: Any, site_se: Any) -> tuple[float, float]:
    r"""N -> infinity limit of the Monte Carlo site term p_0^site(N) = E[PR_het - PR_hom].

    The paired difference has its own 1/N tail (tanh g = 1: +1.40, +1.71, +1.89 at N = 50, 100,
    200), so its limit is the intercept of a weighted least-squares line in 1/N (two or more
    sizes); with one size, that size's value. Returns (limit, standard error).
    """
    n, site, site_se = (np.asarray(v, dtype=float) for v in (n, site, site_se))
    ok = np.isfinite(site) & np.isfinite(site_se) & (site_se > 0)
    if not ok.any():
        return math.nan, math.nan
    if ok.sum() == 1:
        return float(site[ok][0]), float(site_se[ok][0])
    x, y, w = 1.0 / n[ok], site[ok], 1.0 / site_se[ok] ** 2
    design = np.stack([np.ones_like(x), x], axis=1)
    cov = np.linalg.inv(design.T @ (design * w[:, None]))
    coef = cov @ (design.T @ (w * y))
    return float(coef[0]), float(math.sqrt(cov[0, 0]))
