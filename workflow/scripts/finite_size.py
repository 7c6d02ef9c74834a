"""Finite-size fit of PR(N) across the grid's N (rnncorr.finite_size.fit_pr_scaling)."""

import xarray as xr

from rnncorr import io
from rnncorr.cli import log_to
from rnncorr.finite_size import fit_pr_scaling

log_to(snakemake.log[0])
with xr.open_dataset(snakemake.input.nc) as simulations:
    fit = fit_pr_scaling(simulations.load())
fit.attrs.update(io.provenance(source_file=str(snakemake.input.nc)))
io.write_netcdf(fit, snakemake.output.nc)
