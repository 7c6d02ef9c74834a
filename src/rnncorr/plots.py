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
import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402

from rnncorr.estimators import mean_and_standard_error  # noqa: E402
from rnncorr.io import publish  # noqa: E402

__all__ = [
    "FIGURES",
    "PALETTE",
    "draw_figure",
    "make_figure",
    "plot_finite_size_scaling",
    "plot_linear_vs_nonlinear",
    "plot_power_collapse",
    "plot_pr_vs_g",
    "plot_spectrum",
    "plot_statistics_vs_g",
    "save_figure",
    "with_estimator_noise",
]

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
                        _points(
                            ax,
                            simulations.g.values,
                            mean,
                            se,
                            marker=MARKERS[k % len(MARKERS)],
                            color=color,
                            label=f"{activation} N={int(n)}",
                            gid=f"sim:{activation}:N{int(n)}",
                        )
                ax.set_ylim(bottom=0)
                ax.set_title(rf"{KIND_TITLES.get(kind, kind)}, $\sigma^2$ = {sigma2:g}")
                ax.set_xlabel(r"coupling $g$")
                ax.set_ylabel(r"$\mathrm{PR}_\phi / N$")
        _legend_activations_and_sizes(fig, colors, simulations.N.values)
    return fig


STAT_LABELS = {
    "a": r"$a$",
    "nc2": r"$N\,\overline{c^2}$",
    "pr_over_n": r"$\mathrm{PR}/N$",
}


def _points(ax, x, y, yerr, **kwargs):
    """Simulation points: open markers with standard-error bars, the style of every figure."""
    style = {"ls": "none", "mfc": "white", "capsize": 1.5, "lw": 0.8, "ms": 3.5, "marker": "o"}
    return ax.errorbar(x, y, yerr=yerr, **{**style, **kwargs})


def _legend_activations_and_sizes(fig: plt.Figure, colors: dict[str, str], sizes) -> None:
    """One compact legend below the panels: a colour per activation, a marker per N."""
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color=c, lw=1.5, label=a) for a, c in colors.items()]
    handles += [
        Line2D(
            [],
            [],
            color="grey",
            marker=MARKERS[k % len(MARKERS)],
            mfc="white",
            ls="none",
            label=f"N = {int(n)}",
        )
        for k, n in enumerate(sizes)
    ]
    fig.legend(
        handles=handles, loc="outside lower center", ncols=min(len(handles), 4), frameon=False
    )


def _noisy_sigma2(simulations: xr.Dataset) -> float:
    """The sigma2 shown by single-sigma2 figures: the first noise-driven one."""
    positive = [s for s in simulations.sigma2.values if s > 0]
    return float(positive[0] if positive else simulations.sigma2.values[0])


def _sim_mean_se(simulations: xr.Dataset, stat: str, **selection) -> tuple:
    values = simulations[stat].sel(**selection).transpose("g", "realization")
    return mean_and_standard_error(values.values, axis=1)


def plot_statistics_vs_g(simulations: xr.Dataset, theory: xr.Dataset | None = None) -> plt.Figure:
    """a, Nc2 and PR/N against g for every activation: zero-frequency and equal-time, x and phi.

    Rows: statistic; columns: (kind, variable). Points: largest N of the grid, mean +- s.e.
    over J realizations; lines: large-N theory on the dense g axis. One sigma2 (the first > 0).
    """
    sigma2 = _noisy_sigma2(simulations)
    n = int(simulations.N.values.max())
    columns = [(k, v) for k in simulations.kind.values for v in simulations.variable.values]
    stats = list(STAT_LABELS)
    activations = list(simulations.activation.values)
    colors = _colors(activations)
    with plt.rc_context(_style()):
        fig, axes = plt.subplots(
            len(stats),
            len(columns),
            figsize=(2.6 * len(columns), 2.2 * 3),
            squeeze=False,
            sharex=True,
            constrained_layout=True,
        )
        for col, (kind, var) in enumerate(columns):
            for row, stat in enumerate(stats):
                ax = axes[row, col]
                for activation in activations:
                    color = colors[activation]
                    if theory is not None and activation in theory.activation.values:
                        curve = theory[stat].sel(
                            activation=activation, sigma2=sigma2, kind=kind, variable=var
                        )
                        ax.plot(
                            curve.g.values,
                            curve.values,
                            color=color,
                            lw=1.1,
                            gid=f"theory:{activation}",
                        )
                    mean, se = _sim_mean_se(
                        simulations,
                        stat,
                        activation=activation,
                        N=n,
                        sigma2=sigma2,
                        kind=kind,
                        variable=var,
                    )
                    _points(
                        ax,
                        simulations.g.values,
                        mean,
                        se,
                        ms=3,
                        color=color,
                        label=activation,
                        gid=f"sim:{activation}",
                    )
                if stat != "pr_over_n":
                    ax.set_yscale("log")
                else:
                    ax.set_ylim(0, 1.05)
                ax.set_ylabel(STAT_LABELS[stat] + rf" of ${VARIABLE_LABELS[var]}$")
                if row == 0:
                    ax.set_title(f"{KIND_TITLES.get(kind, kind)}, {var}")
                if row == len(stats) - 1:
                    ax.set_xlabel(r"coupling $g$")
        axes[0, 0].legend(frameon=False, title=rf"N = {n}, $\sigma^2$ = {sigma2:g}")
    return fig


