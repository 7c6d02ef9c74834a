# Terminal rules: every figure is a function of results/simulations.nc and results/theory.nc
# (rnncorr.plots); `rnncorr plot NAME` regenerates any of them without the workflow.
# One rule per figure (figure_<name>), so that each PNG enters the report with its own caption
# (workflow/report/figures/<name>.rst) in the category of its figure family.
from rnncorr.plots import FIGURES

#: report category of every figure family (rnncorr.plots, plots_random_mode, plots_trained)
FIGURE_CATEGORIES = {
    "pr_vs_g": "1 Theory vs simulation",
    "statistics_vs_g": "1 Theory vs simulation",
    "linear_vs_nonlinear": "1 Theory vs simulation",
    "input_vs_output_dimension": "2 Input vs output dimension",
    "power_collapse": "3 Power-law scaling collapse",
    "spectrum": "4 Covariance spectra",
    "finite_size_scaling": "5 Finite-size scaling",
    "random_mode_pr": "6 Random-mode connectivity",
    "trained_lambda": "7 Trained attractor networks",
    "trained_map": "7 Trained attractor networks",
}


def figure_files():
    return [f"{RESULTS}/figures/{name}.{ext}" for name in FIGURES for ext in ("pdf", "png")]


def figure_png(name):
    """The PNG of one figure, registered in the report with the figure's own caption."""
    return report(
        f"{RESULTS}/figures/{name}.png",
        caption=f"../report/figures/{name}.rst",
        category=FIGURE_CATEGORIES.get(name, "Figures"),
        subcategory=name,
        labels={"figure": name, "file": "PNG (PDF next to it)"},
    )


for _figure in FIGURES:

    rule:
        name:
            f"figure_{_figure}"
        input:
            simulations=f"{RESULTS}/simulations.nc",
            theory=f"{RESULTS}/theory.nc",
        output:
            pdf=f"{RESULTS}/figures/{_figure}.pdf",
            png=figure_png(_figure),
        params:
            figure=_figure,
        log:
            f"logs/figure/{_figure}.log",
        benchmark:
            f"logs/benchmarks/figure/{_figure}.tsv"
        threads: 1
        resources:
            mem_mb=2000,
            runtime=10,
        localrule: True
        script:
            "../scripts/figure.py"
