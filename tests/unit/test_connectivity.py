"""Connectivity samplers: iid unchanged, random-mode moments, spectra, labels, validation.

Tolerances (docs/random_mode.md §2). N Var J_ij: E tr(J J^T) = n g^2 exactly (D is rescaled on
the drawn modes); one draw fluctuates by a relative sd ~ 2 / sqrt(N M PR_D) (each |l_a|^2 |r_a|^2
has sd 2/sqrt(N)), 0.3 % at N = 1000, M = 500: tolerance 2 %. Singular-value participation at
N = 2000: the large-N formula differs from the finite-N ratio of expectations by (2 + x)/N
relative (<= 0.2 %), and one draw scatters by <= 0.1 % (measured over 4 seeds: sd 2e-5 to 2e-4):
tolerance 1 % against the large-N formula, 0.5 % against the finite-N one.
"""

import math

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from rnncorr.connectivity import (
    IID,
    SPECTRA,
    Connectivity,
    RandomMode,
    connectivity_from_args,
    sample_iid,
    singular_value_participation,
    spectrum_participation_ratio,
)


def _sv_participation(coupling: np.ndarray) -> float:
    n = coupling.shape[0]
    s2 = float(np.sum(coupling**2))
    gram = coupling @ coupling.T
    return s2 * s2 / (n * float(np.sum(gram**2)))


def test_iid_is_unchanged():
    rng1, rng2 = np.random.default_rng(3), np.random.default_rng(3)
    assert IID.kind == "iid" and IID.label == "iid" and isinstance(IID, Connectivity)
    np.testing.assert_array_equal(IID.sample(50, 1.3, rng1), sample_iid(50, 1.3, rng2))


@pytest.mark.parametrize(
    "conn",
    [
        RandomMode(modes_ratio=0.5),
        RandomMode(modes_ratio=0.5, spectrum="exponential", beta=3.0),
        RandomMode(modes_ratio=2.0, spectrum="step", step_fraction=0.25),
    ],
    ids=lambda c: c.label,
)
def test_random_mode_variance_is_g_eff_squared(conn):
    n, g = 1000, 1.7
    j = conn.sample(n, g, np.random.default_rng(1))
    assert j.shape == (n, n) and j.dtype == np.float64
    assert n * float(np.mean(j**2)) == pytest.approx(g * g, rel=0.02)
    assert abs(float(np.mean(j))) < 5 * g / n  # mean 0: sd of the mean ~ g / n
    # the rescaling is exact on the drawn modes: sum D^2 = n g^2
    d = conn.couplings(n, g)
    assert d.size == conn.n_modes(n) and float(np.sum(d**2)) == pytest.approx(n * g * g)


def test_overlap_gives_mean_trace_rho_alpha_mean_d():
    conn = RandomMode(modes_ratio=0.5, overlap=0.6)
    n, g = 800, 1.0
    j = conn.sample(n, g, np.random.default_rng(2))
    d = conn.couplings(n, g)
    # J_ii = sum_a D_a l_ia r_ia has mean rho sum_a D_a / n = rho alpha <D> (an O(1) self-coupling)
    assert float(np.trace(j)) == pytest.approx(0.6 * float(np.sum(d)), rel=0.05)
    off = j[~np.eye(n, dtype=bool)]
    assert n * float(np.mean(off**2)) == pytest.approx(1.0, rel=0.03)  # off-diagonal: g_eff^2


def test_float32_is_the_cast_of_float64():
    conn = RandomMode(modes_ratio=0.3, spectrum="exponential", beta=1.0)
    j64 = conn.sample(60, 0.9, np.random.default_rng(5))
    j32 = conn.sample(60, 0.9, np.random.default_rng(5), np.float32)
    assert j32.dtype == np.float32
    np.testing.assert_array_equal(j32, j64.astype(np.float32))


@pytest.mark.parametrize(
    "conn",
    [
        RandomMode(modes_ratio=0.05),
        RandomMode(modes_ratio=0.25),
        RandomMode(modes_ratio=1.0, spectrum="exponential", beta=3.0),
        RandomMode(modes_ratio=2.0, spectrum="step", step_fraction=0.25),
    ],
    ids=lambda c: c.label,
)
def test_singular_value_participation_at_n_2000(conn):
    n = 2000
    with threadpool_limits(limits=1):
        measured = _sv_participation(conn.sample(n, 1.0, np.random.default_rng(11)))
    alpha, pr_d = conn.n_modes(n) / n, conn.participation_ratio_d_at(n)
    assert measured == pytest.approx(singular_value_participation(alpha, pr_d), rel=0.01)
    assert measured == pytest.approx(singular_value_participation(alpha, pr_d, n), rel=0.005)