def _spectrum_cell(simulations: xr.Dataset, activation: str) -> dict | None:
    """The simulated network shown in the spectrum figure: g closest to 0.5 below 1, largest N."""
    sigma2 = _noisy_sigma2(simulations)
    n = int(simulations.N.values.max())
    below = [g for g in simulations.g.values if g < 1]
    if not below:
        return None
    g = float(min(below, key=lambda v: abs(v - 0.5)))
    eig = simulations.eigenvalues.sel(
        activation=activation, N=n, g=g, sigma2=sigma2, kind="zero_frequency", variable="phi"
    )
    finite = [r for r in eig.realization.values if np.isfinite(eig.sel(realization=r)).all()]
    if not finite:
        return None
    values = eig.sel(realization=finite[0]).values[:n]
    return {"g": g, "N": n, "sigma2": sigma2, "eigenvalues": values[np.isfinite(values)]}


def _settings_of(simulations: xr.Dataset):
    """The simulation settings recorded in an aggregate's ``config`` attribute, or None."""
    import json

    from rnncorr.config import load_config, simulation_settings

    try:
        return simulation_settings(load_config(json.loads(simulations.attrs["config"])))
    except (KeyError, ValueError):
        return None


def with_estimator_noise(population: np.ndarray, settings, seed: int = 0) -> np.ndarray:
    """Eigenvalues the zero-frequency estimator reports for a known population spectrum.

    Draws independent Gaussian window integrals with covariance diag(population) in the layout
    of one simulated realization (``blocks`` blocks of ``windows_per_block * trajectories``
    windows), applies the same estimator (per-block covariance, Richardson 2 C(2W) - C(W) from
    consecutive pairs when ``extrapolate_window``), pools the blocks and returns the eigenvalues.
    The spread it adds (Marchenko–Pastur-like) is what separates a simulated histogram from the
    exact density; temporal correlations between windows are neglected.
    """
    rng = np.random.default_rng(seed)
    n = population.size
    per_block = settings.windows_per_block * settings.trajectories
    pooled = np.zeros((n, n))
    for _ in range(settings.blocks):
        samples = rng.standard_normal((per_block, n)) * np.sqrt(population)
        covariance = np.cov(samples, rowvar=False)
        if settings.extrapolate_window:
            pairs = samples[0::2] + samples[1::2]
            covariance = np.cov(pairs, rowvar=False) - covariance  # 2 C(2W) - C(W)
        pooled += covariance
    return np.linalg.eigvalsh(pooled / settings.blocks)


def _population(g_eff: float, scale: float, n: int) -> np.ndarray:
    """n eigenvalues at the quantiles (i + 1/2)/n of the linear-network density."""
    from rnncorr.theory._linear import linear_spectrum_density, linear_spectrum_support

    low, high = linear_spectrum_support(g_eff, scale)
    grid = np.linspace(low, high, 4001)
    cumulative = np.concatenate(
        [
            [0.0],
            np.cumsum(
                np.diff(grid)
                * 0.5
                * (
                    linear_spectrum_density(grid[1:], g_eff, scale)
                    + linear_spectrum_density(grid[:-1], g_eff, scale)
                )
            ),
        ]
    )
    return np.interp((np.arange(n) + 0.5) / n, cumulative / cumulative[-1], grid)


