# rnncorr: statistics of correlations in random nonlinear recurrent neural networks.
# Table of contents only; see workflow/rules/*.smk. Run with
#   snakemake --cores all --workflow-profile workflow/profiles/default
from snakemake.utils import min_version

min_version("9.0")


configfile: "config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/simulate.smk"
include: "workflow/rules/theory.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/trained.smk"
include: "workflow/rules/random_mode.smk"
include: "workflow/rules/finite_size.smk"


# cheap rules run on the submitting machine, not through a cluster scheduler
localrules:
    aggregate,
    theory,
    finite_size,


rule all:
    input:
        final_outputs(),
        trained_outputs(),
        random_mode_outputs(),
        finite_size_study_outputs(),
    default_target: True
