"""Chaotic network without noise (rnncorr.theory._chaos), docs/science.md §6.

Checks: the quiescent regime g <= 1 is refused with reason "quiescent"; Delta0 and the
equal-time PR of x and phi against the §11 reference (tanh, g = 2); the large-g limits
(erf, whose pair averages are closed-form; the limit phi -> sign x is shared with tanh); the
near-critical law PR ~ eps^3/4.27; the zero-frequency a_phi = C_phi(w=0) against the independent
energy-integral route of _noisy; the Psi_x formula of §6 (with U S0^2) against the
linear-equivalent kernels; convergence of the spectral lag kernel in du; the power law at every
g > 0 (closed-form Delta0, PR/N independent of g).
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

from rnncorr.activations import get_activation
from rnncorr.theory._chaos import chaos_delta0, solve_chaos, solve_chaos_autocorrelation
from rnncorr.theory._dmft import Noise, lag_statistics, pair_table, trace_moments
from rnncorr.theory._gauss import gauss_average
from rnncorr.theory._noisy import a_phi_zero_freq
from rnncorr.theory._power import power_delta0

try:
    from reference_values import REFERENCE
except ModuleNotFoundError:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from reference_values import REFERENCE

TANH = get_activation("tanh")
ERF = get_activation("erf")


@pytest.mark.parametrize("g", [0.5, 1.0])
def test_quiescent_below_g_one(g):
    """For g phi'(0) <= 1 the only stationary state is x = 0: invalid, reason 'quiescent'."""
    res = solve_chaos(TANH, g)
    assert not res.valid and res.reason.startswith("quiescent")
    assert math.isnan(res.statistics["equal_time"]["phi"]["pr_over_n"])


def test_linear_has_no_chaotic_state():
    """phi = x, g > 1: activity grows without bound (no root of V(Delta0) = V(0))."""
    res = solve_chaos(get_activation("linear"), 1.5)
    assert not res.valid and res.reason.startswith("no_stationary_state")


def test_tanh_g2_reference_values():
    """§11: tanh, sigma2 = 0, g = 2: C_x(0) = 1.924805, equal-time PR_x/N = 0.0159148,
    PR_phi/N = 0.0197407, each to its stated rounding (observed agreement ~1e-8)."""
    case = REFERENCE["tanh_chaos_g2"]
    res = solve_chaos(TANH, case.g)
    assert res.valid
    assert abs(res.delta0 - case.values["delta0"].value) <= case.values["delta0"].atol
    for key in ("equal_time/x/pr_over_n", "equal_time/phi/pr_over_n"):
        _, var, stat = key.split("/")
        ref = case.values[key]
        assert abs(res.statistics["equal_time"][var][stat] - ref.value) <= ref.atol
    et = res.statistics["equal_time"]
    assert et["x"]["a"] == pytest.approx(res.delta0)
    assert et["phi"]["cbar"] == 0.0


def test_large_g_limits_erf():
    """§6: PR_x/N -> 0.0602, PR_phi/N -> 0.126 as g -> inf. At g = 300 (erf) the approach is
    O(1/g): observed 0.06023, 0.12589; tolerances: the references' rounding plus 1e-3 for
    PR_phi (still 1e-4 below its limit at g = 300)."""
    ref = REFERENCE["tanh_chaos_large_g"].values
    et = solve_chaos(ERF, 300.0).statistics["equal_time"]
    assert abs(et["x"]["pr_over_n"] - ref["equal_time/x/pr_over_n"].value) < 1e-4
    assert abs(et["phi"]["pr_over_n"] - ref["equal_time/phi/pr_over_n"].value) < 1.5e-3


def test_near_critical_eps_cubed_law():
    """§6: PR ~ eps^3 / 4.27 at g = 1 + eps. eps^3/PR_phi is 4.706 at eps = 0.02 and 4.489 at
    eps = 0.01 (linear in eps); the linear extrapolation to eps = 0 gives 4.27 +- 0.02."""
    ratios = []
    for eps in (0.02, 0.01):
        res = solve_chaos(TANH, 1.0 + eps)
        ratios.append(eps**3 / res.statistics["equal_time"]["phi"]["pr_over_n"])
    limit = 2 * ratios[1] - ratios[0]
    assert limit == pytest.approx(4.27, abs=0.03)


def test_zero_frequency_a_phi_matches_energy_integral():
    """a_phi = C_phi(w=0) from the lag grid vs the independent energy-integral route of _noisy
    (a_phi_zero_freq at sigma2 = 0). Observed 1e-8 relative; tolerance 1e-6."""
    res = solve_chaos(TANH, 2.0)
    ref = a_phi_zero_freq(TANH, 2.0, 0.0, res.delta0)
    zf = res.statistics["zero_frequency"]
    assert zf["phi"]["a"] == pytest.approx(ref, rel=1e-6)
    assert zf["phi"]["pr_over_n"] == pytest.approx((1 - res.g_eff**2) ** 2, rel=1e-12)
    assert zf["x"]["a"] == pytest.approx(4.0 * zf["phi"]["a"], rel=1e-12)  # a_x = g^2 C_phi(0)


