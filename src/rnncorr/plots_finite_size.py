r"""Finite-size figure: E[PR] - N p_inf against 1/N, resolved by pairing (finite_size_study).

``plot_finite_size_correction(ds)`` draws one panel per case (activation, g, sigma2) of the
Dataset of :func:`rnncorr.finite_size_study.study_dataset`, for PR of phi at zero frequency:

* filled points: the control-variate estimate E_MC[PR_het] + mean_J(PR_sim - PR_het), +- 1 s.e.
  (unbiased for E[PR_sim]; its error is the paired estimation noise plus the Monte Carlo's);
* open points: the plain J average of the simulations, +- 1 s.e. (for comparison);
* dashed line at 0: N = infinity;
* dotted line: p_0^LE, the homogeneous linear-equivalent series (docs/finite_size.md §5);
* solid line: the complete analytic offset p_0 when ``p_0_analytic`` is available, else
  p_0^LE + p_0^site with the site term from the Monte Carlo, extrapolated to N = infinity
  linearly in 1/N (``finite_size_study.site_term_limit``; band: its s.e.);
* crosses: the Monte Carlo of the heterogeneous network at each N (includes its higher orders);
* thin dashed: p_0 + p_m1/N, analytic intercept, slope p_m1 fitted to those crosses.

In these coordinates the 1/N series N p_inf + p_0 + p_m1/N is a straight line with intercept
p_0 at 1/N = 0. Grey shading: N below the series' range, the ``n_min`` that
``rnncorr theory --N`` uses (next term <= |p_0^LE|/2, docs/finite_size.md §10.6); for the
equal-time rows, and for cells without it, N (1 - g_eff^2)^2 < 20
(``finite_size_study.series_range_n``).

When the Dataset has the equal-time variables (``finite_size_study.equal_time_dataset``), one
row per variable (x, phi) is added below, one panel per equal-time case, with PR at equal time:

* filled points: the control variate E_MC[PR_het] + mean_J(PR_sim - PR_het), +- 1 s.e.;
* open points: the plain J average;
* crosses: the heterogeneous network's Monte Carlo (regression control variates);
* dotted: p_0 of the homogeneous series;
* solid: the analytic N p_inf + p_0 + site term at each N (``pr_equal_time_pr_analytic``, the
  ``pr_with_site`` of ``equal_time_prediction``), band +- the site term's s.e. when it is a
  Monte Carlo.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402

from rnncorr.activations import display_name  # noqa: E402
from rnncorr.finite_size_study import series_range_n, site_term_limit  # noqa: E402

__all__ = [
    "FINITE_SIZE_FIGURES",
    "make_finite_size_figure",
    "plot_finite_size_correction",
    "save_figure",
]

FINITE_SIZE_FIGURES = ("finite_size_correction",)


def plot_finite_size_correction(
    ds: xr.Dataset,
    variable: str = "phi",
    equal_time_variables: tuple[str, ...] = ("x", "phi"),
) -> plt.Figure:
    """PR - N p_inf against 1/N (module docstring): one row of zero-frequency panels (one per
    case) and, when ``ds`` has them, one row of equal-time panels per variable."""
    cases = list(ds["case"].values)
    has_et = "pr_equal_time_cv" in ds
    et_cases = list(ds["et_case"].values) if has_et else []
    et_vars = [v for v in equal_time_variables if has_et and v in ds["variable"].values]
    ncols = min(3, max(1, len(cases), len(et_cases)))
    zf_rows = math.ceil(len(cases) / ncols)
    et_rows = math.ceil(len(et_cases) / ncols) * len(et_vars) if et_cases else 0
    nrows = zf_rows + et_rows
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(4.2 * ncols, 3.4 * nrows), squeeze=False, constrained_layout=True
    )
    zf_axes = list(axes[:zf_rows].flat)
    for ax in zf_axes[len(cases) :]:
        ax.set_visible(False)
    _zero_frequency_panels(ds, zf_axes, cases, variable)
    row = zf_rows
    for var in et_vars:
        rows = math.ceil(len(et_cases) / ncols)
        et_axes = list(axes[row : row + rows].flat)
        for ax in et_axes[len(et_cases) :]:
            ax.set_visible(False)
        for ax, case in zip(et_axes, et_cases, strict=False):
            _equal_time_panel(ax, ds, case, var)
        row += rows
    handles: dict[str, object] = {}
    for ax in axes.flat:
        if ax.get_visible():
            for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
                handles.setdefault(lab, h)
    fig.legend(
        list(handles.values()), list(handles), loc="outside lower center", ncol=3, fontsize=7,
        frameon=False,
    )  # fmt: skip
    fig.suptitle(
        "Finite-size offset of the participation ratio: simulation vs 1/N theory", fontsize=10
    )
    return fig


def _series_range(ax, n_min: float, x_max: float) -> None:
    """Grey band for N < n_min: outside the series' range."""
    if math.isfinite(n_min) and 1.0 / n_min < x_max:
        ax.axvspan(
            1.0 / n_min, x_max, color="0.85", alpha=0.6, lw=0,
            label="outside the series' range (flagged by rnncorr theory --N)",
        )  # fmt: skip


