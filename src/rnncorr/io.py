"""Data model on disk: one netCDF file per grid cell, the aggregate, the theory, provenance.

Per-cell simulation file (``results/sims/<activation>/N<N>/g<g>_sigma2_<sigma2>.nc``)::

    a, cbar, nc2, pr_over_n, pr_over_n_naive   (realization, kind, variable)
    eigenvalues                                (realization, kind, variable, mode)
    diverged, diverged_at                      (realization)
    scalar coordinates: activation (label), N, g, sigma2

with ``kind`` in (zero_frequency, equal_time) and ``variable`` in (x, phi). The aggregate
``results/simulations.nc`` has dims (activation, N, g, sigma2, realization, kind, variable[, mode]);
``results/theory.nc`` has dims (activation, g, sigma2, kind, variable) with the same coordinate
names, so ``xr.align(sim, theory, join="inner")`` works without renaming.

Every file carries its provenance in its attributes (package version, git commit, parameters,
seed, settings, estimator) and is written atomically (temporary file, then rename), so an
interrupted job never leaves a half-written output that Snakemake would take as complete.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from rnncorr import __version__
from rnncorr.config import Cell, SimulationSettings
from rnncorr.estimators import STATISTIC_NAMES

__all__ = [
    "DATA_VARIABLES",
    "ProvenanceError",
    "aggregate_cells",
    "cell_dataset",
    "check_cell_dataset",
    "git_commit",
    "merge_theory",
    "provenance",
    "publish",
    "run_summary",
    "theory_dataset",
    "write_netcdf",
]

KINDS = ("zero_frequency", "equal_time")
VARIABLES = ("x", "phi")
#: data variables every per-cell file must have
DATA_VARIABLES: tuple[str, ...] = (*STATISTIC_NAMES, "eigenvalues", "diverged", "diverged_at")

ESTIMATOR = (
    "cross-block: tr C^2, (tr C)^2 and sum_{i!=j} C_ij^2 from products of covariances of "
    "different disjoint time blocks (unbiased in the sampling noise); pr_over_n_naive is the "
    "uncorrected plug-in value"
)

_LONG_NAMES = {
    "a": ("mean autocovariance (1/N) tr C", "same as y^2"),
    "cbar": ("mean cross-covariance over i != j", "same as y^2"),
    "nc2": ("N times mean squared cross-covariance over i != j", "same as y^4"),
    "pr_over_n": ("participation ratio (tr C)^2 / tr C^2 over N, cross-block", "1"),
    "pr_over_n_naive": ("participation ratio over N, plug-in (biased low)", "1"),
}


class ProvenanceError(ValueError):
    """A per-cell file that does not match the configuration that should have produced it."""


def git_commit() -> str:
    """The source tree's git commit (with ``-dirty`` if modified), or ``unknown``."""
    root = Path(__file__).resolve().parents[2]
    try:
        sha = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return sha + ("-dirty" if dirty else "")


def provenance(**extra: Any) -> dict[str, str]:
    """netCDF attributes naming what produced a file; mappings are stored as JSON strings."""
    attrs = {
        "rnncorr_version": __version__,
        "git_commit": git_commit(),
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "source": "rnncorr (statistics of correlations in random nonlinear recurrent networks)",
    }
    for key, value in extra.items():
        attrs[key] = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return attrs


