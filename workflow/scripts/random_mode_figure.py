"""Draw one random-mode figure (rnncorr.plots_random_mode.make_random_mode_figure)."""

from rnncorr import plots_random_mode
from rnncorr.cli import log_to

log_to(snakemake.log[0])
figure = plots_random_mode.make_random_mode_figure(snakemake.params.figure, snakemake.input.nc)
for path in snakemake.output:
    plots_random_mode.save_figure(figure, path)
