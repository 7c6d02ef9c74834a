"""Workflow configuration: validation against the JSON schema, defaults, and the grid of cells.

The schema lives in ``workflow/schemas/config.schema.yaml`` (shipped inside the package as
``rnncorr/config.schema.yaml``). :func:`load_config` validates, fills in the schema's defaults,
and then checks what a JSON schema cannot express (activation parameters, burn-in shorter than
the duration, windows fitting into blocks, grid values that would collide once rounded for file
names). Every error names the key and the allowed values, and is raised before any job runs.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import math
import numbers
import os
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, fields
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from rnncorr.activations import DEFAULT_PARAMS, Activation, get_activation

if TYPE_CHECKING:
    import jsonschema

__all__ = [
    "Cell",
    "ConfigError",
    "SimulationSettings",
    "activation_from_entry",
    "activation_with_defaults",
    "check_cell",
    "check_memory",
    "check_settings",
    "config_key",
    "dense_g",
    "activation_grid_values",
    "format_value",
    "grid_activation_entries",
    "grid_cells",
    "load_config",
    "machine_memory_bytes",
    "memory_estimate_bytes",
    "simulation_settings",
]

#: How a setting is named in an error message: ``key("window")`` gives e.g.
#: ``config key 'simulation.window'`` (workflow), ``argument --window`` (command line) or
#: ``simulation setting 'window'`` (library call). The checks below are shared by all three.
KeyNamer = Callable[[str], str]


class ConfigError(ValueError):
    """An invalid configuration; the message names the key and the allowed values."""


def config_key(prefix: str = "simulation.") -> KeyNamer:
    """Names of config keys under ``prefix`` for :func:`check_settings` and friends."""
    return lambda name: f"config key '{prefix}{name}'"


def _library_key(name: str) -> str:
    return f"argument {name!r}"


def _fail(key: KeyNamer, name: str, problem: str, allowed: str) -> ConfigError:
    return ConfigError(f"invalid {key(name)}: {problem}; allowed: {allowed}")


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _is_integer(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _non_finite_key(node: Any, path: str = "") -> tuple[str, float] | None:
    """Path and value of the first NaN or infinite number in a nested config, else None.

    JSON schema compares NaN false against every bound (``nan < 0`` is false), so ``.nan`` would
    pass ``minimum: 0``; YAML's ``.inf`` passes ``exclusiveMinimum: 0``. Both are checked here,
    before the schema, so that the error names the key.
    """
    if isinstance(node, float) and not math.isfinite(node):
        return path or "<top level>", node
    if isinstance(node, Mapping):
        for name, value in node.items():
            found = _non_finite_key(value, f"{path}.{name}" if path else str(name))
            if found:
                return found
    elif isinstance(node, (list, tuple)):
        for index, value in enumerate(node):
            found = _non_finite_key(value, f"{path}[{index}]")
            if found:
                return found
    return None


def format_value(value: float) -> str:
    """Round a grid value for paths and labels to 6 significant digits (0.1 + 0.2 -> ``0.3``)."""
    return f"{float(value):.6g}"


@functools.cache
def _schema() -> dict[str, Any]:
    """The parsed config schema (read once; never modified)."""
    text = resources.files("rnncorr").joinpath("config.schema.yaml").read_text()
    return yaml.safe_load(text)


@functools.cache
def _validator_class() -> type:
    """Draft 2020-12 validator that fills in each ``default`` and takes only ints as integers."""
    # imported here: the simulation modules import this one, and a GPU node running only
    # ``simulate`` need not have jsonschema
    import jsonschema

    base = jsonschema.Draft202012Validator
    check_properties = base.VALIDATORS["properties"]

    def properties_with_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for key, subschema in properties.items():
                if "default" in subschema and key not in instance:
                    instance[key] = copy.deepcopy(subschema["default"])
        yield from check_properties(validator, properties, instance, schema)

    # integers must be ints: JSON schema would accept 2.0, YAML users mean a float by it
    strict_integers = base.TYPE_CHECKER.redefine(
        "integer", lambda _, value: isinstance(value, int) and not isinstance(value, bool)
    )
    return jsonschema.validators.extend(
        base, {"properties": properties_with_defaults}, type_checker=strict_integers
    )


def _key_path(error: jsonschema.ValidationError) -> str:
    parts = []
    for item in error.absolute_path:
        parts.append(f"[{item}]" if isinstance(item, int) else f".{item}")
    return "".join(parts).lstrip(".") or "<top level>"


def _nearest_description(schema: dict[str, Any], schema_path: list[Any]) -> str | None:
    """Description of the deepest schema node on the path that has one (lists carry it)."""
    node: Any = schema
    found = schema.get("description")
    for part in schema_path:
        if not isinstance(node, (dict, list)):
            break
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(node, dict) and "description" in node:
            found = node["description"]
    return found


def _describe(error: jsonschema.ValidationError, schema: dict[str, Any]) -> str:
    allowed = _nearest_description(schema, list(error.absolute_schema_path))
    if error.validator in ("additionalProperties", "required"):
        allowed = "keys " + ", ".join(sorted(error.schema.get("properties", {})))
    message = f"invalid config key '{_key_path(error)}': {error.message}"
    return message + (f" (allowed: {allowed})" if allowed else "")


def load_config(source: str | Path | Mapping[str, Any]) -> dict[str, Any]:
    """Validate a config (a YAML path or a mapping) and return a copy with defaults filled in.

    Raises
    ------
    ConfigError
        On the first problem found, naming the key and the allowed values.
    """
    if isinstance(source, (str, Path)):
        with open(source) as handle:
            config = yaml.safe_load(handle) or {}
    else:
        config = copy.deepcopy(dict(source))
    if not isinstance(config, dict):
        raise ConfigError("invalid config: the top level must be a mapping of keys to values")
    non_finite = _non_finite_key(config)
    if non_finite:
        raise ConfigError(
            f"invalid config key '{non_finite[0]}': {non_finite[1]} is not a finite number; "
            "allowed: finite numbers (no .nan, .inf)"
        )
    schema = _schema()
    validator = _validator_class()(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        raise ConfigError(_describe(errors[0], schema))
    _check_semantics(config)
    return config


def _require_parameters(entry: Mapping[str, Any], where: str) -> None:
    """A config states every activation parameter: a default applied silently would label the
    files with a value nobody chose (the command line applies them, and says so)."""
    defaults = DEFAULT_PARAMS.get(entry["name"], {})
    missing = sorted(set(defaults) - set(entry))
    if missing:
        example = ", ".join(f"{k}: {defaults[k]:.6g}" for k in missing)
        raise ConfigError(
            f"invalid config key '{where}': {entry['name']} needs {', '.join(missing)}; "
            f"allowed: state it, e.g. {{name: {entry['name']}, {example}}}"
        )


def _check_semantics(config: dict[str, Any]) -> None:
    grid = config["grid"]
    results = config["results"]
    if not results.strip() or Path(results).resolve() == Path(results).resolve().parent:
        raise ConfigError(
            f"invalid config key 'results': {results!r} would put the outputs at the file system "
            "root; allowed: a non-empty folder name such as results or /scratch/me/run1"
        )
    connectivity = config.get("connectivity", {})
    if connectivity.get("enabled") and "activation" in connectivity:
        _require_parameters(connectivity["activation"], "connectivity.activation")
    for index, entry in enumerate(grid["activations"]):
        params = {k: v for k, v in entry.items() if k != "name"}
        _require_parameters(entry, f"grid.activations[{index}]")
        try:
            get_activation(entry["name"], **params)
        except ValueError as exc:
            raise ConfigError(f"invalid config key 'grid.activations[{index}]': {exc}") from None
    for number, extra in enumerate(grid.get("extra", [])):
        for index, entry in enumerate(extra.get("activations", [])):
            params = {k: v for k, v in entry.items() if k != "name"}
            try:
                get_activation(entry["name"], **params)
            except ValueError as exc:
                raise ConfigError(
                    f"invalid config key 'grid.extra[{number}].activations[{index}]': {exc}"
                ) from None
    labels = [activation_from_entry(e).label for e in grid["activations"]]
    if len(set(labels)) != len(labels):
        raise ConfigError(
            "invalid config key 'grid.activations': two entries describe the same activation "
            f"({', '.join(labels)}); allowed: distinct activations"
        )
    for key in ("g", "sigma2"):
        rounded = [format_value(v) for v in grid[key]]
        if len(set(rounded)) != len(rounded):
            raise ConfigError(
                f"invalid config key 'grid.{key}': values coincide at 6 significant digits "
                f"({', '.join(rounded)}); allowed: distinct values"
            )
    settings = simulation_settings(config)
    check_settings(settings, config_key("simulation."))
    limit = config.get("max_memory_gb")
    limit_bytes = machine_memory_bytes() if limit is None else limit * 2**30
    largest = max(grid_cells(config), key=lambda cell: cell.N)
    check_memory(largest, settings, limit_bytes, "config key 'grid.N'", limit is None)
    dense = config["theory"]["g_dense"]
    if dense["stop"] <= dense["start"]:
        raise ConfigError(
            "invalid config key 'theory.g_dense': stop must exceed start; allowed: "
            "{start >= 0, stop > start, num >= 2}"
        )
    if config["theory"]["site_term"]["samples"] == 1:
        raise ConfigError(
            "invalid config key 'theory.site_term.samples': a mean with a standard error needs "
            "2 samples; allowed: 0 (off) or an integer >= 2"
        )


def activation_from_entry(entry: Mapping[str, Any]) -> Activation:
    """Activation from a config entry such as ``{name: power, alpha: 0.5}``."""
    return get_activation(entry["name"], **{k: v for k, v in entry.items() if k != "name"})


def activation_with_defaults(
    name: str, params: Mapping[str, float | None], key: KeyNamer = _library_key
) -> tuple[Activation, dict[str, float]]:
    """The activation and the parameters that were *not* given and took their default.

    The command line uses this to say which defaults it applied (``power`` without ``alpha``
    is ``alpha = 0.5``, ``pade`` without ``a``/``b`` the [3/2] Padé of tanh); the caller prints
    the second value and records it in the file's attributes. A config must state them instead
    (:func:`load_config`).

    Raises
    ------
    ConfigError
        A parameter that is not finite, not taken by ``name``, or out of range.
    """
    given = {k: v for k, v in params.items() if v is not None}
    for param, value in given.items():
        if not math.isfinite(value):
            raise _fail(key, param, f"{value} is not a finite number", "a finite number")
    try:
        activation = get_activation(name, **given)
    except ValueError as exc:
        raise ConfigError(f"invalid {key('activation')}: {exc}") from None
    defaults = {k: v for k, v in activation.kwargs.items() if k not in given}
    return activation, defaults


def check_cell(cell: Cell, key: KeyNamer = _library_key) -> None:
    """Raise :class:`ConfigError` unless N is an integer >= 2 and g, sigma2 are finite, >= 0.

    (N = 1 has no cross-covariance: cbar and nc2 divide by N - 1.)
    """
    if not _is_integer(cell.N) or cell.N < 2:
        raise _fail(key, "N", f"{cell.N!r} is not a network size", "an integer >= 2")
    for name in ("g", "sigma2"):
        value = getattr(cell, name)
        if not _is_number(value) or not math.isfinite(value) or value < 0:
            raise _fail(key, name, f"{value!r} is not allowed", "a finite number >= 0")


def _is_multiple(value: float, step: float) -> bool:
    """value = k step for an integer k, up to rounding of the decimal inputs (1e-9 relative)."""
    k = round(value / step)
    return k >= 1 and abs(k * step - value) <= 1e-9 * max(abs(value), step)


def check_settings(settings: SimulationSettings, key: KeyNamer = _library_key) -> None:
    """Raise :class:`ConfigError` naming the first setting outside its allowed values.

    One set of checks for the workflow (``load_config``), the command line and the library
    (:func:`rnncorr.simulate.simulate_realization`); ``key`` says how a setting is named.
    Beyond ranges, it requires ``window`` to be a whole multiple of ``dt`` and >= 2 dt (the
    engine works in whole steps: a window of 0.3 at dt = 0.5 would silently become 0.5 while the
    file says 0.3, and the zero-frequency statistics depend on W), ``sample_interval >= dt``
    (rounded to whole steps: it only sets the number of equal-time samples; the interval used
    is recorded), ``burn_in < duration``, and at least two windows and two equal-time samples
    per block.
    """
    s = settings
    for name, low in (("realizations", 1), ("trajectories", 1), ("blocks", 2)):
        value = getattr(s, name)
        if not _is_integer(value) or value < low:
            raise _fail(key, name, f"{value!r} is not allowed", f"an integer >= {low}")
    for name in ("duration", "burn_in", "dt", "window", "sample_interval"):
        value = getattr(s, name)
        if not _is_number(value) or not math.isfinite(value):
            raise _fail(key, name, f"{value!r} is not a finite number", "a finite number")
    if not 0 < s.dt < 1:
        raise _fail(key, "dt", f"{s.dt:g} is outside (0, 1)", "0 < dt < 1")
    if s.duration <= 0:
        raise _fail(key, "duration", f"{s.duration:g} is not positive", "a number > 0")
    if not 0 <= s.burn_in < s.duration:
        raise _fail(
            key,
            "burn_in",
            f"{s.burn_in:g} is not in [0, duration = {s.duration:g})",
            "0 <= burn_in < duration",
        )
    if s.window < 2 * s.dt or not _is_multiple(s.window, s.dt):
        k = max(2, round(s.window / s.dt))
        raise _fail(
            key,
            "window",
            f"{s.window:g} is not a whole number (>= 2) of time steps dt = {s.dt:g}",
            f"a multiple of dt, at least 2 dt, e.g. {k * s.dt:.6g} or {(k + 1) * s.dt:.6g}",
        )
    # the sampling interval only sets how many equal-time samples there are (not what they
    # estimate), so it is rounded to whole steps; the interval used is recorded in each file
    if s.sample_interval < s.dt * (1 - 1e-9) or s.sample_every < 1:
        raise _fail(
            key,
            "sample_interval",
            f"{s.sample_interval:g} is shorter than one time step dt = {s.dt:g}",
            "dt <= sample_interval (rounded to whole steps)",
        )
    if s.windows_per_block < 2:
        raise _fail(
            key,
            "window",
            f"each of the {s.blocks} blocks of duration {s.duration / s.blocks:g} must hold at "
            f"least 2 windows of length {s.window:g}"
            + (" (an even number: W/2W extrapolation)" if s.extrapolate_window else ""),
            "window <= duration / (2 blocks)",
        )
    if s.samples_per_block < 2:
        raise _fail(
            key,
            "sample_interval",
            "fewer than 2 equal-time samples per block",
            "dt <= sample_interval <= duration / (2 blocks)",
        )
    if s.integrator not in ("heun", "euler"):
        raise _fail(key, "integrator", f"{s.integrator!r}", "heun or euler")
    if s.backend not in ("numpy", "torch"):
        raise _fail(key, "backend", f"{s.backend!r}", "numpy or torch")
    if s.device not in ("cuda", "cpu"):
        raise _fail(key, "device", f"{s.device!r}", "cuda or cpu")


def memory_estimate_bytes(n: int, settings: SimulationSettings) -> int:
    """Peak memory of one simulate job of network size n, in bytes (an upper estimate).

    The engine holds J and four packed (N + 1) x N float64 accumulators (rnncorr.simulate,
    "Memory"), and briefly a second N x N copy of J while it is scaled: 6 N^2 numbers. Per
    trajectory B it keeps O(N B) state and an equal-time sample buffer of at least 256 rows;
    the final eigenvalues need one N x N copy and LAPACK's workspace, within the six. Python,
    numpy and scipy add about 200 MB. (Measured: one N = 4000, B = 64 realization, 733 MB,
    docs/performance.md; this gives 850 MB.)
    """
    n, batch = int(n), int(settings.trajectories)
    rows = max(256, batch) + 12 * batch
    return int(8 * (6 * n * n + 2 * rows * n) + 200e6)


def machine_memory_bytes() -> int | None:
    """Physical memory of this machine (None where the OS does not say)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return None


