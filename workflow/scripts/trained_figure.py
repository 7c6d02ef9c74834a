"""Draw one trained-branch figure from trained.nc (rnncorr.plots_trained.make_trained_figure)."""

from rnncorr import plots_trained
from rnncorr.cli import log_to

log_to(snakemake.log[0])
figure = plots_trained.make_trained_figure(snakemake.params.figure, snakemake.input.nc)
for path in snakemake.output:
    plots_trained.save_figure(figure, path)
