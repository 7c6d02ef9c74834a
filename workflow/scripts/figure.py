"""Draw one figure from the netCDF files (rnncorr.plots.make_figure)."""

from rnncorr import plots
from rnncorr.cli import log_to

log_to(snakemake.log[0])
figure = plots.make_figure(
    snakemake.params.figure, snakemake.input.simulations, snakemake.input.theory
)
for path in snakemake.output:
    plots.save_figure(figure, path)
