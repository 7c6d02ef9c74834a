"""One activation and seed of the trained-network scan (rnncorr.trained.trained_scan)."""

import json

from rnncorr import io, trained
from rnncorr.cli import log_to

log_to(snakemake.log[0])
p = json.loads(snakemake.params.cell)
dataset = trained.trained_scan(
    p["activation"], p["g"], p["targets"], p["N"], [p["seed"]], ridge=p["ridge"]
)
io.write_netcdf(dataset, snakemake.output.nc)
