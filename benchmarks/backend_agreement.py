"""Statistics of the torch backend against the numpy engine, paired on the same J.

For each of ``--realizations`` J (SeedSequence([seed, r])) both engines simulate the same
network from the same initial state with their own noise; the per-J difference torch - numpy
of every statistic then has mean zero if the backends agree, and its spread over J (noise
only: J is shared) gives the standard error. Prints, per statistic, the mean over J of each
backend and the paired difference with its s.e. and z = difference / s.e.

Usage::

    python benchmarks/backend_agreement.py                      # torch on CUDA
    python benchmarks/backend_agreement.py --device cpu --N 50  # no GPU: torch on the CPU
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from rnncorr import get_activation  # noqa: E402
from rnncorr.config import SimulationSettings  # noqa: E402
from rnncorr.estimators import STATISTIC_NAMES  # noqa: E402
from rnncorr.simulate import KINDS, VARIABLES, simulate_realization  # noqa: E402


def run(args) -> dict:
    base = SimulationSettings(
        realizations=1,
        trajectories=args.B,
        duration=args.duration,
        burn_in=50.0,
        dt=0.1,
        integrator=args.integrator,
        blocks=8,
        window=args.window,
        sample_interval=1.0,
        float32=args.float32,
        backend="torch",
        device=args.device,
    )
    numpy_settings = SimulationSettings(**{**base.as_dict(), "backend": "numpy"})
    activation = get_activation(args.activation)
    values = {"numpy": [], "torch": []}
    seconds = {"numpy": 0.0, "torch": 0.0}
    for r in range(args.realizations):
        for backend, settings in (("numpy", numpy_settings), ("torch", base)):
            started = time.perf_counter()
            result = simulate_realization(
                activation, args.N, args.g, args.sigma2, settings, np.random.SeedSequence([0, r])
            )
            seconds[backend] += time.perf_counter() - started
            values[backend].append(
                [
                    [[result.statistics[k][v][s] for s in STATISTIC_NAMES] for v in VARIABLES]
                    for k in KINDS
                ]
            )
    table = {}
    numpy_values, torch_values = np.array(values["numpy"]), np.array(values["torch"])
    difference = torch_values - numpy_values
    count = difference.shape[0]
    print(
        f"{args.activation}, N = {args.N}, g = {args.g}, sigma2 = {args.sigma2}, "
        f"{args.integrator}, {'float32' if args.float32 else 'float64'}, B = {args.B}, "
        f"T = {args.duration:g}, W = {args.window:g}, {count} J; torch on {args.device}; "
        f"run time numpy {seconds['numpy']:.1f} s, torch {seconds['torch']:.1f} s"
    )
    print(
        f"{'kind':>14} {'var':>3} {'statistic':>15} {'numpy':>10} {'torch':>10} "
        f"{'torch-numpy':>12} {'s.e.':>9} {'z':>6}"
    )
    worst = 0.0
    for i, kind in enumerate(KINDS):
        for j, var in enumerate(VARIABLES):
            for s, stat in enumerate(STATISTIC_NAMES):
                d = difference[:, i, j, s]
                mean, se = float(d.mean()), float(d.std(ddof=1) / math.sqrt(count))
                z = mean / se if se > 0 else math.nan
                worst = max(worst, abs(z))
                row = {
                    "numpy": float(numpy_values[:, i, j, s].mean()),
                    "torch": float(torch_values[:, i, j, s].mean()),
                    "difference": mean,
                    "se": se,
                    "z": z,
                }
                table[f"{kind}/{var}/{stat}"] = row
                print(
                    f"{kind:>14} {var:>3} {stat:>15} {row['numpy']:>10.5f} {row['torch']:>10.5f} "
                    f"{mean:>+12.5f} {se:>9.5f} {z:>+6.2f}"
                )
    tests = len(table)
    print(
        f"largest |z| = {worst:.2f} over {tests} statistics "
        f"(for {tests} independent N(0, 1) values ~{math.sqrt(2 * math.log(tests)):.1f} expected)"
    )
    return {"settings": vars(args), "table": table, "seconds": seconds, "largest_z": worst}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--activation", default="tanh")
    parser.add_argument("--N", type=int, default=200)
    parser.add_argument("--g", type=float, default=0.5)
    parser.add_argument("--sigma2", type=float, default=1.0)
    parser.add_argument("--B", type=int, default=16)
    parser.add_argument("--duration", type=float, default=1000.0)
    parser.add_argument("--window", type=float, default=20.0)
    parser.add_argument("--integrator", default="heun", choices=("heun", "euler"))
    parser.add_argument("--float32", action="store_true")
    parser.add_argument("--realizations", type=int, default=8)
    parser.add_argument("--device", default="cuda", choices=("cuda", "cpu"))
    parser.add_argument("--json", help="write the table to this file")
    args = parser.parse_args(argv)
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1, user_api="blas"):
        result = run(args)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
