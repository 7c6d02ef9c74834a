# Validate the config (JSON schema + semantic checks) before any job runs, build the grid.
import json

from rnncorr.config import (
    ConfigError,
    activation_from_entry,
    activation_grid_values,
    dense_g,
    grid_activation_entries,
    grid_cells,
    load_config,
    memory_estimate_bytes,
    simulation_settings,
)


try:
    CONFIG = load_config(config)
except ConfigError as error:
    raise WorkflowError(f"{error}") from None

RESULTS = CONFIG["results"]
SETTINGS = simulation_settings(CONFIG)
CELLS = {cell.path: cell for cell in grid_cells(CONFIG)}
# every activation with a cell, grid.extra included (one theory job each)
ACTIVATION_ENTRIES = grid_activation_entries(CONFIG)
ACTIVATION_LABELS = list(ACTIVATION_ENTRIES)


wildcard_constraints:
    cell=r"[a-z]+(-[a-z]+[-+.e0-9]+)*/N[0-9]+/g[-+.e0-9]+_sigma2_[-+.e0-9]+",


def cell_params(wildcards):
    """JSON of one cell's parameters (a param, so a changed cell reruns)."""
    return CELLS[wildcards.cell].to_json()


def cell_files():
    return [f"{RESULTS}/sims/{path}.nc" for path in CELLS]


def simulate_mem_mb(wildcards):
    """The validator's estimate (rnncorr.config.memory_estimate_bytes: J, the packed
    accumulators and a copy, 6 N^2 float64) + 100 MB headroom."""
    return 100 + int(memory_estimate_bytes(CELLS[wildcards.cell].N, SETTINGS) / 1e6)


def simulate_runtime(wildcards):
    """Minutes: two N^2 B products per step (Heun) at a conservative 1 GFlop/s, x realizations."""
    n = CELLS[wildcards.cell].N
    steps = (SETTINGS.duration + SETTINGS.burn_in) / SETTINGS.dt
    flops = 4.0 * n * n * SETTINGS.trajectories * steps * SETTINGS.realizations
    return max(5, int(flops / 1e9 / 60 * 2))


def final_outputs():
    return [
        f"{RESULTS}/simulations.nc",
        f"{RESULTS}/theory.nc",
        *([f"{RESULTS}/finite_size.nc"] if len(CONFIG["grid"]["N"]) >= 2 else []),
        *figure_files(),
    ]


onsuccess:
    from pathlib import Path

    from rnncorr.io import run_summary

    if Path(f"{RESULTS}/simulations.nc").exists():
        print("rnncorr run summary\n" + run_summary(f"{RESULTS}/simulations.nc",
                                                   f"{RESULTS}/theory.nc"))