def _bytes(value: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if value < 1024 or unit == "PiB":
            return f"{value:.3g} {unit}"
        value /= 1024
    raise AssertionError  # unreachable


def check_memory(
    cell: Cell,
    settings: SimulationSettings,
    limit_bytes: float | None,
    where: str = "argument '--N'",
    limit_is_machine: bool = True,
) -> None:
    """Refuse a cell whose job would need more memory than ``limit_bytes``, naming the cell.

    The estimate is :func:`memory_estimate_bytes`; ``limit_bytes`` None skips the check.
    """
    if limit_bytes is None:
        return
    need = memory_estimate_bytes(cell.N, settings)
    if need <= limit_bytes:
        return
    largest = int(math.sqrt(max(limit_bytes - 200e6, 0) / 48))
    source = (
        f"this machine's {_bytes(limit_bytes)}"
        if limit_is_machine
        else f"max_memory_gb = {limit_bytes / 2**30:g}"
    )
    hint = (
        "; on a cluster with larger nodes, set max_memory_gb in the config"
        if where.startswith("config")
        else ""
    )
    raise ConfigError(
        f"invalid {where}: cell {cell.path} needs about {_bytes(need)} of memory per job "
        f"(6 N^2 float64 numbers, rnncorr.config.memory_estimate_bytes), more than "
        f"{source}; allowed: N up to about {largest}{hint}"
    )


@dataclass(frozen=True)
class SimulationSettings:
    """Integration and estimator settings (config key ``simulation``), in steps where useful.

    Time is split as burn-in, then ``blocks`` blocks, each of ``windows_per_block`` windows of
    ``steps_per_window`` steps. Recorded time is therefore rounded down to whole windows.

    ``backend`` picks the engine: ``numpy`` (:mod:`rnncorr.simulate`, CPU, BLAS) or ``torch``
    (:mod:`rnncorr.simulate_torch`, on ``device`` ``cuda``, or ``cpu`` when asked for). The two
    agree within statistical error, not bit for bit; ``device`` is ignored by numpy.
    """

    realizations: int = 4
    trajectories: int = 16
    duration: float = 2000.0
    burn_in: float = 50.0
    dt: float = 0.1
    integrator: str = "heun"
    blocks: int = 8
    window: float = 40.0
    extrapolate_window: bool = True
    sample_interval: float = 1.0
    float32: bool = False
    backend: str = "numpy"
    device: str = "cuda"

    def __post_init__(self) -> None:
        # times are floats whatever the YAML spelling: `burn_in: 50` and `burn_in: 50.0` give
        # the same settings, the same job parameters (JSON) and so no rerun (cells do the same)
        for spec in fields(self):
            value = getattr(self, spec.name)
            if spec.type in ("float", float) and _is_number(value):
                object.__setattr__(self, spec.name, float(value))

    @property
    def steps_per_window(self) -> int:
        return max(1, round(self.window / self.dt))

    @property
    def windows_per_block(self) -> int:
        windows = int(self.duration / self.blocks // (self.steps_per_window * self.dt))
        # Richardson extrapolation pairs consecutive windows: keep an even number
        return windows - windows % 2 if self.extrapolate_window else windows

    @property
    def burn_in_steps(self) -> int:
        return round(self.burn_in / self.dt)

    @property
    def sample_every(self) -> int:
        return round(self.sample_interval / self.dt)

    @property
    def samples_per_block(self) -> int:
        return self.windows_per_block * self.steps_per_window // max(1, self.sample_every)

    def as_dict(self) -> dict[str, Any]:
        """The settings as stored in provenance and passed to jobs.

        ``backend`` and ``device`` appear only for the torch backend: numpy runs keep the
        settings (and so the job parameters and stored provenance) they had before these keys
        existed, and are not rerun.
        """
        settings = asdict(self)
        if self.backend == "numpy":
            del settings["backend"], settings["device"]
        return settings


def simulation_settings(config: Mapping[str, Any]) -> SimulationSettings:
    """The :class:`SimulationSettings` of a validated config."""
    return SimulationSettings(**config.get("simulation", {}))


@dataclass(frozen=True)
class Cell:
    """One grid cell: the parameters of one simulation job."""

    activation: Activation
    N: int
    g: float
    sigma2: float

    @property
    def path(self) -> str:
        """Relative path stem: ``tanh/N200/g0.5_sigma2_1``."""
        return (
            f"{self.activation.label}/N{self.N}/g{format_value(self.g)}"
            f"_sigma2_{format_value(self.sigma2)}"
        )

    @property
    def seed_key(self) -> int:
        """Integer fingerprint of the parameters, one entropy word of the cell's SeedSequence."""
        digest = hashlib.sha256(self.path.encode()).hexdigest()
        return int(digest[:16], 16)

    def params(self) -> dict[str, Any]:
        """JSON-serialisable parameters (stored in every output file's attributes)."""
        return {
            "activation": self.activation.name,
            "activation_params": self.activation.kwargs,
            "activation_label": self.activation.label,
            "N": int(self.N),
            "g": float(self.g),
            "sigma2": float(self.sigma2),
        }

    def to_json(self) -> str:
        return json.dumps(self.params(), sort_keys=True)

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> Cell:
        activation = get_activation(params["activation"], **params.get("activation_params", {}))
        return cls(activation, int(params["N"]), float(params["g"]), float(params["sigma2"]))


def _sub_grids(config: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The main grid and each ``grid.extra`` sub-grid, with missing keys taken from the main one.

    ``grid.extra`` adds cells without multiplying the whole product: e.g. two more sigma2 for
    the power law at the largest N only (the collapse of docs/science.md §5), at a fraction of
    the cost of a third sigma2 for every activation and N.
    """
    grid = config["grid"]
    keys = ("activations", "N", "g", "sigma2")
    main = {key: grid[key] for key in keys}
    return [main] + [
        {key: extra.get(key, main[key]) for key in keys} for extra in grid.get("extra", [])
    ]


def grid_cells(config: Mapping[str, Any]) -> list[Cell]:
    """Every (activation, N, g, sigma2) cell of a validated config, in a fixed order: the full
    product of ``grid``, then the cells of each ``grid.extra`` sub-grid not already listed."""
    cells: dict[str, Cell] = {}
    for sub in _sub_grids(config):
        for entry in sub["activations"]:
            for n in sub["N"]:
                for g in sub["g"]:
                    for s2 in sub["sigma2"]:
                        cell = Cell(activation_from_entry(entry), int(n), float(g), float(s2))
                        cells.setdefault(cell.path, cell)
    return list(cells.values())


def grid_activation_entries(config: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """{activation label: config entry} of every activation with a cell (grid and grid.extra)."""
    entries: dict[str, dict[str, Any]] = {}
    for sub in _sub_grids(config):
        for entry in sub["activations"]:
            entries.setdefault(activation_from_entry(entry).label, dict(entry))
    return entries


def activation_grid_values(config: Mapping[str, Any], label: str, key: str) -> list[float]:
    """Sorted distinct ``g`` or ``sigma2`` values of the cells of one activation (by label)."""
    values = {
        float(getattr(cell, key)) for cell in grid_cells(config) if cell.activation.label == label
    }
    return sorted(values)


def dense_g(config: Mapping[str, Any]) -> list[float]:
    """The theory's g axis: the dense axis of ``theory.g_dense`` united with the grid's g."""
    import numpy as np

    dense = config["theory"]["g_dense"]
    values = np.linspace(dense["start"], dense["stop"], dense["num"])
    return sorted(
        {float(format_value(v)) for v in values}
        | {float(g) for sub in _sub_grids(config) for g in sub["g"]}
    )
