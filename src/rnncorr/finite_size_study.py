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
    "EQUAL_TIME_VARIABLES",
    "STUDY_KEYS",
    "analytic_offset",
    "control_variate",
    "coupling_control_variates",
    "equal_time_analytic",
    "equal_time_cell",
    "equal_time_dataset",
    "equal_time_estimator_statistics",
    "equal_time_network_montecarlo",
    "equal_time_plan",
    "equal_time_theory_with_estimator_bias",
    "regression_mean",
    "series_range_n",
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
        "n_min": math.nan,
    }
    # the complete analytic p_0 = p_0^LE + p_0^site (docs/finite_size.md §10); N-independent.
    # Drawn even where N (1 - g_eff^2)^2 is below the series' threshold: the figure's point is
    # to show how the two-term series compares with the resolved finite-N offset there.
    coefficients = finite_n_coefficients(activation, g, sigma2)
    if coefficients["reason"] is None:
        for var in ("phi", "x"):
            out[f"p_0_analytic.{var}"] = float(coefficients[var]["p_0"])
        # the series' range as `rnncorr theory --N` reports it (next term <= |p_0^LE|/2, §10.6)
        out["n_min"] = float(coefficients["n_min"])
    return out


def control_variate(
    network_mean: tuple[float, float], paired: tuple[float, float]
) -> tuple[float, float]:
    r"""E[PR_sim] ~= E_MC[PR_net] + mean_J (PR_sim,J - PR_net,J) and its standard error.

    ``network_mean`` (mean, se) from an independent Monte Carlo of the network, ``paired``
    (mean, se) of the per-J differences on the simulated J (docs/finite_size_equal_time.md §5.1);
    the two are independent, so the errors add in quadrature.
    """
    return network_mean[0] + paired[0], math.hypot(network_mean[1], paired[1])


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
            "cv": control_variate(het_mc, paired),
            "p_inf": float(large_n[var]["pr_over_n"]),
        }
    return out


def study_dataset(
    cells: list[Mapping[str, Any]], equal_time_cells: list[Mapping[str, Any]] | None = None
) -> xr.Dataset:
    r"""Join :func:`study_cell` outputs into one Dataset with dims (case, N, variable).

    With ``equal_time_cells`` (outputs of :func:`equal_time_cell`) the variables of
    :func:`equal_time_dataset` are merged in (their own dims et_case, et_N, variable).

    Variables (PR/N unless stated): ``sim``, ``sim_se``, ``paired``, ``paired_se``, ``het_mc``,
    ``het_mc_se``, ``hom_mc``, ``hom_mc_se``, ``cv``, ``cv_se``, ``p_inf``, ``site_mc``,
    ``site_mc_se`` (in PR), ``p_0_le``, ``p_0_analytic`` (in PR), ``n_j``. Case coordinates:
    ``label``, ``g``, ``sigma2``, ``g_eff``, ``n_min`` (smallest N of the series' range, as
    reported by ``rnncorr theory --N``; NaN where the cells predate it); ``case`` is "label g=..
    sigma2=..".
    """
    cases = sorted({(c["label"], c["g"], c["sigma2"]) for c in cells})
    n_values = sorted({int(c["N"]) for c in cells})
    variables = ["phi", "x"]
    shape = (len(cases), len(n_values), len(variables))
    names = ("sim", "paired", "het_mc", "hom_mc", "cv", "site_mc")
    data = {f"{n}{s}": np.full(shape, np.nan) for n in names for s in ("", "_se")}
    data.update({k: np.full(shape, np.nan) for k in ("p_inf", "p_0_le", "p_0_analytic")})
    n_j = np.zeros(shape[:2], dtype=int)
    n_min = np.full(len(cases), np.nan)
    for c in cells:
        i = cases.index((c["label"], c["g"], c["sigma2"]))
        j = n_values.index(int(c["N"]))
        n_j[i, j] = c["n_j"]
        n_min[i] = c.get("n_min", np.nan)
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
            "g_eff": ("case", [_g_eff(*c) for c in cases]),
            "n_min": ("case", n_min),
        },
    )
    ds.attrs["description"] = (
        "finite-size study: PR/N at zero frequency; cv = control-variate estimate of E[PR_sim] "
        "(rnncorr.finite_size_study); site_mc, p_0_le, p_0_analytic in units of PR"
    )
    if equal_time_cells:
        ds = xr.merge([ds, equal_time_dataset(equal_time_cells)], combine_attrs="override")
    return ds


