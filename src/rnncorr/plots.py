"""Figures: datasets in, matplotlib Figures out.

Every function takes the aggregate simulation dataset (``results/simulations.nc``) and the
theory dataset (``results/theory.nc``) and returns a Figure; nothing here reruns a simulation.
``FIGURES`` maps the names used by the workflow and by ``rnncorr plot`` to those functions.
Points are means over J realizations with their standard errors; lines are the large-N theory
on the dense g axis. Diverged realizations and invalid theory are NaN, drawn as gaps.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display

import matplotlib.pyplot as plt  # noqa: E402
import xarray as xr  # noqa: E402

from rnncorr.estimators import mean_and_standard_error  # noqa: E402

__all__ = ["FIGURES", "PALETTE", "make_figure", "plot_pr_vs_g", "save_figure"]

#: Okabe–Ito colour-blind-safe palette
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")
MARKERS = ("o", "s", "^", "D", "v", "P")

KIND_TITLES = {"zero_frequency": "zero frequency", "equal_time": "equal time"}
VARIABLE_LABELS = {"x": "x", "phi": r"\phi(x)"}


def _style() -> dict:
    return {
        "font.size": 9,
        "axes.titlesize": 9,
        "axes.labelsize": 9,
        "legend.fontsize": 7,
        "figure.dpi": 150,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }


def _colors(labels) -> dict[str, str]:
    return {label: PALETTE[i % len(PALETTE)] for i, label in enumerate(labels)}


def plot_pr_vs_g(simulations: xr.Dataset, theory: xr.Dataset | None = None) -> plt.Figure:
    """Participation ratio PR/N of phi(x) against g, zero-frequency and equal-time.

    One row per sigma2, one column per covariance kind; one colour per activation, one marker
    per N. Error bars: standard error over J realizations (diverged ones excluded).
    """
    sigma2_values = simulations.sigma2.values
    kinds = list(simulations.kind.values)
    activations = list(simulations.activation.values)
    colors = _colors(activations)
    with plt.rc_context(_style()):
        fig, axes = plt.subplots(
            len(sigma2_values),
            len(kinds),
            figsize=(3.2 * len(kinds), 2.6 * len(sigma2_values)),
            squeeze=False,
            sharex=True,
            constrained_layout=True,
        )
        for row, sigma2 in enumerate(sigma2_values):
            for col, kind in enumerate(kinds):
                ax = axes[row, col]
                for activation in activations:
                    color = colors[activation]
                    if theory is not None and activation in theory.activation.values:
                        curve = theory.pr_over_n.sel(
                            activation=activation, sigma2=sigma2, kind=kind, variable="phi"
                        )
                        ax.plot(
                            curve.g.values,
                            curve.values,
                            color=color,
                            lw=1.2,
                            label=f"{activation} theory",
                            gid=f"theory:{activation}",
                        )
                    for k, n in enumerate(simulations.N.values):
                        values = simulations.pr_over_n.sel(
                            activation=activation, N=n, sigma2=sigma2, kind=kind, variable="phi"
                        ).transpose("g", "realization")
                        mean, se = mean_and_standard_error(values.values, axis=1)
                        ax.errorbar(
                            simulations.g.values,
                            mean,
                            yerr=se,
                            ls="none",
                            marker=MARKERS[k % len(MARKERS)],
                            ms=3.5,
                            color=color,
                            mfc="white",
                            capsize=1.5,
                            lw=0.8,
                            label=f"{activation} N={int(n)}",
                            gid=f"sim:{activation}:N{int(n)}",
                        )
                ax.set_ylim(bottom=0)
                ax.set_title(rf"{KIND_TITLES.get(kind, kind)}, $\sigma^2$ = {sigma2:g}")
                ax.set_xlabel(r"coupling $g$")
                ax.set_ylabel(r"$\mathrm{PR}_\phi / N$")
        axes[0, -1].legend(loc="best", frameon=False, ncols=1)
    return fig


FIGURES: dict[str, Callable[[xr.Dataset, xr.Dataset | None], plt.Figure]] = {
    "pr_vs_g": plot_pr_vs_g,
}


def make_figure(name: str, simulations: str | Path, theory: str | Path | None) -> plt.Figure:
    """Open the netCDF files and draw the figure called ``name``."""
    if name not in FIGURES:
        raise ValueError(f"unknown figure {name!r}; allowed: {', '.join(FIGURES)}")
    with xr.open_dataset(simulations) as sim:
        sim = sim.load()
    th = None
    if theory is not None and Path(theory).exists():
        with xr.open_dataset(theory) as opened:
            th = opened.load()
    return FIGURES[name](sim, th)


def save_figure(figure: plt.Figure, path: str | Path) -> Path:
    """Save atomically (temporary file, then rename); the format follows the suffix."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    os.close(handle)
    try:
        figure.savefig(tmp, format=path.suffix.lstrip("."), metadata=_metadata(path.suffix))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _metadata(suffix: str) -> dict:
    # fixed metadata keeps figure files reproducible (no creation dates)
    if suffix == ".pdf":
        return {"Creator": "rnncorr", "Producer": "rnncorr", "CreationDate": None}
    if suffix == ".png":
        return {"Software": "rnncorr"}
    return {}
