"""Large-N theory of one activation on (g, sigma2) (rnncorr.theory.solve) into a netCDF file."""

from rnncorr import io, theory
from rnncorr.cli import log_to
from rnncorr.config import activation_from_entry

log_to(snakemake.log[0])
activation = activation_from_entry(snakemake.params.activation)
g_values, sigma2_values = snakemake.params.g, snakemake.params.sigma2
results = [theory.solve(activation, g, s) for g in g_values for s in sigma2_values]
dataset = io.theory_dataset(results, [activation.label], g_values, sigma2_values)
io.write_netcdf(dataset, snakemake.output.nc)
