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
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from rnncorr.activations import display_name  # noqa: E402
from rnncorr.estimators import mean_and_standard_error  # noqa: E402
from rnncorr.io import publish  # noqa: E402

__all__ = [
    "FIGURES",
    "PALETTE",
    "NUMERICAL_REASONS",
    "draw_figure",
    "figure_problems",
    "make_figure",
    "numerical_failure",
    "plot_finite_size_scaling",
    "plot_input_vs_output_dimension",
    "plot_linear_vs_nonlinear",
    "plot_power_collapse",
    "plot_pr_vs_g",
    "plot_spectrum",
    "plot_statistics_vs_g",
    "save_figure",
    "theory_reasons",
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


def _name(label) -> str:
    """Printed name of an activation label (rnncorr.activations.display_name, the one place)."""
    return display_name(str(label))


def _plain_log_ticks(axis) -> None:
    """Plain-number tick labels on a log axis (0.01, 0.3, 3, not 3x10^0); powers of ten
    beyond 0.001..10^5 as 10^k.

    Major ticks always; minor ticks (2..9 x 10^k) only when the axis spans less than about one
    and a half decades, where matplotlib would otherwise print them in scientific notation.
    """

    def major(value, _):
        exponent = np.log10(abs(value)) if value else 0.0
        if (exponent < -3 or exponent >= 5) and np.isclose(exponent, round(exponent)):
            return rf"$10^{{{round(exponent)}}}$"  # 1e+08 reads worse than 10^8
        return f"{value:g}"

    def minor(value, _):
        low, high = sorted(abs(v) for v in axis.get_view_interval())
        if low > 0 and high / low < 30 and str(f"{value:g}")[0] in "235":
            return f"{value:g}"
        return ""

    axis.set_major_formatter(FuncFormatter(major))
    axis.set_minor_formatter(FuncFormatter(minor))


#: leading words of theory ``reason`` strings that are numerical failures of a solver (a gap that
#: must not be drawn as science); everything else (no_stationary_state, quiescent,
#: odd_phi_required, not_computed) is a statement about the model or the grid
NUMERICAL_REASONS = ("dmft_not_converged", "not_converged", "numerical")


def theory_reasons(theory: xr.Dataset) -> xr.DataArray | None:
    """The theory dataset's ``reason`` as names ('' where valid), via ``rnncorr.io.decode_reasons``
    (int8 codes with CF flag attributes, or the strings of older files). No ``reason``: None."""
    if "reason" not in theory:
        return None
    from rnncorr.io import decode_reasons

    return decode_reasons(theory["reason"])


def numerical_failure(reason) -> bool:
    """True when a theory ``reason`` (decoded string) names a numerical failure of the solver."""
    text = str(reason).strip().lower()
    return any(text.startswith(word) for word in NUMERICAL_REASONS)


def _theory_line(ax, theory: xr.Dataset, curve: xr.DataArray, x=None, **kwargs):
    """Draw one theory curve on its g axis and attach the reason of every point to the line
    (``line.rnncorr_reasons``), so that :func:`figure_problems` can tell a gap in the curve that
    is science (no stationary state: left as a gap) from one that is a numerical failure."""
    xs = curve.g.values if x is None else np.asarray(x)
    (line,) = ax.plot(xs, curve.values, **kwargs)
    reasons = theory_reasons(theory)
    if reasons is not None:
        selection = {
            dim: curve[dim].values
            for dim in reasons.dims
            if dim in curve.coords and curve[dim].size == 1
        }
        along = reasons.sel(selection)
        if "g" in along.dims:
            along = along.sel(g=curve.g.values)
        line.rnncorr_reasons = np.broadcast_to(np.asarray(along.values, dtype=str), xs.shape)
    return line


def _legend_outside(
    fig: plt.Figure, handles, title: str | None = None, ncols: int = 4, loc="lower"
):
    """One figure-level legend outside the panels (below them or to their right), never on data."""
    where = "outside lower center" if loc == "lower" else "outside right upper"
    return fig.legend(
        handles=handles,
        loc=where,
        ncols=min(max(1, len(handles)), ncols) if loc == "lower" else 1,
        frameon=False,
        title=title,
    )


def _sim_handle(label: str = "simulation (mean ± s.e. over J)", marker: str = "o") -> Line2D:
    return Line2D([], [], color="0.3", marker=marker, mfc="white", ls="none", ms=4, label=label)


def _line_handle(label: str, color: str = "0.3", **kwargs) -> Line2D:
    return Line2D([], [], color=color, lw=kwargs.pop("lw", 1.2), label=label, **kwargs)


#: words of a file label (``power-alpha0.5``, ``pade-a0.0666667-b0.4``) that a printed figure
#: must not show
_FILE_LABEL = ("-alpha", "-a0.", "-b0.", "alpha0.", "_sigma2_")


def figure_problems(fig: plt.Figure) -> list[str]:
    """What a referee would object to in a figure, checked on the Figure object.

    * a text (title, axis label, tick label, legend entry) carrying a file label such as
      ``power-alpha0.5`` or ``pade-a0.0666667-b0.4`` instead of the printed name;
    * a legend whose bounding box overlaps a data axes (after drawing; axes switched off, as a
      dedicated legend panel, do not count);
    * a theory line (drawn by :func:`_theory_line`) with a NaN point whose theory ``reason`` is
      a numerical failure (:func:`numerical_failure`).

    Returns a list of messages, empty when the figure passes.
    """
    from matplotlib.text import Text

    problems = []
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for text in fig.findobj(Text):
        content = text.get_text()
        if text.get_visible() and any(word in content for word in _FILE_LABEL):
            problems.append(f"file label in text {content!r}")
    legends = list(fig.legends) + [ax.get_legend() for ax in fig.axes if ax.get_legend()]
    data_axes = [ax for ax in fig.axes if ax.get_visible() and ax.axison]
    for legend in legends:
        if not legend.get_visible():
            continue
        box = legend.get_window_extent(renderer)
        for ax in data_axes:
            if box.overlaps(ax.get_window_extent(renderer)):
                title = ax.get_title() or ax.get_ylabel()
                problems.append(f"legend {legend.get_title().get_text()!r} overlaps axes {title!r}")
    for ax in fig.axes:
        for line in ax.lines:
            reasons = getattr(line, "rnncorr_reasons", None)
            if reasons is None:
                continue
            y = np.asarray(line.get_ydata(), dtype=float)
            for value, reason in zip(y, reasons, strict=False):
                if np.isnan(value) and numerical_failure(reason):
                    problems.append(f"theory line {line.get_gid()!r}: NaN for {reason!r}")
                    break
    return problems


def plot_pr_vs_g(simulations: xr.Dataset, theory: xr.Dataset | None = None) -> plt.Figure:
    """Participation ratio PR/N of phi(x) against g, zero-frequency and equal-time.

    One row per sigma2, one column per covariance kind; one colour per activation, one marker
    per N. Error bars: standard error over J realizations (diverged ones excluded). Rows whose
    sigma2 only some activations were simulated at (``grid.extra``) show those activations.
    """
    sigma2_values = simulations.sigma2.values
    kinds = list(simulations.kind.values)
    activations = list(simulations.activation.values)
    colors = _colors(activations)
    with plt.rc_context(_style()):
        fig, axes = plt.subplots(
            len(sigma2_values),
            len(kinds),
            figsize=(3.2 * len(kinds), 2.6 * len(sigma2_values) + 0.6),
            squeeze=False,
            sharex=True,
            constrained_layout=True,
        )
        for row, sigma2 in enumerate(sigma2_values):
            for col, kind in enumerate(kinds):
                ax = axes[row, col]
                for activation in activations:
                    color = colors[activation]
                    simulated = np.isfinite(
                        simulations.pr_over_n.sel(activation=activation, sigma2=sigma2)
                    ).any()
                    if not simulated:
                        continue
                    if theory is not None and activation in theory.activation.values:
                        curve = theory.pr_over_n.sel(
                            activation=activation, sigma2=sigma2, kind=kind, variable="phi"
                        )
                        _theory_line(
                            ax,
                            theory,
                            curve,
                            color=color,
                            lw=1.2,
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
                            label=f"{_name(activation)} N={int(n)}",
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
    """One compact legend below the panels: a colour per activation, a marker per N; lines are
    the large-N theory, open markers the simulations (mean ± s.e. over J realizations)."""
    handles = [Line2D([], [], color=c, lw=1.5, label=_name(a)) for a, c in colors.items()]
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
    handles += [
        _line_handle("large-N theory"),
        _sim_handle("simulation (mean ± s.e. over J)"),
    ]
    _legend_outside(fig, handles, ncols=4)


def _noisy_sigma2(simulations: xr.Dataset) -> float:
    """The sigma2 shown by single-sigma2 figures: the noise-driven one with the most simulated
    cells (the main grid's, not one that ``grid.extra`` adds for one activation), the first
    of those on a tie."""
    values = list(simulations.sigma2.values)
    positive = [s for s in values if s > 0] or values

    def cells(sigma2) -> int:
        data = simulations.pr_over_n.sel(sigma2=sigma2, kind="zero_frequency", variable="phi")
        return int(np.isfinite(data).any("realization").sum())

    return float(max(positive, key=lambda s: (cells(s), -values.index(s))))


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
                        _theory_line(
                            ax, theory, curve, color=color, lw=1.1, gid=f"theory:{activation}"
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
                        label=_name(activation),
                        gid=f"sim:{activation}",
                    )
                if stat != "pr_over_n":
                    ax.set_yscale("log")
                    _plain_log_ticks(ax.yaxis)
                else:
                    ax.set_ylim(0, 1.05)
                ax.set_ylabel(STAT_LABELS[stat] + rf" of ${VARIABLE_LABELS[var]}$")
                if row == 0:
                    ax.set_title(f"{KIND_TITLES.get(kind, kind)}, {var}")
                if row == len(stats) - 1:
                    ax.set_xlabel(r"coupling $g$")
        handles = [Line2D([], [], color=c, lw=1.5, label=_name(a)) for a, c in colors.items()]
        handles += [_line_handle("large-N theory"), _sim_handle()]
        _legend_outside(fig, handles, title=rf"N = {n}, $\sigma^2$ = {sigma2:g}", ncols=6)
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
            figsize=(2.8 * len(activations), 3.0),
            squeeze=False,
            constrained_layout=True,
        )
        for ax, activation in zip(axes[0], activations, strict=True):
            cell = _spectrum_cell(simulations, activation)
            if cell is None:
                ax.set_title(f"{_name(activation)}: no stable cell")
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
            ax.set_title(f"{_name(activation)}, g = {cell['g']:g}, N = {cell['N']}")
            ax.set_xlabel(r"eigenvalue of $C_\phi(\omega = 0)$")
            ax.set_ylabel("density")
        handles = [
            Patch(color="0.5", alpha=0.45, label="simulation: one J realization"),
            _line_handle("large-N density", color="black", lw=1.1),
            Patch(
                fill=False,
                edgecolor="black",
                ls="--",
                label="large-N spectrum + the estimator's sampling noise",
            ),
        ]
        _legend_outside(fig, handles, ncols=3)
    return fig


#: a simulated PR below this many dimensions sits near its floor PR >= 1: finite-N dominated
PR_FLOOR_NOTE = 5.0


def plot_power_collapse(simulations: xr.Dataset, theory: xr.Dataset | None = None) -> plt.Figure:
    """Power law: statistics against the collapse variable u = sigma2 g^(-2/(1-alpha)).

    Left: zero-frequency PR/N of phi for every simulated (g, sigma2) of every power-law
    activation against u; PR/N depends on (g, sigma2) only through u (docs/science.md §5), so
    all points fall on one theory curve. Right: PR/N against g, approaching its strictly
    positive large-g limit (dashed), where the linear network has already diverged.
    Shaded: PR = N (PR/N) below ``PR_FLOOR_NOTE`` at the largest simulated N, where the
    simulated dimension is a few units, bounded below by 1, and sits above the large-N theory
    (a finite-N effect, not a failure of the collapse).
    """
    from rnncorr.activations import activation_from_label
    from rnncorr.theory._power import collapse_variable, pr_over_n_limit

    powers = [a for a in simulations.activation.values if str(a).startswith("power")]
    n = int(simulations.N.values.max())
    pairs = []
    for label in powers:
        for sigma2 in simulations.sigma2.values:
            data = simulations.pr_over_n.sel(activation=label, N=n, sigma2=sigma2)
            if sigma2 > 0 and np.isfinite(data).any():
                pairs.append((label, float(sigma2)))
    colors = _colors(pairs)
    handles = []
    with plt.rc_context(_style()):
        fig, (left, right) = plt.subplots(1, 2, figsize=(7.0, 3.4), constrained_layout=True)
        for k, (label, sigma2) in enumerate(pairs):
            alpha = activation_from_label(label).kwargs["alpha"]
            color = colors[(label, sigma2)]
            marker = MARKERS[k % len(MARKERS)]
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
            _points(left, u, mean, se, marker=marker, color=color, gid=f"sim:{label}:{sigma2:g}")
            _points(right, simulations.g.values, mean, se, marker=marker, color=color)
            handles.append(
                Line2D(
                    [],
                    [],
                    color=color,
                    marker=marker,
                    mfc="white",
                    lw=1.1,
                    label=rf"{_name(label)}, $\sigma^2$ = {sigma2:g}",
                )
            )
            if theory is not None and label in theory.activation.values:
                if sigma2 in theory.sigma2.values:
                    curve = theory.pr_over_n.sel(
                        activation=label, sigma2=sigma2, kind="zero_frequency", variable="phi"
                    )
                    keep = curve.g.values > 0
                    u_curve = collapse_variable(curve.g.values[keep], sigma2, alpha)
                    _theory_line(
                        left,
                        theory,
                        curve.isel(g=keep),
                        x=u_curve,
                        color=color,
                        lw=1.1,
                        gid=f"theory:{label}:{sigma2:g}",
                    )
                    _theory_line(
                        right,
                        theory,
                        curve,
                        color=color,
                        lw=1.1,
                        gid=f"theory_g:{label}:{sigma2:g}",
                    )
        for label in powers:
            alpha = activation_from_label(label).kwargs["alpha"]
            limit = pr_over_n_limit(alpha)["phi"]
            right.axhline(limit, color="0.3", ls="--", lw=0.9, gid=f"limit:{label}")
            handles.append(
                _line_handle(
                    rf"large-$g$ limit $(1-g_{{\mathrm{{eff}},\infty}}^2)^2$ = {limit:.3g}"
                    + (f" ({_name(label)})" if len(powers) > 1 else ""),
                    ls="--",
                    lw=0.9,
                )
            )
        floor = PR_FLOOR_NOTE / n
        for ax, bottom in ((left, 0.0), (right, 1e-4)):
            ax.axhspan(bottom, floor, color="0.85", zorder=0, lw=0, gid="pr_floor")
        handles.append(
            Patch(
                color="0.85",
                label=rf"PR < {PR_FLOOR_NOTE:g} at N = {n}: finite-N floor (PR $\geq$ 1), "
                "points above theory",
            )
        )
        handles.append(_line_handle("large-N theory"))
        left.set_xscale("log")
        _plain_log_ticks(left.xaxis)
        left.set_xlabel(r"$u = \sigma^2 g^{-2/(1-\alpha)}$")
        left.set_ylabel(r"$\mathrm{PR}_\phi/N$ (zero frequency)")
        left.set_title(f"collapse, N = {n}")
        right.set_xlabel(r"coupling $g$")
        right.set_ylabel(r"$\mathrm{PR}_\phi/N$ (zero frequency)")
        right.set_title("against g")
        left.set_ylim(0, 1.05)
        # log axis: the large-g plateau (1 - g_eff_inf^2)^2 is small but strictly positive
        right.set_yscale("log")
        right.set_ylim(1e-4, 1.5)
        _plain_log_ticks(right.yaxis)
        if powers:
            _legend_outside(fig, handles, ncols=2)
    return fig


def plot_linear_vs_nonlinear(
    simulations: xr.Dataset, theory: xr.Dataset | None = None
) -> plt.Figure:
    """Zero-frequency PR/N of phi: the linear network's dimension vanishes as (1 - g^2)^2 and it
    diverges at g = 1 (crosses: fraction of diverged realizations), while saturating and
    sublinear networks keep a strictly positive dimension at every g.

    Each activation has its own marker, and in the lower panel its own small horizontal offset,
    so coinciding values (every non-linear network at 0 diverged) stay visible; the diverged
    fractions are separate points (no line: the grid's g are not a continuum).
    """
    sigma2 = _noisy_sigma2(simulations)
    n = int(simulations.N.values.max())
    activations = list(simulations.activation.values)
    colors = _colors(activations)
    g = simulations.g.values
    step = np.min(np.diff(np.sort(g))) if g.size > 1 else 0.1
    offsets = (np.arange(len(activations)) - (len(activations) - 1) / 2) * 0.12 * step
    handles = []
    with plt.rc_context(_style()):
        fig, (top, bottom) = plt.subplots(
            2, 1, figsize=(5.6, 4.6), sharex=True, height_ratios=(3, 1), constrained_layout=True
        )
        for k, activation in enumerate(activations):
            color = colors[activation]
            marker = MARKERS[k % len(MARKERS)]
            if theory is not None and activation in theory.activation.values:
                curve = theory.pr_over_n.sel(
                    activation=activation, sigma2=sigma2, kind="zero_frequency", variable="phi"
                )
                _theory_line(top, theory, curve, color=color, lw=1.2, gid=f"theory:{activation}")
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
                g,
                mean,
                se,
                color=color,
                marker=marker,
                label=_name(activation),
                gid=f"sim:{activation}",
            )
            diverged = simulations.diverged.sel(activation=activation, N=n, sigma2=sigma2)
            fraction = diverged.mean("realization").values
            bottom.plot(
                g + offsets[k],
                fraction,
                marker=marker,
                mfc="white",
                ls="none",
                ms=4,
                color=color,
                gid=f"diverged:{activation}",
            )
            handles.append(
                Line2D(
                    [],
                    [],
                    color=color,
                    marker=marker,
                    mfc="white",
                    lw=1.2,
                    label=_name(activation),
                )
            )
        top.axvline(1.0, color="grey", lw=0.6, ls=":")
        bottom.axvline(1.0, color="grey", lw=0.6, ls=":")
        # log axis: the linear dimension vanishes at g = 1, the nonlinear ones stay positive
        top.set_yscale("log")
        top.set_ylim(1e-4, 1.5)
        _plain_log_ticks(top.yaxis)
        top.set_ylabel(r"$\mathrm{PR}_\phi/N$ (zero frequency)")
        bottom.set_ylabel("fraction\ndiverged")
        bottom.set_ylim(-0.1, 1.1)
        bottom.set_xlabel(r"coupling $g$")
        handles += [_line_handle("large-N theory"), _sim_handle()]
        _legend_outside(fig, handles, title=rf"N = {n}, $\sigma^2$ = {sigma2:g}", loc="right")
    return fig


