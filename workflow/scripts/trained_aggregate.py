"""Combine the trained-network scans into results/trained/trained.nc (rnncorr.trained)."""

from rnncorr import io, trained
from rnncorr.cli import log_to
from rnncorr.config import load_config

log_to(snakemake.log[0])
dataset = trained.aggregate_trained(snakemake.input.cells, load_config(snakemake.config))
io.write_netcdf(dataset, snakemake.output.nc)
