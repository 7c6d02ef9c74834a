r"""Figures of the random-mode branch: ``results/random_mode/random_mode.nc`` in, Figures out.

``RANDOM_MODE_FIGURES`` maps the workflow's figure names to functions of that dataset
(:func:`rnncorr.random_mode.aggregate_random_mode`):

* ``random_mode_pr``: PR/N against the effective rank alpha PR_D (log-log) at every g_eff —
  equal time for phi and x, zero frequency for phi — theory lines (RM-PR) with their iid limit
  (dashed) and low-rank asymptote K alpha PR_D (dotted), simulations as points (mean +- s.e.
  over J); last column: the singular-value participation ratio of the simulated J against
  alpha PR_D / (1 + 2 alpha PR_D). One row per sigma2.

Nothing here reruns a network; style and saving come from :mod:`rnncorr.plots`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from matplotlib.lines import Line2D

from rnncorr.connectivity import singular_value_participation
from rnncorr.estimators import mean_and_standard_error
from rnncorr.plots import (
    PALETTE,
    _legend_outside,
    _name,
    _plain_log_ticks,
    _points,
    _style,
    draw_figure,
    save_figure,
)

__all__ = ["RANDOM_MODE_FIGURES", "make_random_mode_figure", "plot_random_mode_pr", "save_figure"]

_PANELS = (
    ("equal_time", "phi", r"equal time, $\phi(x)$"),
    ("equal_time", "x", r"equal time, $x$"),
    ("zero_frequency", "phi", r"zero frequency, $\phi(x)$"),
)


def _rank_axis(ds: xr.Dataset) -> np.ndarray:
    name = "effective_rank_n" if "effective_rank_n" in ds.coords else "effective_rank"
    return np.asarray(ds[name].values, dtype=float)


def plot_random_mode_pr(ds: xr.Dataset) -> plt.Figure:
    """PR/N against alpha PR_D: theory and simulation at each g_eff; singular values of J.

    Columns: equal-time phi, equal-time x, zero-frequency phi, singular-value participation
    (first row only); rows: sigma2. Points sit at the alpha PR_D of the modes drawn at size N.
    """
    g_values = [float(g) for g in ds.g_eff.values]
    s_values = [float(s) for s in ds.sigma2.values]
    colors = {g: PALETTE[i % len(PALETTE)] for i, g in enumerate(g_values)}
    ranks = _rank_axis(ds)
    line = np.asarray(ds["line_rank"].values, dtype=float)
    n = int(ds.N) if "N" in ds.coords else None
    with plt.rc_context(_style()):
        fig, axes = plt.subplots(
            len(s_values),
            len(_PANELS) + 1,
            figsize=(2.6 * (len(_PANELS) + 1), 2.5 * len(s_values) + 0.7),
            squeeze=False,
            constrained_layout=True,
        )
        for row, s2 in enumerate(s_values):
            for col, (kind, var, title) in enumerate(_PANELS):
                ax = axes[row, col]
                for g in g_values:
                    sel = {"g_eff": g, "sigma2": s2, "kind": kind, "variable": var}
                    color = colors[g]
                    ax.plot(
                        line,
                        ds.line_pr_over_n.sel(**sel).values,
                        color=color,
                        lw=1.2,
                        gid=f"theory:{kind}:{var}:g{g:g}:s{s2:g}",
                    )
                    iid = float(ds.iid_pr_over_n.sel(**sel))
                    ax.axhline(iid, color=color, lw=0.7, ls="--", alpha=0.7)
                    k = float(ds.low_rank_k.sel(**sel))
                    if np.isfinite(k):
                        low = line[k * line < 0.5 * iid]
                        ax.plot(low, k * low, color=color, lw=0.7, ls=":")
                    if "pr_over_n" in ds:
                        values = ds.pr_over_n.sel(**sel).transpose("connectivity", "realization")
                        mean, se = mean_and_standard_error(values.values, axis=1)
                        _points(
                            ax, ranks, mean, se, color=color, gid=f"sim:{kind}:{var}:g{g:g}:s{s2:g}"
                        )
                ax.set_xscale("log")
                ax.set_yscale("log")
                _plain_log_ticks(ax.xaxis)
                _plain_log_ticks(ax.yaxis)
                ax.set_xlabel(r"effective rank $\alpha\,\mathrm{PR}_D$")
                ax.set_ylabel(r"$\mathrm{PR}/N$")
                ax.set_title(f"{title}" + (f", $\\sigma^2={s2:g}$" if len(s_values) > 1 else ""))
            ax = axes[row, -1]
            if row > 0:
                ax.set_visible(False)
                continue
            x = line
            ax.plot(x, x / (1 + 2 * x), color="0.2", lw=1.2, gid="theory:sv")
            if "sv_participation" in ds:
                sv = ds.sv_participation.isel(g_eff=0, sigma2=0).transpose(
                    "connectivity", "realization"
                )
                mean, se = mean_and_standard_error(sv.values, axis=1)
                _points(
                    ax,
                    ranks,
                    mean,
                    se,
                    color="0.2",
                    gid="sim:sv",
                )
            ax.axhline(singular_value_participation(1e12, 1.0), color="0.5", lw=0.7, ls="--")
            ax.set_xscale("log")
            _plain_log_ticks(ax.xaxis)
            ax.set_xlabel(r"$x = \alpha\,\mathrm{PR}_D$")
            ax.set_ylabel(r"$(\sum s^2)^2 / (N \sum s^4)$")
            ax.set_title("singular values of $J$ (black)")
        handles = [
            Line2D([], [], color=colors[g], lw=1.2, label=f"$g_{{eff}} = {g:g}$") for g in g_values
        ]
        handles += [
            Line2D([], [], color="0.3", lw=0.7, ls="--", label="iid (rank $\\to\\infty$)"),
            Line2D([], [], color="0.3", lw=0.7, ls=":", label=r"$K\,\alpha\,\mathrm{PR}_D$"),
            Line2D([], [], color="0.3", lw=1.2, label="large-N theory (RM-PR)"),
            Line2D(
                [],
                [],
                color="0.3",
                ls="none",
                marker="o",
                mfc="white",
                ms=3.5,
                label="simulation (mean ± s.e. over J)",
            ),
            Line2D([], [], color="0.2", lw=1.2, label=r"singular values: $x/(1+2x)$"),
            Line2D(
                [],
                [],
                color="0.2",
                ls="none",
                marker="o",
                mfc="white",
                ms=3.5,
                label=f"singular values of sampled J (N = {n})",
            ),
        ]
        _legend_outside(fig, handles, ncols=4)
        act = _name(ds.attrs.get("activation", ""))
        fig.suptitle(f"random-mode connectivity, {act}" + (f", N = {n}" if n else ""))
    return fig


#: figure name -> function of the aggregated random-mode dataset
RANDOM_MODE_FIGURES: dict[str, Callable[[xr.Dataset], plt.Figure]] = {
    "random_mode_pr": plot_random_mode_pr,
}


def make_random_mode_figure(name: str, data: str | Path | xr.Dataset) -> plt.Figure:
    """Draw the figure called ``name`` from ``random_mode.nc`` (a path or an open dataset)."""
    return draw_figure(RANDOM_MODE_FIGURES, name, data)
