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
p_0 at 1/N = 0.
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
from rnncorr.finite_size_study import site_term_limit  # noqa: E402

__all__ = [
    "FINITE_SIZE_FIGURES",
    "make_finite_size_figure",
    "plot_finite_size_correction",
    "save_figure",
]

FINITE_SIZE_FIGURES = ("finite_size_correction",)


def plot_finite_size_correction(ds: xr.Dataset, variable: str = "phi") -> plt.Figure:
    """One panel per case: PR - N p_inf against 1/N (module docstring)."""
    cases = list(ds["case"].values)
    ncols = min(3, max(1, len(cases)))
    nrows = math.ceil(len(cases) / ncols)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(4.2 * ncols, 3.4 * nrows), squeeze=False, constrained_layout=True
    )
    for ax in axes.flat[len(cases) :]:
        ax.set_visible(False)
    for ax, case in zip(axes.flat, cases, strict=False):
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
        ax.plot(inv, het, "x", color="C2", ms=6, label="het. network (MC)")
        sim, sim_se = n * (d["sim"].values - p_inf), n * d["sim_se"].values
        ax.errorbar(
            inv * 1.03, sim, sim_se, fmt="o", mfc="none", color="0.4", ms=4, capsize=2,
            label="simulation, J average",
        )  # fmt: skip
        cv, cv_se = n * (d["cv"].values - p_inf), n * d["cv_se"].values
        ax.errorbar(
            inv, cv, cv_se, fmt="o", color="C0", ms=5, capsize=2,
            label="simulation, paired (control variate)",
        )  # fmt: skip
        for x, y, e, nj in zip(inv, cv, cv_se, ds["n_j"].sel(case=case).values, strict=True):
            if np.isfinite(y) and e > 0:
                ax.annotate(
                    f"{abs(y) / e:.1f} s.e.\n{nj} J", (x, y), textcoords="offset points",
                    xytext=(4, 4), fontsize=6, color="C0",
                )  # fmt: skip
        ax.set_xlim(0, 1.15 * float(np.max(inv)))
        # the printed name (rnncorr.activations.display_name), not the file label
        ax.set_title(
            f"{display_name(str(d['label'].values))}, g = {float(d['g']):g}, "
            f"$\\sigma^2$ = {float(d['sigma2']):g}",
            fontsize=9,
        )
        ax.set_xlabel("1/N")
        symbol = {"phi": r"\phi"}.get(variable, variable)
        ax.set_ylabel(f"E[PR$_{{{symbol}}}$] - N p$_\\infty$  (zero frequency)")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=4, fontsize=7, frameon=False)
    fig.suptitle(
        "Finite-size offset of the participation ratio: simulation vs 1/N theory", fontsize=10
    )
    return fig


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
