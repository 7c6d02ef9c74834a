"""The finite-size figure and its dataset (rnncorr.plots_finite_size, rnncorr.finite_size_study)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rnncorr.config import load_config
from rnncorr.finite_size_study import study_dataset, study_plan
from rnncorr.plots_finite_size import (
    make_finite_size_figure,
    plot_finite_size_correction,
    save_figure,
)


def _cell(label: str, g: float, n: int, p_inf: float, p_0: float, rng) -> dict:
    """A synthetic study_cell output whose J average follows N p_inf + p_0 (PR/N units)."""
    out = {
        "label": label,
        "g": g,
        "sigma2": 1.0,
        "N": n,
        "n_j": 16,
        "p_0_le.phi": p_0 - 1.5,
        "p_0_le.x": p_0 - 1.5,
        "p_0_analytic.phi": math.nan,
        "p_0_analytic.x": math.nan,
    }
    for var in ("phi", "x"):
        v = p_inf + p_0 / n
        out[var] = {
            "sim": (v + 0.01 * rng.standard_normal() / n, 0.5 / n),
            "paired": (0.001 * rng.standard_normal(), 0.1 / n),
            "het_mc": (v, 0.05 / n),
            "hom_mc": (v - 1.5 / n, 0.05 / n),
            "site_mc": (1.5, 0.1),
            "cv": (v, 0.12 / n),
            "p_inf": p_inf,
        }
    return out


@pytest.fixture
def dataset():
    rng = np.random.default_rng(0)
    cells = [
        _cell(label, g, n, p_inf, p_0, rng)
        for label, g, p_inf, p_0 in (("tanh", 1.0, 0.3, -0.6), ("power-alpha0.5", 0.8, 0.2, -1.3))
        for n in (50, 100, 200)
    ]
    return study_dataset(cells)


def test_dataset_layout(dataset):
    assert dataset.sizes == {"case": 2, "N": 3, "variable": 2}
    assert list(dataset["N"].values) == [50, 100, 200]
    # the synthetic control-variate points sit on N p_inf + p_0
    d = dataset.sel(variable="phi").isel(case=1)
    offset = d["N"] * (d["cv"] - d["p_inf"])
    assert np.allclose(offset, -0.6)


def test_figure_builds_and_saves(dataset, tmp_path):
    fig = plot_finite_size_correction(dataset)
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert len(axes) == 2
    labels = axes[0].get_legend_handles_labels()[1]
    assert any("paired" in lab for lab in labels)
    assert any("p_0^LE + p_0^site (MC" in lab for lab in labels)  # no analytic p_0 here
    from rnncorr.plots import figure_problems

    assert figure_problems(fig) == []  # printed names, legend off the data (issue 18)
    assert "power, α = 0.5" in " ".join(ax.get_title() for ax in axes)
    path = save_figure(fig, tmp_path / "fs.png")
    assert path.stat().st_size > 10_000
    nc = tmp_path / "fs.nc"
    dataset.to_netcdf(nc)
    save_figure(make_finite_size_figure("finite_size_correction", nc), tmp_path / "fs.pdf")
    with pytest.raises(ValueError, match="unknown"):
        make_finite_size_figure("nope", nc)


def test_study_plan_from_config():
    config = load_config(
        {
            "grid": {"N": [20], "g": [0.5], "sigma2": [1.0], "activations": [{"name": "tanh"}]},
            "finite_size_study": {
                "enabled": True,
                "cases": [{"activation": {"name": "power", "alpha": 0.5}, "g": 0.8, "sigma2": 1.0}],
                "N": [50, 100],
                "realizations": [8, 4],
                "mc_samples": [20, 10],
                "simulation": {"duration": 300.0},
            },
        }
    )
    plan = study_plan(config)
    assert list(plan["cells"]) == [
        "power-alpha0.5_g0.8_sigma2_1/N50",
        "power-alpha0.5_g0.8_sigma2_1/N100",
    ]
    assert plan["cells"]["power-alpha0.5_g0.8_sigma2_1/N100"]["realizations"] == 4
    assert plan["settings"].duration == 300.0
    assert (
        load_config(
            {"grid": {"N": [20], "g": [0.5], "sigma2": [1.0], "activations": [{"name": "tanh"}]}}
        )["finite_size_study"]["enabled"]
        is False
    )


def test_site_term_limit_is_the_intercept_in_one_over_n():
    from rnncorr.finite_size_study import site_term_limit

    n = np.array([50, 100, 200])
    site = 2.0 - 30.0 / n  # exact line: intercept 2
    limit, se = site_term_limit(n, site, np.full(3, 0.05))
    assert limit == pytest.approx(2.0, abs=1e-12)
    assert 0.05 < se < 0.3  # an extrapolation is less precise than one point
    assert site_term_limit([100], [1.7], [0.05]) == (1.7, 0.05)
    assert all(math.isnan(v) for v in site_term_limit([100], [math.nan], [0.05]))