def _equal_time_panel(ax, ds: xr.Dataset, case: str, var: str) -> None:
    """One equal-time panel: PR - N p_inf of ``var`` against 1/N (module docstring)."""
    d = ds.sel(et_case=case, variable=var)
    n = d["et_N"].values.astype(float)
    inv = 1.0 / n
    inf = d["pr_equal_time_pr_inf"].values
    x_max = 1.15 * float(np.max(inv))
    if "et_g_eff" in d.coords:
        _series_range(ax, series_range_n(float(d["et_g_eff"])), x_max)
    ax.axhline(0.0, color="0.5", ls="--", lw=1, label="N = inf")
    p0 = float(np.nanmean(d["pr_equal_time_p_0"].values))
    ax.axhline(p0, color="C1", ls=":", lw=1.5, label="p_0 of the homogeneous series")
    analytic = d["pr_equal_time_pr_analytic"].values - inf
    site_se = d["pr_equal_time_site_se"].values
    method = ds["pr_equal_time_pr_analytic"].attrs.get("site_method", "")
    label = "N p_inf + p_0 + site term" + (
        " (site term: Monte Carlo)" if "monte carlo" in method else ""
    )
    order = np.argsort(inv)
    ax.plot(inv[order], analytic[order], color="C3", lw=1.5, marker="_", ms=10, label=label)
    if np.any(site_se > 0):
        ax.fill_between(
            inv[order], (analytic - site_se)[order], (analytic + site_se)[order], color="C3",
            alpha=0.15, lw=0,
        )  # fmt: skip
    het = d["pr_equal_time_het_mc"].values - inf
    cv, cv_se = d["pr_equal_time_cv"].values - inf, d["pr_equal_time_cv_se"].values
    _paired_points(
        ax, inv, het, d["pr_equal_time_sim"].values - inf, d["pr_equal_time_sim_se"].values,
        cv, cv_se, ds["pr_equal_time_n_j"].sel(et_case=case).values,
    )  # fmt: skip
    # keep the axis on the resolved points and the lines: the plain J average scatters far more,
    # and for phi the network's per-J phi map is approximate (docs/finite_size_equal_time.md §3),
    # its crosses can lie far off; say so instead of squashing the panel
    core = np.concatenate([cv - cv_se, cv + cv_se, analytic, [0.0, p0]])
    core = core[np.isfinite(core)]
    if core.size:
        lo, hi = float(core.min()), float(core.max())
        pad = 0.25 * (hi - lo) + 1e-3
        ax.set_ylim(lo - pad, hi + pad)
        off = het[np.isfinite(het) & ((het > hi + pad) | (het < lo - pad))]
        if off.size:
            ax.text(
                0.02, 0.03, f"het. network (MC) off scale: {off.min():+.2f} .. {off.max():+.2f}",
                transform=ax.transAxes, fontsize=7, color="C2",
            )  # fmt: skip
    ax.set_xlim(0, x_max)
    _panel_labels(ax, d["et_label"], d["et_g"], d["et_sigma2"], var, "equal time")


def _zero_frequency_panels(ds: xr.Dataset, axes: list, cases: list, variable: str) -> None:
    """The zero-frequency row (module docstring)."""
    for ax, case in zip(axes, cases, strict=False):
        d = ds.sel(case=case, variable=variable)
        n = d["N"].values.astype(float)
        inv = 1.0 / n
        p_inf = d["p_inf"].values
        ax.axhline(0.0, color="0.5", ls="--", lw=1, label="N = inf")
        p0_le = float(np.nanmean(d["p_0_le"].values))
        ax.axhline(p0_le, color="C1", ls=":", lw=1.5, label="p_0^LE (homogeneous series)")
        analytic = d["p_0_analytic"].values
        p0 = None
        if np.any(np.isfinite(analytic)):
            p0 = float(np.nanmean(analytic))
            ax.axhline(p0, color="C3", lw=1.5, label="N p_inf + p_0, analytic p_0")
        else:
            s, s_se = site_term_limit(n, d["site_mc"].values, d["site_mc_se"].values)
            if math.isfinite(s):
                p0 = p0_le + s
                label = "N p_inf + p_0, p_0 = p_0^LE + p_0^site (MC, N -> inf)"
                ax.axhline(p0, color="C3", lw=1.5, label=label)
                ax.axhspan(p0 - s_se, p0 + s_se, color="C3", alpha=0.15, lw=0)
        het = n * (d["het_mc"].values - p_inf)
        if p0 is not None:
            _next_order_line(ax, inv, het, n * d["het_mc_se"].values, p0)
        _paired_points(
            ax, inv, het, n * (d["sim"].values - p_inf), n * d["sim_se"].values,
            n * (d["cv"].values - p_inf), n * d["cv_se"].values, ds["n_j"].sel(case=case).values,
        )  # fmt: skip
        ax.set_xlim(0, 1.15 * float(np.max(inv)))
        if "g_eff" in d.coords:
            n_min = float(d["n_min"]) if "n_min" in d.coords else math.nan
            if not math.isfinite(n_min):  # cells written before n_min was stored
                n_min = series_range_n(float(d["g_eff"]))
            _series_range(ax, n_min, 1.15 * float(np.max(inv)))
        _panel_labels(ax, d["label"], d["g"], d["sigma2"], variable, "zero frequency")