def _g_eff(label: str, g: float, sigma2: float) -> float:
    """g_eff = g S0 of the large-N single site (NaN when it has no stationary solution)."""
    from rnncorr.activations import activation_from_label
    from rnncorr.theory._heterogeneous import site_scalars

    try:
        return float(site_scalars(activation_from_label(label), g, sigma2).g_eff)
    except (ValueError, KeyError):
        return math.nan


def series_range_n(g_eff: float, threshold: float = 20.0) -> float:
    r"""Smallest N inside the 1/N series' range: N (1 - g_eff^2)^2 >= threshold.

    The series is an expansion in 1/(N (1 - g_eff^2)^2) (docs/finite_size.md §4); it is
    confirmed down to N (1 - g_eff^2)^2 ~ 19, hence the threshold 20 of
    ``TheoryResult.finite_n_validity``.
    """
    if not (math.isfinite(g_eff) and 0 <= g_eff < 1):
        return math.inf
    return threshold / (1 - g_eff * g_eff) ** 2


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


# --------------------------------------------------------------------------------------------
# Equal-time rows (docs/finite_size_equal_time.md §5.5): PR of x and phi at equal time
# --------------------------------------------------------------------------------------------

#: variables of the equal-time rows
EQUAL_TIME_VARIABLES = ("x", "phi")


def equal_time_plan(config: Mapping[str, Any]) -> dict[str, Any]:
    """Cases and jobs of the ``finite_size_study.equal_time`` config subsection.

    Returns
    -------
    dict
        ``cells``: {path stem: {"activation", "label", "g", "sigma2", "N", "realizations",
        "mc_samples", "site_samples"}}, ``settings``: SimulationSettings (top-level simulation
        with the finite_size_study overrides, then the subsection's), ``seed``. No cells when
        the subsection has no cases.
    """
    section = config["finite_size_study"]
    et = section.get("equal_time", {}) or {}
    base = {k: v for k, v in config["simulation"].items() if k != "realizations"}
    base.update(section.get("simulation", {}))
    base.update(et.get("simulation", {}))
    n_values = list(et.get("N", []))
    realizations = list(et.get("realizations", []))
    mc_samples = list(et.get("mc_samples", []))
    site_samples = list(et.get("site_samples", []))
    cells = {}
    if et.get("cases"):
        if not (len(realizations) == len(mc_samples) == len(site_samples) == len(n_values)):
            raise ValueError(
                "finite_size_study.equal_time.realizations, .mc_samples and .site_samples need "
                "one entry per N"
            )
        for case in et["cases"]:
            act = activation_from_entry(case["activation"])
            for n, r, m, s in zip(n_values, realizations, mc_samples, site_samples, strict=True):
                stem = f"{act.label}_g{case['g']:g}_sigma2_{case['sigma2']:g}/N{n}"
                cells[stem] = {
                    "activation": dict(case["activation"]),
                    "label": act.label,
                    "g": float(case["g"]),
                    "sigma2": float(case["sigma2"]),
                    "N": int(n),
                    "realizations": int(r),
                    "mc_samples": int(m),
                    "site_samples": int(s),
                }
    return {
        "cells": cells,
        "settings": SimulationSettings(realizations=1, **base),
        "seed": int(config["seed"]),
    }


