"""Large-N mean-field theory of correlation statistics (docs/science.md §3–§8).

``solve(activation, g, sigma2, noise_tau=None)`` is the one entry point: it dispatches to

* the noise-driven saddle point (sigma2 > 0, white noise): ``_noisy`` for the single site (E1)
  and the zero-frequency statistics (R1, R2), ``_dmft`` for the equal-time statistics (R3 and
  the derived equal-time statistics of x, docs/theory.md);
* the chaotic DMFT (sigma2 = 0): ``_chaos``;
* Ornstein–Uhlenbeck (coloured) noise: ``_colored``.

Closed forms: ``_linear`` (exact linear network, §4) and ``_power`` (power law, §5).
"""

from __future__ import annotations

import math

from rnncorr.activations import Activation
from rnncorr.theory._chaos import solve_chaos
from rnncorr.theory._colored import solve_colored
from rnncorr.theory._dmft import DMFTConvergenceError, equal_time_statistics
from rnncorr.theory._finite_n import (
    finite_n_prediction,
    linear_equivalent_statistics,
    linear_finite_n,
    linear_finite_n_coefficients,
    montecarlo_linear_statistics,
    nonlinear_finite_n_coefficients,
)
from rnncorr.theory._finite_n_equal_time import (
    equal_time_montecarlo,
    equal_time_series,
)
from rnncorr.theory._noisy import single_site, zero_frequency_statistics
from rnncorr.theory._result import (
    KINDS,
    STATISTICS,
    VARIABLES,
    SingleSite,
    TheoryResult,
    nan_statistics,
)
from rnncorr.theory._site import finite_n_statistics

__all__ = [
    "KINDS",
    "STATISTICS",
    "VARIABLES",
    "SingleSite",
    "TheoryResult",
    "equal_time_montecarlo",
    "equal_time_series",
    "finite_n_prediction",
    "finite_n_statistics",
    "linear_equivalent_statistics",
    "linear_finite_n",
    "linear_finite_n_coefficients",
    "montecarlo_linear_statistics",
    "nonlinear_finite_n_coefficients",
    "solve",
]


def solve(
    activation: Activation, g: float, sigma2: float, noise_tau: float | None = None
) -> TheoryResult:
    """Large-N statistics for one parameter set; never raises for a regime without a solution.

    Parameters
    ----------
    activation : Activation
        Must be odd (relu gives ``valid=False``, reason ``odd_phi_required``).
    g : float
        Coupling gain, >= 0.
    sigma2 : float
        White-noise intensity (>= 0); 0 selects the chaotic DMFT of §6.
    noise_tau : float, optional
        Correlation time of Ornstein–Uhlenbeck noise (§8); None or 0 means white noise.

    Returns
    -------
    TheoryResult
        ``valid=False`` with a ``reason`` and NaN statistics where no stationary large-N
        solution exists (linear with g >= 1, Padé beyond its limit, sigma2 = 0 with g <= 1).
    """
    if not (math.isfinite(g) and g >= 0):
        raise ValueError(f"g must be a finite number >= 0, got {g!r}")
    if not (math.isfinite(sigma2) and sigma2 >= 0):
        raise ValueError(f"sigma2 must be a finite number >= 0, got {sigma2!r}")
    if noise_tau is not None and not (math.isfinite(noise_tau) and noise_tau >= 0):
        raise ValueError(f"noise_tau must be a finite number >= 0, got {noise_tau!r}")
    label = activation.label
    if not activation.is_odd:
        return TheoryResult.invalid(
            label,
            g,
            sigma2,
            "odd_phi_required: the mean-field theory assumes an odd activation "
            f"({activation.name} has a non-zero mean activity)",
            noise_tau=noise_tau,
        )
    if sigma2 == 0:
        return solve_chaos(activation, g)
    if noise_tau:
        return solve_colored(activation, g, sigma2, noise_tau)
    site = single_site(activation, g, sigma2)
    if not site.valid:
        return TheoryResult.invalid(label, g, sigma2, site.reason or "no stationary solution")
    zero_frequency = zero_frequency_statistics(activation, g, sigma2, site)
    valid, reason = True, None
    try:
        equal_time = equal_time_statistics(activation, g, sigma2, site)
    except DMFTConvergenceError as error:  # a refused solution is a result, not a crash
        equal_time = nan_statistics()
        valid, reason = False, f"dmft_not_converged (equal-time statistics are NaN): {error}"
    return TheoryResult(
        label,
        g,
        sigma2,
        delta0=site.delta0,
        s0=site.s0,
        g_eff=site.g_eff,
        statistics={"zero_frequency": zero_frequency, "equal_time": equal_time},
        valid=valid,
        reason=reason,
        corrections=_corrections(site, sigma2, zero_frequency["phi"]["a"]),
    )


def _corrections(site: SingleSite, sigma2: float, a_phi: float) -> dict[str, dict[str, float]]:
    """Zero-frequency 1/N coefficients of the linear-equivalent network (docs/finite_size.md).

    Residual power P = a_phi (1 - g_eff^2) - s0^2 sigma2 (science.md §7); empty if undefined.
    """
    residual = a_phi * (1.0 - site.g_eff**2) - site.s0**2 * sigma2
    try:
        return nonlinear_finite_n_coefficients(site.g_eff, site.s0, sigma2, max(residual, 0.0))
    except ValueError:
        return {}
