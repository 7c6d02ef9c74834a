"""Bias of the block-mean centring of the cross-block estimator, on a vector AR(1) process whose
equal-time covariance C0, long-run covariance S and block-mean variances are known in closed
form (docs/NUMERICS.md, "Block means").

Process: y_t = Q z_t, z_{i,t+1} = rho_i z_{i,t} + sqrt(1 - rho_i^2) s_i eps, so Var z_i = s_i^2
and Cov(z_{i,t}, z_{i,t+k}) = s_i^2 rho_i^|k|. The variance of a sum of L consecutive samples
of mode i is V_L = s_i^2 [L (1 + rho)/(1 - rho) - 2 rho (1 - rho^L)/(1 - rho)^2], which gives the
expectation of every block covariance exactly:

* equal time, own mean of n samples: E C_A = (n C0 - V_n / n) / (n - 1);
* zero frequency, own mean of m window sums of length L: E Cov = (m V_L - V_{mL} / m) / (m - 1),
  and the Richardson combination [Cov(pairs) - Cov(singles)] / L.
"""

import numpy as np
import pytest

from rnncorr.estimators import (
    centred_block_covariances,
    covariance_statistics,
    mean_and_standard_error,
    moments_of,
    richardson_block_covariances,
)

N, BLOCKS, PER_BLOCK, REPEATS, WINDOW = 16, 8, 256, 160, 16
# half the modes fast (tau_int 1.5 steps), half slow (tau_int 12.5 steps): the slow ones lose
# more variance to the block mean, which flattens the spectrum and raises PR
RHO = np.where(np.arange(N) < N // 2, 0.92, 0.2)  # the large modes are the slow ones
SCALE2 = np.linspace(2.0, 0.5, N)  # stationary variances s_i^2


def _sum_variance(length):
    r = RHO
    return SCALE2 * (length * (1 + r) / (1 - r) - 2 * r * (1 - r**length) / (1 - r) ** 2)


def _own_mean_covariance(samples, length):
    """Expected own-mean covariance of `samples` consecutive sums of `length` steps (per mode)."""
    return (samples * _sum_variance(length) - _sum_variance(samples * length) / samples) / (
        samples - 1
    )


@pytest.fixture(scope="module")
def process():
    rng = np.random.default_rng(2024)
    q, _ = np.linalg.qr(rng.standard_normal((N, N)))
    steps = BLOCKS * PER_BLOCK
    z = rng.standard_normal((REPEATS, N)) * np.sqrt(SCALE2)  # stationary start
    innovation = np.sqrt((1 - RHO**2) * SCALE2)
    path = np.empty((steps, REPEATS, N))
    for t in range(steps):
        path[t] = z
        z = RHO * z + innovation * rng.standard_normal((REPEATS, N))
    return q, path @ q.T  # (steps, repeats, N) in the rotated basis


def _statistics(process, kind, centring):
    q, y = process
    out = []
    for r in range(REPEATS):
        blocks = np.split(y[:, r], BLOCKS)
        if kind == "equal_time":
            covs = centred_block_covariances(blocks, centring)
        else:
            windows = [
                b.reshape(PER_BLOCK // WINDOW, WINDOW, N).sum(axis=1)[:, None] for b in blocks
            ]
            covs = richardson_block_covariances(windows, float(WINDOW), centring)
        out.append(moments_of(covs).statistics())
    return out


def _predicted(q, diagonal):
    return covariance_statistics(q @ np.diag(diagonal) @ q.T)


def test_equal_time_block_mean_bias_is_as_predicted_and_global_or_known_mean_removes_it(process):
    q, _ = process
    truth = _predicted(q, SCALE2)
    biased = _predicted(q, _own_mean_covariance(PER_BLOCK, 1))
    assert biased["pr_over_n"] > truth["pr_over_n"] * 1.02  # a bias worth measuring: > 2 %
    stats = {c: _statistics(process, "equal_time", c) for c in ("block", "global", "known")}
    pr = {c: np.array([s["pr_over_n"] for s in v]) for c, v in stats.items()}
    a = {c: np.array([s["a"] for s in v]) for c, v in stats.items()}
    # own block means: biased exactly as predicted (within 3 s.e.), and far from the truth
    mean, se = mean_and_standard_error(pr["block"])
    assert abs(mean - biased["pr_over_n"]) < 3 * se
    assert abs(mean - truth["pr_over_n"]) > 8 * se
    mean, se = mean_and_standard_error(a["block"])
    assert abs(mean - biased["a"]) < 3 * se
    # the known mean has no centring bias; the global mean a K-fold smaller one
    for centring in ("known", "global"):
        mean, se = mean_and_standard_error(pr[centring])
        assert abs(mean - truth["pr_over_n"]) < 3 * se, centring
    paired = mean_and_standard_error(pr["block"] - pr["known"])
    global_paired = mean_and_standard_error(pr["global"] - pr["known"])
    assert abs(global_paired[0]) < abs(paired[0]) / 4


def test_zero_frequency_block_mean_bias_is_as_predicted(process):
    """The Richardson estimate with own block means is biased by -c/T_A, c = int |u| C(u) du."""
    q, _ = process
    m = PER_BLOCK // WINDOW
    single = _own_mean_covariance(m, WINDOW) / WINDOW
    double = _own_mean_covariance(m // 2, 2 * WINDOW) / WINDOW
    biased = _predicted(q, double - single)
    unbiased = _predicted(q, SCALE2 * (1 + RHO) / (1 - RHO))  # S, the long-run covariance
    for centring, expected in (("block", biased), ("known", None)):
        stats = _statistics(process, "zero_frequency", centring)
        a = np.array([s["a"] for s in stats])
        mean, se = mean_and_standard_error(a)
        if expected is not None:
            assert abs(mean - expected["a"]) < 3 * se
        # Richardson leaves an O(tau^2/W^2) window bias; the known mean removes the rest
        assert mean < unbiased["a"]
    assert biased["a"] < unbiased["a"]