def test_psi_x_formula_of_clark_matches_linear_equivalent_kernel():
    """§6 Psi_x = C_x1 C_x2 + |U|^2 C_phi1 C_phi2 + [U S0^2 C_x1 C_x2 + c.c.] (with S0^2: as
    printed, 'U S0', it is not dimensionally consistent) equals the linear-equivalent kernel
    (T-x) of trace_moments at K = 0, pointwise in (w1, w2). With two unit-weight nodes
    trace_moments returns Psi_c(1,1) + Psi_c(2,2) + 2 Psi_c(1,2) (Psi_c = Psi - C_x1 C_x2,
    symmetric under 1 <-> 2); an algebraic identity, tolerance 1e-10 relative."""
    g, s0 = 1.7, 0.4
    w = np.array([0.3, -1.1, 2.5])
    cphi = np.array([0.8, 0.5, 0.1])
    zero_k = np.zeros(2)

    def one(i):
        return trace_moments(g, s0, w[[i]], np.ones(1), cphi[[i]], zero_k[:1])[1]

    for i in range(3):
        for j in range(i + 1, 3):
            s1, s2 = s0 / (1 + 1j * w[i]), s0 / (1 - 1j * w[j])  # w2 -> -w2: S2 = S(w_j)*
            sx1, sx2 = 1 / (1 + 1j * w[i]), 1 / (1 - 1j * w[j])
            cx1 = g * g * abs(sx1) ** 2 * cphi[i]
            cx2 = g * g * abs(sx2) ** 2 * cphi[j]
            u = g * g * sx1 * sx2 / (1 - g * g * s1 * s2)
            psi = cx1 * cx2 + abs(u) ** 2 * cphi[i] * cphi[j] + 2 * (u * s0**2 * cx1 * cx2).real
            both = trace_moments(g, s0, w[[i, j]], np.ones(2), cphi[[i, j]], zero_k)[1]
            cross = 0.5 * (both - one(i) - one(j))
            assert cross == pytest.approx(psi - cx1 * cx2, rel=1e-10)


def test_spectral_kernel_converged_in_du():
    """The spectral lag kernel: du = 0.2 and 0.1 give the same equal-time PR to < 1e-8
    (observed 1e-10): the chaotic Delta(u) is smooth (docs/NUMERICS.md)."""
    g = 2.0
    delta0, _ = chaos_delta0(TANH, g)
    table = pair_table(TANH, delta0)
    a_phi = float(gauss_average(TANH, "phi2", delta0))
    out = []
    for du in (0.2, 0.1):

        def solve(h):
            sol, s0 = solve_chaos_autocorrelation(TANH, g, delta0, du=h, table=table)
            return sol, s0, a_phi, delta0

        out.append(lag_statistics(solve, du, g, Noise(0.0)).equal_time)
    for var in ("x", "phi"):
        assert out[0][var]["pr_over_n"] == pytest.approx(out[1][var]["pr_over_n"], abs=1e-8)


def test_trace_moments_zero_frequency_in_chaos_equals_r2_at_sigma2_zero():
    """(R2) at sigma2 = 0 (P = E = a_phi (1 - k^2)) equals the w = 0 kernel of trace_moments."""
    g, s0, a_phi = 2.0, 0.45, 6.0
    k2 = (g * s0) ** 2
    p = a_phi * (1 - k2)
    tr2 = (p * p / (1 - k2) ** 4 - 4 * p * p / (1 - k2) ** 2 + 4 * p * p / (1 - k2) - p * p) / s0**4
    a_x = g * g * a_phi
    _, nc2_x, _ = trace_moments(g, s0, np.zeros(1), np.ones(1), np.array([a_phi]), np.zeros(1))
    assert nc2_x == pytest.approx(tr2 - a_x**2, rel=1e-12)


@pytest.mark.parametrize(("alpha", "g"), [(0.75, 0.01), (0.75, 0.1), (0.5, 0.01), (0.25, 2.0)])
def test_power_law_chaos_at_every_g(alpha, g):
    """Power law (phi'(0) = inf: chaotic for every g > 0). Delta0 is the closed form
    (2 K_alpha g^2)^(1/(1-alpha)) even where it is below the root scan's 1e-8 (5e-9 at
    alpha = 0.75, g = 0.1; 5e-17 at g = 0.01, which the old absolute 'trivial' test refused), and
    PR/N does not depend on g (u = 0: scale invariance; observed 1e-15 relative between g = 1
    and the case)."""
    act = get_activation("power", alpha=alpha)
    res = solve_chaos(act, g)
    ref = solve_chaos(act, 1.0)
    assert res.valid, res.reason
    assert res.delta0 == pytest.approx(float(power_delta0(g, 0.0, alpha)), rel=1e-14)
    for var in ("phi", "x"):
        assert res.statistics["equal_time"][var]["pr_over_n"] == pytest.approx(
            ref.statistics["equal_time"][var]["pr_over_n"], rel=1e-10
        )
