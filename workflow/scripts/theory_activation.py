"""Large-N theory of one activation on (g, sigma2) (rnncorr.theory.solve) into a netCDF file,
with the site term of the 1/N offset at the grid's g (rnncorr.theory._heterogeneous: Monte Carlo;
rnncorr.theory._site: analytic, with the complete finite-N coefficients)."""

import json

from rnncorr import io, theory
from rnncorr.cli import log_to
from rnncorr.config import activation_from_entry, load_config
from rnncorr.theory._finite_n_equal_time import equal_time_finite_n_coefficients
from rnncorr.theory._heterogeneous import site_offsets
from rnncorr.theory._site import finite_n_coefficients

log_to(snakemake.log[0])
activation = activation_from_entry(snakemake.params.activation)
g_values, sigma2_values = snakemake.params.g, snakemake.params.sigma2
results = [theory.solve(activation, g, s) for g in g_values for s in sigma2_values]
site = snakemake.params.site_term
offsets = {}
if site["samples"]:
    per_point = site_offsets(
        activation,
        snakemake.params.site_g,
        sigma2_values,
        site["N"],
        site["samples"],
        snakemake.params.seed,
    )
    offsets = {(activation.label, g, s): value for (g, s), value in per_point.items()}
# the complete analytic 1/N coefficients at the grid's g (docs/finite_size.md §10; seconds each)
finite_n = {
    (activation.label, g, s): finite_n_coefficients(activation, g, s)
    for g in snakemake.params.site_g
    for s in sigma2_values
}
# and their equal-time counterparts where the zero-frequency series exists (same range)
equal_time_finite_n = {
    key: equal_time_finite_n_coefficients(activation, key[1], key[2])
    for key, coefficients in finite_n.items()
    if coefficients["reason"] is None
}
dataset = io.theory_dataset(
    results,
    [activation.label],
    g_values,
    sigma2_values,
    settings={"site_term": dict(site), "seed": snakemake.params.seed},
    site_offsets=offsets,
    finite_n=finite_n,
    equal_time_finite_n=equal_time_finite_n,
)
dataset = io.activation_coordinates(dataset, {activation.label: activation.kwargs})
# the run's config and seed, as in results/simulations.nc
dataset.attrs["config"] = json.dumps(load_config(snakemake.config), sort_keys=True)
dataset.attrs["seed"] = str(snakemake.params.seed)
io.write_netcdf(dataset, snakemake.output.nc)
