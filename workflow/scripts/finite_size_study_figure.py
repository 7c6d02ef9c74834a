"""Draw the finite-size correction figure (rnncorr.plots_finite_size)."""

from rnncorr import plots_finite_size
from rnncorr.cli import log_to

log_to(snakemake.log[0])
for path in snakemake.output:
    figure = plots_finite_size.make_finite_size_figure(
        snakemake.wildcards.fsfigure, snakemake.input.nc
    )
    plots_finite_size.save_figure(figure, path)
