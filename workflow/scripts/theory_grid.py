"""Evaluate the large-N theory on the workflow's grid (rnncorr.theory.solve) into theory.nc."""

from rnncorr import io, theory
from rnncorr.cli import log_to
from rnncorr.config import activation_from_entry, load_config

log_to(snakemake.log[0])
config = load_config(snakemake.config)
activations = [activation_from_entry(entry) for entry in config["grid"]["activations"]]
g_values, sigma2_values = snakemake.params.g, config["grid"]["sigma2"]
results = [theory.solve(a, g, s) for a in activations for g in g_values for s in sigma2_values]
labels = [a.label for a in activations]
io.write_netcdf(io.theory_dataset(results, labels, g_values, sigma2_values), snakemake.output.nc)
