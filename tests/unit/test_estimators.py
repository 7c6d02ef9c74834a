"""Estimators on synthetic Gaussian data with a known covariance.

The cross-block estimator must be unbiased where the plug-in PR is biased low by the sampling
noise (Marchenko–Pastur): with n samples of dimension N, E tr C_hat^2 = tr C^2 + (tr C)^2/n + ...
"""

import numpy as np
import pytest

from rnncorr.estimators import (
    BlockMoments,
    block_covariance,
    covariance_statistics,
    cross_block_statistics,
    mean_and_standard_error,
)


def _covariance(rng, n):
    """A covariance with a spread spectrum: PR/N well below 1, non-zero cross-covariances."""
    a = rng.standard_normal((n, n)) / np.sqrt(n)
    return np.eye(n) + 0.8 * a @ a.T + 0.05


def test_known_covariance_statistics():
    n = 4
    cov = np.full((n, n), 0.5) + 0.5 * np.eye(n)  # 1 on the diagonal, 0.5 off it
    stats = covariance_statistics(cov)
    assert stats["a"] == pytest.approx(1.0)
    assert stats["cbar"] == pytest.approx(0.5)
    assert stats["nc2"] == pytest.approx(n * 0.25)
    assert stats["pr_over_n"] == pytest.approx(16.0 / (4 + 12 * 0.25) / n)


def test_block_covariance_is_the_unbiased_sample_covariance(rng):
    samples = rng.standard_normal((50, 3))
    cov = block_covariance(samples.sum(0), samples.T @ samples, 50)
    np.testing.assert_allclose(cov, np.cov(samples.T), rtol=1e-12)


def test_cross_block_pr_is_unbiased_where_the_naive_one_is_not(rng):
    """N = 60, 8 blocks of 40 samples (n/N < 1: the naive PR is strongly biased).

    Over 40 repetitions the s.e. of the mean cross-block PR/N is about 0.004; the tolerance is
    4 s.e. The naive estimate must miss by more than 10 s.e.
    """
    n, blocks, per_block, repeats = 60, 8, 40, 40
    cov = _covariance(rng, n)
    exact = covariance_statistics(cov)
    chol = np.linalg.cholesky(cov)
    cross, naive, nc2 = [], [], []
    for _ in range(repeats):
        data = [rng.standard_normal((per_block, n)) @ chol.T for _ in range(blocks)]
        stats = cross_block_statistics(data)
        cross.append(stats["pr_over_n"])
        naive.append(stats["pr_over_n_naive"])
        nc2.append(stats["nc2"])
    mean, se = mean_and_standard_error(np.array(cross))
    assert abs(mean - exact["pr_over_n"]) < 4 * se
    naive_mean = np.mean(naive)
    assert exact["pr_over_n"] - naive_mean > 10 * se
    nc2_mean, nc2_se = mean_and_standard_error(np.array(nc2))
    assert abs(nc2_mean - exact["nc2"]) < 4 * nc2_se


def test_white_noise_gives_pr_one(rng):
    """iid N(0, I): PR/N = 1 exactly; 8 blocks of 100 samples at N = 100: s.e. ~ 0.01."""
    data = [rng.standard_normal((100, 100)) for _ in range(8)]
    stats = cross_block_statistics(data)
    assert stats["pr_over_n"] == pytest.approx(1.0, abs=0.04)
    assert stats["a"] == pytest.approx(1.0, abs=0.02)  # s.e. of a: sqrt(2/(N n)) ~ 0.005
    assert stats["pr_over_n_naive"] < 0.92  # plug-in: 1 / (1 + N/n) ~ 0.89


def test_fewer_than_two_blocks_gives_nan():
    moments = BlockMoments(3)
    moments.add_block(np.eye(3))
    assert all(np.isnan(v) for v in moments.statistics().values())


def test_mean_and_standard_error_ignores_diverged_realizations():
    mean, se = mean_and_standard_error(np.array([1.0, 3.0, np.nan]))
    assert mean == pytest.approx(2.0)
    assert se == pytest.approx(np.sqrt(2.0) / np.sqrt(2.0))
