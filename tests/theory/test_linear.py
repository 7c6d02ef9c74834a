"""Exact linear network (rnncorr.theory._linear, science.md §4): closed forms, their scaling
with sigma2, finite-N matrices, the eigenvalue density of the zero-frequency covariance, and
the general noisy route of _noisy with phi(x) = x."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from rnncorr.activations import get_activation
from rnncorr.theory._linear import (
    linear_equal_time,
    linear_spectrum_cdf,
    linear_spectrum_density,
    linear_spectrum_support,
    linear_zero_frequency,
)
from rnncorr.theory._noisy import single_site, zero_frequency_statistics

try:
    from reference_values import REFERENCE
except ModuleNotFoundError:  # tests/ is on sys.path only once tests/conftest.py exists
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from reference_values import REFERENCE


def test_reference_values_zero_frequency_and_equal_time():
    zf = linear_zero_frequency(0.5)
    for name, ref in REFERENCE["linear_zero_freq_g0.5"].values.items():
        # stated to ref.decimals: half a unit in the last digit
        assert abs(zf[name.split("/")[-1]] - ref.value) <= ref.atol
    et = linear_equal_time(0.5)
    for name, ref in REFERENCE["linear_equal_time_g0.5"].values.items():
        assert abs(et[name.split("/")[-1]] - ref.value) <= ref.atol


def test_support_matches_science_md():
    lo, hi = linear_spectrum_support(0.5)
    ref = REFERENCE["linear_spectrum_g0.5"].values
    # stated to 6 decimals (science.md §4): |error| <= 5e-7
    assert abs(lo - ref["support_min"].value) <= 1e-6
    assert abs(hi - ref["support_max"].value) <= 1e-6


@pytest.mark.parametrize("sigma2", [0.25, 3.0])
def test_scaling_with_sigma2(sigma2):
    g = np.array([0.1, 0.5, 0.9])
    for fn in (linear_zero_frequency, linear_equal_time):
        one, s = fn(g, 1.0), fn(g, sigma2)
        # exact algebra: a ~ sigma2, Nc2 ~ sigma2^2, PR/N invariant (rounding only)
        np.testing.assert_allclose(s["a"], sigma2 * one["a"], rtol=1e-14)
        np.testing.assert_allclose(s["nc2"], sigma2**2 * one["nc2"], rtol=1e-13)
        np.testing.assert_allclose(s["pr_over_n"], one["pr_over_n"], rtol=1e-14)
    lo1, hi1 = linear_spectrum_support(0.5, 1.0)
    lo, hi = linear_spectrum_support(0.5, sigma2)
    assert (lo, hi) == pytest.approx((sigma2 * lo1, sigma2 * hi1), rel=1e-14)


def test_nan_beyond_instability():
    for fn in (linear_zero_frequency, linear_equal_time):
        st = fn(np.array([0.5, 1.0, 1.7]))
        for val in st.values():
            assert np.isfinite(val[0]) and np.isnan(val[1]) and np.isnan(val[2])
        assert all(math.isnan(v) for v in fn(1.0).values())
    with pytest.raises(ValueError, match="0 < g < 1"):
        linear_spectrum_support(1.0)
    with pytest.raises(ValueError, match="sigma2 must be"):
        linear_zero_frequency(0.5, 0.0)


def test_pr_identity():
    g = np.linspace(0.0, 0.95, 20)
    for fn in (linear_zero_frequency, linear_equal_time):
        st = fn(g, 1.7)
        # PR/N = a^2 / (a^2 + Nc2) (science.md §2), algebraic
        np.testing.assert_allclose(
            st["pr_over_n"], st["a"] ** 2 / (st["a"] ** 2 + st["nc2"]), rtol=1e-12
        )


def _lyapunov_by_eigenvectors(a_mat: np.ndarray) -> np.ndarray:
    """C = int_0^inf e^(A t) e^(A^T t) dt, the solution of A C + C A^T + 1 = 0 (A stable):
    with A = V L V^-1, C = V [W_ij / -(l_i + conj(l_j))] V^H, W = V^-1 V^-H."""
    lam, vec = np.linalg.eig(a_mat)
    vinv = np.linalg.inv(vec)
    w = vinv @ vinv.conj().T
    return (vec @ (w / -(lam[:, None] + lam.conj()[None, :])) @ vec.conj().T).real


def test_equal_time_closed_form_against_lyapunov_at_finite_n():
    """(J - 1) C + C (J - 1)^T + sigma2 = 0 at N = 400, averaged over 3 draws of J."""
    g, n = 0.5, 400
    rng = np.random.default_rng(7)
    a, pr = [], []
    for k in range(3):
        j = rng.normal(0.0, g / math.sqrt(n), (n, n))
        c = _lyapunov_by_eigenvectors(j - np.eye(n))
        if k == 0:  # the eigenvector route solves the Lyapunov equation (residual ~1e-13)
            resid = (j - np.eye(n)) @ c + c @ (j - np.eye(n)).T + np.eye(n)
            assert np.max(np.abs(resid)) < 1e-10
        a.append(np.trace(c) / n)
        pr.append(np.trace(c) ** 2 / np.sum(c * c) / n)


@pytest.mark.parametrize("g", [0.3, 0.5, 0.8])
def test_density_is_normalised_and_reproduces_the_moments(g):
    """int p = 1, int lambda p = a = 1/(1-g^2), int lambda^2 p = (1/N) tr C^2 = 1/(1-g^2)^4."""
    lo, hi = linear_spectrum_support(g)
    mid, half = 0.5 * (lo + hi), 0.5 * (hi - lo)
    x, w = np.polynomial.legendre.leggauss(400)
    theta = 0.5 * math.pi * x  # lambda = mid + half sin(theta): smooth at square-root edges
    lam = mid + half * np.sin(theta)
    weight = w * 0.5 * math.pi * half * np.cos(theta) * linear_spectrum_density(lam, g)
    zf = linear_zero_frequency(g)
    # Gauss-Legendre on the smoothed density: observed <= 3e-14 for g = 0.3, 0.5, 0.8
    assert np.sum(weight) == pytest.approx(1.0, abs=1e-11)
    assert np.sum(weight * lam) == pytest.approx(zf["a"], rel=1e-11)
    assert np.sum(weight * lam**2) == pytest.approx(zf["a"] ** 2 + zf["nc2"], rel=1e-11)
    assert float(linear_spectrum_cdf(hi, g)) == pytest.approx(1.0, abs=1e-11)  # observed 7e-15
    assert linear_spectrum_density(np.array([0.5 * lo, 2 * hi]), g).tolist() == [0.0, 0.0]


def test_density_against_sampled_matrices():
    """Eigenvalues of C = (1 - J)^-1 (1 - J)^-T, N = 1000: KS distance and a histogram."""
    g, n = 0.5, 1000
    rng = np.random.default_rng(2022)
    a_mat = np.eye(n) - rng.normal(0.0, g / math.sqrt(n), (n, n))
    lam = 1.0 / np.linalg.eigvalsh(a_mat.T @ a_mat)
    res = stats.kstest(lam, lambda x: linear_spectrum_cdf(x, g))
    # eigenvalues of one large random matrix are rigid (fluctuations O(1/N) in the bulk,
    # N^(-2/3) at the edges): observed KS distance 4.5e-3; an iid sample of 1000 would give
    # ~0.027 at p = 0.5, so 0.02 is both generous and informative
    assert res.statistic < 0.02
    hist, edges = np.histogram(lam, bins=12, range=linear_spectrum_support(g))
    expected = n * np.diff(linear_spectrum_cdf(edges, g))
    # counts per bin 2-512: observed max deviation 2.6 counts (rigidity again)
    assert np.max(np.abs(hist - expected)) < 15
    lo, hi = linear_spectrum_support(g)
    assert lo * 0.98 < lam.min() and lam.max() < hi * 1.02  # edges: N^(-2/3) ~ 1% fluctuations


@pytest.mark.parametrize("g", [0.0, 0.2, 0.5, 0.8, 0.95])
@pytest.mark.parametrize("sigma2", [1.0, 0.3])
def test_general_noisy_route_equals_closed_forms(g, sigma2):
    act = get_activation("linear")
    site = single_site(act, g, sigma2)
    st = zero_frequency_statistics(act, g, sigma2, site)
    exact = linear_zero_frequency(g, sigma2)
    for var in ("x", "phi"):
        for stat, val in exact.items():
            # brief: to 1e-6; observed 1e-13 (closed-form averages, Gauss-Legendre exact for
            # the constant integrand of the linear case)
            assert st[var][stat] == pytest.approx(val, rel=1e-6, abs=1e-12), (var, stat)
    assert site.delta0 == pytest.approx(linear_equal_time(g, sigma2)["a"], rel=1e-12)
