"""The finite-size figure and its dataset (rnncorr.plots_finite_size, rnncorr.finite_size_study)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rnncorr.config import load_config
from rnncorr.finite_size_study import (
    coupling_control_variates,
    equal_time_plan,
    regression_mean,
    series_range_n,
    study_dataset,
    study_plan,
)
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


def _et_cell(label: str, g: float, n: int, p_inf: float, offset: float, rng) -> dict:
    """A synthetic equal_time_cell output (units of PR) whose control variate sits on the line."""
    out = {"label": label, "g": g, "sigma2": 1.0, "N": n, "n_j": 16, "g_eff": 0.36}
    for var in ("x", "phi"):
        inf = n * p_inf
        out[var] = {
            "sim": (inf + offset + 0.05 * rng.standard_normal(), 0.05),
            "paired": (0.01 * rng.standard_normal(), 0.01),
            "het_mc": (inf + offset, 0.01),
            "het_mc_plain": (inf + offset, 0.02),
            "cv": (inf + offset, 0.014),
            "time_step_shift": (0.01, 0.0005),
            "site": (0.025, 0.004),
            "pr_inf": inf,
            "p_inf": p_inf,
            "p_0": offset - 0.025,
            "pr_hom": inf + offset - 0.025,
            "pr_analytic": inf + offset,
            "site_method": "monte carlo (10 J)",
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


@pytest.fixture
def dataset_with_equal_time():
    rng = np.random.default_rng(1)
    cells = [
        _cell(label, g, n, 0.3, -0.6, rng)
        for label, g in (("tanh", 1.0), ("power-alpha0.5", 0.8), ("pade-a0.0666667-b0.4", 1.0))
        for n in (50, 100, 200, 400)
    ]
    et_cells = [
        _et_cell(label, g, n, 0.93, -0.07, rng)
        for label, g in (("tanh", 0.5), ("power-alpha0.5", 0.35), ("pade-a0.0666667-b0.4", 0.5))
        for n in (50, 100, 200)
    ]
    return study_dataset(cells, et_cells)


def test_dataset_with_equal_time(dataset_with_equal_time):
    ds = dataset_with_equal_time
    assert ds.sizes == {"case": 3, "N": 4, "variable": 2, "et_case": 3, "et_N": 3}
    assert list(ds["variable"].values) == ["phi", "x"]
    d = ds.sel(et_case="tanh g=0.5 sigma2=1", variable="x")
    assert np.allclose(d["pr_equal_time_cv"] - d["pr_equal_time_pr_inf"], -0.07)
    assert ds["pr_equal_time_pr_analytic"].attrs["site_method"] == "monte carlo"
    # g_eff of the zero-frequency cases from the single site: tanh g = 1 -> 0.674
    assert float(ds["g_eff"].sel(case="tanh g=1 sigma2=1")) == pytest.approx(0.674, abs=2e-3)


def test_figure_with_equal_time_rows(dataset_with_equal_time, tmp_path):
    from rnncorr.plots import figure_problems

    fig = plot_finite_size_correction(dataset_with_equal_time)
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert len(axes) == 9  # zero frequency, equal-time x, equal-time phi; 3 cases each
    ylabels = [ax.get_ylabel() for ax in axes]
    assert sum("equal time" in y for y in ylabels) == 6
    labels = fig.legends[0].get_texts()
    assert any("site term (site term: Monte Carlo)" in t.get_text() for t in labels)
    assert any("series' range" in t.get_text() for t in labels)  # tanh g = 1 at N = 50
    assert figure_problems(fig) == []
    save_figure(fig, tmp_path / "fs.png")


def test_series_range_n():
    assert series_range_n(0.674) == pytest.approx(20 / (1 - 0.674**2) ** 2)
    assert series_range_n(0.357) == pytest.approx(26.27, abs=0.01)  # N = 50 is inside
    assert series_range_n(1.0) == math.inf


def test_regression_mean_is_unbiased_and_tighter():
    rng = np.random.default_rng(3)
    u = rng.standard_normal((400, 2))
    y = 1.0 + 2.0 * u[:, 0] - u[:, 1] + 0.3 * rng.standard_normal(400)
    mean, se = regression_mean(y, u)
    plain_se = y.std(ddof=1) / math.sqrt(len(y))
    assert abs(mean - 1.0) < 3 * se  # true mean 1 (known means of u: 0)
    assert se == pytest.approx(0.3 / math.sqrt(400), rel=0.15)  # residual noise only
    assert se < plain_se / 5


def test_coupling_control_variates_have_mean_zero():
    # the regression control variates need E[u] = 0 exactly (real Ginibre J/g)
    rng = np.random.default_rng(4)
    n, g = 12, 0.7
    u = np.array(
        [coupling_control_variates(g * rng.standard_normal((n, n)) / math.sqrt(n), g)
         for _ in range(4000)]
    )  # fmt: skip
    mean = u.mean(axis=0)
    se = u.std(axis=0, ddof=1) / math.sqrt(len(u))
    assert np.all(np.abs(mean) < 4 * se), (mean, se)


def test_equal_time_plan_from_config():
    base = {"grid": {"N": [20], "g": [0.5], "sigma2": [1.0], "activations": [{"name": "tanh"}]}}
    config = load_config(
        base
        | {
            "finite_size_study": {
                "enabled": True,
                "simulation": {"duration": 300.0},
                "equal_time": {
                    "cases": [{"activation": {"name": "tanh"}, "g": 0.5, "sigma2": 1.0}],
                    "N": [50, 100],
                    "realizations": [8, 4],
                    "mc_samples": [20, 10],
                    "site_samples": [6, 4],
                    "simulation": {"trajectories": 4},
                },
            }
        }
    )
    plan = equal_time_plan(config)
    assert list(plan["cells"]) == ["tanh_g0.5_sigma2_1/N50", "tanh_g0.5_sigma2_1/N100"]
    assert plan["cells"]["tanh_g0.5_sigma2_1/N100"]["site_samples"] == 4
    assert plan["settings"].duration == 300.0 and plan["settings"].trajectories == 4
    assert equal_time_plan(load_config(base))["cells"] == {}


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