def cell_dataset(result: Any, config: Mapping[str, Any] | None = None) -> xr.Dataset:
    """Dataset of one simulated cell (a :class:`rnncorr.simulate.CellResult`)."""
    cell: Cell = result.cell
    settings: SimulationSettings = result.settings
    reals = result.realizations
    data: dict[str, Any] = {}
    for stat in STATISTIC_NAMES:
        values = np.array(
            [[[r.statistics[k][v][stat] for v in VARIABLES] for k in KINDS] for r in reals]
        )
        long_name, units = _LONG_NAMES[stat]
        data[stat] = (
            ("realization", "kind", "variable"),
            values,
            {"long_name": long_name, "units": units},
        )
    eig = np.array([[[r.eigenvalues[k][v] for v in VARIABLES] for k in KINDS] for r in reals])
    data["eigenvalues"] = (
        ("realization", "kind", "variable", "mode"),
        eig,
        {"long_name": "eigenvalues of the pooled covariance, descending"},
    )
    data["diverged"] = (
        ("realization",),
        np.array([r.diverged for r in reals], dtype=np.int8),
        {"long_name": "1 if the realization ran away (NaN statistics)"},
    )
    data["diverged_at"] = (
        ("realization",),
        np.array([r.diverged_at for r in reals]),
        {"long_name": "time at which divergence was detected", "units": "time constants"},
    )
    coords = {
        "realization": np.arange(len(reals)),
        "kind": list(KINDS),
        "variable": list(VARIABLES),
        "mode": np.arange(cell.N),
        "activation": cell.activation.label,
        "N": cell.N,
        "g": cell.g,
        "sigma2": cell.sigma2,
    }
    window = settings.steps_per_window * settings.dt
    attrs = provenance(
        cell=cell.params(),
        seed=str(result.seed),
        settings=settings.as_dict(),
        estimator=ESTIMATOR,
        zero_frequency_window_correction=(
            f"Richardson extrapolation 2 C(2W) - C(W), W = {window:g}"
            if settings.extrapolate_window
            else f"none: window W = {window:g}, bias ~ -tau_c/W"
        ),
        **({"config": dict(config)} if config is not None else {}),
    )
    return xr.Dataset(data, coords=coords, attrs=attrs)


