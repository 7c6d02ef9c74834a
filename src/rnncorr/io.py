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

Metadata (CF-1.8, :func:`annotate`): every variable and coordinate has a ``long_name`` (and
``units`` where it has a unit), both combined files keep those of the per-cell files and carry
``Conventions``; ``diverged`` has ``flag_values``/``flag_meanings``; the NaN padding of
``eigenvalues`` beyond a cell's N is stated in its ``comment``; numeric coordinates ``alpha``,
``pade_a``, ``pade_b`` along ``activation`` hold the activation parameters (NaN where not
applicable). In theory.nc, ``reason`` is an int8 code (:data:`REASON_CODES`, lookup in its
``flag_meanings``; :func:`decode_reasons` gives the names, also for older files that stored the
strings), and the attributes hold the run's ``config`` and ``seed`` as in simulations.nc. Each
cell file records ``correlation_time`` and whether the zero-frequency window was long enough
(``zero_frequency_window_ok``, ``zero_frequency_window_check``).

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
from rnncorr.estimators import STATISTIC_NAMES, cell_window_check, integrated_correlation_time

__all__ = [
    "CONVENTIONS",
    "DATA_VARIABLES",
    "REASON_CODES",
    "ProvenanceError",
    "activation_coordinates",
    "aggregate_cells",
    "annotate",
    "cell_dataset",
    "check_cell_dataset",
    "compression_encoding",
    "decode_reasons",
    "encode_reasons",
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


#: CF conventions the files follow (long_name/units on variables and coordinates, flag_values)
CONVENTIONS = "CF-1.8"

#: attributes of every coordinate that any of the files has
_COORDINATE_ATTRS: dict[str, dict[str, str]] = {
    "activation": {"long_name": "activation label: name and parameters rounded to 6 digits"},
    "N": {"long_name": "network size N", "units": "1"},
    "g": {"long_name": "coupling gain g, J_ij ~ N(0, g^2/N)", "units": "1"},
    "sigma2": {
        "long_name": "white-noise intensity sigma2 (0: deterministic)",
        "units": "x^2 per time constant",
    },
    "realization": {"long_name": "index of the J realization (seed word r)"},
    "kind": {"long_name": "covariance: zero_frequency (long window) or equal_time"},
    "variable": {"long_name": "covariance of x or of phi(x)"},
    "mode": {"long_name": "index of the eigenvalue, in descending order"},
    "alpha": {"long_name": "power-law exponent alpha of phi (NaN: not a power law)", "units": "1"},
    "pade_a": {"long_name": "Pade numerator coefficient a (NaN: not a Pade phi)", "units": "1"},
    "pade_b": {"long_name": "Pade denominator coefficient b (NaN: not a Pade phi)", "units": "1"},
}

#: numeric coordinate of each activation parameter (along ``activation``)
_PARAMETER_COORDINATES = {"alpha": "alpha", "a": "pade_a", "b": "pade_b"}

#: theory failure reasons, stored in ``reason`` as these codes (int8); the detailed message of
#: one point is what ``rnncorr theory`` prints for it
REASON_CODES: tuple[tuple[str, str], ...] = (
    ("none", "a stationary large-N solution exists"),
    ("no_stationary_state", "no stationary state: phi grows too fast, or g_eff >= 1"),
    ("odd_phi_required", "the mean-field theory assumes an odd activation"),
    ("quiescent", "sigma2 = 0 and g phi'(0) <= 1: the only stationary state is x = 0"),
    ("dmft_not_converged", "the DMFT did not converge (equal-time statistics NaN)"),
    ("trivial_state", "g = sigma2 = 0: x = 0"),
    ("other", "another reason (see rnncorr theory for the point)"),
    ("not_computed", "not solved: this activation has no cell at this sigma2 (grid.extra)"),
    ("noise_driven_only", "the finite-N series needs sigma2 > 0 (not chaos)"),
)


def encode_reasons(reasons: Iterable[str | None]) -> np.ndarray:
    """int8 codes (:data:`REASON_CODES`) of reason strings; '' or None is 0 (no failure)."""
    names = [name for name, _ in REASON_CODES]
    codes = []
    for reason in reasons:
        if not reason:
            codes.append(0)
            continue
        # "no_stationary_state: ...", "dmft_not_converged (equal-time ...): ..."
        key = str(reason).split(":")[0].split(" ")[0].strip()
        codes.append(names.index(key) if key in names else names.index("other"))
    return np.asarray(codes, dtype=np.int8)


def decode_reasons(reason: xr.DataArray) -> xr.DataArray:
    """The reason names ('' where valid) of a theory file's ``reason`` variable.

    Reads both the codes of this version and the strings of files written before it.
    """
    if reason.dtype.kind in "USO":
        return xr.apply_ufunc(
            np.vectorize(lambda r: str(r).split(":")[0].split(" ")[0].strip(), otypes=[str]),
            reason,
        )
    lookup = np.array([""] + [name for name, _ in REASON_CODES[1:]], dtype=object)
    # np.asarray: a 0-d selection indexes to a bare str
    return xr.apply_ufunc(
        lambda c: np.asarray(lookup[np.asarray(c, dtype=int)]).astype(str), reason
    )


def _reason_variable(
    reason: np.ndarray,
    dims: tuple[str, ...],
    long_name: str = "why a stationary large-N solution does not exist (code)",
) -> tuple:
    """A reason data variable: codes with CF flag attributes and the lookup."""
    codes = encode_reasons(np.asarray(reason, dtype=object).ravel()).reshape(np.shape(reason))
    return (
        dims,
        codes,
        {
            "long_name": long_name,
            "flag_values": np.arange(len(REASON_CODES), dtype=np.int8),
            "flag_meanings": " ".join(name for name, _ in REASON_CODES),
            "reason_descriptions": json.dumps(
                {str(code): text for code, (_, text) in enumerate(REASON_CODES)}
            ),
            "comment": "rnncorr.io.decode_reasons gives the names",
        },
    )


def activation_coordinates(
    dataset: xr.Dataset, params: Mapping[str, Mapping[str, float]]
) -> xr.Dataset:
    """Add numeric coordinates ``alpha``, ``pade_a``, ``pade_b`` along ``activation``.

    ``params`` maps an activation label to its parameters (``Activation.kwargs``, full
    precision); NaN where an activation does not have the parameter.
    """
    labels = [str(label) for label in np.atleast_1d(dataset["activation"].values)]
    coords = {}
    for param, name in _PARAMETER_COORDINATES.items():
        values = np.array([params.get(label, {}).get(param, np.nan) for label in labels])
        coords[name] = ("activation", values, _COORDINATE_ATTRS[name])
    return dataset.assign_coords(coords)


def annotate(dataset: xr.Dataset) -> xr.Dataset:
    """CF metadata on a file of this package: coordinate attributes, ``Conventions``, the flags
    of ``diverged``, the NaN padding of ``eigenvalues``. Returns a new dataset."""
    dataset = dataset.copy()
    for name, attrs in _COORDINATE_ATTRS.items():
        if name in dataset.coords:
            dataset[name].attrs.update(attrs)
    if "diverged" in dataset:
        dataset["diverged"].attrs.update(
            flag_values=np.array([0, 1], dtype=np.int8), flag_meanings="stationary diverged"
        )
    if "eigenvalues" in dataset and "N" in dataset.dims:
        dataset["eigenvalues"].attrs["comment"] = (
            "a cell of size N has N eigenvalues (modes 0..N-1); the mode axis runs to the "
            "largest N and is NaN-padded beyond each cell's N"
        )
    dataset.attrs["Conventions"] = CONVENTIONS
    return dataset


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


def cell_dataset(
    result: Any,
    config: Mapping[str, Any] | None = None,
    extra_attrs: Mapping[str, Any] | None = None,
) -> xr.Dataset:
    """Dataset of one simulated cell (a :class:`rnncorr.simulate.CellResult`).

    ``extra_attrs`` are added to the provenance (the command line records the activation
    parameters it took as defaults there). The attributes ``zero_frequency_window_check`` and
    ``zero_frequency_window_ok`` say whether the window W was long against the measured
    correlation time (:func:`rnncorr.estimators.window_check`).
    """
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
    data["correlation_time"] = (
        ("realization", "variable"),
        np.array(
            [
                [
                    integrated_correlation_time(
                        r.statistics["zero_frequency"][v]["a"], r.statistics["equal_time"][v]["a"]
                    )
                    for v in VARIABLES
                ]
                for r in reals
            ]
        ),
        {
            "long_name": "integrated correlation time tau_int = a_zero_frequency / "
            "(2 a_equal_time) (rnncorr.estimators.integrated_correlation_time)",
            "units": "time constants",
        },
    )
    window_ok, window_message, _ = cell_window_check(result)
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
        zero_frequency_window_check=window_message,
        # the intervals the engine used, in whole steps of dt
        zero_frequency_window_used=f"{window:.10g}",
        equal_time_sample_interval_used=f"{max(1, settings.sample_every) * settings.dt:.10g}",
        zero_frequency_window_ok=int(window_ok),
        **({"config": dict(config)} if config is not None else {}),
        **dict(extra_attrs or {}),
    )
    return annotate(xr.Dataset(data, coords=coords, attrs=attrs))