def coupling_control_variates(J: np.ndarray, g: float) -> np.ndarray:
    r"""Statistics of one J with exactly known means, for regression control variates.

    With Jt = J/g, entries iid N(0, 1/N) (real Ginibre):

        u_1 = ||Jt||_F^2 - N     (E = 0: N^2 entries of variance 1/N)
        u_2 = tr Jt              (E = 0)
        u_3 = tr Jt^2 - 1        (E tr Jt^2 = sum_i E Jt_ii^2 = 1; off-diagonal pairs vanish)
        u_4 = tr Jt^3            (E = 0: odd moment)

    They carry the O(1/N) fluctuations of the effective gain (u_1) and of the spectrum's centre
    and shape (u_2..u_4), which move PR of one network by O(1) -- the largest part of its
    J-to-J spread at equal time (regression on them cuts the variance 3-4 fold at tanh g = 0.5).
    """
    jt = np.asarray(J, dtype=float) / float(g)
    n = jt.shape[0]
    j2 = jt @ jt
    return np.array(
        [float(np.sum(jt * jt)) - n, float(np.trace(jt)), float(np.trace(j2)) - 1.0,
         float(np.sum(j2 * jt.T))]
    )  # fmt: skip


def regression_mean(y: Any, u: Any) -> tuple[float, float]:
    r"""Mean of y with regression control variates u of known mean zero (Glasserman §4.1.3).

        y_bar(beta) = mean(y - u beta),  beta = least-squares slope of y on u (with intercept)

    i.e. the intercept of the least-squares fit y ~ b0 + u beta. Unbiased up to O(1/M) from the
    fitted beta; its variance is that of the fit residual, sigma_r^2 / M (s.e. with M - k - 1
    degrees of freedom). Falls back to the plain mean when M <= k + 2.
    """
    y = np.asarray(y, dtype=float)
    u = np.asarray(u, dtype=float).reshape(len(y), -1)
    ok = np.isfinite(y) & np.all(np.isfinite(u), axis=1)
    y, u = y[ok], u[ok]
    m, k = len(y), u.shape[1]
    if m <= k + 2:
        return scalar_mean_and_standard_error(y)
    design = np.column_stack([np.ones(m), u])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    resid = y - design @ coef
    return float(coef[0]), float(math.sqrt(resid @ resid / (m - k - 1) / m))


def exponential_heun_covariance(
    J: np.ndarray, gains: np.ndarray, sigma2: float, white_residual: float, dt: float
) -> np.ndarray:
    r"""Stationary covariance of x of the heterogeneous linear network under the simulator's step.

    ``rnncorr.simulate``'s default step (exponential Euler predictor, trapezoidal corrector, same
    noise), applied to the linear drift -x + W x, W = J diag(gains), e = e^{-dt}, c = 1 - e::

        x* = e x + c W x + eta,   x' = e x + c W (x + x*)/2 + eta
           = [e + c (1 + e)/2 W + c^2/2 W^2] x + [1 + c/2 W] eta = M x + B eta,
        Sigma_dt = M Sigma_dt M^T + B D B^T,   D = (1 - e^2)/2 (sigma2 + Q J J^T)

    (discrete Lyapunov equation; the white residual Q J J^T is filtered like the noise, a 1 %
    part of the input). Sigma_dt - Sigma = O(dt^2): the scheme's equal-time bias, +2.5e-4 in
    PR/N for the linear network at g = 0.5, dt = 0.2 (0.84838 against 0.84813, N = 200), which
    is the size of the effect the equal-time rows resolve at N = 200
    (docs/finite_size_equal_time.md §5.6).
    """
    from scipy.linalg import solve_discrete_lyapunov

    n = J.shape[0]
    e = math.exp(-dt)
    c = 1.0 - e
    W = J * np.asarray(gains)[None, :]
    eye = np.eye(n)
    M = e * eye + 0.5 * c * (1.0 + e) * W + 0.5 * c * c * (W @ W)
    B = eye + 0.5 * c * W
    D = 0.5 * (1.0 - e * e) * (sigma2 * eye + white_residual * (J @ J.T))
    sigma = solve_discrete_lyapunov(M, B @ D @ B.T)
    return 0.5 * (sigma + sigma.T)


