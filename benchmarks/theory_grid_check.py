"""Check that the large-N theory has no numerical failure on a config's grid (issue 18, item 3).

For every activation of ``grid.activations``, every sigma2 of ``grid.sigma2`` and every g of the
theory axis (``rnncorr.config.dense_g``: ``theory.g_dense`` united with ``grid.g``), run
``rnncorr.theory.solve`` exactly as ``workflow/scripts/theory_activation.py`` does and tally the
``reason`` of every invalid point. A reason starting with ``dmft_not_converged`` is a numerical
failure (the acceptance of issue 18 allows none); ``quiescent``, ``no_stationary_state``,
``odd_phi_required`` are science (no stationary state, or outside the theory) and are reported.

    python benchmarks/theory_grid_check.py config.yaml
    python benchmarks/theory_grid_check.py config/paper.yaml --stride 8 --activation power

``--stride k`` keeps every k-th g of the dense axis (the grid's own g are always kept), to fit
the check into a few CPU minutes; the exit status is 1 if any point failed numerically.
"""

from __future__ import annotations

import argparse
import collections
import sys
import time

from rnncorr import theory
from rnncorr.config import activation_from_entry, activation_grid_values, dense_g, load_config


def grid_points(config: dict, stride: int = 1) -> list[tuple[dict, float, float]]:
    """(activation entry, g, sigma2) of the theory axis of a config, every ``stride``-th dense g."""
    grid_g = {float(g) for g in config["grid"]["g"]}
    axis = dense_g(config)
    kept = [g for i, g in enumerate(axis) if i % stride == 0 or g in grid_g]
    # the sigma2 of each activation's cells, grid.extra included (as theory.smk solves them)
    return [
        (entry, g, float(s2))
        for entry in config["grid"]["activations"]
        for s2 in activation_grid_values(config, activation_from_entry(entry).label, "sigma2")
        for g in kept
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config")
    parser.add_argument("--stride", type=int, default=1)
    parser.add_argument("--activation", default=None, help="only this activation name")
    args = parser.parse_args(argv)
    config = load_config(args.config)
    reasons: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    failures = []
    n = 0
    start = time.perf_counter()
    for entry, g, s2 in grid_points(config, args.stride):
        if args.activation and entry["name"] != args.activation:
            continue
        act = activation_from_entry(entry)
        res = theory.solve(act, g, s2)
        n += 1
        key = "valid" if res.valid else (res.reason or "?").split(":")[0].split(" ")[0]
        reasons[act.label][key] += 1
        if not res.valid and key == "dmft_not_converged":
            failures.append((act.label, g, s2, res.reason))
            print(f"  NUMERICAL FAILURE {act.label} g={g} sigma2={s2}: {res.reason}", flush=True)
    elapsed = time.perf_counter() - start
    print(f"{args.config}: {n} points, stride {args.stride}, {elapsed:.0f} s")
    for label, counter in reasons.items():
        print(f"  {label}: {dict(counter)}")
    print("numerical failures:", len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
