"""The self-consistent heterogeneous linear-equivalent network (rnncorr.theory._heterogeneous)."""

import math

import numpy as np
import pytest

from rnncorr import get_activation
from rnncorr.theory._finite_n import linear_equivalent_statistics
from rnncorr.theory._heterogeneous import (
    heterogeneous_finite_n_prediction,
    heterogeneous_statistics,
    self_consistent_gains,
    site_scalars,
)

TANH = get_activation("tanh")


def _coupling(n: int, g: float, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, n)) * g / math.sqrt(n)


def test_site_scalars_reproduce_reference_numbers():
    # science.md §11: tanh, g = 0.5, sigma2 = 1: Delta0 = 0.53613, S0 = 0.71489
    s = site_scalars(TANH, 0.5, 1.0)
    assert s.delta0 == pytest.approx(0.53613, abs=1e-5)
    assert s.s0 == pytest.approx(0.71489, abs=1e-5)
    # P as tabulated in docs/finite_size.md §5
    assert s.residual_power == pytest.approx(0.007517, abs=2e-6)


def test_white_residual_makes_large_n_variance_exact():
    """Q is defined so that Delta = (sigma2 + g^2 Q)/(2 sqrt(1 - g_eff^2)) equals Delta0."""
    s = site_scalars(TANH, 1.0, 1.0)
    delta = (s.sigma2 + s.g**2 * s.white_residual) / (2 * math.sqrt(1 - s.g_eff**2))
    assert delta == pytest.approx(s.delta0, rel=1e-12)


def test_homogeneous_network_is_the_linear_equivalent_network():
    s = site_scalars(TANH, 1.0, 1.0)
    J = _coupling(60, 1.0, 3)
    hom = heterogeneous_statistics(J, TANH, s, heterogeneous=False)
    ref = linear_equivalent_statistics(J, s.s0, s.sigma2, s.residual_power)
    for var in ("x", "phi"):
        for stat in ("a", "nc2", "pr"):
            assert hom[var][stat] == pytest.approx(ref[var][stat], rel=1e-10)


def test_linear_activation_has_no_heterogeneity():
    """phi' = 1 everywhere: every gain stays 1, and x = phi has the exact linear covariance."""
    linear = get_activation("linear")
    s = site_scalars(linear, 0.5, 1.0)
    assert s.residual_power == pytest.approx(0.0, abs=1e-12)
    J = _coupling(50, 0.5, 4)
    het = heterogeneous_statistics(J, linear, s)
    assert het["gain_sd"] == 0.0
    ref = linear_equivalent_statistics(J, 1.0, 1.0, 0.0)
    assert het["phi"]["pr"] == pytest.approx(ref["phi"]["pr"], rel=1e-10)
    # equal time: Lyapunov with A = 1 - J (Q = 0): check against a direct Kronecker solve
    n = J.shape[0]
    A = np.eye(n) - J
    K = np.kron(np.eye(n), A) + np.kron(A, np.eye(n))
    sigma = np.linalg.solve(K, np.eye(n).ravel()).reshape(n, n)
    assert het["equal_time_a_x"] == pytest.approx(np.trace(sigma) / n, rel=1e-10)


def test_gains_are_self_consistent_and_spread_like_one_over_sqrt_n():
    s = site_scalars(TANH, 1.0, 1.0)
    spreads = []
    for n in (64, 256):
        sol = self_consistent_gains(_coupling(n, 1.0, n), TANH, s)
        # fixed point: s_i = <phi'> at the unit's own variance
        from rnncorr.theory._gauss import gauss_average

        assert np.allclose(sol["gains"], gauss_average(TANH, "dphi", sol["variances"]), atol=1e-8)
        spreads.append(np.std(sol["gains"]) * math.sqrt(n))
    # sqrt(N) sd(s_i) is O(1) and N-independent; one J per N: allow its sampling spread
    # (relative sd of a sample sd of n values ~ 1/sqrt(2 n) < 8 %, plus J-to-J variation)
    assert spreads[1] == pytest.approx(spreads[0], rel=0.25)


def test_prediction_reports_paired_difference():
    out = heterogeneous_finite_n_prediction(TANH, 1.0, 1.0, N=40, n_samples=6, seed=1)
    assert out["n_samples"] + out["excluded"] == 6
    d = out["het_minus_hom"]["phi"]["pr"]
    assert d == pytest.approx(out["het"]["phi"]["pr"] - out["hom"]["phi"]["pr"], rel=1e-9)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="sigma2"):
        site_scalars(TANH, 1.0, 0.0)
    with pytest.raises(ValueError, match="n_samples"):
        heterogeneous_finite_n_prediction(TANH, 1.0, 1.0, N=40, n_samples=1, seed=1)
