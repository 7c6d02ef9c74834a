"""Every figure of a finished default run (`make figures`: results/ in the repository) passes
the referee checks of rnncorr.plots.figure_problems: printed activation names, no legend on the
data, no theory gap that is a numerical failure. Skipped where the run has not been made (CI);
the same checks run on a tiny workflow in test_workflow.py and on small datasets in
tests/unit/test_plots.py."""

import pytest
import xarray as xr

from rnncorr.plots import FIGURES, figure_problems, plt
from rnncorr.plots_random_mode import RANDOM_MODE_FIGURES
from rnncorr.plots_trained import TRAINED_FIGURES

pytestmark = pytest.mark.workflow


def _load(path):
    if not path.exists():
        pytest.skip(f"{path} not made (run `make figures` first)")
    return xr.load_dataset(path)


def test_default_run_figures_pass_the_referee_checks(repo):
    results = repo / "results"
    simulations, theory = _load(results / "simulations.nc"), _load(results / "theory.nc")
    problems = {}
    for name, draw in FIGURES.items():
        problems[name] = figure_problems(draw(simulations, theory))
    if (results / "trained/trained.nc").exists():
        trained = _load(results / "trained/trained.nc")
        for name, draw in TRAINED_FIGURES.items():
            problems[name] = figure_problems(draw(trained))
    if (results / "random_mode/random_mode.nc").exists():
        random_mode = _load(results / "random_mode/random_mode.nc")
        for name, draw in RANDOM_MODE_FIGURES.items():
            problems[name] = figure_problems(draw(random_mode))
    plt.close("all")
    assert {name: found for name, found in problems.items() if found} == {}