def publish(tmp: str | Path, path: str | Path) -> None:
    """Give a finished temporary file the usual permissions (mkstemp makes it 0600), then
    rename it onto ``path`` atomically."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    os.replace(tmp, path)


def write_netcdf(dataset: xr.Dataset, path: str | Path) -> Path:
    """Write atomically: a temporary file in the same folder, then ``os.replace``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    try:
        dataset.to_netcdf(tmp, engine="netcdf4")
        publish(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def check_cell_dataset(
    dataset: xr.Dataset, path: str | Path, cell: Cell, settings: SimulationSettings, seed: int
) -> None:
    """Raise :class:`ProvenanceError` if a per-cell file is incomplete or foreign to the config."""
    hint = (
        f"delete it or rerun with `snakemake --forcerun simulate` "
        f"(or `--rerun-incomplete`) to rebuild it: {path}"
    )
    missing = [name for name in DATA_VARIABLES if name not in dataset.data_vars]
    if missing:
        raise ProvenanceError(f"cell file lacks variable(s) {', '.join(missing)}; {hint}")
    try:
        stored_cell = json.loads(dataset.attrs["cell"])
        stored_settings = json.loads(dataset.attrs["settings"])
        stored_seed = int(dataset.attrs["seed"])
    except (KeyError, ValueError) as exc:
        raise ProvenanceError(f"cell file has no readable provenance ({exc}); {hint}") from None
    if stored_cell != cell.params():
        raise ProvenanceError(
            f"cell file holds parameters {stored_cell}, expected {cell.params()}; {hint}"
        )
    if stored_settings != settings.as_dict() or stored_seed != seed:
        raise ProvenanceError(
            f"cell file was made with other settings or seed (seed {stored_seed}, expected "
            f"{seed}); {hint}"
        )
    if dataset.sizes.get("realization") != settings.realizations:
        raise ProvenanceError(f"cell file has the wrong number of realizations; {hint}")


def aggregate_cells(
    paths: Sequence[str | Path],
    cells: Sequence[Cell] | None = None,
    settings: SimulationSettings | None = None,
    seed: int | None = None,
    config: Mapping[str, Any] | None = None,
) -> xr.Dataset:
    """Combine per-cell files into one dataset on (activation, N, g, sigma2, ...).

    With ``cells``, ``settings`` and ``seed`` given, each file's provenance is checked against
    them first (:func:`check_cell_dataset`); the error names the offending file.
    """
    datasets = []
    for index, path in enumerate(paths):
        try:
            with xr.open_dataset(path, engine="netcdf4") as opened:
                # on-disk encodings (e.g. a <U6 string width) must not leak into the aggregate
                dataset = opened.load().drop_encoding()
        except (OSError, ValueError, RuntimeError) as exc:
            raise ProvenanceError(
                f"cannot read cell file {path} ({exc}); delete it or rerun with "
                "`snakemake --rerun-incomplete` to rebuild it"
            ) from None
        if cells is not None:
            check_cell_dataset(dataset, path, cells[index], settings, seed)
        dataset.attrs = {}
        datasets.append(dataset.expand_dims(("activation", "N", "g", "sigma2")))
    # cells of different N have spectra of different length: pad every one to the largest N
    # (NaN), so that combining does not broadcast the statistics over a ragged mode axis
    modes = np.arange(max(dataset.sizes["mode"] for dataset in datasets))
    datasets = [dataset.reindex(mode=modes) for dataset in datasets]
    try:
        combined = xr.combine_by_coords(datasets, combine_attrs="drop", join="outer")
    except ValueError:
        # grid.extra cells do not fill a hypercube: merge instead, NaN where no cell was run
        combined = xr.merge(datasets, join="outer", compat="no_conflicts", combine_attrs="drop")
    combined.attrs = provenance(
        cells=len(datasets),
        **({"config": dict(config)} if config is not None else {}),
        estimator=ESTIMATOR,
    )
    return combined


def theory_dataset(
    results: Iterable[Any],
    activations: Sequence[str],
    g_values: Sequence[float],
    sigma2_values: Sequence[float],
    settings: Mapping[str, Any] | None = None,
    site_offsets: Mapping[tuple[str, float, float], tuple[float, float]] | None = None,
) -> xr.Dataset:
    """Theory results (:class:`rnncorr.theory.TheoryResult`) on (activation, g, sigma2, kind,
    variable).

    ``site_offsets`` maps (activation, g, sigma2) to the site term of p_0 and its standard error
    (``rnncorr.theory._heterogeneous.site_offsets``): variables ``p_0_site``, ``p_0_site_se``
    (of phi; NaN where not given).
    """
    shape = (len(activations), len(g_values), len(sigma2_values))
    stats = {s: np.full((*shape, len(KINDS), len(VARIABLES)), np.nan) for s in STATISTIC_NAMES[:4]}
    scalars = {s: np.full(shape, np.nan) for s in ("delta0", "s0", "g_eff")}
    corrections = {c: np.full((*shape, len(VARIABLES)), np.nan) for c in ("p_0", "a_1", "nc2_1")}
    valid = np.zeros(shape, dtype=np.int8)
    reason = np.full(shape, "", dtype=object)
    index = {
        (a, float(g), float(s)): (i, j, k)
        for i, a in enumerate(activations)
        for j, g in enumerate(g_values)
        for k, s in enumerate(sigma2_values)
    }
    for result in results:
        i, j, k = index[(result.activation, float(result.g), float(result.sigma2))]
        for name in scalars:
            scalars[name][i, j, k] = getattr(result, name)
        valid[i, j, k] = result.valid
        reason[i, j, k] = result.reason or ""
        for n, var in enumerate(VARIABLES):
            for name, values in corrections.items():
                values[i, j, k, n] = result.corrections.get(var, {}).get(name, np.nan)
        for m, kind in enumerate(KINDS):
            for n, var in enumerate(VARIABLES):
                for stat in stats:
                    stats[stat][i, j, k, m, n] = result.statistics[kind][var][stat]
    dims = ("activation", "g", "sigma2")
    data: dict[str, Any] = {
        name: ((*dims, "kind", "variable"), values, {"long_name": _LONG_NAMES[name][0]})
        for name, values in stats.items()
    }
    for name, long_name in (
        ("p_0", "zero-frequency E[PR] = N pr_over_n + p_0 + O(1/N): the 1/N offset"),
        ("a_1", "zero-frequency E[a] = a + a_1 / N + O(1/N^2)"),
        ("nc2_1", "zero-frequency E[nc2] = nc2 + nc2_1 / N + O(1/N^2)"),
    ):
        data[name] = ((*dims, "variable"), corrections[name], {"long_name": long_name})
    site = {name: np.full(shape, np.nan) for name in ("p_0_site", "p_0_site_se")}
    for (activation, g, sigma2), (mean, se) in (site_offsets or {}).items():
        i, j, k = index[(activation, float(g), float(sigma2))]
        site["p_0_site"][i, j, k], site["p_0_site_se"][i, j, k] = mean, se
    data["p_0_site"] = (
        dims,
        site["p_0_site"],
        {
            "long_name": "site-heterogeneity term of p_0 of phi, E[PR_het - PR_hom] "
            "(docs/finite_size.md §8.4); p_0 + p_0_site is the nonlinear 1/N offset"
        },
    )
    data["p_0_site_se"] = (dims, site["p_0_site_se"], {"long_name": "standard error of p_0_site"})
    data["delta0"] = (dims, scalars["delta0"], {"long_name": "single-site variance <x^2>"})
    data["s0"] = (dims, scalars["s0"], {"long_name": "mean gain <phi'(x)>"})
    data["g_eff"] = (dims, scalars["g_eff"], {"long_name": "effective coupling g <phi'>"})
    data["valid"] = (dims, valid, {"long_name": "1 where a stationary large-N solution exists"})
    data["reason"] = (dims, reason.astype(str), {"long_name": "why a solution is invalid"})
    coords = {
        "activation": list(activations),
        "g": np.asarray(g_values, dtype=float),
        "sigma2": np.asarray(sigma2_values, dtype=float),
        "kind": list(KINDS),
        "variable": list(VARIABLES),
    }
    return xr.Dataset(data, coords=coords, attrs=provenance(theory_settings=dict(settings or {})))


def _reindex_sigma2(dataset: xr.Dataset, sigma2: list[float]) -> xr.Dataset:
    """A theory dataset on a wider sigma2 axis: NaN, valid 0 and reason "not_computed" there."""
    fill: dict[str, Any] = {}
    for name, variable in dataset.data_vars.items():
        if "sigma2" not in variable.dims:
            continue
        if variable.dtype.kind in "USO":
            fill[name] = "not_computed"
        elif variable.dtype.kind in "iub":
            fill[name] = 0
        else:
            fill[name] = np.nan
    return dataset.reindex(sigma2=sigma2, fill_value=fill)


def merge_theory(paths: Sequence[str | Path]) -> xr.Dataset:
    """Concatenate per-activation theory files along ``activation``, with fresh provenance."""
    datasets = []
    for path in paths:
        with xr.open_dataset(path, engine="netcdf4") as opened:
            # on-disk encodings (e.g. a <U6 string width) must not leak into the merged file
            datasets.append(opened.load().drop_encoding())
    # activations may be solved at different sigma2 (grid.extra): the union, NaN elsewhere,
    # with reason "not_computed" so that no reader takes the gap for a failure of the theory
    sigma2 = sorted({float(s) for dataset in datasets for s in dataset.sigma2.values})
    if any(dataset.sizes["sigma2"] != len(sigma2) for dataset in datasets):
        datasets = [_reindex_sigma2(dataset, sigma2) for dataset in datasets]
    merged = xr.concat(datasets, dim="activation", combine_attrs="drop")
    merged.attrs = provenance(theory_settings=datasets[0].attrs.get("theory_settings", "{}"))
    return merged


def run_summary(simulations: str | Path, theory: str | Path | None = None) -> str:
    """Human summary of numerical faults: diverged realizations, invalid theory points."""
    lines = []
    with xr.open_dataset(simulations) as sim:
        diverged = sim.diverged.load()
        total = int(diverged.count())
        bad = int(diverged.sum())
        lines.append(f"simulations: {total} realizations, {bad} diverged")
        if bad:
            per_cell = diverged.sum("realization")
            for index in zip(*np.nonzero(per_cell.values > 0), strict=True):
                point = {
                    dim: per_cell[dim].values[i]
                    for dim, i in zip(per_cell.dims, index, strict=True)
                }
                lines.append(
                    "  diverged: "
                    + ", ".join(f"{k}={v}" for k, v in point.items())
                    + f" ({int(per_cell.values[index])} of {sim.sizes['realization']})"
                )
    if theory is not None and Path(theory).exists():
        with xr.open_dataset(theory) as th:
            valid = th.valid.load()
            reasons = th.reason.load()
            invalid = int((valid == 0).sum())
            lines.append(f"theory: {int(valid.size)} points, {invalid} without a solution")
            counts: dict[str, int] = {}
            for reason in np.asarray(reasons.values).ravel():
                if reason:
                    key = str(reason).split(":")[0]
                    counts[key] = counts.get(key, 0) + 1
            lines += [f"  {key}: {count}" for key, count in sorted(counts.items())]
    return "\n".join(lines)
