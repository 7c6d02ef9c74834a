"""Simulate one grid cell and write its netCDF file (rnncorr.simulate.simulate_cell)."""

import json

from rnncorr import io, simulate
from rnncorr.cli import log_to
from rnncorr.config import Cell, load_config, simulation_settings

log_to(snakemake.log[0])
config = load_config(snakemake.config)
cell = Cell.from_params(json.loads(snakemake.params.cell))
result = simulate.simulate_cell(
    cell, simulation_settings(config), config["seed"], threads=snakemake.threads, progress=False
)
io.write_netcdf(io.cell_dataset(result, config), snakemake.output.nc)
