"""Merge the per-activation theory files into results/theory.nc (rnncorr.io.merge_theory)."""

from rnncorr import io
from rnncorr.cli import log_to

log_to(snakemake.log[0])
# lossless zlib + shuffle: same values, a third smaller (docs/NUMERICS.md#size-of-theorync)
io.write_netcdf(io.merge_theory(snakemake.input), snakemake.output.nc, compress=True)