def equal_time_estimator_statistics(
    J: np.ndarray, activation: Activation, scalars: Any, per_block: int, dt: float | None = None
) -> dict[str, Any] | None:
    r"""a, Nc2, PR of x and phi of the heterogeneous network on J, as the simulation's estimator
    sees them on average.

    The equal-time covariance of a block subtracts the block mean of n = ``per_block`` samples,
    so E[C_hat] = C - (C_zf - C)/n, C_zf the zero-frequency covariance of the same network
    (x: M (sigma2 + P J J^T) M^T, M = (1 - J S)^-1; phi: L (sigma2 S^2 + P) L^T, L = (1 - S J)^-1;
    as in ``paired.py``). Applied to the theory so that the paired difference sim - het compares
    like with like.

    With ``dt`` the result also carries ``"at_dt"``: the same with the equal-time covariance of
    the simulator's time step (:func:`exponential_heun_covariance`; phi by
    ``phi_covariance_map``; the scheme is exact at zero frequency for a linear network, so C_zf
    is unchanged). Paired with that, sim - het carries no time-step bias and the control variate
    estimates the continuous-time E[PR]. The gains, C_zf and the continuous Sigma are solved
    once for both.

    Returns
    -------
    dict or None
        ``{"x": stats, "phi": stats[, "at_dt": {"x": stats, "phi": stats}]}`` with stats the
        ``_heterogeneous._statistics`` dict (a, nc2, pr, pr_over_n); None when the network has
        no stationary state.
    """
    from rnncorr.theory._finite_n_equal_time import equal_time_covariances, phi_covariance_map
    from rnncorr.theory._heterogeneous import _statistics

    cov = equal_time_covariances(J, activation, scalars)
    if not cov["stable"]:
        return None
    gains = cov["gains"]
    n = J.shape[0]
    m = np.linalg.inv(np.eye(n) - J * gains[None, :])
    mj = m @ J
    zf_x = scalars.sigma2 * (m @ m.T) + scalars.residual_power * (mj @ mj.T)
    ell = np.linalg.inv(np.eye(n) - gains[:, None] * J)
    zf_phi = (ell * (scalars.sigma2 * gains**2 + scalars.residual_power)[None, :]) @ ell.T
    zf = {"x": zf_x, "phi": zf_phi}

    def seen_by_estimator(c: Mapping[str, np.ndarray]) -> dict[str, Any]:
        return {var: _statistics(c[var] - (zf[var] - c[var]) / per_block) for var in zf}

    out = seen_by_estimator(cov)
    if dt is not None:
        sigma = exponential_heun_covariance(
            J, gains, scalars.sigma2, scalars.white_residual, float(dt)
        )
        out["at_dt"] = seen_by_estimator({"x": sigma, "phi": phi_covariance_map(sigma, activation)})
    return out


def equal_time_theory_with_estimator_bias(
    J: np.ndarray, activation: Activation, scalars: Any, per_block: int, dt: float | None = None
) -> dict[str, Any]:
    r"""PR/N of x and phi from :func:`equal_time_estimator_statistics` (same ``dt`` rule).

    Returns
    -------
    dict
        ``{"x": PR/N, "phi": PR/N[, "at_dt": {"x", "phi"}]}``; NaN when there is no stationary
        state.
    """
    stats = equal_time_estimator_statistics(J, activation, scalars, per_block, dt)

    def pr_over_n(st: Mapping[str, Any] | None) -> dict[str, float]:
        return {
            var: math.nan if st is None else float(st[var]["pr_over_n"])
            for var in EQUAL_TIME_VARIABLES
        }

    out: dict[str, Any] = pr_over_n(stats)
    if dt is not None:
        out["at_dt"] = pr_over_n(None if stats is None else stats["at_dt"])
    return out


