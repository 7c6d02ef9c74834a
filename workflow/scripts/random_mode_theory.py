"""Large-N theory of the random-mode scan (rnncorr.random_mode.random_mode_theory_dataset)."""

import json

from rnncorr import io, random_mode
from rnncorr.cli import log_to
from rnncorr.config import activation_from_entry
from rnncorr.connectivity import RandomMode

log_to(snakemake.log[0])
p = json.loads(snakemake.params.scan)
conns = [RandomMode(**c) for c in p["connectivities"]]
act = activation_from_entry(p["activation"])
ds = random_mode.random_mode_theory_dataset(act, p["g_eff"], p["sigma2"], conns, p["N"])
io.write_netcdf(ds, snakemake.output.nc)
