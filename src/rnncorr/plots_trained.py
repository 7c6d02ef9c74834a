"""Figures of the trained-attractor branch: ``results/trained/trained.nc`` in, Figures out.

``TRAINED_FIGURES`` maps the workflow's figure names to functions of that dataset
(:func:`rnncorr.trained.aggregate_trained`, dims ``activation, g, target, seed``):

* ``trained_lambda``: predicted lambda_z (T4) against the measured outlier of the closed-loop
  Jacobian and the fitted relaxation rate of z, plus lambda_z against the target A per
  activation; relu's exact zero (a marginal line attractor) is drawn and labelled.
* ``trained_map``: predicted against observed training success over (g, A), one panel per
  activation, with the bulk boundary g_c(A) (g^2 <phi'^2> = 1).

Nothing here reruns a network; style and saving come from :mod:`rnncorr.plots`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from matplotlib.colors import ListedColormap
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from rnncorr.plots import (
    MARKERS,
    PALETTE,
    _colors,
    _legend_outside,
    _name,
    _style,
    draw_figure,
    save_figure,
)
from rnncorr.trained import STATUSES

__all__ = [
    "STATUS_COLORS",
    "TRAINED_FIGURES",
    "make_trained_figure",
    "plot_trained_lambda",
    "plot_trained_map",
    "save_figure",
]

#: one colour per entry of rnncorr.trained.STATUSES (stable, marginal, unstable, lost, not found)
STATUS_COLORS = ("#0072B2", "#009E73", "#D55E00", "#E69F00", "#BBBBBB")
_RELU_NOTE = r"ReLU: $\lambda_z = 0$ exactly (marginal line attractor)"


def _is_relu(label: str) -> bool:
    return str(label).split("-")[0] == "relu"


def _visible(trained: xr.Dataset) -> xr.DataArray:
    """Theory's outlier lies outside the bulk disc: |lambda_z + 1| > g sqrt(<phi'^2>)."""
    return np.abs(trained.lambda_theory + 1.0) > trained.bulk_theory


def plot_trained_lambda(trained: xr.Dataset) -> plt.Figure:
    """Predicted against measured lambda_z, and lambda_z against the target A.

    Left: x = lambda_z (T4), y = the Jacobian's outlier (filled) and the fitted relaxation rate
    of z (open), one point per (g, A, seed); points whose predicted outlier hides inside the
    bulk disc are grey (the relaxation then shows the bulk edge). Right, one panel per
    activation: lambda_z against A, theory lines per g, measured outliers as markers; for relu
    the exact zero is a labelled line.
    """
    activations = [str(a) for a in trained.activation.values]
    colors = _colors(activations)
    g_colors = {float(g): PALETTE[i % len(PALETTE)] for i, g in enumerate(trained.g.values)}
    with plt.rc_context(_style()):
        fig, axes = plt.subplots(
            1,
            1 + len(activations),
            figsize=(3.0 * (1 + len(activations)), 3.9),
            squeeze=False,
            constrained_layout=True,
        )
        ax = axes[0, 0]
        lo, hi = -1.0, 0.2
        for k, act in enumerate(activations):
            sub = trained.sel(activation=act)
            theory = sub.lambda_theory.broadcast_like(sub.lambda_outlier)
            visible = _visible(sub).broadcast_like(sub.lambda_outlier).values
            x, y, relax = theory.values, sub.lambda_outlier.values, sub.lambda_relax.values
            marker = MARKERS[k % len(MARKERS)]
            ax.plot(
                x[visible],
                y[visible],
                ls="none",
                marker=marker,
                ms=4,
                color=colors[act],
                label=f"{_name(act)}: outlier of the Jacobian",
                gid=f"outlier:{act}",
            )
            ax.plot(
                x[visible],
                relax[visible],
                ls="none",
                marker=marker,
                ms=6,
                mfc="none",
                color=colors[act],
                label=f"{_name(act)}: relaxation rate of z",
                gid=f"relax:{act}",
            )
            ax.plot(
                x[~visible],
                relax[~visible],
                ls="none",
                marker=marker,
                ms=4,
                mfc="none",
                color="0.6",
                gid=f"hidden:{act}",
            )
            finite = np.concatenate([v[np.isfinite(v)] for v in (x, y)])
            if finite.size:
                lo, hi = min(lo, finite.min() - 0.05), max(hi, finite.max() + 0.05)
            if _is_relu(act):
                ax.annotate(
                    _RELU_NOTE,
                    xy=(0.0, 0.0),
                    xytext=(0.02, 0.9),
                    textcoords="axes fraction",
                    fontsize=7,
                    arrowprops={"arrowstyle": "->", "lw": 0.6},
                )
        ax.plot([lo, hi], [lo, hi], color="0.3", lw=0.8, ls="--", gid="identity")
        ax.set_xlim(lo, hi)
        ax.set_ylim(lo, hi)
        ax.set_xlabel(r"predicted $\lambda_z$ (mean field)")
        ax.set_ylabel(r"measured $\lambda_z$")
        ax.set_title(f"all activations, N = {int(trained.N)}")
        handles = list(ax.get_legend_handles_labels()[0])
        handles.append(
            Line2D(
                [],
                [],
                ls="none",
                marker="o",
                mfc="none",
                color="0.6",
                label="grey: predicted outlier inside the bulk (relaxation shows the bulk edge)",
            )
        )
        handles.append(Line2D([], [], color="0.3", lw=0.8, ls="--", label="measured = predicted"))
        for col, act in enumerate(activations, start=1):
            ax = axes[0, col]
            sub = trained.sel(activation=act)
            amps = sub.target.values
            for g in sub.g.values:
                cell = sub.sel(g=g)
                color = g_colors[float(g)]
                ax.plot(
                    amps,
                    cell.lambda_theory.values,
                    color=color,
                    lw=1.2,
                    label=f"g = {g:g}",
                    gid=f"theory:{act}:g{g:g}",
                )
                for s_idx, seed in enumerate(cell.seed.values):
                    ax.plot(
                        amps,
                        cell.lambda_outlier.sel(seed=seed).values,
                        ls="none",
                        marker=MARKERS[s_idx % len(MARKERS)],
                        ms=3.5,
                        mfc="white",
                        color=color,
                        gid=f"sim:{act}:g{g:g}:seed{int(seed)}",
                    )
            if _is_relu(act):
                ax.axhline(0.0, color="k", lw=0.8, ls=":", gid="relu_zero")
                ax.text(0.02, 0.04, _RELU_NOTE, transform=ax.transAxes, fontsize=7)
            ax.axhline(-1.0, color="0.7", lw=0.6)
            ax.set_xlabel("target A")
            ax.set_ylabel(r"$\lambda_z$")
            ax.set_title(f"{_name(act)}: $\\lambda_z$ against the target")
        handles += [
            Line2D([], [], color=c, lw=1.2, label=f"g = {g:g}: mean-field theory")
            for g, c in g_colors.items()
        ]
        handles += [
            Line2D(
                [],
                [],
                ls="none",
                marker=MARKERS[k % len(MARKERS)],
                mfc="white",
                color="0.3",
                label=f"outlier of the Jacobian, seed {int(seed)}",
            )
            for k, seed in enumerate(trained.seed.values)
        ]
        _legend_outside(fig, handles, ncols=3)
    return fig


def _edges(values: np.ndarray) -> np.ndarray:
    """Cell edges around (possibly non-uniform) grid values, for pcolormesh."""
    v = np.asarray(values, dtype=float)
    if v.size == 1:
        return np.array([v[0] - 0.5, v[0] + 0.5])
    mid = 0.5 * (v[1:] + v[:-1])
    return np.concatenate([[v[0] - (mid[0] - v[0])], mid, [v[-1] + (v[-1] - mid[-1])]])


def _majority_status(status: xr.DataArray) -> np.ndarray:
    """The most frequent status over seeds (ties: the first in STATUSES), shape (g, target)."""
    values = status.transpose("g", "target", "seed").values
    counts = np.stack([(values == k).sum(axis=-1) for k in range(len(STATUSES))], axis=-1)
    return counts.argmax(axis=-1)


def plot_trained_map(trained: xr.Dataset) -> plt.Figure:
    """Observed (colour) against predicted (marker) training success over (g, A).

    One panel per activation. Cell colour: the most frequent measured status over seeds
    (stable, marginal, unstable, fixed point lost, open-loop fixed point not found). Marker:
    o where the theory predicts success (bulk g^2 <phi'^2> < 1 and lambda_z <= 0), x where it
    predicts failure. Line: the bulk boundary g_c(A).
    """
    activations = [str(a) for a in trained.activation.values]
    cmap = ListedColormap(STATUS_COLORS)
    with plt.rc_context(_style()):
        fig, axes = plt.subplots(
            1,
            len(activations),
            figsize=(3.2 * len(activations), 2.9),
            squeeze=False,
            constrained_layout=True,
        )
        for col, act in enumerate(activations):
            ax = axes[0, col]
            sub = trained.sel(activation=act)
            g, amps = sub.g.values, sub.target.values
            observed = _majority_status(sub.status)
            ax.pcolormesh(
                _edges(g),
                _edges(amps),
                observed.T,
                cmap=cmap,
                vmin=-0.5,
                vmax=len(STATUSES) - 0.5,
                alpha=0.55,
                gid=f"observed:{act}",
            )
            predicted = sub.success_theory.transpose("g", "target").values.astype(bool)
            gg, aa = np.meshgrid(g, amps, indexing="ij")
            ax.plot(
                gg[predicted],
                aa[predicted],
                ls="none",
                marker="o",
                ms=5,
                mfc="none",
                color="k",
                gid=f"predicted_success:{act}",
            )
            ax.plot(
                gg[~predicted],
                aa[~predicted],
                ls="none",
                marker="x",
                ms=5,
                color="k",
                gid=f"predicted_failure:{act}",
            )
            ax.plot(sub.g_critical_theory.values, amps, color="k", lw=1.2, gid=f"boundary:{act}")
            ax.set_xlim(_edges(g)[[0, -1]])
            ax.set_ylim(_edges(amps)[[0, -1]])
            ax.set_xlabel(r"coupling $g$")
            ax.set_ylabel("target A")
            title = _name(act) + (r": $\lambda_z = 0$, line attractor" if _is_relu(act) else "")
            ax.set_title(title)
        handles = [
            Patch(color=c, alpha=0.55, label=s.replace("_", " "))
            for c, s in zip(STATUS_COLORS, STATUSES, strict=True)
        ]
        handles += [
            Line2D([], [], ls="none", marker="o", mfc="none", color="k", label="predicted success"),
            Line2D([], [], ls="none", marker="x", color="k", label="predicted failure"),
            Line2D([], [], color="k", lw=1.2, label=r"bulk: $g^2\langle\phi'^2\rangle = 1$"),
        ]
        _legend_outside(fig, handles, loc="right")
    return fig


TRAINED_FIGURES: dict[str, Callable[[xr.Dataset], plt.Figure]] = {
    "trained_lambda": plot_trained_lambda,
    "trained_map": plot_trained_map,
}


def make_trained_figure(name: str, trained: str | Path | xr.Dataset) -> plt.Figure:
    """Draw the figure called ``name`` from ``trained.nc`` (a path or an open dataset)."""
    return draw_figure(TRAINED_FIGURES, name, trained)
