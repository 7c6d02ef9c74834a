"""Simulation engine: exact limits, determinism, divergence as data."""

import math

import numpy as np
import pytest

from rnncorr import get_activation
from rnncorr.config import Cell, SimulationSettings
from rnncorr.simulate import realization_seed, simulate_cell, simulate_realization

SHORT = SimulationSettings(
    realizations=2, trajectories=8, duration=400, burn_in=10, dt=0.2, blocks=4, window=10
)


def _run(cell, settings=SHORT, seed=3):
    return simulate_cell(cell, settings, seed, progress=False)


@pytest.mark.parametrize("integrator", ["heun", "euler"])
def test_uncoupled_network_is_an_exact_ou_process(integrator):
    """g = 0: x is an OU process with variance sigma2/2 and zero-frequency power sigma2.

    Exponential Euler is exact here for both schemes. N = 50, 16 trajectories, T = 800:
    the s.e. of a (equal time) is ~0.5% and of a (zero frequency) ~2%; tolerances 4 s.e.
    """
    settings = SimulationSettings(
        realizations=1,
        trajectories=16,
        duration=800,
        burn_in=10,
        dt=0.2,
        integrator=integrator,
        blocks=4,
        window=20,
    )
    cell = Cell(get_activation("linear"), 50, 0.0, 2.0)
    (real,) = _run(cell, settings).realizations
    et, zf = real.statistics["equal_time"]["x"], real.statistics["zero_frequency"]["x"]
    assert et["a"] == pytest.approx(1.0, rel=0.02)
    assert zf["a"] == pytest.approx(2.0, rel=0.08)
    assert et["pr_over_n"] == pytest.approx(1.0, abs=0.03)  # independent units


def test_same_seed_gives_identical_statistics():
    cell = Cell(get_activation("tanh"), 30, 0.8, 1.0)
    first, second = _run(cell), _run(cell)
    for r1, r2 in zip(first.realizations, second.realizations, strict=True):
        assert r1.statistics == r2.statistics
        np.testing.assert_array_equal(
            r1.eigenvalues["equal_time"]["phi"], r2.eigenvalues["equal_time"]["phi"]
        )


def test_different_seeds_or_realizations_differ():
    cell = Cell(get_activation("tanh"), 30, 0.8, 1.0)
    a, b = _run(cell, seed=1), _run(cell, seed=2)
    assert a.realizations[0].statistics != b.realizations[0].statistics
    assert a.realizations[0].statistics != a.realizations[1].statistics


def test_seed_depends_on_cell_not_on_grid_position():
    cell = Cell(get_activation("tanh"), 30, 0.8, 1.0)
    same = Cell(get_activation("tanh"), 30, 0.8000000000001, 1.0)  # rounds to the same path
    assert realization_seed(0, cell, 0).entropy == realization_seed(0, same, 0).entropy


@pytest.mark.parametrize(("name", "g"), [("linear", 1.6), ("relu", 3.0)])
def test_diverging_network_is_recorded_not_raised(name, g):
    """Linear runs away for g > 1; relu only once its active half is unstable (g > ~sqrt 2)."""
    cell = Cell(get_activation(name), 30, g, 1.0)
    result = _run(cell)
    for real in result.realizations:
        assert real.diverged
        assert math.isfinite(real.diverged_at) and real.diverged_at <= SHORT.burn_in + 400
        assert all(math.isnan(v) for v in real.statistics["zero_frequency"]["x"].values())


def test_sublinear_network_does_not_diverge_at_large_g():
    cell = Cell(get_activation("power", alpha=0.5), 30, 3.0, 1.0)
    assert not any(r.diverged for r in _run(cell).realizations)


def test_float32_agrees_with_float64_within_sampling_error():
    """Same seeds: float32 noise differs from float64 noise, so compare statistically.

    s.e. of equal-time a for N = 40, B = 8, T = 400: ~1%; tolerance 5%.
    """
    cell = Cell(get_activation("tanh"), 40, 0.5, 1.0)
    settings32 = SimulationSettings(**{**SHORT.as_dict(), "float32": True})
    r64 = simulate_realization(cell.activation, 40, 0.5, 1.0, SHORT, realization_seed(0, cell, 0))
    r32 = simulate_realization(
        cell.activation, 40, 0.5, 1.0, settings32, realization_seed(0, cell, 0)
    )
    a64 = r64.statistics["equal_time"]["x"]["a"]
    a32 = r32.statistics["equal_time"]["x"]["a"]
    assert a32 == pytest.approx(a64, rel=0.05)