def plot_spectrum(simulations: xr.Dataset, theory: xr.Dataset | None = None) -> plt.Figure:
    """Eigenvalues of one simulated zero-frequency covariance of phi against the theory density.

    Linear network: the exact density of sigma2 (1 - J)^-1 (1 - J)^-T (Hu & Sompolinsky 2022).
    Nonlinear: the linear-equivalent network, i.e. the same density with g -> g_eff and
    sigma2 -> a_phi (1 - g_eff^2) (docs/science.md §3, §7). The simulated histogram also
    carries the estimator's sampling noise (finite number of windows), which broadens it; the
    dashed histogram applies the same estimator to the theory spectrum
    (:func:`with_estimator_noise`), so it is the like-for-like comparison.
    """
    from rnncorr.theory._linear import linear_spectrum_density

    settings = _settings_of(simulations)

    activations = list(simulations.activation.values)
    colors = _colors(activations)
    with plt.rc_context(_style()):
        fig, axes = plt.subplots(
            1,
            len(activations),
            figsize=(2.8 * len(activations), 2.6),
            squeeze=False,
            constrained_layout=True,
        )
        for ax, activation in zip(axes[0], activations, strict=True):
            cell = _spectrum_cell(simulations, activation)
            if cell is None:
                ax.set_title(f"{activation}: no stable cell")
                continue
            eigenvalues = cell["eigenvalues"]
            ax.hist(
                eigenvalues,
                bins=30,
                density=True,
                color=colors[activation],
                alpha=0.45,
                label="simulation",
                gid="sim:histogram",
            )
            if theory is not None and activation in theory.activation.values:
                point = theory.sel(activation=activation, g=cell["g"], sigma2=cell["sigma2"])
                g_eff = float(point.g_eff)
                a_phi = float(point.a.sel(kind="zero_frequency", variable="phi"))
                if np.isfinite(g_eff) and np.isfinite(a_phi):
                    scale = a_phi * (1 - g_eff**2)
                    grid = np.linspace(0, eigenvalues.max() * 1.2, 600)
                    density = linear_spectrum_density(grid, g_eff, scale)
                    ax.plot(
                        grid, density, color="black", lw=1.1, label="theory", gid="theory:density"
                    )
                    if settings is not None:
                        noisy = with_estimator_noise(_population(g_eff, scale, cell["N"]), settings)
                        ax.hist(
                            noisy,
                            bins=30,
                            density=True,
                            histtype="step",
                            color="black",
                            ls="--",
                            lw=0.9,
                            label="theory + estimator noise",
                            gid="theory:noisy",
                        )
            ax.set_title(f"{activation}, g = {cell['g']:g}, N = {cell['N']}")
            ax.set_xlabel(r"eigenvalue of $C_\phi(\omega = 0)$")
            ax.set_ylabel("density")
        axes[0, 0].legend(frameon=False)
    return fig


def plot_power_collapse(simulations: xr.Dataset, theory: xr.Dataset | None = None) -> plt.Figure:
    """Power law: statistics against the collapse variable u = sigma2 g^(-2/(1-alpha)).

    Left: zero-frequency PR/N of phi for every simulated (g, sigma2) of every power-law
    activation against u; PR/N depends on (g, sigma2) only through u (docs/science.md §5), so
    all points fall on one theory curve. Right: PR/N against g, approaching its strictly
    positive large-g limit (dashed), where the linear network has already diverged.
    """
    from rnncorr.theory._power import collapse_variable, pr_over_n_limit

    powers = [a for a in simulations.activation.values if str(a).startswith("power")]
    colors = _colors(powers)
    with plt.rc_context(_style()):
        fig, (left, right) = plt.subplots(1, 2, figsize=(7.0, 2.8), constrained_layout=True)
        n = int(simulations.N.values.max())
        for label in powers:
            alpha = float(str(label).split("alpha")[1])
            color = colors[label]
            for k, sigma2 in enumerate(simulations.sigma2.values):
                if sigma2 <= 0:
                    continue
                mean, se = _sim_mean_se(
                    simulations,
                    "pr_over_n",
                    activation=label,
                    N=n,
                    sigma2=sigma2,
                    kind="zero_frequency",
                    variable="phi",
                )
                u = collapse_variable(simulations.g.values, sigma2, alpha)
                _points(
                    left,
                    u,
                    mean,
                    se,
                    marker=MARKERS[k % len(MARKERS)],
                    color=color,
                    label=rf"{label}, $\sigma^2$={sigma2:g}",
                    gid=f"sim:{label}:{sigma2}",
                )
                _points(
                    right,
                    simulations.g.values,
                    mean,
                    se,
                    marker=MARKERS[k % len(MARKERS)],
                    color=color,
                )
            limit = pr_over_n_limit(alpha)["phi"]
            right.axhline(limit, color=color, ls="--", lw=0.9, gid=f"limit:{label}")
            if theory is not None and label in theory.activation.values:
                for sigma2 in theory.sigma2.values:
                    if sigma2 <= 0:
                        continue
                    curve = theory.pr_over_n.sel(
                        activation=label, sigma2=sigma2, kind="zero_frequency", variable="phi"
                    )
                    u = collapse_variable(curve.g.values, sigma2, alpha)
                    keep = curve.g.values > 0
                    left.plot(
                        u[keep],
                        curve.values[keep],
                        color=color,
                        lw=1.1,
                        gid=f"theory:{label}:{sigma2}",
                    )
                    right.plot(curve.g.values, curve.values, color=color, lw=1.1)
        left.set_xscale("log")
        left.set_xlabel(r"$u = \sigma^2 g^{-2/(1-\alpha)}$")
        left.set_ylabel(r"$\mathrm{PR}_\phi/N$ (zero frequency)")
        right.set_xlabel(r"coupling $g$")
        right.set_ylabel(r"$\mathrm{PR}_\phi/N$ (zero frequency)")
        left.set_ylim(0, 1.05)
        # log axis: the large-g plateau (1 - g_eff_inf^2)^2 is small but strictly positive
        right.set_yscale("log")
        right.set_ylim(1e-4, 1.5)
        if powers:
            left.legend(frameon=False)
    return fig