def equal_time_network_montecarlo(
    activation: Activation,
    g: float,
    sigma2: float,
    N: int,
    n_samples: int,
    seed: int | np.random.SeedSequence,
) -> dict[str, Any]:
    r"""E[PR] of the heterogeneous network at equal time over J, with regression control variates.

    For each of ``n_samples`` J (iid N(0, g^2/N)) the Lyapunov solution of the heterogeneous
    linear-equivalent network (``_finite_n_equal_time.equal_time_network_statistics``, no
    simulation); the mean of PR_x, PR_phi uses :func:`coupling_control_variates` through
    :func:`regression_mean`. Returns ``{var: {"pr": (mean, se), "pr_plain": (mean, se)}}`` (in
    units of PR) plus ``n_samples``, ``excluded``. Cost: N = 200, ~0.35 s per J on one core.
    """
    from rnncorr.theory._finite_n_equal_time import equal_time_network_statistics
    from rnncorr.theory._heterogeneous import site_scalars

    scalars = site_scalars(activation, g, sigma2)
    rng = np.random.default_rng(seed)
    ys: dict[str, list[float]] = {var: [] for var in EQUAL_TIME_VARIABLES}
    us = []
    excluded = 0
    for _ in range(int(n_samples)):
        J = rng.standard_normal((int(N), int(N))) * (g / math.sqrt(N))
        st = equal_time_network_statistics(J, activation, scalars)
        if not st["stable"]:
            excluded += 1
            continue
        for var in EQUAL_TIME_VARIABLES:
            ys[var].append(int(N) * st[var]["pr_over_n"])
        us.append(coupling_control_variates(J, g))
    out: dict[str, Any] = {"n_samples": len(us), "excluded": excluded}
    for var in EQUAL_TIME_VARIABLES:
        out[var] = {
            "pr": regression_mean(ys[var], np.array(us)),
            "pr_plain": scalar_mean_and_standard_error(ys[var]),
        }
    return out


def equal_time_analytic(
    activation: Activation,
    g: float,
    sigma2: float,
    N: int,
    *,
    site_samples: int = 0,
    seed: int = 0,
) -> dict[str, dict[str, Any]]:
    r"""The analytic equal-time line at size N: N p_inf + p_0 + site term (in PR).

    The one place that reads ``_finite_n_equal_time.equal_time_prediction``: per variable
    ``pr_inf`` = N p_inf, ``p_0`` (homogeneous series), ``pr_hom`` = N p_inf + p_0 and
    ``pr_analytic`` = its key ``pr_with_site`` (series + site term), ``site`` (mean, se) and
    ``site_method``: "analytic" when the prediction returns the site term without Monte Carlo
    (no ``site_samples`` needed), "monte carlo (M J)" when it had to be sampled here, or
    "none" (then ``pr_analytic`` is NaN).
    """
    from rnncorr.theory._finite_n_equal_time import equal_time_prediction

    pred = equal_time_prediction(activation, g, sigma2, int(N))
    method = "analytic"
    if "pr_with_site" not in pred["x"] and site_samples:
        pred = equal_time_prediction(
            activation, g, sigma2, int(N), site_samples=int(site_samples), seed=seed
        )
        method = f"monte carlo ({int(site_samples)} J)"
    out = {}
    for var in EQUAL_TIME_VARIABLES:
        p = pred[var]
        site = p.get("site", (math.nan, math.nan))
        if not isinstance(site, tuple | list):
            site = (float(site), 0.0)
        has = "pr_with_site" in p
        out[var] = {
            "pr_inf": int(N) * float(p["p_inf"]),
            "p_inf": float(p["p_inf"]),
            "p_0": float(p["p_0"]),
            "pr_hom": float(p["pr"]),
            "pr_analytic": float(p["pr_with_site"]) if has else math.nan,
            "site": (float(site[0]), float(site[1])),
            "site_method": method if has else "none",
        }
    return out


