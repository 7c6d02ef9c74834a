"""Analytic equal-time site term (docs/finite_size_equal_time.md §6)."""

from __future__ import annotations

import numpy as np
import pytest

from rnncorr import get_activation
from rnncorr.theory._finite_n_equal_time import (
    equal_time_linear_equivalent_series,
    equal_time_montecarlo,
)
from rnncorr.theory._gauss import gauss_average
from rnncorr.theory._site_equal_time import equal_time_site_coefficients

TANH = get_activation("tanh")


def test_grid_trace_is_planar_trace_node_by_node():
    """The symbolic-gain grid evaluates the same recursion as planar_trace at every node."""
    from rnncorr.theory._site import _K, _KT, _R, _T, _frequency_nodes, _GridTrace, planar_trace

    k2 = 0.45
    z, _ = _frequency_nodes(3)
    zz = np.concatenate([z, np.conj(z)])
    grid = _GridTrace(k2, [zz, zz, zz])
    s = grid.symbol
    word = ((_R, s(0)), (_T, s(1, True)), (_K, 0), (_R, s(2)), (_KT, 0), (_T, s(0, True)),
            (_R, s(1)), (_T, s(2, True)))  # fmt: skip
    values = grid(word)
    assert values.shape == (6, 6, 6)
    for i, j, m in [(0, 3, 5), (5, 2, 1), (4, 4, 0)]:
        gains = {s(0): zz[i], s(1): zz[j], s(2): zz[m]}
        numeric = tuple((t, gains[a] if t == _R else np.conj(gains[a - 1]) if t == _T else 0)
                        for t, a in word)  # fmt: skip
        assert values[i, j, m] == pytest.approx(planar_trace(numeric, k2), rel=1e-13)


@pytest.fixture(scope="module")
def tanh_half():
    return equal_time_site_coefficients(TANH, 0.5, 1.0, nodes=6)


def test_large_n_values_are_the_white_residual_network(tanh_half):
    """The grid engine's N = infinity traces reproduce the equal-time series of the same
    (white-residual) network, and N Var Delta_i (orthogonal invariance) its cavity v_1."""
    from rnncorr.theory._heterogeneous import site_scalars

    sc = site_scalars(TANH, 0.5, 1.0)
    ref = equal_time_linear_equivalent_series(sc.g_eff, sc.s0, 1.0, sc.white_residual)
    x = tanh_half["x"]
    assert x["a_inf"] == pytest.approx(ref["a_inf"], rel=1e-7)
    assert x["a_inf"] == pytest.approx(sc.delta0, rel=1e-7)
    assert x["b_inf"] == pytest.approx(ref["b_inf"], rel=1e-7)
    assert x["v_1"] == pytest.approx(ref["v_1"], rel=1e-6)
    # phi map: a_inf = F(Delta0) = <phi^2>
    assert tanh_half["phi"]["a_inf"] == pytest.approx(
        float(gauss_average(TANH, "phi2", sc.delta0)), rel=1e-10
    )


def test_uniform_gain_derivative_and_channels(tanh_half):
    from rnncorr.theory._heterogeneous import site_scalars

    sc = site_scalars(TANH, 0.5, 1.0)
    k2 = sc.g_eff**2
    x = tanh_half["x"]
    # mean channel of a = N ebar d a/d eps(uniform), d ln Delta/d ln s = k2/(1 - k2)
    tau_a = x["channels"]["a"]["mean"] / tanh_half["n_ebar"]
    assert tau_a == pytest.approx(sc.delta0 * k2 / (1 - k2), rel=1e-5)
    # the correlated channel dominates and has the sign of S' (saturating phi lowers a)
    assert x["channels"]["a"]["correlated"] < 0 < x["p_0"]
    # tau_c = E dSigma_00/deps_0 = 0 at leading order (tau(R_z K) = 0)
    assert tanh_half["tau_c"] == pytest.approx(0.0, abs=1e-12)
    # the site parts sum the channels
    assert x["a_1"] == pytest.approx(sum(x["channels"]["a"].values()), rel=1e-12)


def test_linear_activation_has_no_equal_time_site_term():
    site = equal_time_site_coefficients(get_activation("linear"), 0.6, 1.0, nodes=4)
    for var in ("x", "phi"):
        for key in ("p_0", "a_1", "nc2_1"):
            assert site[var][key] == pytest.approx(0.0, abs=1e-12), (var, key)


# Against the paired Monte Carlo of the heterogeneous network (het - hom on the same J,
# ``equal_time_montecarlo``), tolerance 2 s.e. of the MC mean (its spread is mostly the
# J-to-J fluctuation of the mean gain ebar). The analytic value is the N -> infinity limit; the
# O(1/N) remainder at N = 100 is ~3 % at tanh g = 0.5 (MC 200 J: a_x -0.0230 +- 0.0006 at
# N = 100, -0.0250 +- 0.0009 at N = 200; analytic -0.0237), below 2 s.e. of 40 J.
@pytest.mark.slow
def test_equal_time_site_term_against_paired_montecarlo(tanh_half):
    N, n_j = 100, 40
    analytic = tanh_half
    mc = equal_time_montecarlo(TANH, 0.5, 1.0, N, n_j, np.random.SeedSequence([2028, N]))
    assert mc["excluded"] == 0
    for var in ("x", "phi"):
        d = mc["het_minus_hom"][var]
        for stat, key in (("a", "a_1"), ("nc2", "nc2_1"), ("pr_over_n", "p_0")):
            mean, se = d[stat]  # het - hom of a, Nc2, PR/N: the coefficient / N
            assert abs(analytic[var][key] / N - mean) < 2 * se, (var, stat)


def test_complete_coefficients_add_series_and_site(tanh_half):
    from rnncorr.theory._finite_n_equal_time import equal_time_finite_n_coefficients

    c = equal_time_finite_n_coefficients(TANH, 0.5, 1.0, site_nodes=6)
    for var in ("x", "phi"):
        for key in ("p_0", "a_1", "nc2_1"):
            assert c[var][key] == pytest.approx(c[var][f"{key}_le"] + c[var][f"{key}_site"])
            assert c[var][f"{key}_site"] == pytest.approx(tanh_half[var][key], rel=1e-12)
    assert c["x"]["p_0_le"] == pytest.approx(-0.0980, abs=5e-4)  # docs §2.2