def plot_linear_vs_nonlinear(
    simulations: xr.Dataset, theory: xr.Dataset | None = None
) -> plt.Figure:
    """Zero-frequency PR/N of phi: the linear network's dimension vanishes as (1 - g^2)^2 and it
    diverges at g = 1 (crosses: fraction of diverged realizations), while saturating and
    sublinear networks keep a strictly positive dimension at every g."""
    sigma2 = _noisy_sigma2(simulations)
    n = int(simulations.N.values.max())
    activations = list(simulations.activation.values)
    colors = _colors(activations)
    with plt.rc_context(_style()):
        fig, (top, bottom) = plt.subplots(
            2, 1, figsize=(4.2, 4.6), sharex=True, height_ratios=(3, 1), constrained_layout=True
        )
        for activation in activations:
            color = colors[activation]
            if theory is not None and activation in theory.activation.values:
                curve = theory.pr_over_n.sel(
                    activation=activation, sigma2=sigma2, kind="zero_frequency", variable="phi"
                )
                top.plot(
                    curve.g.values, curve.values, color=color, lw=1.2, gid=f"theory:{activation}"
                )
            mean, se = _sim_mean_se(
                simulations,
                "pr_over_n",
                activation=activation,
                N=n,
                sigma2=sigma2,
                kind="zero_frequency",
                variable="phi",
            )
            _points(
                top,
                simulations.g.values,
                mean,
                se,
                color=color,
                label=activation,
                gid=f"sim:{activation}",
            )
            diverged = simulations.diverged.sel(activation=activation, N=n, sigma2=sigma2)
            fraction = diverged.mean("realization").values
            bottom.plot(
                simulations.g.values,
                fraction,
                marker="x",
                ls="-",
                lw=0.8,
                color=color,
                gid=f"diverged:{activation}",
            )
        top.axvline(1.0, color="grey", lw=0.6, ls=":")
        bottom.axvline(1.0, color="grey", lw=0.6, ls=":")
        # log axis: the linear dimension vanishes at g = 1, the nonlinear ones stay positive
        top.set_yscale("log")
        top.set_ylim(1e-4, 1.5)
        top.set_ylabel(r"$\mathrm{PR}_\phi/N$ (zero frequency)")
        top.legend(frameon=False, title=rf"N = {n}, $\sigma^2$ = {sigma2:g}")
        bottom.set_ylabel("diverged")
        bottom.set_ylim(-0.05, 1.05)
        bottom.set_xlabel(r"coupling $g$")
    return fig


