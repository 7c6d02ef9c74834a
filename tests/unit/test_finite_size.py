"""Finite-size fit: recovers known p_inf, p_0 from synthetic PR(N) within their errors."""

import numpy as np
import pytest
import xarray as xr

from rnncorr.finite_size import fit_pr_scaling, weighted_linear_fit


def test_weighted_fit_recovers_a_line_exactly():
    n = np.array([50.0, 100, 200, 400])
    design = np.stack([n, np.ones_like(n)], axis=1)
    coefficients, se, chi2 = weighted_linear_fit(design, 0.56 * n - 0.86, np.full(4, 0.1))
    np.testing.assert_allclose(coefficients, [0.56, -0.86], atol=1e-10)
    assert chi2 == pytest.approx(0.0, abs=1e-12)
    assert np.all(se > 0)


def test_fit_pr_scaling_on_synthetic_realizations(rng):
    """PR = N p_inf + p_0 + noise (s.d. 0.5 per realization, 64 realizations): p_0 s.e. ~ 0.1;
    over 4 grid points the fitted p_0 must lie within 4 s.e. and chi2/dof must not be large."""
    sizes = np.array([50, 100, 200, 400])
    p_inf, p_0 = 0.5625, -0.86
    realizations = 64
    shape = (1, 4, 2, 1, 1, 2, realizations)  # activation, N, g, sigma2, kind, variable, real.
    noise = rng.normal(0, 0.5, shape)
    pr = sizes[None, :, None, None, None, None, None] * p_inf + p_0 + noise
    dims = ("activation", "N", "g", "sigma2", "kind", "variable", "realization")
    sims = xr.Dataset(
        {"pr_over_n": (dims, pr / sizes[None, :, None, None, None, None, None])},
        coords={
            "activation": ["linear"],
            "N": sizes,
            "g": [0.3, 0.5],
            "sigma2": [1.0],
            "kind": ["zero_frequency"],
            "variable": ["x", "phi"],
            "realization": np.arange(realizations),
        },
    )
    fit = fit_pr_scaling(sims, with_p1=False)
    assert np.all(np.abs(fit.p_0 - p_0) < 4 * fit.p_0_se)
    assert np.all(np.abs(fit.p_inf - p_inf) < 4 * fit.p_inf_se)
    assert np.all(fit.p_0_se < 0.3)
    # chi2 with 2 dof: P(chi2/2 > 10) = e^-10, so < 10 fails only for a wrong model or errors
    assert np.all(np.isfinite(fit.chi2_per_dof) & (fit.chi2_per_dof < 10))


def test_too_few_sizes_give_nan():
    design = np.array([[100.0, 1.0]])
    coefficients, se, chi2 = weighted_linear_fit(design, np.array([50.0]), np.array([1.0]))
    assert np.isnan(coefficients).all() and np.isnan(chi2)
