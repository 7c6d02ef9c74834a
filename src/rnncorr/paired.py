r"""Simulations compared with the finite-N theory J by J (docs/finite_size.md §8).

The statistics of one network differ from the J average by O(1/sqrt(N)) -- more than the O(1/N)
corrections of the average. A finite-N theory evaluated on the *same* J as the simulation
removes that spread: the paired difference sim - theory measures the theory's error with the
estimation noise of one simulation as its only spread. :func:`paired_realizations` simulates the
realizations of a cell and evaluates, on each realization's J (re-drawn from its seed), the
homogeneous linear-equivalent network (``hom``: gain s0 everywhere) and the self-consistent
heterogeneous one (``het``: gain S(Delta_i) per unit), :mod:`rnncorr.theory._heterogeneous`.

:func:`paired_summary` reduces the rows to

* ``sim_minus_het``, ``sim_minus_hom``: mean +- s.e. over J of the paired differences;
* ``gain_over_large_n``: D_J = (sim_J - v_inf)^2 - (sim_J - het_J)^2, mean +- s.e.: positive
  when the finite-N theory is closer to the simulated network than the N = infinity value v_inf.

Statistics (keys ``kind.variable.stat``): zero-frequency a, Nc2, PR/N of x and phi, and the
equal-time a of x (whose estimator bias, from the block means subtracted from n samples,
E[a_hat] = a - (a_zf - a)/n, is removed).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from rnncorr.activations import Activation
from rnncorr.config import Cell, SimulationSettings, check_settings
from rnncorr.estimators import scalar_mean_and_standard_error
from rnncorr.simulate import realization_coupling, realization_seed, simulate_realization
from rnncorr.theory._heterogeneous import heterogeneous_statistics, site_scalars
from rnncorr.threads import blas_threads

__all__ = [
    "PAIRED_SETTINGS",
    "PAIRED_STATISTICS",
    "paired_pr_phi_estimate",
    "paired_realizations",
    "paired_settings",
    "paired_summary",
    "simulated_couplings",
]

PAIRED_STATISTICS = tuple(
    f"zero_frequency.{var}.{stat}" for var in ("x", "phi") for stat in ("a", "nc2", "pr_over_n")
) + ("equal_time.x.a",)


#: simulation settings of the paired finite-size studies (docs/finite_size.md §7.4, §8,
#: docs/finite_size_equal_time.md, config/finite_size.yaml; the benchmarks finite_n_table.py,
#: finite_size_simulations.py, finite_size_equal_time.py): Heun at dt = 0.2 (dt = 0.1 on the
#: same 32 J changed PR_phi/N by +0.005 +- 0.004 and a_x by -0.00014 +- 0.00025: no detectable
#: dt effect, finite_size.md §7.4), 16 trajectories per J, burn-in 40 (17 relaxation times
#: 1/kappa at g_eff = 0.9), 8 blocks, zero-frequency window W = 25 with the W/2W
#: extrapolation, equal-time samples every time unit. Only the realizations and the duration
#: change between the studies.
PAIRED_SETTINGS: dict[str, Any] = {
    "trajectories": 16,
    "burn_in": 40.0,
    "dt": 0.2,
    "integrator": "heun",
    "blocks": 8,
    "window": 25.0,
    "extrapolate_window": True,
    "sample_interval": 1.0,
}


def paired_settings(realizations: int, duration: float, **overrides: Any) -> SimulationSettings:
    """The :class:`SimulationSettings` of a paired study: ``PAIRED_SETTINGS`` with the number of
    J realizations, the recorded duration per trajectory and any ``overrides``.

    Raises
    ------
    ConfigError
        From :func:`rnncorr.config.check_settings` (e.g. a duration too short for 2 windows
        per block: duration >= 2 x 8 x 25 = 400).

    Examples
    --------
    >>> paired_settings(16, 2000.0).window, paired_settings(16, 2000.0, window=20.0).window
    (25.0, 20.0)
    """
    settings = SimulationSettings(
        **{**PAIRED_SETTINGS, "realizations": realizations, "duration": duration, **overrides}
    )
    check_settings(settings)
    return settings


def _theory_row(stats: dict[str, Any]) -> dict[str, float]:
    row = {"equal_time.x.a": stats["equal_time_a_x"]}
    for var in ("x", "phi"):
        for stat in ("a", "nc2", "pr_over_n"):
            row[f"zero_frequency.{var}.{stat}"] = stats[var][stat]
    return row


def simulated_couplings(
    activation: Activation,
    n: int,
    g: float,
    sigma2: float,
    settings: SimulationSettings,
    seed: int,
) -> Iterator[tuple[Any, np.ndarray]]:
    """Each realization of the cell, simulated, with its J: the pairs a paired study compares.

    Realization r uses the seed of ``rnncorr.simulate.realization_seed(seed, cell, r)``, as in
    ``simulate_cell``; its J is re-drawn from that seed with the cell's connectivity (iid), a
    fresh copy of the same streams. Diverged realizations are skipped.

    Yields
    ------
    (result, J)
        The ``simulate_realization`` result and the coupling matrix it ran with.
    """
    cell = Cell(activation, n, g, sigma2)
    for r in range(settings.realizations):
        seed_sequence = realization_seed(seed, cell, r)
        result = simulate_realization(activation, n, g, sigma2, settings, seed_sequence)
        if result.diverged:
            continue
        yield result, realization_coupling(seed_sequence, n, g)


def paired_realizations(
    activation: Activation,
    n: int,
    g: float,
    sigma2: float,
    settings: SimulationSettings,
    seed: int,
    *,
    threads: int | None = 1,
) -> list[dict[str, dict[str, float]]]:
    """Simulate each realization of the cell and evaluate both finite-N theories on its J
    (:func:`simulated_couplings`; diverged realizations are skipped).

    Returns
    -------
    list of dict
        One ``{"sim": {...}, "het": {...}, "hom": {...}}`` per realization, keyed by
        ``PAIRED_STATISTICS``.
    """
    scalars = site_scalars(activation, g, sigma2)
    per_block = settings.trajectories * settings.samples_per_block
    rows = []
    with blas_threads(threads):
        for result, J in simulated_couplings(activation, n, g, sigma2, settings, seed):
            st = result.statistics
            sim = {
                f"zero_frequency.{var}.{stat}": st["zero_frequency"][var][stat]
                for var in ("x", "phi")
                for stat in ("a", "nc2", "pr_over_n")
            }
            a_hat = st["equal_time"]["x"]["a"]
            sim["equal_time.x.a"] = a_hat + (st["zero_frequency"]["x"]["a"] - a_hat) / per_block
            het = heterogeneous_statistics(J, activation, scalars)
            hom = heterogeneous_statistics(J, activation, scalars, heterogeneous=False)
            rows.append({"sim": sim, "het": _theory_row(het), "hom": _theory_row(hom)})
    return rows


def paired_summary(
    rows: list[dict[str, dict[str, float]]], large_n: dict[str, float]
) -> dict[str, dict[str, tuple[float, float]]]:
    """Paired differences and the per-J gain of the finite-N theory over the N = infinity value.

    Parameters
    ----------
    rows : list
        From :func:`paired_realizations`.
    large_n : dict
        N = infinity value per statistic key (e.g. from ``rnncorr.theory.solve``).

    Returns
    -------
    dict
        ``{key: {"sim_minus_het": (mean, se), "sim_minus_hom": ..., "gain_over_large_n": ...}}``
        for every key of ``PAIRED_STATISTICS`` present in ``large_n``.
    """
    out = {}
    for key in PAIRED_STATISTICS:
        if key not in large_n:
            continue
        sim = np.array([r["sim"][key] for r in rows])
        het = np.array([r["het"][key] for r in rows])
        hom = np.array([r["hom"][key] for r in rows])
        gain = (sim - large_n[key]) ** 2 - (sim - het) ** 2
        out[key] = {
            "sim_minus_het": scalar_mean_and_standard_error(sim - het),
            "sim_minus_hom": scalar_mean_and_standard_error(sim - hom),
            "gain_over_large_n": scalar_mean_and_standard_error(gain),
        }
    return out


def paired_pr_phi_estimate(
    rows: list[dict[str, dict[str, float]]], g_eff: float, n: int, mc_samples: int, seed: int
) -> dict[str, float]:
    r"""J-averaged simulated E[PR_phi/N] with the homogeneous network as control variate.

        est = E_J[PR_lin(g_eff)]/N + mean over the simulated J of (sim_J - hom_J)

    PR_phi of the homogeneous linear-equivalent network on J is exactly the linear network's PR
    for s0 J (entries of variance g_eff^2/N; docs/finite_size.md §5), so its J mean comes from
    ``montecarlo_linear_statistics`` (LU only, ``mc_samples`` further J, ``seed``), and sim -
    hom no longer carries the O(1/sqrt(N)) J-to-J spread of PR (§8, §10.8). s.e.: the mean of
    sim - hom and the Monte Carlo, in quadrature.

    Returns
    -------
    dict
        ``{"est", "se", "hom_mc", "hom_mc_se", "sim_minus_hom", "sim_minus_hom_se", "n_j"}``.
    """
    from rnncorr.theory._finite_n import montecarlo_linear_statistics

    key = "zero_frequency.phi.pr_over_n"
    diff, diff_se = scalar_mean_and_standard_error([r["sim"][key] - r["hom"][key] for r in rows])
    mc = montecarlo_linear_statistics(g_eff, n, mc_samples, seed=seed)
    hom, hom_se = mc["pr_over_n"], mc["pr_se"] / n
    return {
        "est": hom + diff,
        "se": float(np.hypot(hom_se, diff_se)),
        "hom_mc": hom,
        "hom_mc_se": hom_se,
        "sim_minus_hom": diff,
        "sim_minus_hom_se": diff_se,
        "n_j": len(rows),
    }
