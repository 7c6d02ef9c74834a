"""Loop (self-feedback) non-Gaussian gain: rnncorr.theory._loop_gain (finite_size.md §10.7).

The simulation check (per-unit gains and kurtoses against the prediction, slope 1.01 +- 0.04 and
0.98 +- 0.01) is benchmarks/finite_size_missing_term.py; here the coefficients are checked
against an independent evaluation (lag-domain ODE for C(v), analytic tanh derivatives) and the
linear limit.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from rnncorr import get_activation
from rnncorr.theory._loop_gain import (
    loop_gain_coefficients,
    loop_gain_corrections,
    loop_strengths,
)
from rnncorr.theory._noisy import a_phi_zero_freq, potential_drop, single_site

TANH = get_activation("tanh")


def _tanh_derivative(order: int):
    """phi^(order) as a polynomial in t = tanh x (d t/dx = 1 - t^2)."""
    poly = np.polynomial.Polynomial([0.0, 1.0])
    for _ in range(order):
        poly = poly.deriv() * np.polynomial.Polynomial([1.0, 0.0, -1.0])
    return lambda x: poly(np.tanh(x))


def _independent(g: float, sigma2: float, n: int) -> tuple[float, float]:
    """gain_n and kurtosis_n with C(v) from the ODE dC/dv = -sqrt(2 D(C)) integrated in v."""
    site = single_site(TANH, g, sigma2)
    d0, s0 = site.delta0, site.s0
    v = np.linspace(0.0, 45.0, 3001)

    def rhs(_, y):
        return [-math.sqrt(max(2.0 * float(potential_drop(TANH, g, d0, y[0])), 0.0))]

    sol = solve_ivp(rhs, (0, 45), [d0], t_eval=v, rtol=1e-10, atol=1e-13)
    c = sol.y[0]
    z, w = np.polynomial.hermite_e.hermegauss(60)
    w = w / w.sum()
    sd = math.sqrt(d0)
    x = sd * z[:, None]
    y = (c[:, None, None] / sd) * z[:, None] + np.sqrt(
        np.maximum(d0 - c[:, None, None] ** 2 / d0, 0.0)
    ) * z[None, :]
    d = [_tanh_derivative(k) for k in range(4)]
    pairs = np.einsum("kij,i,j->k", d[2](x)[None] * d[0](y) + d[1](x)[None] * d[1](y), w, w)
    s3 = float(d[3](sd * z) @ w)
    a_phi = a_phi_zero_freq(TANH, g, sigma2, d0)
    a_x = sigma2 + g * g * a_phi
    kernel = v**n * np.exp(-v) / math.factorial(n)
    gain = a_phi / a_x + np.trapezoid(kernel * pairs, v) - 2 * s0**2
    gain -= s3 * s0 * np.trapezoid(kernel * c, v)
    return float(gain), float(4.0 * s3 * np.trapezoid(kernel * c**3, v) / d0**2)


@pytest.mark.slow
@pytest.mark.parametrize("g", [0.5, 1.0])
def test_coefficients_match_an_independent_evaluation(g):
    coefficients = loop_gain_coefficients(TANH, g, 1.0, n_max=2)
    for n in (0, 2):
        gain, kurtosis = _independent(g, 1.0, n)
        # the two quadratures (c-grid vs v-grid) differ by ~2e-4 relative; the simulations
        # measure these coefficients to ~4 % (docs/finite_size.md §10.7)
        assert coefficients["gain"][n] == pytest.approx(gain, rel=1e-3)
        assert coefficients["kurtosis"][n] == pytest.approx(kurtosis, rel=1e-3)
    # the values quoted in docs/finite_size.md §10.7 (g = 1): per J_ii
    if g == 1.0:
        assert coefficients["gain"][0] == pytest.approx(0.02374, abs=1e-5)
        assert coefficients["kurtosis"][0] == pytest.approx(-0.4347, abs=1e-4)


def test_linear_activation_has_no_correction():
    coefficients = loop_gain_coefficients(get_activation("linear"), 0.5, 1.0, n_max=3)
    # finite-difference derivatives leave ~1e-8
    assert np.max(np.abs(coefficients["gain"])) < 1e-6
    assert np.max(np.abs(coefficients["kurtosis"])) < 1e-6


def test_loop_strengths_and_corrections():
    rng = np.random.default_rng(3)
    J = rng.standard_normal((7, 7)) / math.sqrt(7)
    r = loop_strengths(J, 0.6, 2)
    np.testing.assert_allclose(r[0], np.diag(J))
    np.testing.assert_allclose(r[1], 0.6 * np.diag(J @ J))
    np.testing.assert_allclose(r[2], 0.36 * np.diag(J @ J @ J))
    coefficients = {"gain": np.array([1.0, 2.0, 3.0]), "s0": 0.6}
    np.testing.assert_allclose(loop_gain_corrections(J, coefficients), r[0] + 2 * r[1] + 3 * r[2])


def test_rejects_non_smooth_activation():
    with pytest.raises(ValueError, match="smooth odd"):
        loop_gain_coefficients(get_activation("power", alpha=0.5), 1.0, 1.0)