def test_singular_value_participation_limits():
    assert singular_value_participation(1.0, 1.0) == pytest.approx(1 / 3)
    assert singular_value_participation(1e9, 1.0) == pytest.approx(0.5, rel=1e-8)  # iid (MP)
    assert singular_value_participation(1e-6, 1.0) == pytest.approx(1e-6, rel=1e-5)
    with pytest.raises(ValueError, match="alpha"):
        singular_value_participation(0.0, 1.0)
    with pytest.raises(ValueError, match="pr_d"):
        singular_value_participation(1.0, 1.5)


@pytest.mark.parametrize("beta", [0.5, 2.0, 5.0])
def test_exponential_pr_d_tends_to_tanh_beta_over_beta(beta):
    conn = RandomMode(modes_ratio=1.0, spectrum="exponential", beta=beta)
    assert conn.participation_ratio_d == pytest.approx(math.tanh(beta) / beta, rel=1e-14)
    # discrete M modes: tanh(beta) coth(beta/M)/M = tanh(beta)/beta (1 + beta^2/(3 M^2) + ...)
    m = 400
    exact = math.tanh(beta) / math.tanh(beta / m) / m
    assert spectrum_participation_ratio(conn.spectrum_values(m)) == pytest.approx(exact, rel=1e-12)
    assert conn.participation_ratio_d_at(m) == pytest.approx(
        conn.participation_ratio_d, rel=beta**2 / m**2
    )


def test_pr_d_and_effective_rank_of_each_spectrum():
    assert RandomMode(modes_ratio=0.4).participation_ratio_d == 1.0
    assert RandomMode(modes_ratio=0.4).effective_rank == pytest.approx(0.4)
    step = RandomMode(modes_ratio=2.0, spectrum="step", step_fraction=0.3)
    assert step.participation_ratio_d == pytest.approx(0.3)
    assert step.effective_rank == pytest.approx(0.6)
    assert step.participation_ratio_d_at(1000) == pytest.approx(0.3)
    assert RandomMode(spectrum="exponential", beta=0.0).participation_ratio_d == 1.0
    assert set(SPECTRA) == {"constant", "exponential", "step"}


def test_labels_are_stable_and_file_name_safe():
    assert RandomMode(modes_ratio=0.5).label == "rm-alpha0.5-constant"
    assert (
        RandomMode(modes_ratio=0.1 + 0.2, spectrum="exponential", beta=2.0).label
        == "rm-alpha0.3-exponential-beta2"
    )
    assert (
        RandomMode(modes_ratio=2, spectrum="step", step_fraction=0.25, overlap=0.3).label
        == "rm-alpha2-step-frac0.25-rho0.3"
    )
    for conn in (RandomMode(modes_ratio=1e-3), RandomMode(modes_ratio=3.5, overlap=0.9)):
        assert all(ch.isalnum() or ch in "-._+" for ch in conn.label)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"modes_ratio": 0.0}, r"modes_ratio .*> 0"),
        ({"modes_ratio": math.inf}, r"modes_ratio .*finite"),
        ({"spectrum": "powerlaw"}, r"spectrum must be one of constant, exponential, step"),
        ({"beta": -1.0}, r"beta .*>= 0"),
        ({"step_fraction": 0.0}, r"step_fraction must be in \(0, 1\]"),
        ({"step_fraction": 1.5}, r"step_fraction must be in \(0, 1\]"),
        ({"overlap": 1.0}, r"overlap \(rho\) must be in \[0, 1\)"),
        ({"overlap": -0.1}, r"overlap \(rho\) must be in \[0, 1\)"),
    ],
)
def test_validation_names_parameter_and_range(kwargs, match):
    with pytest.raises(ValueError, match=match):
        RandomMode(**kwargs)


def test_connectivity_from_args():
    assert connectivity_from_args("iid") is IID
    conn = connectivity_from_args("random_mode", 0.5, "exponential", 2.0, None, 0.1)
    assert conn == RandomMode(modes_ratio=0.5, spectrum="exponential", beta=2.0, overlap=0.1)
    with pytest.raises(ValueError, match="--modes-ratio"):
        connectivity_from_args("random_mode")
    with pytest.raises(ValueError, match="--beta applies to --spectrum exponential"):
        connectivity_from_args("random_mode", 0.5, "constant", 2.0)
    with pytest.raises(ValueError, match="--step-fraction applies to --spectrum step"):
        connectivity_from_args("random_mode", 0.5, None, None, 0.5)
    with pytest.raises(ValueError, match="only with --connectivity random_mode"):
        connectivity_from_args("iid", modes_ratio=0.5)
    with pytest.raises(ValueError, match="connectivity must be one of"):
        connectivity_from_args("lowrank")
