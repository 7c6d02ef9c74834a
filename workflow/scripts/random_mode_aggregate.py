"""Join the random-mode cells and theory into random_mode.nc (rnncorr.random_mode)."""

from rnncorr import io, random_mode
from rnncorr.cli import log_to
from rnncorr.config import load_config

log_to(snakemake.log[0])
config = load_config(snakemake.config)
ds = random_mode.aggregate_random_mode(snakemake.input.cells, snakemake.input.theory, config)
io.write_netcdf(ds, snakemake.output.nc)