def _paired_points(ax, inv, het, sim, sim_se, cv, cv_se, n_j) -> None:
    """The points of every panel, in units of PR: the network Monte Carlo (crosses), the plain J
    average (open) and the paired control variate (filled), annotated with its resolution
    |cv|/s.e. and the number of J."""
    ax.plot(inv, het, "x", color="C2", ms=6, label="het. network (MC)")
    ax.errorbar(
        inv * 1.03, sim, sim_se, fmt="o", mfc="none", color="0.4", ms=4, capsize=2,
        label="simulation, J average",
    )  # fmt: skip
    ax.errorbar(
        inv, cv, cv_se, fmt="o", color="C0", ms=5, capsize=2,
        label="simulation, paired (control variate)",
    )  # fmt: skip
    for x, y, e, nj in zip(inv, cv, cv_se, n_j, strict=True):
        if np.isfinite(y) and e > 0:
            ax.annotate(
                f"{abs(y) / e:.1f} s.e.\n{nj} J", (x, y), textcoords="offset points",
                xytext=(4, 4), fontsize=6, color="C0",
            )  # fmt: skip


def _panel_labels(ax, label, g, sigma2, variable: str, kind: str) -> None:
    """Title with the printed name (rnncorr.activations.display_name, not the file label) and
    the case; axis labels for ``variable`` at ``kind`` ("zero frequency" / "equal time")."""
    ax.set_title(
        f"{display_name(str(label.values))}, g = {float(g):g}, $\\sigma^2$ = {float(sigma2):g}",
        fontsize=9,
    )
    ax.set_xlabel("1/N")
    symbol = {"phi": r"\phi"}.get(variable, variable)
    ax.set_ylabel(f"E[PR$_{{{symbol}}}$] - N p$_\\infty$  ({kind})")


def _next_order_line(ax, inv: np.ndarray, het: np.ndarray, het_se: np.ndarray, p0: float) -> None:
    """p_0 + p_m1/N with p_m1 fitted (weighted least squares) to the network Monte Carlo.

    The two-term series N p_inf + p_0 is accurate to p_m1/N (docs/finite_size.md §4: p_m1 ~
    5/(1 - g_eff^2)^4); the intercept stays the analytic p_0, only the slope is fitted.
    """
    ok = np.isfinite(het) & np.isfinite(het_se) & (het_se > 0)
    if ok.sum() < 1:
        return
    w = 1.0 / het_se[ok] ** 2
    slope = float(np.sum(w * inv[ok] * (het[ok] - p0)) / np.sum(w * inv[ok] ** 2))
    x = np.linspace(0.0, 1.15 * float(np.max(inv)), 50)
    ax.plot(
        x,
        p0 + slope * x,
        color="C3",
        ls="--",
        lw=1,
        label="p_0 + p_m1/N, p_m1 fitted to the network MC",
    )
    ax.text(0.02, 0.03, f"p_0 = {p0:.2f}, p_m1 = {slope:.0f}", transform=ax.transAxes, fontsize=7)


def make_finite_size_figure(name: str, dataset: str | Path) -> plt.Figure:
    """Load ``dataset`` (netCDF of study_dataset) and draw the figure ``name``."""
    if name not in FINITE_SIZE_FIGURES:
        raise ValueError(f"unknown finite-size figure {name!r}; known: {FINITE_SIZE_FIGURES}")
    with xr.open_dataset(dataset) as ds:
        return plot_finite_size_correction(ds.load())


def save_figure(figure: plt.Figure, path: str | Path) -> Path:
    """Save as pdf or png (by suffix) and close the figure."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=150)
    plt.close(figure)
    return path
