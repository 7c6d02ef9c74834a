# Terminal rules: every figure is a function of results/simulations.nc and results/theory.nc
# (rnncorr.plots); `rnncorr plot NAME` regenerates any of them without the workflow.
from rnncorr.plots import FIGURES


def figure_files():
    return [f"{RESULTS}/figures/{name}.{ext}" for name in FIGURES for ext in ("pdf", "png")]


rule figure:
    input:
        simulations=f"{RESULTS}/simulations.nc",
        theory=f"{RESULTS}/theory.nc",
    output:
        pdf=report(
            f"{RESULTS}/figures/{{figure}}.pdf",
            caption="../report/figure.rst",
            category="Figures",
            subcategory="{figure}",
        ),
        png=f"{RESULTS}/figures/{{figure}}.png",
    wildcard_constraints:
        figure="|".join(FIGURES),
    log:
        "logs/figure/{figure}.log",
    benchmark:
        "logs/benchmarks/figure/{figure}.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../scripts/figure.py"