def equal_time_cell(
    activation_entry: Mapping[str, Any],
    g: float,
    sigma2: float,
    N: int,
    realizations: int,
    settings: SimulationSettings,
    mc_samples: int,
    site_samples: int,
    seed: int,
    *,
    threads: int | None = 1,
) -> dict[str, Any]:
    r"""One (case, N) of the equal-time rows: paired simulations, control variate, analytic line.

        E[PR_sim] ~= E_MC[PR_het] + mean_J (PR_sim,J - PR_het,J)

    with PR_het,J from :func:`equal_time_theory_with_estimator_bias` on each simulated J (the
    simulation's own J, ``simulate.realization_coupling``) at the simulation's time step (so
    the estimate is that of the continuous-time network; ``time_step_shift`` = mean over J of
    PR_het at dt minus PR_het in continuous time, docs/finite_size_equal_time.md §5.6),
    E_MC[PR_het] from
    :func:`equal_time_network_montecarlo` over ``mc_samples`` independent J (with regression
    control variates), and the analytic line from :func:`equal_time_analytic`.

    Returns
    -------
    dict
        Cell parameters, ``n_j``, ``mc_samples``, and per variable (in units of PR): ``sim``
        (plain J average), ``paired`` (sim - het at dt), ``het_mc``, ``het_mc_plain``, ``cv``,
        ``time_step_shift`` (each (mean, se)), ``pr_inf``, ``p_0``, ``pr_hom``, ``pr_analytic``,
        ``site`` (mean, se), ``site_method``.
    """
    from dataclasses import replace

    from rnncorr.paired import simulated_couplings
    from rnncorr.theory._heterogeneous import site_scalars
    from rnncorr.threads import blas_threads

    act = activation_from_entry(activation_entry)
    n = int(N)
    st = replace(settings, realizations=int(realizations))
    per_block = st.trajectories * st.samples_per_block
    scalars = site_scalars(act, g, sigma2)
    sims: dict[str, list[float]] = {var: [] for var in EQUAL_TIME_VARIABLES}
    diffs: dict[str, list[float]] = {var: [] for var in EQUAL_TIME_VARIABLES}
    shifts: dict[str, list[float]] = {var: [] for var in EQUAL_TIME_VARIABLES}
    stream = np.random.SeedSequence([int(seed), n, round(1e6 * g), round(1e6 * sigma2), 17])
    with blas_threads(threads):
        for result, J in simulated_couplings(act, n, g, sigma2, st, seed):
            # also at the simulator's time step: pairing with it removes the O(dt^2) bias
            het = equal_time_theory_with_estimator_bias(J, act, scalars, per_block, st.dt)
            het_dt = het["at_dt"]
            for var in EQUAL_TIME_VARIABLES:
                value = n * result.statistics["equal_time"][var]["pr_over_n"]
                sims[var].append(value)
                diffs[var].append(value - n * het_dt[var])
                shifts[var].append(n * (het_dt[var] - het[var]))
        mc = equal_time_network_montecarlo(act, g, sigma2, n, int(mc_samples), stream)
        analytic = equal_time_analytic(
            act, g, sigma2, n, site_samples=int(site_samples), seed=int(seed) + 18
        )
    out: dict[str, Any] = {
        "activation": dict(activation_entry),
        "label": act.label,
        "g": float(g),
        "sigma2": float(sigma2),
        "N": n,
        "n_j": len(sims["x"]),
        "mc_samples": int(mc["n_samples"]),
        "g_eff": float(scalars.g_eff),
    }
    for var in EQUAL_TIME_VARIABLES:
        sim = np.asarray(sims[var])
        d = np.asarray(diffs[var])
        paired = scalar_mean_and_standard_error(d[np.isfinite(d)])
        het_mc = mc[var]["pr"]
        out[var] = {
            "sim": scalar_mean_and_standard_error(sim[np.isfinite(sim)]),
            "paired": paired,
            "het_mc": het_mc,
            "het_mc_plain": mc[var]["pr_plain"],
            "cv": control_variate(het_mc, paired),
            "time_step_shift": scalar_mean_and_standard_error(shifts[var]),
            **analytic[var],
        }
    return out


