"""Figures carry the data they claim to show (checked on the Figure objects, not pixels)."""

import numpy as np
import pytest
import xarray as xr

from rnncorr import plots
from rnncorr.estimators import mean_and_standard_error

KINDS = ["zero_frequency", "equal_time"]
VARIABLES = ["x", "phi"]


@pytest.fixture
def simulations(rng):
    acts = ["linear", "tanh", "power-alpha0.5"]
    shape = (3, 2, 4, 2, 3, 2, 2)  # activation, N, g, sigma2, realization, kind, variable
    dims = ("activation", "N", "g", "sigma2", "realization", "kind", "variable")
    data = {s: (dims, rng.uniform(0.1, 1.0, shape)) for s in ("a", "cbar", "nc2", "pr_over_n")}
    diverged = np.zeros(shape[:5], dtype=np.int8)
    diverged[0, :, 3] = 1  # linear at g = 1.5 ran away
    data["pr_over_n"][1][0, :, 3] = np.nan
    data["diverged"] = (dims[:5], diverged)
    modes = 40
    eig = np.sort(rng.uniform(0.2, 5.0, (*shape, modes)), axis=-1)[..., ::-1]
    data["eigenvalues"] = ((*dims, "mode"), eig)
    coords = {
        "activation": acts,
        "N": [20, 40],
        "g": [0.3, 0.6, 0.9, 1.5],
        "sigma2": [0.5, 1.0],
        "realization": [0, 1, 2],
        "kind": KINDS,
        "variable": VARIABLES,
        "mode": np.arange(modes),
    }
    return xr.Dataset(data, coords=coords)


@pytest.fixture
def theory(simulations):
    g = np.linspace(0.05, 2.0, 40)
    g = np.union1d(g, simulations.g.values)
    shape = (3, g.size, 2, 2, 2)
    dims = ("activation", "g", "sigma2", "kind", "variable")
    base = np.broadcast_to(np.clip(1 - g**2, 0.05, 1)[None, :, None, None, None], shape).copy()
    data = {s: (dims, base.copy()) for s in ("a", "cbar", "nc2", "pr_over_n")}
    data["p_0"] = (("activation", "g", "sigma2", "variable"), np.full((3, g.size, 2, 2), -0.5))
    data["g_eff"] = (dims[:3], np.broadcast_to(0.5 * g[None, :, None], shape[:3]).copy())
    data["valid"] = (dims[:3], np.ones(shape[:3], dtype=np.int8))
    coords = {
        "activation": simulations.activation.values,
        "g": g,
        "sigma2": [0.5, 1.0],
        "kind": KINDS,
        "variable": VARIABLES,
    }
    return xr.Dataset(data, coords=coords)


def _by_gid(fig, gid):
    found = [artist for ax in fig.axes for artist in ax.get_children() if artist.get_gid() == gid]
    found += [line for ax in fig.axes for line in ax.lines if line.get_gid() == gid]
    assert found, f"no artist {gid}"
    return found[0]


def _errorbar_points(fig, gid):
    """The (x, y) of an errorbar's marker line (errorbar passes gid on to that line)."""
    line = _by_gid(fig, gid)
    return np.asarray(line.get_xdata()), np.asarray(line.get_ydata())


def test_pr_vs_g_points_are_realization_means(simulations, theory):
    fig = plots.plot_pr_vs_g(simulations, theory)
    x, y = _errorbar_points(fig, "sim:tanh:N40")
    expected = simulations.pr_over_n.sel(
        activation="tanh", N=40, sigma2=0.5, kind="zero_frequency", variable="phi"
    )
    mean, _ = mean_and_standard_error(expected.transpose("g", "realization").values, axis=1)
    np.testing.assert_allclose(x, simulations.g.values)
    np.testing.assert_allclose(y, mean)
    line = _by_gid(fig, "theory:tanh")
    np.testing.assert_allclose(line.get_xdata(), theory.g.values)


def test_statistics_vs_g_has_every_statistic_kind_and_variable(simulations, theory):
    fig = plots.plot_statistics_vs_g(simulations, theory)
    assert len(fig.axes) == 3 * 4
    titles = {ax.get_title() for ax in fig.axes if ax.get_title()}
    assert titles == {
        "zero frequency, x",
        "zero frequency, phi",
        "equal time, x",
        "equal time, phi",
    }


def test_diverged_linear_cells_are_gaps_and_counted(simulations, theory):
    fig = plots.plot_linear_vs_nonlinear(simulations, theory)
    _, y = _errorbar_points(fig, "sim:linear")
    assert np.isnan(y[-1]) and np.isfinite(y[:-1]).all()
    fraction = _by_gid(fig, "diverged:linear").get_ydata()
    np.testing.assert_allclose(fraction, [0, 0, 0, 1])


def test_spectrum_histogram_uses_one_simulated_network(simulations, theory):
    fig = plots.plot_spectrum(simulations, theory)
    assert len(fig.axes) == 3
    density = _by_gid(fig, "theory:density")
    assert np.all(density.get_ydata() >= 0)


def test_power_collapse_maps_g_to_the_collapse_variable(simulations, theory):
    fig = plots.plot_power_collapse(simulations, theory)
    x, _ = _errorbar_points(fig, "sim:power-alpha0.5:1.0")
    np.testing.assert_allclose(x, 1.0 * simulations.g.values ** (-2 / (1 - 0.5)))
    limit = _by_gid(fig, "limit:power-alpha0.5").get_ydata()[0]
    assert 0 < limit < 1


@pytest.mark.parametrize("name", list(plots.FIGURES))
def test_every_figure_saves_to_pdf_and_png(simulations, theory, tmp_path, name):
    fig = plots.FIGURES[name](simulations, theory)
    for suffix in ("pdf", "png"):
        path = plots.save_figure(fig, tmp_path / f"{name}.{suffix}")
        assert path.stat().st_size > 1000
    assert not list(tmp_path.glob(".*"))  # no temporary files left behind


def test_unknown_figure_name_lists_the_allowed_ones(tmp_path):
    with pytest.raises(ValueError, match="allowed: pr_vs_g"):
        plots.make_figure("nope", tmp_path / "s.nc", None)


def test_estimator_noise_keeps_the_mean_and_broadens_the_spectrum():
    """The estimator is unbiased, so the mean eigenvalue (tr C / N) is the population's to
    within its sampling error (~ sqrt(2/(N n)) ~ 0.6% here); the spread grows (Marchenko–Pastur)."""
    from rnncorr.config import SimulationSettings

    population = np.linspace(1.0, 2.0, 40)
    settings = SimulationSettings(trajectories=8, duration=400, blocks=4, window=10)
    noisy = plots.with_estimator_noise(population, settings, seed=1)
    assert noisy.mean() == pytest.approx(population.mean(), rel=0.03)
    assert noisy.std() > population.std()
