"""One (g_eff, sigma2, connectivity) cell of the random-mode scan (rnncorr.random_mode)."""

import json

from rnncorr import io, random_mode
from rnncorr.cli import log_to
from rnncorr.config import SimulationSettings, activation_from_entry
from rnncorr.connectivity import RandomMode

log_to(snakemake.log[0])
p = json.loads(snakemake.params.cell)
args = (activation_from_entry(p["activation"]), p["N"], p["g_eff"], p["sigma2"])
conn, settings = RandomMode(**p["connectivity"]), SimulationSettings(**p["settings"])
ds = random_mode.simulate_random_mode_cell(*args, conn, settings, p["seed"], snakemake.threads)
io.write_netcdf(ds, snakemake.output.nc)
