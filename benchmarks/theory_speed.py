"""Time the large-N theory on a dense g axis: the cost of the workflow's theory rule.

    python benchmarks/theory_speed.py                # 200 g in [0.02, 2.4], sigma2 = 1
    python benchmarks/theory_speed.py --num 50 --processes 2

Prints, per activation, the wall time of the full ``rnncorr.theory.solve`` (single site,
zero-frequency and equal-time statistics, 1/N coefficients) over the g axis, the time per point
and the number of points without a stationary solution. ``--processes`` spreads the g values over
worker processes, as the workflow spreads activations over jobs.
"""

from __future__ import annotations

import argparse
import os
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from rnncorr import get_activation, theory

ACTIVATIONS = {
    "linear": {},
    "tanh": {},
    "erf": {},
    "power": {"alpha": 0.5},
    "pade": {},
}


def _solve(args: tuple[str, float, float]) -> bool:
    name, g, sigma2 = args
    return theory.solve(get_activation(name, **ACTIVATIONS[name]), g, sigma2).valid


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--num", type=int, default=200, help="number of g values")
    parser.add_argument("--sigma2", type=float, default=1.0)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--activations", nargs="+", default=list(ACTIVATIONS))
    args = parser.parse_args()
    g_values = np.linspace(0.02, 2.4, args.num)
    print(
        f"{os.cpu_count()} CPUs, {args.processes} process(es), {args.num} g values, "
        f"sigma2 = {args.sigma2}"
    )
    print(f"{'activation':>10} {'wall s':>8} {'ms/point':>9} {'invalid':>8}")
    with ProcessPoolExecutor(args.processes) as pool:
        for name in args.activations:
            started = time.perf_counter()
            valid = list(pool.map(_solve, [(name, g, args.sigma2) for g in g_values]))
            wall = time.perf_counter() - started
            print(f"{name:>10} {wall:8.1f} {1e3 * wall / args.num:9.0f} {args.num - sum(valid):8d}")


if __name__ == "__main__":
    main()
