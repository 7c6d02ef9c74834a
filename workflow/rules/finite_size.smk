# Optional branch: the finite-size figure (docs/finite_size_equal_time.md §5). Reads the
# `finite_size_study:` config section (defaults in workflow/schemas/config.schema.yaml; example
# config/finite_size.yaml). One job per (case, N) simulates its J realizations, evaluates the
# heterogeneous linear-equivalent network on each J and runs the theory Monte Carlo (control
# variate); one job per equal-time (case, N) (finite_size_study.equal_time: the same at equal
# time, with the analytic line); one aggregate; the finite_size_correction figure. `finite_size_study_outputs()` is
# empty unless finite_size_study.enabled is true.
import json

from rnncorr.finite_size_study import equal_time_plan, study_plan
from rnncorr.plots_finite_size import FINITE_SIZE_FIGURES

FS_STUDY = CONFIG["finite_size_study"]
try:
    FS_PLAN = study_plan(CONFIG) if FS_STUDY["enabled"] else None
except ValueError as error:
    raise WorkflowError(f"{error}") from None
FS_CELLS = FS_PLAN["cells"] if FS_PLAN else {}
try:
    FS_ET_PLAN = equal_time_plan(CONFIG) if FS_STUDY["enabled"] else None
except ValueError as error:
    raise WorkflowError(f"{error}") from None
FS_ET_CELLS = FS_ET_PLAN["cells"] if FS_ET_PLAN else {}


def finite_size_study_cell_params(wildcards):
    """JSON of one (case, N) job (a param, so a changed case or setting reruns it)."""
    c = FS_CELLS[wildcards.fscell]
    return json.dumps(
        {**c, "settings": FS_PLAN["settings"].as_dict(), "seed": FS_PLAN["seed"]},
        sort_keys=True,
    )


def finite_size_study_runtime(wildcards):
    """Minutes: simulation (two N^2 B products per Heun step at 1 GFlop/s) + theory solves."""
    c, st = FS_CELLS[wildcards.fscell], FS_PLAN["settings"]
    steps = (st.duration + st.burn_in) / st.dt
    flops = 4.0 * c["N"] ** 2 * st.trajectories * steps * c["realizations"]
    theory = 40.0 * c["N"] ** 3 * (2 * c["realizations"] + c["mc_samples"]) * 20
    return max(5, int((flops + theory) / 1e9 / 60 * 2))


def finite_size_equal_time_cell_params(wildcards):
    """JSON of one equal-time (case, N) job."""
    c = FS_ET_CELLS[wildcards.etcell]
    return json.dumps(
        {**c, "settings": FS_ET_PLAN["settings"].as_dict(), "seed": FS_ET_PLAN["seed"]},
        sort_keys=True,
    )


def finite_size_equal_time_runtime(wildcards):
    """Minutes: simulation as above + Lyapunov solves (~60 N^3 flops each, ~8 per J)."""
    c, st = FS_ET_CELLS[wildcards.etcell], FS_ET_PLAN["settings"]
    steps = (st.duration + st.burn_in) / st.dt
    flops = 4.0 * c["N"] ** 2 * st.trajectories * steps * c["realizations"]
    theory = 60.0 * c["N"] ** 3 * 8 * (c["realizations"] + c["mc_samples"] + 2 * c["site_samples"])
    return max(5, int((flops + theory) / 1e9 / 60 * 2))


def finite_size_study_outputs():
    if not FS_STUDY["enabled"]:
        return []
    return [
        f"{RESULTS}/finite_size_study.nc",
        *(f"{RESULTS}/figures/{name}.{ext}" for name in FINITE_SIZE_FIGURES for ext in ("pdf", "png")),
    ]


rule finite_size_study_cell:
    """Paired simulations + theory Monte Carlo of one (case, N)."""
    output:
        json=f"{RESULTS}/finite_size_study/{{fscell}}.json",
    params:
        cell=finite_size_study_cell_params,
    wildcard_constraints:
        fscell=r"[a-z]+(-[a-z]+[-+.e0-9]+)*_g[-+.e0-9]+_sigma2_[-+.e0-9]+/N[0-9]+",
    log:
        "logs/finite_size_study_cell/{fscell}.log",
    benchmark:
        "logs/benchmarks/finite_size_study_cell/{fscell}.tsv"
    threads: 1
    resources:
        mem_mb=lambda wildcards: 500 + int(40 * 8 * FS_CELLS[wildcards.fscell]["N"] ** 2 / 1e6),
        runtime=finite_size_study_runtime,
    script:
        "../scripts/finite_size_study_cell.py"


rule finite_size_equal_time_cell:
    """Equal-time rows: paired simulations, network Monte Carlo, analytic line of one (case, N)."""
    output:
        json=f"{RESULTS}/finite_size_study/equal_time/{{etcell}}.json",
    params:
        cell=finite_size_equal_time_cell_params,
    wildcard_constraints:
        etcell=r"[a-z]+(-[a-z]+[-+.e0-9]+)*_g[-+.e0-9]+_sigma2_[-+.e0-9]+/N[0-9]+",
    log:
        "logs/finite_size_equal_time_cell/{etcell}.log",
    benchmark:
        "logs/benchmarks/finite_size_equal_time_cell/{etcell}.tsv"
    threads: 1
    resources:
        mem_mb=lambda wildcards: 500 + int(60 * 8 * FS_ET_CELLS[wildcards.etcell]["N"] ** 2 / 1e6),
        runtime=finite_size_equal_time_runtime,
    script:
        "../scripts/finite_size_equal_time_cell.py"


rule finite_size_study_aggregate:
    """Join the cells into results/finite_size_study.nc."""
    input:
        cells=[f"{RESULTS}/finite_size_study/{stem}.json" for stem in FS_CELLS],
        et_cells=[f"{RESULTS}/finite_size_study/equal_time/{stem}.json" for stem in FS_ET_CELLS],
    output:
        nc=f"{RESULTS}/finite_size_study.nc",
    log:
        "logs/finite_size_study_aggregate.log",
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    script:
        "../scripts/finite_size_study_aggregate.py"


rule finite_size_study_figure:
    """The finite_size_correction figure (rnncorr.plots_finite_size)."""
    input:
        nc=f"{RESULTS}/finite_size_study.nc",
    output:
        pdf=f"{RESULTS}/figures/{{fsfigure}}.pdf",
        png=f"{RESULTS}/figures/{{fsfigure}}.png",
    wildcard_constraints:
        fsfigure="|".join(FINITE_SIZE_FIGURES),
    log:
        "logs/finite_size_study_figure/{fsfigure}.log",
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../scripts/finite_size_study_figure.py"
