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
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from rnncorr.activations import Activation, get_activation

if TYPE_CHECKING:
    import jsonschema

__all__ = [
    "Cell",
    "ConfigError",
    "SimulationSettings",
    "activation_from_entry",
    "dense_g",
    "activation_grid_values",
    "format_value",
    "grid_activation_entries",
    "grid_cells",
    "load_config",
    "simulation_settings",
]


class ConfigError(ValueError):
    """An invalid configuration; the message names the key and the allowed values."""


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
    schema = _schema()
    validator = _validator_class()(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        raise ConfigError(_describe(errors[0], schema))
    _check_semantics(config)
    return config


def _check_semantics(config: dict[str, Any]) -> None:
    grid, sim = config["grid"], config["simulation"]
    for index, entry in enumerate(grid["activations"]):
        params = {k: v for k, v in entry.items() if k != "name"}
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
    if sim["burn_in"] >= sim["duration"]:
        raise ConfigError(
            f"invalid config key 'simulation.burn_in': {sim['burn_in']} is not below "
            f"simulation.duration = {sim['duration']}; allowed: 0 <= burn_in < duration"
        )
    settings = simulation_settings(config)
    if settings.windows_per_block < 2:
        raise ConfigError(
            "invalid config key 'simulation.window': each of the "
            f"{sim['blocks']} blocks of duration {sim['duration'] / sim['blocks']:g} must hold at "
            f"least 2 windows of length {sim['window']}; allowed: window <= duration / (2 blocks)"
        )
    if settings.samples_per_block < 2 or settings.sample_every < 1:
        raise ConfigError(
            "invalid config key 'simulation.sample_interval': need dt <= sample_interval and "
            "at least 2 equal-time samples per block; allowed: dt <= sample_interval <= "
            "duration / (2 blocks)"
        )
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
