# Optional branch: trained attractor networks (docs/science.md §10, docs/trained.md). Reads the
# `trained:` config section (defaults in workflow/schemas/config.schema.yaml); one job per
# (activation, seed) scans the (g, target) grid, then one aggregate and two figures.
# `trained_outputs()` is empty unless trained.enabled is true.
import json

from rnncorr.plots_trained import TRAINED_FIGURES

TRAINED = CONFIG["trained"]


def trained_cell_params(wildcards):
    """JSON of one scan job (a param, so a changed grid reruns it)."""
    return json.dumps(
        {
            "activation": wildcards.tactivation,
            "seed": int(wildcards.tseed),
            "g": TRAINED["g"],
            "targets": TRAINED["targets"],
            "N": TRAINED["N"],
            "ridge": TRAINED["ridge"],
        },
        sort_keys=True,
    )


def trained_cell_files():
    return [
        f"{RESULTS}/trained/cells/{activation}_seed{seed}.nc"
        for activation in TRAINED["activations"]
        for seed in TRAINED["seeds"]
    ]


def trained_figure_files():
    return [
        f"{RESULTS}/figures/{name}.{ext}" for name in TRAINED_FIGURES for ext in ("pdf", "png")
    ]


def trained_outputs():
    if not TRAINED["enabled"]:
        return []
    return [f"{RESULTS}/trained/trained.nc", *trained_figure_files()]


def trained_runtime(wildcards):
    """Minutes: per network 10 N^3 (Newton) + 4000 N^2 (eigen, relaxation) flops, 0.2 GFlop/s."""
    n = TRAINED["N"]
    networks = len(TRAINED["g"]) * len(TRAINED["targets"])
    flops = networks * (10.0 * n**3 + 4000.0 * n**2)
    return max(5, int(flops / 0.2e9 / 60 * 2))


rule trained_cell:
    """Single-target trained networks of one activation and seed on the (g, target) grid."""
    output:
        nc=f"{RESULTS}/trained/cells/{{tactivation}}_seed{{tseed}}.nc",
    params:
        cell=trained_cell_params,
    wildcard_constraints:
        tactivation="[a-z]+",
        tseed="[0-9]+",
    log:
        "logs/trained_cell/{tactivation}_seed{tseed}.log",
    benchmark:
        "logs/benchmarks/trained_cell/{tactivation}_seed{tseed}.tsv"
    threads: 1
    resources:
        mem_mb=lambda wildcards: 500 + int(6 * 8 * TRAINED["N"] ** 2 / 1e6),
        runtime=trained_runtime,
    script:
        "../scripts/trained_cell.py"


rule trained_aggregate:
    """Combine the scan jobs into results/trained/trained.nc (dims activation, g, target, seed)."""
    input:
        cells=trained_cell_files(),
    output:
        nc=f"{RESULTS}/trained/trained.nc",
    log:
        "logs/trained_aggregate.log",
    benchmark:
        "logs/benchmarks/trained_aggregate.tsv"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    script:
        "../scripts/trained_aggregate.py"


for _tfigure in TRAINED_FIGURES:

    rule:
        """Figures of the trained branch (rnncorr.plots_trained)."""
        name:
            f"trained_figure_{_tfigure}"
        input:
            nc=f"{RESULTS}/trained/trained.nc",
        output:
            pdf=f"{RESULTS}/figures/{_tfigure}.pdf",
            png=figure_png(_tfigure),
        params:
            figure=_tfigure,
        log:
            f"logs/trained_figure/{_tfigure}.log",
        benchmark:
            f"logs/benchmarks/trained_figure/{_tfigure}.tsv"
        threads: 1
        resources:
            mem_mb=2000,
            runtime=10,
        script:
            "../scripts/trained_figure.py"
