"""No numerical failure of the large-N theory on the default grid (issue 18, acceptance:
"``theory.nc`` for the default grid has no ``dmft_not_converged`` point").

The grid is read from ``config.yaml`` through ``rnncorr.config`` (it may gain sigma2 values or
activations): every (activation, sigma2) of ``grid`` and ``grid.extra`` and every g of the
theory axis (``dense_g``: ``theory.g_dense`` united with ``grid.g``), solved by
``rnncorr.theory.solve`` as
``workflow/scripts/theory_activation.py`` does. Invalid points are allowed only with a
scientific reason (``no_stationary_state``, ``quiescent``, ``odd_phi_required``); a
``dmft_not_converged`` reason is a numerical failure. The paper grid (config/paper.yaml, ~13 000
points) is checked by ``benchmarks/theory_grid_check.py`` (docs/NUMERICS.md#power-law-dmft).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rnncorr import theory
from rnncorr.config import activation_from_entry, activation_grid_values, dense_g, load_config

CONFIG = load_config(Path(__file__).resolve().parents[2] / "config.yaml")
# the sigma2 of each activation's cells, grid.extra included (as workflow/rules/theory.smk)
CASES = [
    (entry, float(s2))
    for entry in CONFIG["grid"]["activations"]
    for s2 in activation_grid_values(CONFIG, activation_from_entry(entry).label, "sigma2")
]
SCIENCE = ("no_stationary_state", "quiescent", "odd_phi_required", "trivial_state")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("entry", "sigma2"),
    CASES,
    ids=[f"{activation_from_entry(e).label}-s{s}" for e, s in CASES],
)
def test_default_grid_theory_has_no_numerical_failure(entry, sigma2):
    """Every point valid or invalid for a scientific reason (~66 g, 5-30 s per case)."""
    act = activation_from_entry(entry)
    bad = []
    for g in dense_g(CONFIG):
        res = theory.solve(act, g, sigma2)
        if not res.valid and not (res.reason or "").startswith(SCIENCE):
            bad.append((g, (res.reason or "")[:200]))
    assert not bad, bad