def plot_finite_size_scaling(
    simulations: xr.Dataset, theory: xr.Dataset | None = None
) -> plt.Figure:
    """Finite-size scaling of the zero-frequency PR of phi (docs/finite_size.md).

    Left: PR/N against 1/N at a few g per activation: simulation points (mean +- s.e. over J),
    the N = infinity theory (filled marker at 1/N = 0) and the theory's 1/N line
    p_inf + (p_0 + p_0_site) / N. Right: p_0 fitted from the simulations, PR(N) = N p_inf + p_0,
    against g, with the predicted p_0(g) of the homogeneous linear-equivalent network (solid
    lines) and, at the grid's g, p_0 + p_0_site with the site-heterogeneity term (open diamonds,
    dashed; docs/finite_size.md §8.4).
    """
    from rnncorr.finite_size import fit_pr_scaling

    sigma2 = _noisy_sigma2(simulations)
    activations = list(simulations.activation.values)
    colors = _colors(activations)
    fit = fit_pr_scaling(simulations).sel(sigma2=sigma2, kind="zero_frequency", variable="phi")
    sizes = simulations.N.values.astype(float)
    stable = [g for g in simulations.g.values if 0 < g < 1]
    shown = stable[:: max(1, len(stable) // 2)][:3]
    with plt.rc_context(_style()):
        fig, (left, right) = plt.subplots(1, 2, figsize=(7.2, 3.0), constrained_layout=True)
        inverse = np.linspace(0, 1.1 / sizes.min(), 50)
        for activation in activations:
            color = colors[activation]
            for k, g in enumerate(shown):
                point = fit.sel(activation=activation, g=g)
                mean = point.pr_mean.values / sizes
                se = point.pr_se.values / sizes
                marker = MARKERS[k % len(MARKERS)]
                _points(
                    left,
                    1 / sizes,
                    mean,
                    se,
                    marker=marker,
                    color=color,
                    label=f"{activation}, g = {g:g}",
                    gid=f"sim:{activation}:{g:g}",
                )
                if theory is not None and activation in theory.activation.values:
                    th = theory.sel(activation=activation, g=g, sigma2=sigma2)
                    p_inf = float(th.pr_over_n.sel(kind="zero_frequency", variable="phi"))
                    p_0 = float(th.p_0.sel(variable="phi"))
                    if "p_0_site" in th and np.isfinite(th.p_0_site):
                        p_0 += float(th.p_0_site)  # the site term (finite_size.md §8.4)
                    left.plot(
                        inverse,
                        p_inf + p_0 * inverse,
                        color=color,
                        lw=1.0,
                        gid=f"theory:{activation}:{g:g}",
                    )
                    left.plot([0], [p_inf], marker=marker, color=color, ms=4, ls="none")
            finite = np.isfinite(fit.p_0.sel(activation=activation).values)
            _points(
                right,
                fit.g.values[finite],
                fit.p_0.sel(activation=activation).values[finite],
                fit.p_0_se.sel(activation=activation).values[finite],
                color=color,
                label=activation,
                gid=f"fit:{activation}",
            )
            if theory is not None and activation in theory.activation.values:
                curve = theory.p_0.sel(activation=activation, sigma2=sigma2, variable="phi")
                right.plot(
                    curve.g.values, curve.values, color=color, lw=1.1, gid=f"theory_p0:{activation}"
                )
                if "p_0_site" in theory:
                    site = theory.sel(activation=activation, sigma2=sigma2)
                    total = curve + site.p_0_site
                    known = np.isfinite(total.values)
                    right.errorbar(
                        total.g.values[known],
                        total.values[known],
                        yerr=site.p_0_site_se.values[known],
                        color=color,
                        marker="D",
                        mfc="white",
                        ms=3.5,
                        lw=0.8,
                        ls="--",
                        capsize=1.5,
                        gid=f"theory_p0_site:{activation}",
                    )
        left.set_xlabel(r"$1/N$")
        left.set_ylabel(r"$\mathrm{PR}_\phi/N$ (zero frequency)")
        left.legend(frameon=False, fontsize=6, ncols=2)
        right.axhline(0, color="grey", lw=0.5)
        right.set_xlabel(r"coupling $g$")
        right.set_ylabel(r"$p_0$ in $\mathrm{PR} = N p_\infty + p_0$")
        right.set_xlim(0, 1)
        low = np.nanmin(fit.p_0.values) if np.isfinite(fit.p_0.values).any() else -5
        right.set_ylim(max(low - 1, -15), 2)
        right.legend(frameon=False, title=rf"$\sigma^2$ = {sigma2:g}")
    return fig


FIGURES: dict[str, Callable[[xr.Dataset, xr.Dataset | None], plt.Figure]] = {
    "pr_vs_g": plot_pr_vs_g,
    "statistics_vs_g": plot_statistics_vs_g,
    "spectrum": plot_spectrum,
    "power_collapse": plot_power_collapse,
    "linear_vs_nonlinear": plot_linear_vs_nonlinear,
    "finite_size_scaling": plot_finite_size_scaling,
}


def draw_figure(
    figures: dict[str, Callable[[xr.Dataset], plt.Figure]], name: str, data: str | Path | xr.Dataset
) -> plt.Figure:
    """Draw ``figures[name]`` from one dataset (a path or an open dataset); names are checked."""
    if name not in figures:
        raise ValueError(f"unknown figure {name!r}; allowed: {', '.join(figures)}")
    if isinstance(data, xr.Dataset):
        return figures[name](data)
    with xr.open_dataset(data) as opened:
        loaded = opened.load()
    return figures[name](loaded)


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
        publish(tmp, path)
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