#: (mean, se) entries of an equal-time cell, per variable, stored as pr_equal_time_<name>(_se)
_ET_PAIRS = ("sim", "paired", "het_mc", "het_mc_plain", "cv", "site", "time_step_shift")
#: scalar entries, stored as pr_equal_time_<name>
_ET_SCALARS = ("pr_inf", "p_0", "pr_hom", "pr_analytic")


def equal_time_dataset(cells: list[Mapping[str, Any]]) -> xr.Dataset:
    r"""Join :func:`equal_time_cell` outputs: dims (et_case, et_N, variable), units of PR.

    Variables ``pr_equal_time_<name>`` and ``pr_equal_time_<name>_se`` for name in sim (plain J
    average), paired (sim - het on the same J), het_mc (network Monte Carlo, regression control
    variates), het_mc_plain, cv (control-variate estimate of the continuous-time E[PR]), site
    (het - hom), time_step_shift (the simulator's O(dt^2) bias of PR, het network);
    ``pr_equal_time_pr_inf`` (N p_inf), ``_p_0`` (homogeneous series), ``_pr_hom`` (N p_inf +
    p_0), ``_pr_analytic`` (N p_inf + p_0 + site term; ``site_method`` attribute says how the
    site term was obtained), ``pr_equal_time_n_j``. Case coordinates ``et_label``, ``et_g``,
    ``et_sigma2``, ``et_g_eff``.
    """
    cases = sorted({(c["label"], c["g"], c["sigma2"]) for c in cells})
    n_values = sorted({int(c["N"]) for c in cells})
    variables = ["phi", "x"]  # the order of study_dataset, so that the two merge
    shape = (len(cases), len(n_values), len(variables))
    data = {f"pr_equal_time_{n}{s}": np.full(shape, np.nan) for n in _ET_PAIRS for s in ("", "_se")}
    data.update({f"pr_equal_time_{n}": np.full(shape, np.nan) for n in _ET_SCALARS})
    n_j = np.zeros(shape[:2], dtype=int)
    g_eff = np.full(len(cases), np.nan)
    methods = set()
    for c in cells:
        i = cases.index((c["label"], c["g"], c["sigma2"]))
        j = n_values.index(int(c["N"]))
        n_j[i, j] = c["n_j"]
        g_eff[i] = c["g_eff"]
        for k, var in enumerate(variables):
            for name in _ET_PAIRS:
                mean, se = c[var][name]
                data[f"pr_equal_time_{name}"][i, j, k] = mean
                data[f"pr_equal_time_{name}_se"][i, j, k] = se
            for name in _ET_SCALARS:
                data[f"pr_equal_time_{name}"][i, j, k] = c[var][name]
            methods.add(c[var]["site_method"].split(" (")[0])
    dims = ("et_case", "et_N", "variable")
    ds = xr.Dataset(
        {k: (dims, v) for k, v in data.items()} | {"pr_equal_time_n_j": (("et_case", "et_N"), n_j)},
        coords={
            "et_case": [f"{lab} g={g:g} sigma2={s2:g}" for lab, g, s2 in cases],
            "et_N": n_values,
            "variable": variables,
            "et_label": ("et_case", [c[0] for c in cases]),
            "et_g": ("et_case", [c[1] for c in cases]),
            "et_sigma2": ("et_case", [c[2] for c in cases]),
            "et_g_eff": ("et_case", g_eff),
        },
    )
    ds["pr_equal_time_pr_analytic"].attrs["site_method"] = ", ".join(sorted(methods))
    return ds