def plot_finite_size_scaling(
    simulations: xr.Dataset, theory: xr.Dataset | None = None
) -> plt.Figure:
    """Finite-size scaling of the zero-frequency PR of phi (docs/finite_size.md).

    Left: PR/N against 1/N at a few g per activation: simulation points (open markers,
    mean +- s.e. over J), the N = infinity theory (filled marker at 1/N = 0) and the theory's
    1/N line p_inf + (p_0 + p_0_site) / N (solid). PR/N >= 0, so the axis starts at 0 (the 1/N
    line is an expansion and may cross 0 at small N near g = 1: it is cut there). Right: p_0
    fitted from the simulations, PR(N) = N p_inf + p_0, against g (open circles), with the
    predicted p_0(g) of the homogeneous linear-equivalent network (solid lines) and, at the
    grid's g, p_0 + p_0_site with the site-heterogeneity term (open diamonds, dashed;
    docs/finite_size.md §8.4). The y range covers every error bar.
    """
    from rnncorr.finite_size import fit_pr_scaling

    sigma2 = _noisy_sigma2(simulations)
    activations = list(simulations.activation.values)
    colors = _colors(activations)
    fit = fit_pr_scaling(simulations).sel(sigma2=sigma2, kind="zero_frequency", variable="phi")
    sizes = simulations.N.values.astype(float)
    stable = [g for g in simulations.g.values if 0 < g < 1]
    shown = stable[:: max(1, len(stable) // 2)][:3]
    extent: list[float] = []  # every plotted value +- its error bar, right panel
    with plt.rc_context(_style()):
        fig, (left, right) = plt.subplots(1, 2, figsize=(7.2, 3.9), constrained_layout=True)
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
                    label=f"{_name(activation)}, g = {g:g}",
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
            p_0_fit = fit.p_0.sel(activation=activation).values
            p_0_se = fit.p_0_se.sel(activation=activation).values
            finite = np.isfinite(p_0_fit)
            _points(
                right,
                fit.g.values[finite],
                p_0_fit[finite],
                p_0_se[finite],
                color=color,
                label=_name(activation),
                gid=f"fit:{activation}",
            )
            extent += list(p_0_fit[finite] - np.nan_to_num(p_0_se[finite]))
            extent += list(p_0_fit[finite] + np.nan_to_num(p_0_se[finite]))
            if theory is not None and activation in theory.activation.values:
                curve = theory.p_0.sel(activation=activation, sigma2=sigma2, variable="phi")
                _theory_line(
                    right, theory, curve, color=color, lw=1.1, gid=f"theory_p0:{activation}"
                )
                if "p_0_site" in theory:
                    site = theory.sel(activation=activation, sigma2=sigma2)
                    total = curve + site.p_0_site
                    known = np.isfinite(total.values)
                    site_se = np.nan_to_num(site.p_0_site_se.values[known])
                    right.errorbar(
                        total.g.values[known],
                        total.values[known],
                        yerr=site_se,
                        color=color,
                        marker="D",
                        mfc="white",
                        ms=3.5,
                        lw=0.8,
                        ls="--",
                        capsize=1.5,
                        gid=f"theory_p0_site:{activation}",
                    )
                    extent += list(total.values[known] - site_se)
                    extent += list(total.values[known] + site_se)
        left.set_xlabel(r"$1/N$")
        left.set_ylabel(r"$\mathrm{PR}_\phi/N$ (zero frequency)")
        left.set_ylim(bottom=0)
        left.set_title(rf"$\mathrm{{PR}}/N$ against $1/N$, $\sigma^2$ = {sigma2:g}")
        right.axhline(0, color="grey", lw=0.5)
        right.set_xlabel(r"coupling $g$")
        right.set_ylabel(r"$p_0$ in $\mathrm{PR} = N p_\infty + p_0$")
        right.set_title("1/N offset $p_0$")
        right.set_xlim(0, 1)
        finite_extent = np.asarray([v for v in extent if np.isfinite(v)])
        if finite_extent.size:
            low, high = finite_extent.min(), finite_extent.max()
            pad = 0.08 * (high - low) + 0.1
            right.set_ylim(low - pad, max(high, 0) + pad)
        handles = [Line2D([], [], color=c, lw=1.5, label=_name(a)) for a, c in colors.items()]
        handles += [
            Line2D(
                [], [], color="0.3", marker=MARKERS[k], mfc="white", ls="none", label=f"g = {g:g}"
            )
            for k, g in enumerate(shown)
        ]
        handles += [
            _sim_handle("left: simulation (mean ± s.e. over J)"),
            Line2D([], [], color="0.3", marker="o", ls="none", label="left: theory at N = ∞"),
            _line_handle(r"left: theory $p_\infty + p_0/N$"),
            _sim_handle(r"right: $p_0$ fitted to the simulations"),
            _line_handle(r"right: $p_0$ theory (homogeneous)"),
            Line2D(
                [],
                [],
                color="0.3",
                marker="D",
                mfc="white",
                ls="--",
                lw=0.8,
                label=r"right: $p_0 + p_{0,\mathrm{site}}$ theory",
            ),
        ]
        _legend_outside(fig, handles, ncols=4)
    return fig


def _collapse_curve(
    theory: xr.Dataset, label: str, g0: float, variable: str, kind: str = "zero_frequency"
):
    """Power law: large-N PR/N at fixed g0 against sigma2, from the dense-g theory at one sigma2.

    Every PR/N of the power law depends on (g, sigma2) only through u = sigma2 g^(-2/(1-alpha))
    (docs/science.md §5), so the theory at (g_i, s_ref) is the theory at (g0, s_i) with
    s_i = s_ref (g_i / g0)^(-2/(1-alpha)): a dense sigma2 axis without another solve. Returns
    (sigma2 values, PR/N, the reasons of those points) sorted by sigma2, or None.
    """
    from rnncorr.activations import activation_from_label

    alpha = activation_from_label(label).kwargs["alpha"]
    positive = [s for s in theory.sigma2.values if s > 0]
    if not positive:
        return None
    # the reference sigma2 with the most valid points (its dense g axis becomes the sigma2 axis)
    ref = max(
        positive,
        key=lambda s: int(np.isfinite(theory.pr_over_n.sel(activation=label, sigma2=s)).sum()),
    )
    curve = theory.pr_over_n.sel(activation=label, sigma2=ref, kind=kind, variable=variable)
    curve = curve.isel(g=curve.g.values > 0)
    sigma2 = ref * (curve.g.values / g0) ** (-2.0 / (1.0 - alpha))
    order = np.argsort(sigma2)
    return sigma2[order], curve.values[order], curve.isel(g=order)


#: rows of input_vs_output_dimension: (covariance kind, quantity)
_IO_ROWS = (("equal_time", "pr"), ("zero_frequency", "pr"), ("equal_time", "ratio"))


def _io_values(simulations, activation, n, kind, quantity, **selection):
    """Simulated PR/N of x and phi, or their ratio PR_x/PR_phi taken realization by realization
    (both from the same run, so the ratio's standard error is that of its own scatter)."""
    sel = {"activation": activation, "N": n, "kind": kind, **selection}
    values = simulations.pr_over_n.sel(**sel)
    dims = [d for d in values.dims if d not in ("variable", "realization")] + ["realization"]
    if quantity == "ratio":
        ratio = values.sel(variable="x") / values.sel(variable="phi")
        mean, se = mean_and_standard_error(ratio.transpose(*dims).values, axis=-1)
        return {"ratio": (mean, se)}
    return {
        variable: mean_and_standard_error(
            values.sel(variable=variable).transpose(*dims).values, axis=-1
        )
        for variable in ("phi", "x")
    }


def _io_marker(style: dict, color: str) -> dict:
    """Marker keywords of one quantity (``mfc: None`` means filled in the line colour)."""
    return {key: (color if value is None else value) for key, value in style.items()}


def plot_input_vs_output_dimension(
    simulations: xr.Dataset, theory: xr.Dataset | None = None
) -> plt.Figure:
    """Input against output dimension: PR_x/N and PR_phi/N (docs/science.md §3), theory lines
    and simulation points at the largest N.

    Rows: equal-time PR/N, zero-frequency PR/N (log axes; PR_phi solid with circles, PR_x dashed
    with squares) and the equal-time ratio PR_x/PR_phi. Columns: one per nonlinear activation
    against g, a colour per simulated sigma2 (for the linear network x = phi and the two
    coincide); last column, for the power law, the same against sigma2 at two fixed g, with the
    theory mapped from the dense g axis through the collapse variable (:func:`_collapse_curve`)
    and points at every simulated sigma2. What it shows: at zero frequency the two dimensions
    nearly coincide; at equal time the output's exceeds the input's, the more so the larger g
    and the weaker the noise (towards the chaotic limit PR_x/PR_phi ~ 0.48 of tanh at large g,
    docs/science.md §6): the noise level moves the input and output dimensions differently.
    """
    n = int(simulations.N.values.max())
    activations = [a for a in simulations.activation.values if not str(a).startswith("linear")]
    sigma2_all = [float(s) for s in simulations.sigma2.values if s > 0]
    sigma2_colors = {s: PALETTE[i % len(PALETTE)] for i, s in enumerate(sigma2_all)}
    powers = [a for a in activations if str(a).startswith("power")]
    g_grid = simulations.g.values
    g_fixed = sorted({float(min(g_grid, key=lambda v: abs(v - t))) for t in (0.6, 1.6)})
    g_colors = {g: PALETTE[(4 + i) % len(PALETTE)] for i, g in enumerate(g_fixed)}
    styles = {"phi": ("-", "o"), "x": ("--", "s"), "ratio": ("-", "D")}
    # x and phi nearly coincide at zero frequency: phi large open circles, x small filled squares
    # drawn on top, so that both stay visible
    marker_style = {"phi": {"ms": 5.0}, "x": {"ms": 2.6, "mfc": None}, "ratio": {}}
    columns = max(1, len(activations) + (1 if powers else 0))

    def theory_curve(activation, kind, quantity, sigma2):
        if theory is None or activation not in theory.activation.values:
            return {}
        if sigma2 not in theory.sigma2.values:
            return {}
        sel = theory.pr_over_n.sel(activation=activation, sigma2=sigma2, kind=kind)
        if quantity == "ratio":
            return {"ratio": sel.sel(variable="x") / sel.sel(variable="phi")}
        return {v: sel.sel(variable=v) for v in ("phi", "x")}

    with plt.rc_context(_style()):
        fig, axes = plt.subplots(
            len(_IO_ROWS),
            columns,
            figsize=(2.7 * columns, 2.2 * len(_IO_ROWS) + 0.9),
            squeeze=False,
            sharex="col",
            constrained_layout=True,
        )
        for col, activation in enumerate(activations):
            for row, (kind, quantity) in enumerate(_IO_ROWS):
                ax = axes[row, col]
                for sigma2 in sigma2_all:
                    color = sigma2_colors[sigma2]
                    points = _io_values(simulations, activation, n, kind, quantity, sigma2=sigma2)
                    if not any(np.isfinite(mean).any() for mean, _ in points.values()):
                        continue
                    for key, (mean, se) in points.items():
                        ls, marker = styles[key]
                        _points(
                            ax,
                            g_grid,
                            mean,
                            se,
                            marker=marker,
                            color=color,
                            gid=f"sim:{activation}:{kind}:{key}:{sigma2:g}",
                            **_io_marker(marker_style[key], color),
                        )
                    for key, curve in theory_curve(activation, kind, quantity, sigma2).items():
                        _theory_line(
                            ax,
                            theory,
                            curve,
                            color=color,
                            ls=styles[key][0],
                            lw=1.1,
                            gid=f"theory:{activation}:{kind}:{key}:{sigma2:g}",
                        )
                if row == 0:
                    ax.set_title(f"{_name(activation)}, N = {n}")
                if row == len(_IO_ROWS) - 1:
                    ax.set_xlabel(r"coupling $g$")
        if powers:
            col, label = columns - 1, powers[0]
            simulated = [
                s
                for s in sigma2_all
                if np.isfinite(simulations.pr_over_n.sel(activation=label, N=n, sigma2=s)).any()
            ]
            for row, (kind, quantity) in enumerate(_IO_ROWS):
                ax = axes[row, col]
                for g0 in g_fixed:
                    color = g_colors[g0]
                    points = _io_values(
                        simulations, label, n, kind, quantity, g=g0, sigma2=simulated
                    )
                    for key, (mean, se) in points.items():
                        _points(
                            ax,
                            simulated,
                            mean,
                            se,
                            marker=styles[key][1],
                            color=color,
                            gid=f"sim_sigma2:{label}:{kind}:{key}:g{g0:g}",
                            **_io_marker(marker_style[key], color),
                        )
                    if theory is None or label not in theory.activation.values:
                        continue
                    mapped = {v: _collapse_curve(theory, label, g0, v, kind) for v in ("phi", "x")}
                    if mapped["phi"] is None:
                        continue
                    s_axis = mapped["phi"][0]
                    shown = (s_axis >= min(simulated) / 3) & (s_axis <= max(simulated) * 3)
                    if quantity == "ratio":
                        curves = {"ratio": mapped["x"][2] / mapped["phi"][2]}
                    else:
                        curves = {v: mapped[v][2] for v in ("phi", "x")}
                    for key, curve in curves.items():
                        _theory_line(
                            ax,
                            theory,
                            curve.isel(g=shown),
                            x=s_axis[shown],
                            color=color,
                            ls=styles[key][0],
                            lw=1.1,
                            gid=f"theory_sigma2:{label}:{kind}:{key}:g{g0:g}",
                        )
                ax.set_xscale("log")
                _plain_log_ticks(ax.xaxis)
                if row == 0:
                    ax.set_title(rf"{_name(label)}: against $\sigma^2$")
                if row == len(_IO_ROWS) - 1:
                    ax.set_xlabel(r"noise intensity $\sigma^2$")
        for row, (kind, quantity) in enumerate(_IO_ROWS):
            for ax in axes[row]:
                if quantity == "ratio":
                    ax.axhline(1.0, color="0.6", lw=0.6, ls=":")
                    ax.set_ylabel(r"$\mathrm{PR}_x/\mathrm{PR}_\phi$, equal time")
                else:
                    ax.set_yscale("log")
                    ax.set_ylim(1e-3, 1.5)
                    _plain_log_ticks(ax.yaxis)
                    ax.set_ylabel(rf"$\mathrm{{PR}}/N$, {KIND_TITLES.get(kind, kind)}")
        handles = [
            _line_handle(r"output $\phi(x)$: theory", ls="-"),
            _line_handle(r"input $x$: theory", ls="--"),
            Line2D(
                [],
                [],
                color="0.3",
                marker="o",
                mfc="white",
                ls="none",
                label=r"output $\phi(x)$: simulation",
            ),
            Line2D(
                [],
                [],
                color="0.3",
                marker="s",
                ms=2.6,
                ls="none",
                label=r"input $x$: simulation",
            ),
            Line2D(
                [],
                [],
                color="0.3",
                marker="D",
                mfc="white",
                ls="-",
                lw=1.1,
                label=r"ratio $\mathrm{PR}_x/\mathrm{PR}_\phi$ (theory, simulation)",
            ),
        ]
        handles += [Patch(color=c, label=rf"$\sigma^2$ = {s:g}") for s, c in sigma2_colors.items()]
        if powers:
            handles += [
                Patch(color=c, label=rf"$g$ = {g:g} (against $\sigma^2$)")
                for g, c in g_colors.items()
            ]
        _legend_outside(fig, handles, ncols=4)
    return fig


FIGURES: dict[str, Callable[[xr.Dataset, xr.Dataset | None], plt.Figure]] = {
    "pr_vs_g": plot_pr_vs_g,
    "statistics_vs_g": plot_statistics_vs_g,
    "spectrum": plot_spectrum,
    "power_collapse": plot_power_collapse,
    "linear_vs_nonlinear": plot_linear_vs_nonlinear,
    "finite_size_scaling": plot_finite_size_scaling,
    "input_vs_output_dimension": plot_input_vs_output_dimension,
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
