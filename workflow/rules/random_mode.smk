# Optional branch: random-mode connectivity (docs/science.md §9, docs/random_mode.md). Reads the
# `connectivity:` config section (defaults in workflow/schemas/config.schema.yaml); one job per
# (g_eff, sigma2, connectivity) cell simulates its J realizations, one job solves the theory,
# then one aggregate and the random_mode_* figures. `random_mode_outputs()` is empty unless
# connectivity.enabled is true.
import json

from rnncorr.config import ConfigError, format_value
from rnncorr.plots_random_mode import RANDOM_MODE_FIGURES
from rnncorr.random_mode import connectivity_params, random_mode_plan

RANDOM_MODE = CONFIG["connectivity"]
try:
    RM_PLAN = random_mode_plan(CONFIG) if RANDOM_MODE["enabled"] else None
except ConfigError as error:
    raise WorkflowError(f"{error}") from None


def _rm_cells():
    """{path stem: (g_eff, sigma2, RandomMode)} of the scan (empty when disabled)."""
    if RM_PLAN is None:
        return {}
    return {
        f"{conn.label}/g{format_value(g)}_sigma2_{format_value(s2)}": (g, s2, conn)
        for g in RM_PLAN["g_eff"]
        for s2 in RM_PLAN["sigma2"]
        for conn in RM_PLAN["connectivities"]
    }


RM_CELLS = _rm_cells()
RM_PREFIX = (
    f"{RESULTS}/random_mode/cells/{RM_PLAN['activation'].label}_N{RM_PLAN['N']}"
    if RM_PLAN
    else f"{RESULTS}/random_mode/cells/disabled"
)


def random_mode_cell_params(wildcards):
    """JSON of one cell (a param, so a changed cell or setting reruns it)."""
    g, s2, conn = RM_CELLS[wildcards.rmcell]
    return json.dumps(
        {
            "activation": RM_PLAN["activation_entry"],
            "N": RM_PLAN["N"],
            "g_eff": g,
            "sigma2": s2,
            "connectivity": connectivity_params(conn),
            "settings": RM_PLAN["settings"].as_dict(),
            "seed": RM_PLAN["seed"],
        },
        sort_keys=True,
    )


def random_mode_theory_params(wildcards):
    return json.dumps(
        {
            "activation": RM_PLAN["activation_entry"],
            "N": RM_PLAN["N"],
            "g_eff": RM_PLAN["g_eff"],
            "sigma2": RM_PLAN["sigma2"],
            "connectivities": [connectivity_params(c) for c in RM_PLAN["connectivities"]],
        },
        sort_keys=True,
    )


def random_mode_cell_files():
    return [f"{RM_PREFIX}/{path}.nc" for path in RM_CELLS]


def random_mode_figure_files():
    return [
        f"{RESULTS}/figures/{name}.{ext}" for name in RANDOM_MODE_FIGURES for ext in ("pdf", "png")
    ]


def random_mode_outputs():
    if not RANDOM_MODE["enabled"]:
        return []
    return [f"{RESULTS}/random_mode/random_mode.nc", *random_mode_figure_files()]


def random_mode_runtime(wildcards):
    """Minutes: two N^2 B products per step (Heun) at a conservative 1 GFlop/s."""
    st, n = RM_PLAN["settings"], RM_PLAN["N"]
    steps = (st.duration + st.burn_in) / st.dt
    flops = 4.0 * n * n * st.trajectories * steps * st.realizations
    return max(5, int(flops / 1e9 / 60 * 2))


rule random_mode_cell:
    """Simulate the J realizations of one (g_eff, sigma2, connectivity) cell."""
    output:
        nc=f"{RM_PREFIX}/{{rmcell}}.nc",
    params:
        cell=random_mode_cell_params,
    wildcard_constraints:
        rmcell=r"rm-[-+.a-z0-9]+/g[-+.e0-9]+_sigma2_[-+.e0-9]+",
    log:
        "logs/random_mode_cell/{rmcell}.log",
    benchmark:
        "logs/benchmarks/random_mode_cell/{rmcell}.tsv"
    threads: 1
    resources:
        mem_mb=lambda wildcards: 300 + int(12 * 8 * RM_PLAN["N"] ** 2 / 1e6),
        runtime=random_mode_runtime,
    script:
        "../scripts/random_mode_cell.py"


rule random_mode_theory:
    """Large-N theory of the scan (one iid solve per (g_eff, sigma2), ranks in closed form)."""
    output:
        nc=f"{RESULTS}/random_mode/theory.nc",
    params:
        scan=random_mode_theory_params,
    log:
        "logs/random_mode_theory.log",
    benchmark:
        "logs/benchmarks/random_mode_theory.tsv"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../scripts/random_mode_theory.py"


rule random_mode_aggregate:
    """Join cells and theory into results/random_mode/random_mode.nc."""
    input:
        cells=random_mode_cell_files(),
        theory=f"{RESULTS}/random_mode/theory.nc",
    output:
        nc=f"{RESULTS}/random_mode/random_mode.nc",
    log:
        "logs/random_mode_aggregate.log",
    benchmark:
        "logs/benchmarks/random_mode_aggregate.tsv"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    script:
        "../scripts/random_mode_aggregate.py"


for _rmfigure in RANDOM_MODE_FIGURES:

    rule:
        """Figures of the random-mode branch (rnncorr.plots_random_mode)."""
        name:
            f"random_mode_figure_{_rmfigure}"
        input:
            nc=f"{RESULTS}/random_mode/random_mode.nc",
        output:
            pdf=f"{RESULTS}/figures/{_rmfigure}.pdf",
            png=figure_png(_rmfigure),
        params:
            figure=_rmfigure,
        log:
            f"logs/random_mode_figure/{_rmfigure}.log",
        benchmark:
            f"logs/benchmarks/random_mode_figure/{_rmfigure}.tsv"
        threads: 1
        resources:
            mem_mb=2000,
            runtime=10,
        script:
            "../scripts/random_mode_figure.py"
