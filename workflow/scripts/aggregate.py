"""Combine per-cell files into results/simulations.nc (rnncorr.io.aggregate_cells)."""

import json

from rnncorr import io
from rnncorr.cli import log_to
from rnncorr.config import Cell, load_config, simulation_settings

log_to(snakemake.log[0])
config = load_config(snakemake.config)
cells = [Cell.from_params(json.loads(text)) for text in snakemake.params.cells]
dataset = io.aggregate_cells(
    snakemake.input.cells, cells, simulation_settings(config), config["seed"], config
)
# lossless zlib + shuffle: same values, the NaN-padded eigenvalues shrink 5x (docs/NUMERICS.md)
io.write_netcdf(dataset, snakemake.output.nc, compress=True)
