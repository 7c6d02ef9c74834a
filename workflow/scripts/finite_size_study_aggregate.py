"""Join the finite-size study cells into results/finite_size_study.nc."""

import json

from rnncorr import io
from rnncorr.cli import log_to
from rnncorr.config import activation_from_entry
from rnncorr.finite_size_study import analytic_offset, study_dataset

log_to(snakemake.log[0])
cells = []
for path in snakemake.input.cells:
    with open(path) as f:
        cells.append(json.load(f))
# the analytic zero-frequency line is recomputed here (seconds per case), so a change of the
# theory needs no new simulations
for cell in cells:
    activation = activation_from_entry(cell["activation"])
    cell.update(analytic_offset(activation, cell["g"], cell["sigma2"], cell["N"]))
et_cells = []
for path in snakemake.input.et_cells:
    with open(path) as f:
        et_cells.append(json.load(f))
io.write_netcdf(study_dataset(cells, et_cells), snakemake.output.nc)
