r"""Finite-size scaling of the participation dimension across the grid's network sizes.

At each (activation, g, sigma2, kind, variable) the realization-averaged PR = N * pr_over_n is
fitted by weighted least squares to

    PR(N) = N p_inf + p_0            (or + p_1 / N, when at least 4 sizes are available)

with weights 1/se^2 from the spread over J realizations (docs/science.md §7). The parameter
standard errors come from the weighted normal equations; ``chi2_per_dof`` says whether the model
and the error bars agree (~1) or the 1/N expansion is not enough (>> 1, e.g. near g = 1).
"""

from __future__ import annotations

import itertools

import numpy as np
import xarray as xr

from rnncorr.estimators import mean_and_standard_error

__all__ = ["fit_pr_scaling", "weighted_linear_fit"]


def weighted_linear_fit(
    design: np.ndarray, values: np.ndarray, errors: np.ndarray
) -> tuple[np.ndarray, np.ndarray, float]:
    """Weighted least squares: coefficients, their standard errors, chi^2 per degree of freedom.

    Rows with a non-finite value are dropped. Without usable errors (NaN or 0), the fit is
    unweighted and the parameter errors are scaled by the residual variance.
    """
    keep = np.isfinite(values) & np.all(np.isfinite(design), axis=1)
    design, values, errors = design[keep], values[keep], errors[keep]
    n_params = design.shape[1]
    nan = np.full(n_params, np.nan)
    if values.size < n_params:
        return nan, nan, np.nan
    weighted = np.all(np.isfinite(errors)) and np.all(errors > 0)
    weights = 1.0 / errors if weighted else np.ones_like(values)
    a = design * weights[:, None]
    b = values * weights
    coefficients, *_ = np.linalg.lstsq(a, b, rcond=None)
    dof = values.size - n_params
    chi2 = float(np.sum((a @ coefficients - b) ** 2))
    covariance = np.linalg.pinv(a.T @ a)
    if not weighted:
        covariance *= chi2 / dof if dof > 0 else np.nan
    chi2_per_dof = chi2 / dof if dof > 0 and weighted else np.nan
    return coefficients, np.sqrt(np.diag(covariance)), chi2_per_dof


def fit_pr_scaling(simulations: xr.Dataset, with_p1: bool | None = None) -> xr.Dataset:
    """Fit PR(N) = N p_inf + p_0 (+ p_1/N) at every grid point of an aggregate dataset.

    Parameters
    ----------
    simulations : xarray.Dataset
        The aggregate (``results/simulations.nc``) with at least two N values.
    with_p1 : bool, optional
        Include the p_1/N term; default: only when there are at least 4 sizes.

    Returns
    -------
    xarray.Dataset
        ``p_inf, p_inf_se, p_0, p_0_se, chi2_per_dof`` (and ``p_1, p_1_se``) on
        (activation, g, sigma2, kind, variable), plus the realization means ``pr_mean, pr_se``
        on (activation, N, g, sigma2, kind, variable) that entered the fit.
    """
    sizes = simulations.N.values.astype(float)
    if with_p1 is None:
        with_p1 = sizes.size >= 4
    columns = [sizes, np.ones_like(sizes)] + ([1.0 / sizes] if with_p1 else [])
    design = np.stack(columns, axis=1)
    names = ["p_inf", "p_0"] + (["p_1"] if with_p1 else [])

    pr = simulations.pr_over_n * simulations.N
    order = ("activation", "N", "g", "sigma2", "kind", "variable", "realization")
    values = pr.transpose(*order).values
    mean, se = mean_and_standard_error(values, axis=-1)
    outer = ("activation", "g", "sigma2", "kind", "variable")
    shape = tuple(simulations.sizes[d] for d in outer)
    results = {name: np.full(shape, np.nan) for name in names}
    errors = {name: np.full(shape, np.nan) for name in names}
    chi2 = np.full(shape, np.nan)
    for index in itertools.product(*(range(n) for n in shape)):
        a, g, s, k, v = index
        coefficients, stderr, chi2[index] = weighted_linear_fit(
            design, mean[a, :, g, s, k, v], se[a, :, g, s, k, v]
        )
        for i, name in enumerate(names):
            results[name][index] = coefficients[i]
            errors[name][index] = stderr[i]
    data = {}
    for name in names:
        data[name] = (outer, results[name], {"long_name": f"fitted {name} of PR(N)"})
        data[f"{name}_se"] = (outer, errors[name], {"long_name": f"standard error of {name}"})
    data["chi2_per_dof"] = (outer, chi2, {"long_name": "weighted chi^2 per degree of freedom"})
    inner = ("activation", "N", "g", "sigma2", "kind", "variable")
    data["pr_mean"] = (inner, mean, {"long_name": "PR averaged over J realizations"})
    data["pr_se"] = (inner, se, {"long_name": "standard error of pr_mean"})
    coords = {d: simulations[d].values for d in inner}
    model = "PR(N) = N p_inf + p_0" + (" + p_1 / N" if with_p1 else "")
    return xr.Dataset(data, coords=coords, attrs={"model": model, "fit": "weighted least squares"})
