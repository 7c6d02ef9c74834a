"""Mean-field theory of trained attractor networks (rnncorr.theory._trained, science.md §10).

Reference numbers: science.md §11 (tanh, P = 1, g = 0.5, A = 0.7: lambda_z = -0.42972); closed
forms for relu and linear (positive homogeneity); an independent route to the P x P matrix (T3)
through phi'' (the Stein form of science.md §10) against the regression form used by the code.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from rnncorr.activations import get_activation
from rnncorr.theory._gauss import gauss_mean, gauss_pair_mean
from rnncorr.theory._trained import (
    bulk_critical_g,
    bulk_radius,
    fixed_point_variance,
    lambda_z,
    local_matrix,
    solve_trained,
    trained_covariance,
)

TANH = get_activation("tanh")
#: z-step of the reference route; the code's own grid is coarser (x-step <= 0.2)
DX = 0.05
RELU = get_activation("relu")
LINEAR = get_activation("linear")
ERF = get_activation("erf")


def test_lambda_z_tanh_reference_value():
    # science.md §11, given to 5 decimals: tolerance 1e-4 as asked (the quadrature is ~1e-13)
    assert lambda_z(TANH, 0.5, 0.7) == pytest.approx(-0.42972, abs=1e-4)
    assert lambda_z(TANH, 0.5, 0.7) == pytest.approx(-0.4297205, abs=1e-6)


@pytest.mark.parametrize("g", [0.2, 0.8, 1.3])
@pytest.mark.parametrize("amp", [0.1, 0.7, 2.0])
def test_lambda_z_relu_is_exactly_zero(g, amp):
    # x phi(x) phi'(x) = phi(x)^2 pointwise for relu; both averages use the same nodes, so
    # the ratio is 1 to the last bit: lambda_z = 0 (a marginal line attractor)
    assert lambda_z(RELU, g, amp) == 0.0


def test_lambda_z_linear_is_zero_and_tanh_negative():
    # linear is positively homogeneous too (fixed points come in lines); tanh: always < 0
    assert lambda_z(LINEAR, 0.5, 0.7) == pytest.approx(0.0, abs=1e-14)
    for g in (0.2, 0.5, 0.9, 1.3):
        for amp in (0.05, 0.5, 1.5):
            assert lambda_z(TANH, g, amp) < 0


def test_fixed_point_variance_closed_forms():
    # relu: K = g^2 K/2 + A^2 -> K = A^2/(1 - g^2/2); linear: K = A^2/(1 - g^2)
    # (closed-form <phi^2>, Brent to 1e-15: rounding-level agreement)
    assert fixed_point_variance(RELU, 0.8, 0.7) == pytest.approx(0.49 / (1 - 0.32), rel=1e-13)
    assert fixed_point_variance(LINEAR, 0.5, 0.7) == pytest.approx(0.49 / 0.75, rel=1e-13)
    assert math.isnan(fixed_point_variance(RELU, 1.5, 0.7))  # no finite fixed point
    k = fixed_point_variance(TANH, 0.5, 0.7)
    phi2 = float(gauss_mean(lambda x: np.tanh(x) ** 2, k))
    assert k == pytest.approx(0.25 * phi2 + 0.49, abs=1e-13)


def test_bulk_radius_and_critical_gain():
    # relu: <phi'^2> = 1/2 -> r = g/sqrt 2 and g_c = sqrt 2 for every A; linear: g_c = 1.
    # tolerance 1e-7: K -> infinity at the boundary, the root search stops at K = 1e8
    assert bulk_radius(RELU, 0.8, 0.3) == pytest.approx(0.8 / math.sqrt(2), rel=1e-14)
    for amp in (0.2, 1.0):
        assert bulk_critical_g(RELU, amp) == pytest.approx(math.sqrt(2), abs=1e-7)
        assert bulk_critical_g(LINEAR, amp) == pytest.approx(1.0, abs=1e-7)
    # tanh: input suppresses phi', so the boundary moves to larger g with A
    gc = [bulk_critical_g(TANH, amp) for amp in (0.1, 0.3, 0.7, 1.5)]
    assert np.all(np.diff(gc) > 0) and gc[0] > 1.0
    assert bulk_radius(TANH, gc[2], 0.7) == pytest.approx(1.0, abs=1e-10)


@pytest.mark.parametrize("act", [TANH, ERF, RELU])
def test_local_matrix_reduces_to_lambda_z_for_one_target(act):
    # (T3) with P = 1: -1 + (a + c)(g^2 Q + A^2)/Q = -1 + <x phi phi'>/<phi^2> (Stein)
    lmat = local_matrix(act, 0.6, [0.8], 0)
    assert lmat.shape == (1, 1)
    assert lmat[0, 0] == pytest.approx(lambda_z(act, 0.6, 0.8), abs=1e-12)


def test_local_matrix_matches_phi_double_prime_form():
    """Independent route: L = -I + g^2 (diag(a) + c e_mu^T) + b (Q^-1 A)^T with phi'' explicitly.

    a_nu = <phi'(x^nu) phi'(x^mu)>, c_nu = <phi(x^nu) phi''(x^mu)>, b_nu = A_nu a_nu + A_mu c_nu
    (science.md §10), each a pair average on the rescaled unit-variance pair.
    """
    g, targets = 0.8, np.array([0.2, 0.6, 1.5])
    c_mat, q_mat = trained_covariance(TANH, g, targets)
    for mu in range(3):
        a = np.empty(3)
        c = np.empty(3)
        for nu in range(3):
            s1, s2 = math.sqrt(c_mat[nu, nu]), math.sqrt(c_mat[mu, mu])
            rho = min(c_mat[nu, mu] / (s1 * s2), 1.0)
            a[nu] = gauss_pair_mean(
                lambda z, s=s1: TANH.dphi(s * z), lambda z, s=s2: TANH.dphi(s * z), 1.0, rho, DX
            )
            c[nu] = gauss_pair_mean(
                lambda z, s=s1: TANH.phi(s * z), lambda z, s=s2: TANH.d2phi(s * z), 1.0, rho, DX
            )
        b = targets * a + targets[mu] * c
        e_mu = np.eye(3)[mu]
        expected = -np.eye(3) + g**2 * (np.diag(a) + np.outer(c, e_mu))
        expected += np.outer(b, np.linalg.solve(q_mat, targets))
        # different integrands on a fine grid (x-step <= 0.05 * 1.62): 2e-13 observed
        np.testing.assert_allclose(local_matrix(TANH, g, targets, mu), expected, atol=1e-10)


def test_solve_trained_complex_pair_and_instability():
    # tanh, g = 0.8, A = (0.2, 0.6, 1.5): a complex pair at the smallest target (verified against
    # the N = 2000 Jacobian, docs/trained.md §5), and an unstable real mode at A = 0.6
    res = solve_trained(TANH, 0.8, [0.2, 0.6, 1.5])
    assert res.valid
    lead = res.eigenvalues[0][0]
    assert abs(lead.imag) > 0.2 and lead.real == pytest.approx(0.0325, abs=1e-3)
    assert res.eigenvalues[1][0].real > 0 and not res.stable[1]
    assert res.stable[2] and all(res.bulk_stable)
    layout = res.to_dict()
    assert set(layout) == {"attractors"}
    assert set(layout["attractors"][0]) == {"target", "eigenvalues", "stable"}
    assert isinstance(layout["attractors"][0]["eigenvalues"][0], list)  # [re, im]


def test_relu_two_targets_keeps_the_zero_mode():
    # relu with targets of opposite sign: each attractor still lies on a line of fixed points
    res = solve_trained(RELU, 0.8, [-0.4, 1.0])
    assert res.valid
    for eigs in res.eigenvalues:
        assert min(abs(e) for e in eigs) < 1e-12


@pytest.mark.parametrize(("act", "targets"), [(TANH, [-0.4, 0.4]), (RELU, [0.4, 1.0])])
def test_dependent_targets_are_flagged_not_raised(act, targets):
    # odd phi: x^{-A} = -x^{A}; relu: x^{cA} = c x^{A} (c > 0): the read-out equations coincide
    res = solve_trained(act, 0.8, targets)
    assert not res.valid and res.reason.startswith("singular_gram")
    assert all(math.isnan(e[0].real) for e in res.eigenvalues)


def test_no_fixed_point_is_reported_as_invalid():
    res = solve_trained(RELU, 1.6, [0.7])
    assert not res.valid and res.reason.startswith("no_fixed_point")
    assert res.stable == (False,)


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="targets must be distinct"):
        solve_trained(TANH, 0.5, [0.3, 0.3])
    with pytest.raises(ValueError, match="g must be"):
        solve_trained(TANH, -1.0, [0.3])
    with pytest.raises(ValueError, match="mu must index"):
        local_matrix(TANH, 0.5, [0.3], 1)


def test_solve_trained_single_target_uses_t4():
    # P = 1 goes through (T4): relu's zero is exact in the report as well
    assert solve_trained(RELU, 0.5, [0.7]).eigenvalues == ((0j,),)
    assert solve_trained(TANH, 0.5, [0.7]).eigenvalues[0][0].real == lambda_z(TANH, 0.5, 0.7)
