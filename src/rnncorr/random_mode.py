r"""Random-mode connectivity: simulation and theory of the dimension of activity against rank.

docs/science.md §9, docs/random_mode.md. For one activation and size N, every cell
(g_eff, sigma2, connectivity) is simulated by :func:`rnncorr.simulate.simulate_realization`
with ``connectivity=RandomMode(...)`` (:func:`simulate_random_mode_cell`); the large-N theory
(:mod:`rnncorr.theory._random_mode`) is solved once per (g_eff, sigma2), the rank dependence
being closed form (:func:`random_mode_theory_dataset`); :func:`aggregate_random_mode` joins
both into one Dataset with dims ``(g_eff, sigma2, connectivity, kind, variable, realization)``.
:func:`random_mode_scan` does all three in memory. The workflow branch
(workflow/rules/random_mode.smk) reads the ``connectivity`` config section
(:func:`random_mode_plan`). :func:`random_mode_theory` is the ``rnncorr theory
--connectivity random_mode`` twin.

Seeding: realization r of a cell uses ``SeedSequence([seed, STREAM, key, r])`` with key a hash
of (activation, N, g_eff, sigma2, connectivity label); the simulation engine spawns it into
(J stream, noise stream), so :func:`rnncorr.simulate.realization_coupling` redraws exactly the
simulated J for the singular-value participation ratio.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

import numpy as np
import xarray as xr

from rnncorr.activations import Activation, get_activation
from rnncorr.config import (
    ConfigError,
    SimulationSettings,
    activation_from_entry,
    check_settings,
    format_value,
)
from rnncorr.connectivity import (
    Connectivity,
    RandomMode,
    singular_value_participation,
)
from rnncorr.estimators import STATISTIC_NAMES
from rnncorr.simulate import KINDS, VARIABLES, realization_coupling, simulate_realization
from rnncorr.theory._random_mode import rank_terms, solve_random_mode

__all__ = [
    "STREAM",
    "aggregate_random_mode",
    "cell_seed",
    "cell_summary",
    "connectivity_params",
    "random_mode_plan",
    "random_mode_scan",
    "random_mode_settings",
    "random_mode_theory",
    "random_mode_theory_dataset",
    "simulate_random_mode_cell",
    "sv_participation",
]

#: stream id mixed into the seed: random-mode runs never share random numbers with the grid
STREAM = 0x726D_6F64  # "rmod"
#: theory line: effective ranks alpha PR_D from 10^RANK_LINE[0] to 10^RANK_LINE[1]
RANK_LINE = (-2.5, 2.5, 101)
_SIM_KEYS = (
    "trajectories",
    "duration",
    "burn_in",
    "dt",
    "integrator",
    "blocks",
    "window",
    "extrapolate_window",
    "sample_interval",
    "float32",
    "backend",
    "device",
)


# ---------------------------------------------------------------------------------------------
# configuration
# ---------------------------------------------------------------------------------------------
def random_mode_settings(config: Mapping[str, Any]) -> SimulationSettings:
    """Simulation settings of the branch: ``simulation`` overridden by ``connectivity.simulation``.

    Checked by :func:`rnncorr.config.check_settings`, the one validator of the grid, the
    command line and the library; its message names the key the offending value came from:
    ``connectivity.simulation.<key>`` where the branch overrides it, ``simulation.<key>``
    where the branch inherits it, ``connectivity.realizations`` for the realizations.

    Raises
    ------
    ConfigError
        Naming that key and the allowed values when the merged settings are inconsistent.
    """
    section = config["connectivity"]
    overrides = dict(section.get("simulation", {}))
    merged = {k: v for k, v in config.get("simulation", {}).items() if k in _SIM_KEYS}
    merged.update(overrides)
    realizations = section["realizations"]
    settings = SimulationSettings(realizations=realizations, **merged)

    def key(name: str) -> str:
        if name == "realizations":
            return "config key 'connectivity.realizations'"
        if name in overrides:
            return f"config key 'connectivity.simulation.{name}'"
        return (
            f"config key 'simulation.{name}' (inherited by the connectivity branch; override "
            f"it in connectivity.simulation.{name})"
        )

    check_settings(settings, key)
    return settings


def random_mode_plan(config: Mapping[str, Any]) -> dict[str, Any]:
    """Activation, N, g_eff, sigma2, connectivities and settings of a validated config.

    Raises
    ------
    ConfigError
        For an invalid activation entry, alpha N < 0.5 (no mode), or inconsistent settings.
    """
    section = config["connectivity"]
    try:
        activation = activation_from_entry(section["activation"])
    except ValueError as exc:
        raise ConfigError(f"invalid config key 'connectivity.activation': {exc}") from None
    n = int(section["N"])
    betas = section["beta"] if section["spectrum"] == "exponential" else [None]
    connectivities = []
    for beta in betas:
        for alpha in section["modes_ratio"]:
            params = {
                "modes_ratio": float(alpha),
                "spectrum": section["spectrum"],
                "overlap": float(section["overlap"]),
                "step_fraction": float(section["step_fraction"]),
            }
            if beta is not None:
                params["beta"] = float(beta)
            if round(alpha * n) < 1:
                raise ConfigError(
                    f"invalid config key 'connectivity.modes_ratio': alpha = {alpha} gives "
                    f"round(alpha N) = 0 modes at N = {n}; allowed: alpha >= 0.5 / N"
                )
            connectivities.append(RandomMode(**params))
    labels = [c.label for c in connectivities]
    if len(set(labels)) != len(labels):
        raise ConfigError(
            "invalid config key 'connectivity.modes_ratio': values coincide at 6 significant "
            f"digits ({', '.join(labels)}); allowed: distinct values"
        )
    return {
        "activation": activation,
        "activation_entry": dict(section["activation"]),
        "N": n,
        "g_eff": [float(g) for g in section["g_eff"]],
        "sigma2": [float(s) for s in section["sigma2"]],
        "connectivities": connectivities,
        "settings": random_mode_settings(config),
        "seed": int(config.get("seed", 0)),
    }


def connectivity_params(connectivity: RandomMode) -> dict[str, Any]:
    """JSON-serialisable parameters; ``RandomMode(**connectivity_params(c)) == c``."""
    return asdict(connectivity)


# ---------------------------------------------------------------------------------------------
# simulation
# ---------------------------------------------------------------------------------------------
def _cell_key(activation: Activation, n: int, g_eff: float, sigma2: float, label: str) -> int:
    path = f"{activation.label}/N{n}/g{format_value(g_eff)}_sigma2_{format_value(sigma2)}/{label}"
    return int(hashlib.sha256(path.encode()).hexdigest()[:16], 16)


def cell_seed(
    seed: int,
    activation: Activation,
    n: int,
    g_eff: float,
    sigma2: float,
    connectivity: Connectivity,
    realization: int,
) -> np.random.SeedSequence:
    """SeedSequence of one realization (see the module docstring)."""
    key = _cell_key(activation, n, g_eff, sigma2, connectivity.label)
    return np.random.SeedSequence([int(seed), STREAM, key, int(realization)])


def sv_participation(coupling: np.ndarray) -> float:
    """(sum_k s_k^2)^2 / (N sum_k s_k^4) of the singular values of J (no SVD: traces)."""
    n = coupling.shape[0]
    s2 = float(np.sum(coupling * coupling))
    gram = coupling @ coupling.T
    return s2 * s2 / (n * float(np.sum(gram * gram)))


def simulate_random_mode_cell(
    activation: Activation,
    n: int,
    g_eff: float,
    sigma2: float,
    connectivity: RandomMode,
    settings: SimulationSettings,
    seed: int,
    threads: int | None = None,
) -> xr.Dataset:
    r"""Simulate ``settings.realizations`` random-mode networks of one cell.

    Returns
    -------
    xarray.Dataset
        ``a cbar nc2 pr_over_n pr_over_n_naive`` (kind, variable, realization), ``diverged`` and
        ``sv_participation`` (realization), ``wall_time``; scalar coordinates g_eff, sigma2,
        connectivity (label), N; attributes: connectivity parameters, settings, seed.
    """
    from rnncorr.threads import blas_threads

    r_count = settings.realizations
    shape = (len(KINDS), len(VARIABLES), r_count)
    stats = {name: np.full(shape, np.nan) for name in STATISTIC_NAMES}
    diverged = np.zeros(r_count, dtype=np.int8)
    sv = np.full(r_count, np.nan)
    wall = np.zeros(r_count)
    with blas_threads(threads):
        for r in range(r_count):
            ss = cell_seed(seed, activation, n, g_eff, sigma2, connectivity, r)
            sv[r] = sv_participation(realization_coupling(ss, n, g_eff, connectivity))
            res = simulate_realization(
                activation, n, g_eff, sigma2, settings, ss, connectivity=connectivity
            )
            diverged[r], wall[r] = int(res.diverged), res.wall_time
            for i, kind in enumerate(KINDS):
                for j, var in enumerate(VARIABLES):
                    for name in STATISTIC_NAMES:
                        stats[name][i, j, r] = res.statistics[kind][var].get(name, np.nan)
    dims = ("kind", "variable", "realization")
    data = {name: (dims, values) for name, values in stats.items()}
    data["diverged"] = (("realization",), diverged)
    data["sv_participation"] = (
        ("realization",),
        sv,
        {"long_name": "(sum s^2)^2 / (N sum s^4), singular values of the simulated J"},
    )
    data["wall_time"] = (("realization",), wall, {"units": "s"})
    coords = {
        "kind": list(KINDS),
        "variable": list(VARIABLES),
        "realization": np.arange(r_count),
        "g_eff": float(g_eff),
        "sigma2": float(sigma2),
        "connectivity": connectivity.label,
        "N": int(n),
    }
    attrs = {
        "activation": activation.label,
        "activation_name": activation.name,
        "activation_params": json.dumps(activation.kwargs, sort_keys=True),
        "connectivity_params": json.dumps(connectivity_params(connectivity), sort_keys=True),
        "settings": json.dumps(settings.as_dict(), sort_keys=True),
        "seed": int(seed),
    }
    return xr.Dataset(data, coords=coords, attrs=attrs)


def cell_summary(ds: xr.Dataset) -> str:
    """Text summary of one cell (``rnncorr simulate --connectivity random_mode``)."""
    diverged = int(ds.diverged.sum())
    lines = [
        f"{ds.attrs.get('activation', '')} N={int(ds.N)} g_eff={float(ds.g_eff):g} "
        f"sigma2={float(ds.sigma2):g} {str(ds.connectivity.values)}: "
        f"{ds.sizes['realization']} realization(s), {diverged} diverged",
        f"  singular-value participation: {float(np.nanmean(ds.sv_participation)):.5g}",
    ]
    for kind in KINDS:
        for var in VARIABLES:
            parts = []
            for stat in ("a", "nc2", "pr_over_n"):
                v = ds[stat].sel(kind=kind, variable=var).values
                v = v[np.isfinite(v)]
                se = v.std(ddof=1) / math.sqrt(v.size) if v.size > 1 else math.nan
                parts.append(f"{stat} = {v.mean() if v.size else math.nan:.5g} +- {se:.2g}")
            lines.append(f"  {kind:>14s} {var:>3s}: " + ", ".join(parts))
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# theory
# ---------------------------------------------------------------------------------------------
def _connectivity_coords(connectivities: Sequence[RandomMode], n: int | None) -> dict[str, Any]:
    dim = ("connectivity",)
    coords: dict[str, Any] = {
        "connectivity": [c.label for c in connectivities],
        "modes_ratio": (dim, [c.modes_ratio for c in connectivities]),
        "spectrum": (dim, [c.spectrum for c in connectivities]),
        "beta": (dim, [c.beta if c.spectrum == "exponential" else np.nan for c in connectivities]),
        "step_fraction": (
            dim,
            [c.step_fraction if c.spectrum == "step" else np.nan for c in connectivities],
        ),
        "overlap": (dim, [c.overlap for c in connectivities]),
        "participation_ratio_d": (dim, [c.participation_ratio_d for c in connectivities]),
        "effective_rank": (dim, [c.effective_rank for c in connectivities]),
    }
    if n is not None:
        coords["effective_rank_n"] = (dim, [c.effective_rank_at(n) for c in connectivities])
    return coords


def random_mode_theory_dataset(
    activation: Activation,
    g_eff: Sequence[float],
    sigma2: Sequence[float],
    connectivities: Sequence[RandomMode],
    n: int | None = None,
    rank_line: Sequence[float] | None = None,
) -> xr.Dataset:
    r"""Large-N theory of the scan: (RM) at every connectivity, and as a line in alpha PR_D.

    Parameters
    ----------
    activation : Activation
    g_eff, sigma2 : sequence of float
        Axes of the scan.
    connectivities : sequence of RandomMode
        The scan's connectivities (theory at ``effective_rank_n`` when ``n`` is given, the
        alpha PR_D of the modes actually drawn at size n, else at ``effective_rank``).
    n : int, optional
        Network size of the simulations (also selects the finite-N singular-value formula).
    rank_line : sequence of float, optional
        alpha PR_D of the theory line (default: logspace(*RANK_LINE)).

    Returns
    -------
    xarray.Dataset
        ``theory_<stat>`` (g_eff, sigma2, connectivity, kind, variable); ``line_pr_over_n``
        (g_eff, sigma2, line_rank, kind, variable); ``iid_pr_over_n`` and ``low_rank_k`` (g_eff,
        sigma2, kind, variable); ``sv_participation_theory`` (connectivity, large N) and
        ``sv_participation_theory_n`` (finite N); ``theory_valid`` and ``theory_reason``.
    """
    line = np.asarray(rank_line if rank_line is not None else np.logspace(*RANK_LINE), float)
    g_eff, sigma2 = [float(v) for v in g_eff], [float(v) for v in sigma2]
    shape_c = (len(g_eff), len(sigma2), len(connectivities), len(KINDS), len(VARIABLES))
    shape_l = (len(g_eff), len(sigma2), line.size, len(KINDS), len(VARIABLES))
    shape_g = (len(g_eff), len(sigma2), len(KINDS), len(VARIABLES))
    theory = {name: np.full(shape_c, np.nan) for name in ("a", "cbar", "nc2", "pr_over_n")}
    line_pr, iid_pr, low_k = (
        np.full(shape_l, np.nan),
        np.full(shape_g, np.nan),
        np.full(shape_g, np.nan),
    )
    valid = np.zeros(shape_c[:3], dtype=np.int8)
    reasons = np.full(shape_c[:3], "", dtype=object)
    for i, g in enumerate(g_eff):
        for j, s2 in enumerate(sigma2):
            terms = rank_terms(activation, g, s2)
            k_coef = terms.low_rank_coefficient()
            for a, kind in enumerate(KINDS):
                for b, var in enumerate(VARIABLES):
                    iid_pr[i, j, a, b] = terms.iid.statistics[kind][var]["pr_over_n"]
                    low_k[i, j, a, b] = k_coef[kind][var]
            for m, rank in enumerate(line):
                st = terms.statistics(float(rank))
                for a, kind in enumerate(KINDS):
                    for b, var in enumerate(VARIABLES):
                        line_pr[i, j, m, a, b] = st[kind][var]["pr_over_n"]
            for c, conn in enumerate(connectivities):
                rank = conn.effective_rank_at(n) if n is not None else conn.effective_rank
                if conn.overlap:
                    res = solve_random_mode(activation, g, s2, conn, terms)
                else:
                    res = solve_random_mode(activation, g, s2, float(rank), terms)
                valid[i, j, c] = int(res.valid)
                reasons[i, j, c] = res.reason or ""
                for a, kind in enumerate(KINDS):
                    for b, var in enumerate(VARIABLES):
                        for name in theory:
                            theory[name][i, j, c, a, b] = res.statistics[kind][var][name]
    dims = ("g_eff", "sigma2", "connectivity", "kind", "variable")
    data: dict[str, Any] = {
        f"theory_{name}": (dims, values, {"long_name": f"large-N {name}, random mode (RM)"})
        for name, values in theory.items()
    }
    data["line_pr_over_n"] = (
        ("g_eff", "sigma2", "line_rank", "kind", "variable"),
        line_pr,
        {"long_name": "large-N PR/N against alpha PR_D (RM-PR)"},
    )
    data["iid_pr_over_n"] = (
        ("g_eff", "sigma2", "kind", "variable"),
        iid_pr,
        {"long_name": "large-N PR/N of iid J at g_eff (alpha PR_D -> inf)"},
    )
    data["low_rank_k"] = (
        ("g_eff", "sigma2", "kind", "variable"),
        low_k,
        {"long_name": "K of the low-rank limit PR/N -> K alpha PR_D"},
    )
    data["theory_valid"] = (dims[:3], valid)
    data["theory_reason"] = (dims[:3], reasons.astype(str))
    data["sv_participation_theory"] = (
        ("connectivity",),
        [
            singular_value_participation(c.modes_ratio, c.participation_ratio_d)
            for c in connectivities
        ],
        {"long_name": "alpha PR_D / (1 + 2 alpha PR_D)"},
    )
    if n is not None:
        data["sv_participation_theory_n"] = (
            ("connectivity",),
            [
                singular_value_participation(c.n_modes(n) / n, c.participation_ratio_d_at(n), n)
                for c in connectivities
            ],
            {"long_name": "ratio of expectations at finite N (docs/random_mode.md §2)"},
        )
    coords = {
        "g_eff": g_eff,
        "sigma2": sigma2,
        "line_rank": line,
        "kind": list(KINDS),
        "variable": list(VARIABLES),
        **_connectivity_coords(connectivities, n),
    }
    attrs = {"activation": activation.label, "model": "docs/science.md §9, docs/random_mode.md"}
    return xr.Dataset(data, coords=coords, attrs=attrs)


def random_mode_theory(
    activation: Activation, g_eff: float, sigma2: float, connectivity: Connectivity
) -> dict[str, Any]:
    """JSON object of ``rnncorr theory --connectivity random_mode``.

    The usual theory object (:meth:`TheoryResult.to_dict`; its ``g_eff`` stays g S0) plus
    ``effective_rank`` (alpha PR_D), ``low_rank_k`` and ``connectivity`` (kind, label,
    parameters, ``g_eff`` = the connectivity gain, PR_D, singular-value participation).
    """
    if not isinstance(connectivity, RandomMode):
        from rnncorr.theory import solve

        return {**solve(activation, g_eff, sigma2).to_dict(), "connectivity": {"kind": "iid"}}
    terms = rank_terms(activation, g_eff, sigma2)
    result = solve_random_mode(activation, g_eff, sigma2, connectivity, terms)
    out = result.to_dict()
    out["effective_rank"] = connectivity.effective_rank
    out["low_rank_k"] = {
        kind: {var: (v if math.isfinite(v) else None) for var, v in per.items()}
        for kind, per in terms.low_rank_coefficient().items()
    }
    out["connectivity"] = {
        **connectivity_params(connectivity),
        "label": connectivity.label,
        "g_eff": float(g_eff),
        "participation_ratio_d": connectivity.participation_ratio_d,
        "effective_rank": connectivity.effective_rank,
        "sv_participation": singular_value_participation(
            connectivity.modes_ratio, connectivity.participation_ratio_d
        ),
    }
    return out


# ---------------------------------------------------------------------------------------------
# aggregation
# ---------------------------------------------------------------------------------------------
def _load(part: str | xr.Dataset) -> xr.Dataset:
    if isinstance(part, xr.Dataset):
        return part
    with xr.open_dataset(part) as opened:
        return opened.load()


def aggregate_random_mode(
    cells: Sequence[str | xr.Dataset],
    theory: str | xr.Dataset,
    config: Mapping[str, Any] | None = None,
) -> xr.Dataset:
    """Join cell datasets and the theory dataset; dims (g_eff, sigma2, connectivity, ...).

    Cells missing from the theory's (g_eff, sigma2, connectivity) axes are an error; axes
    follow the theory dataset. Attributes: :func:`rnncorr.io.provenance` (with the
    ``connectivity`` config section when given).
    """
    from rnncorr import io

    th = _load(theory)
    parts = [_load(c) for c in cells]
    if not parts:
        raise ValueError("aggregate_random_mode: no cell datasets")
    r_count = max(int(p.sizes["realization"]) for p in parts)
    shape = (th.sizes["g_eff"], th.sizes["sigma2"], th.sizes["connectivity"])
    names = [*STATISTIC_NAMES]
    sim = {name: np.full((*shape, len(KINDS), len(VARIABLES), r_count), np.nan) for name in names}
    diverged = np.zeros((*shape, r_count), dtype=np.int8)
    sv = np.full((*shape, r_count), np.nan)
    index = {
        "g_eff": {float(v): i for i, v in enumerate(th.g_eff.values)},
        "sigma2": {float(v): i for i, v in enumerate(th.sigma2.values)},
        "connectivity": {str(v): i for i, v in enumerate(th.connectivity.values)},
    }
    for p in parts:
        try:
            at = (
                index["g_eff"][float(p.g_eff)],
                index["sigma2"][float(p.sigma2)],
                index["connectivity"][str(p.connectivity.values)],
            )
        except KeyError as exc:
            raise ValueError(
                f"aggregate_random_mode: cell {exc} is not on the theory's axes"
            ) from None
        nr = int(p.sizes["realization"])
        for name in names:
            sim[name][at][..., :nr] = p[name].transpose("kind", "variable", "realization").values
        diverged[at][:nr] = p.diverged.values
        sv[at][:nr] = p.sv_participation.values
    dims = ("g_eff", "sigma2", "connectivity", "kind", "variable", "realization")
    out = th.copy()
    for name in names:
        out[name] = (dims, sim[name], {"long_name": f"simulated {name} (cross-block estimator)"})
    out["diverged"] = (dims[:3] + ("realization",), diverged)
    out["sv_participation"] = (dims[:3] + ("realization",), sv)
    out = out.assign_coords(realization=np.arange(r_count), N=int(parts[0].N))
    extra: dict[str, Any] = {
        "settings": parts[0].attrs.get("settings", "{}"),
        "activation": th.attrs.get("activation", ""),
        "seed": str(parts[0].attrs.get("seed", "")),
    }
    if config is not None and "connectivity" in config:
        extra["config"] = config["connectivity"]
    out.attrs = {**io.provenance(**extra), "model": "docs/science.md §9, docs/random_mode.md"}
    return out


def random_mode_scan(
    activation: Activation | str,
    n: int,
    g_eff: Sequence[float],
    sigma2: Sequence[float],
    connectivities: Sequence[RandomMode],
    settings: SimulationSettings,
    seed: int = 0,
    threads: int | None = None,
) -> xr.Dataset:
    """Simulations and theory of a whole scan, in memory (see :func:`aggregate_random_mode`)."""
    act = get_activation(activation) if isinstance(activation, str) else activation
    cells = [
        simulate_random_mode_cell(act, n, g, s2, conn, settings, seed, threads)
        for g in g_eff
        for s2 in sigma2
        for conn in connectivities
    ]
    theory = random_mode_theory_dataset(act, g_eff, sigma2, connectivities, n)
    return aggregate_random_mode(cells, theory)
