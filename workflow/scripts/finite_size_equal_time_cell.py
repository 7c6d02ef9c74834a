"""One equal-time (case, N) job of the finite-size study (finite_size_study.equal_time_cell)."""

import json

from rnncorr.cli import log_to
from rnncorr.config import SimulationSettings
from rnncorr.finite_size_study import equal_time_cell

log_to(snakemake.log[0])
p = json.loads(snakemake.params.cell)
out = equal_time_cell(
    p["activation"],
    p["g"],
    p["sigma2"],
    p["N"],
    p["realizations"],
    SimulationSettings(**p["settings"]),
    p["mc_samples"],
    p["site_samples"],
    p["seed"],
    threads=snakemake.threads,
)
print(json.dumps({k: out[k] for k in ("label", "g", "sigma2", "N", "n_j", "mc_samples")}))
with open(snakemake.output.json, "w") as f:
    json.dump(out, f, indent=1)