def publish(tmp: str | Path, path: str | Path) -> None:
    """Give a finished temporary file the usual permissions (mkstemp makes it 0600), then
    rename it onto ``path`` atomically."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    os.replace(tmp, path)


#: numeric data variables below this size stay contiguous and uncompressed without a trial:
#: chunked zlib storage costs 3.3-7.7 KB of HDF5 chunk index per variable (3-D to 5-D), more
#: than zlib saves on a few hundred numbers (measured on theory.nc,
#: docs/NUMERICS.md#size-of-theorync)
COMPRESS_MIN_BYTES = 4096
#: zlib level of the combined files (level 9 is < 1 % smaller on theory.nc and simulations.nc)
COMPRESS_LEVEL = 4


def _variable_bytes(dataset: xr.Dataset, name: str, encoding: dict[str, Any], folder: str) -> int:
    """Size of a file holding only ``name`` (and its coordinates) with ``encoding``."""
    path = Path(folder) / f"{len(os.listdir(folder))}.nc"
    single = dataset[[name]].drop_encoding()  # the trial compares contiguous with zlib
    single.attrs = {}
    single.to_netcdf(path, engine="netcdf4", encoding={name: encoding} if encoding else None)
    return path.stat().st_size


def compression_encoding(
    dataset: xr.Dataset, min_bytes: int = COMPRESS_MIN_BYTES, level: int = COMPRESS_LEVEL
) -> dict[str, dict[str, Any]]:
    """Lossless netCDF4 encoding: zlib + byte shuffle for the numeric data variables where it
    makes the file smaller.

    Each numeric data variable of at least ``min_bytes`` is written alone (with its
    coordinates) into a temporary folder, contiguous and compressed, and is compressed if that
    is smaller: zlib gains on NaN padding (``grid.extra`` cells, eigenvalues below the largest
    N) and on exponent bytes, but the chunk index of compressed storage costs 3.3-7.7 KB per
    variable, so a variable of mostly distinct float64 values can grow
    (docs/NUMERICS.md#size-of-theorync). Strings, coordinates and small variables are left as
    they are.

    Lossless: the values read back are bit-identical (float64 stays float64; no scale/offset
    packing). Deterministic: the same dataset gives the same decisions and the same bytes (zlib
    at a fixed level, the netCDF library's default chunking, no timestamps in the HDF5 objects).
    """
    zlib = {"zlib": True, "complevel": level, "shuffle": True}
    encoding = {}
    with tempfile.TemporaryDirectory() as folder:
        for name, variable in dataset.data_vars.items():
            if variable.dtype.kind not in "fiu" or variable.nbytes < min_bytes:
                continue
            plain = _variable_bytes(dataset, str(name), {}, folder)
            if _variable_bytes(dataset, str(name), zlib, folder) < plain:
                encoding[str(name)] = dict(zlib)
    return encoding


def write_netcdf(dataset: xr.Dataset, path: str | Path, *, compress: bool = False) -> Path:
    """Write atomically: a temporary file in the same folder, then ``os.replace``.

    ``compress``: lossless zlib + shuffle (:func:`compression_encoding`), used for the combined
    files results/theory.nc and results/simulations.nc (default grid: theory.nc 300 427 ->
    183 933 bytes, simulations.nc 5 728 245 -> 1 200 980; docs/NUMERICS.md#size-of-theorync).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    try:
        encoding = compression_encoding(dataset) if compress else None
        dataset.to_netcdf(tmp, engine="netcdf4", encoding=encoding)
        publish(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def check_cell_dataset(
    dataset: xr.Dataset, path: str | Path, cell: Cell, settings: SimulationSettings, seed: int
) -> None:
    """Raise :class:`ProvenanceError` if a per-cell file is incomplete or foreign to the config."""
    # `--rerun-incomplete` does not help here: Snakemake recorded the job as complete
    hint = f"delete the file and run snakemake again, which rebuilds it: rm {path}"
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
    params: dict[str, dict[str, float]] = {}
    short_windows: list[str] = []
    for index, path in enumerate(paths):
        try:
            with xr.open_dataset(path, engine="netcdf4") as opened:
                # on-disk encodings (e.g. a <U6 string width) must not leak into the aggregate
                dataset = opened.load().drop_encoding()
        except (OSError, ValueError, RuntimeError) as exc:
            # a truncated file that Snakemake recorded as complete: `--rerun-incomplete` does
            # not reschedule it, deleting it does
            raise ProvenanceError(
                f"cannot read cell file {path} ({exc}); delete the file and run snakemake "
                f"again, which rebuilds it: rm {path}"
            ) from None
        if cells is not None:
            check_cell_dataset(dataset, path, cells[index], settings, seed)
        try:
            stored = json.loads(dataset.attrs["cell"])
            params[stored["activation_label"]] = stored.get("activation_params", {})
        except (KeyError, ValueError):
            pass  # files without provenance (tests): no numeric parameter coordinates
        if str(dataset.attrs.get("zero_frequency_window_ok", "1")) == "0":
            short_windows.append(f"{path}: {dataset.attrs.get('zero_frequency_window_check')}")
        dataset.attrs = {}
        datasets.append(dataset.expand_dims(("activation", "N", "g", "sigma2")))
    # combining drops the variables' attributes: keep those of the first file (all are equal)
    variable_attrs = {name: dict(datasets[0][name].attrs) for name in datasets[0].data_vars}
    # cells of different N have spectra of different length: pad every one to the largest N
    # (NaN), so that combining does not broadcast the statistics over a ragged mode axis
    modes = np.arange(max(dataset.sizes["mode"] for dataset in datasets))
    datasets = [dataset.reindex(mode=modes) for dataset in datasets]
    try:
        combined = xr.combine_by_coords(datasets, combine_attrs="drop", join="outer")
    except ValueError:
        # grid.extra cells do not fill a hypercube: merge instead, NaN where no cell was run
        combined = xr.merge(datasets, join="outer", compat="no_conflicts", combine_attrs="drop")
    for name, attrs in variable_attrs.items():
        combined[name].attrs = attrs
    combined = activation_coordinates(combined, params)
    combined.attrs = provenance(
        cells=len(datasets),
        **({"config": dict(config)} if config is not None else {}),
        **({"seed": str(seed)} if seed is not None else {}),
        estimator=ESTIMATOR,
        zero_frequency_window_check=(
            f"window too short in {len(short_windows)} of {len(datasets)} cells: "
            + "; ".join(short_windows)
            if short_windows
            else "ok in every checked cell (rnncorr.estimators.window_check)"
        ),
    )
    return annotate(combined)


def theory_dataset(
    results: Iterable[Any],
    activations: Sequence[str],
    g_values: Sequence[float],
    sigma2_values: Sequence[float],
    settings: Mapping[str, Any] | None = None,
    site_offsets: Mapping[tuple[str, float, float], tuple[float, float]] | None = None,
    finite_n: Mapping[tuple[str, float, float], Mapping[str, Any]] | None = None,
    equal_time_finite_n: Mapping[tuple[str, float, float], Mapping[str, Any]] | None = None,
) -> xr.Dataset:
    """Theory results (:class:`rnncorr.theory.TheoryResult`) on (activation, g, sigma2, kind,
    variable).

    ``finite_n`` maps (activation, g, sigma2) to
    :func:`rnncorr.theory._site.finite_n_coefficients`: variables ``finite_n_p_0``,
    ``finite_n_a_1``, ``finite_n_nc2_1`` (complete: homogeneous + analytic site term),
    ``p_0_site_analytic``, ``a_1_site``, ``nc2_1_site``, ``finite_n_truncation`` (truncation
    error of E[PR] times N) on (..., variable), and
    ``finite_n_min_N`` / ``finite_n_reason`` (the series holds for N >= finite_n_min_N;
    docs/finite_size.md §10.6). NaN where not given.

    ``equal_time_finite_n`` maps (activation, g, sigma2) to
    :func:`rnncorr.theory._finite_n_equal_time.equal_time_finite_n_coefficients`: variables
    ``finite_n_equal_time_p_0``, ``finite_n_equal_time_a_1``, ``finite_n_equal_time_nc2_1``
    (complete equal-time coefficients: homogeneous series + analytic site term,
    docs/finite_size_equal_time.md §6) on (..., variable); their range is that of the
    zero-frequency series (``finite_n_min_N``). NaN where not given.

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
    # complete analytic finite-N coefficients (docs/finite_size.md §10)
    fin_names = {
        "finite_n_p_0": ("p_0", None, "complete 1/N offset: E[PR] = N pr_over_n + finite_n_p_0"),
        "finite_n_a_1": ("a_1", None, "complete: E[a] = a + finite_n_a_1 / N"),
        "finite_n_nc2_1": ("nc2_1", None, "complete: E[nc2] = nc2 + finite_n_nc2_1 / N"),
        "p_0_site_analytic": (None, "p_0_site", "analytic site term of p_0 (§10)"),
        "a_1_site": (None, "a_1_site", "analytic site term of a_1 (§10)"),
        "nc2_1_site": (None, "nc2_1_site", "analytic site term of nc2_1 (§10)"),
        "finite_n_truncation": (
            "pr_truncation_coefficient",
            None,
            "truncation error of the finite-N PR: finite_n_truncation / N (§10.6)",
        ),
    }
    fin = {name: np.full((*shape, len(VARIABLES)), np.nan) for name in fin_names}
    fin_min_n = np.full(shape, np.nan)
    fin_reason = np.full(shape, "", dtype=object)
    for (activation, g, sigma2), coefficients in (finite_n or {}).items():
        i, j, k = index[(activation, float(g), float(sigma2))]
        fin_min_n[i, j, k] = coefficients.get("n_min", np.nan)
        fin_reason[i, j, k] = coefficients.get("reason") or ""
        for n, var in enumerate(VARIABLES):
            for name, (key, term, _) in fin_names.items():
                if key is not None:
                    fin[name][i, j, k, n] = coefficients.get(var, {}).get(key, np.nan)
                else:
                    terms = coefficients.get("terms", {}).get(var, {})
                    fin[name][i, j, k, n] = terms.get(term, np.nan)
    for name, (_, _, long_name) in fin_names.items():
        data[name] = ((*dims, "variable"), fin[name], {"long_name": long_name})
    # complete equal-time coefficients (docs/finite_size_equal_time.md §6)
    et_names = {
        "finite_n_equal_time_p_0": (
            "p_0",
            "complete equal-time 1/N offset: E[PR] = N pr_over_n + finite_n_equal_time_p_0",
        ),
        "finite_n_equal_time_a_1": ("a_1", "complete equal-time: E[a] = a + this / N"),
        "finite_n_equal_time_nc2_1": ("nc2_1", "complete equal-time: E[nc2] = nc2 + this / N"),
    }
    et = {name: np.full((*shape, len(VARIABLES)), np.nan) for name in et_names}
    for (activation, g, sigma2), coefficients in (equal_time_finite_n or {}).items():
        i, j, k = index[(activation, float(g), float(sigma2))]
        for n, var in enumerate(VARIABLES):
            for name, (key, _) in et_names.items():
                et[name][i, j, k, n] = coefficients.get(var, {}).get(key, np.nan)
    for name, (_, long_name) in et_names.items():
        data[name] = ((*dims, "variable"), et[name], {"long_name": long_name})
    data["finite_n_min_N"] = (
        dims,
        fin_min_n,
        {"long_name": "smallest N at which the finite-N series is reported (finite_size.md §10.6)"},
    )
    data["finite_n_reason"] = _reason_variable(
        fin_reason, dims, "why there is no finite-N series (code; none: there is one)"
    )
    data["delta0"] = (dims, scalars["delta0"], {"long_name": "single-site variance <x^2>"})
    data["s0"] = (dims, scalars["s0"], {"long_name": "mean gain <phi'(x)>"})
    data["g_eff"] = (dims, scalars["g_eff"], {"long_name": "effective coupling g <phi'>"})
    data["valid"] = (dims, valid, {"long_name": "1 where a stationary large-N solution exists"})
    data["reason"] = _reason_variable(reason, dims)
    coords = {
        "activation": list(activations),
        "g": np.asarray(g_values, dtype=float),
        "sigma2": np.asarray(sigma2_values, dtype=float),
        "kind": list(KINDS),
        "variable": list(VARIABLES),
    }
    return annotate(
        xr.Dataset(data, coords=coords, attrs=provenance(theory_settings=dict(settings or {})))
    )


def _reindex_sigma2(dataset: xr.Dataset, sigma2: list[float]) -> xr.Dataset:
    """A theory dataset on a wider sigma2 axis: NaN, valid 0 and reason "not_computed" there."""
    fill: dict[str, Any] = {}
    for name, variable in dataset.data_vars.items():
        if "sigma2" not in variable.dims:
            continue
        if variable.dtype.kind in "USO":
            fill[name] = "not_computed"
        elif name == "reason":  # int8 codes
            fill[name] = encode_reasons(["not_computed"])[0]
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
    # concat keeps the variables' attributes (those of the first file); only the global
    # attributes are renewed, keeping the settings, config and seed of the per-activation files
    merged = xr.concat(datasets, dim="activation", combine_attrs="drop")
    for name in merged.variables:
        if name in datasets[0].variables:
            merged[name].attrs = dict(datasets[0][name].attrs)
    kept = {
        key: datasets[0].attrs[key]
        for key in ("theory_settings", "config", "seed")
        if key in datasets[0].attrs
    }
    merged.attrs = provenance(**{"theory_settings": "{}", **kept})
    return annotate(merged)


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
            reasons = decode_reasons(th.reason.load())
            invalid = int((valid == 0).sum())
            lines.append(f"theory: {int(valid.size)} points, {invalid} without a solution")
            counts: dict[str, int] = {}
            for key in np.asarray(reasons.values).ravel():
                if key:
                    counts[str(key)] = counts.get(str(key), 0) + 1
            lines += [f"  {key}: {count}" for key, count in sorted(counts.items())]
    return "\n".join(lines)
