"""Equal-time rows of the finite-size study (rnncorr.finite_size_study, docs §5.5)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rnncorr import get_activation
from rnncorr.config import SimulationSettings
from rnncorr.finite_size_study import (
    equal_time_analytic,
    equal_time_cell,
    equal_time_network_montecarlo,
    exponential_heun_covariance,
)


@pytest.mark.slow
def test_network_montecarlo_on_the_analytic_line():
    """Heterogeneous network at N = 40 (Lyapunov, no dynamics) against N p_inf + p_0 + site.

    tanh g = 0.5 (N (1 - g_eff^2)^2 = 30, inside the series' range). The analytic line's site
    term is a Monte Carlo (site_samples = 30) until equal_time_prediction has an analytic one;
    the offset (-0.07) is resolved and the line agrees within 3 combined s.e. (5-15 s).
    """
    act, n = get_activation("tanh"), 40
    mc = equal_time_network_montecarlo(act, 0.5, 1.0, n, 300, np.random.SeedSequence(11))
    line = equal_time_analytic(act, 0.5, 1.0, n, site_samples=30, seed=12)["x"]
    assert line["site_method"] in ("analytic", "monte carlo (30 J)")
    mean, se = mc["x"]["pr"]
    assert se < mc["x"]["pr_plain"][1]  # the regression control variates help
    offset = mean - line["pr_inf"]
    assert abs(offset) > 3 * se  # N = infinity rejected
    assert abs(mean - line["pr_analytic"]) < 3 * math.hypot(se, line["site"][1])
    if line["site_method"] != "analytic":  # series + the Monte Carlo site term
        assert line["pr_analytic"] == pytest.approx(line["pr_hom"] + line["site"][0])


@pytest.mark.slow
def test_equal_time_cell_pairs_simulation_and_network():
    """Small cell (N = 24, 4 J x 8 x 600): the paired difference is small, cv = het_mc + paired."""
    settings = SimulationSettings(
        realizations=1, trajectories=8, duration=600.0, burn_in=40.0, dt=0.2, blocks=4, window=25
    )
    out = equal_time_cell({"name": "tanh"}, 0.5, 1.0, 24, 4, settings, 20, 4, 5)
    assert out["n_j"] == 4 and out["mc_samples"] == 20
    for var in ("x", "phi"):
        o = out[var]
        assert o["cv"][0] == pytest.approx(o["het_mc"][0] + o["paired"][0])
        assert o["cv"][1] == pytest.approx(math.hypot(o["het_mc"][1], o["paired"][1]))
        # per J the network removes the J-to-J spread: paired s.e. below the plain one
        assert o["paired"][1] < o["sim"][1]
    # x: the network reproduces the simulation J by J (within 3 s.e.; phi's map is approximate)
    assert abs(out["x"]["paired"][0]) < 3 * out["x"]["paired"][1]


def test_exponential_heun_covariance_is_the_simulators_stationary_covariance():
    """Linear network (gains 1, no residual), N = 30, g = 0.5, dt = 0.5: the discrete Lyapunov
    solution is the fixed point of the simulator's step map, and it differs from the
    continuous-time covariance at O(dt^2) (ratio of the differences at dt and dt/2 ~ 4)."""
    from scipy.linalg import solve_continuous_lyapunov

    rng = np.random.default_rng(3)
    n = 30
    J = rng.standard_normal((n, n)) * 0.5 / math.sqrt(n)
    ones = np.ones(n)
    exact = solve_continuous_lyapunov(J - np.eye(n), -np.eye(n))
    dt = 0.5
    sigma = exponential_heun_covariance(J, ones, 1.0, 0.0, dt)
    e, c = math.exp(-dt), 1 - math.exp(-dt)
    M = e * np.eye(n) + 0.5 * c * (1 + e) * J + 0.5 * c * c * J @ J
    B = np.eye(n) + 0.5 * c * J
    fixed = M @ sigma @ M.T + 0.5 * (1 - e * e) * B @ B.T
    assert np.allclose(fixed, sigma, rtol=0, atol=1e-12)
    err = np.abs(sigma - exact).max()
    err_half = np.abs(exponential_heun_covariance(J, ones, 1.0, 0.0, dt / 2) - exact).max()
    assert 3.0 < err / err_half < 5.0, (err, err_half)
