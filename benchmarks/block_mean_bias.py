"""Bias of per-block mean subtraction in the cross-block estimator (docs/NUMERICS.md).

The engine centres each block's covariance on that block's own mean. For correlated samples this
biases the block covariance down by about S / T_A (S = int C(u) du, T_A the sampled time of the
block, pooled over the B trajectories), most in the slow modes, so PR/N reads high. This script
reruns the engine on the grid of ``config.yaml`` at a small N, keeps the raw equal-time samples
and window integrals of every block, and evaluates on *identical* data the cross-block PR/N
with three centrings (rnncorr.estimators.centred_block_covariances):

* ``block``  - the engine's estimator (checked to reproduce the engine's own numbers);
* ``global`` - the mean of all blocks of the realization;
* ``known``  - the exact stationary mean 0 (every activation of the default grid is odd, and for
  odd phi the dynamics are symmetric under x -> -x): no centring bias at all.

It prints, per cell and kind, the mean over realizations of (block - known) / known for PR_phi/N
and PR_x/N, its standard error, and the statistical error of PR/N itself (s.e. over J), so the
bias can be read against the error bars.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/block_mean_bias.py [--N 50] [--realizations 4]

CPU time with the settings of config.yaml (T = 2000, B = 16, 4 J): 34 s at N = 50, 65 s at N = 100.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from rnncorr.config import grid_cells, load_config, simulation_settings
from rnncorr.estimators import (
    centred_block_covariances,
    mean_and_standard_error,
    moments_of,
    richardson_block_covariances,
)
from rnncorr.simulate import _Engine, realization_seed

CENTRINGS = ("block", "global", "known")


class _RecordingEngine(_Engine):
    """The numpy engine, also keeping each block's equal-time samples and window integrals."""

    def __init__(self, *args, **kwargs) -> None:
        self.equal_time_blocks: list[list[np.ndarray]] = [[]]
        self.window_blocks: list[list[np.ndarray]] = [[]]
        super().__init__(*args, **kwargs)

    def _flush_samples(self) -> None:
        columns = self.filled * self.batch
        if columns:
            self.equal_time_blocks[-1].append(self.samples[:, :columns].copy())
        super()._flush_samples()

    def _fold_window(self) -> None:
        super()._fold_window()
        self.window_blocks[-1].append(self.integral.copy())

    def end_block(self) -> None:
        super().end_block()
        self.equal_time_blocks.append([])
        self.window_blocks.append([])


def realization(cell, settings, seed, r):
    engine = _RecordingEngine(
        cell.activation, cell.N, cell.g, cell.sigma2, settings, realization_seed(seed, cell, r)
    )
    engine.burn_in(settings.burn_in_steps)
    for _ in range(settings.blocks):
        for _ in range(settings.windows_per_block):
            engine.record_window()
            if engine.runaway():
                return None
        engine.end_block()
    engine_stats, _ = engine.result()
    window = settings.steps_per_window * settings.dt
    out = {}
    for v, var in enumerate(("x", "phi")):
        et = [np.concatenate([s[v] for s in block]) for block in engine.equal_time_blocks[:-1]]
        zf = [np.stack([w[v] for w in block]) for block in engine.window_blocks[:-1]]
        for centring in CENTRINGS:
            out[("equal_time", var, centring)] = moments_of(
                centred_block_covariances(et, centring)
            ).statistics()
            out[("zero_frequency", var, centring)] = moments_of(
                richardson_block_covariances(zf, window, centring)
            ).statistics()
        for kind in ("equal_time", "zero_frequency"):
            mine = out[(kind, var, "block")]["pr_over_n"]
            theirs = engine_stats[kind][var]["pr_over_n"]
            assert abs(mine - theirs) < 1e-9 * abs(theirs), (kind, var, mine, theirs)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="config.yaml")
    parser.add_argument("--N", type=int, default=50)
    parser.add_argument("--realizations", type=int, default=4)
    parser.add_argument("--json", default=None, help="also write the table as JSON")
    args = parser.parse_args()
    config = load_config(args.config)
    config["grid"]["N"] = [args.N]
    config["simulation"]["realizations"] = args.realizations
    settings = simulation_settings(config)
    rows = []
    started = time.process_time()
    print(
        f"N = {args.N}, {args.realizations} J x {settings.trajectories} trajectories, "
        f"T = {settings.duration:g}, {settings.blocks} blocks of "
        f"{settings.duration / settings.blocks:g}"
        f" (x B = {settings.trajectories * settings.duration / settings.blocks:g} sampled time), "
        f"W = {settings.window:g}"
    )
    print(
        f"{'cell':<32s} {'kind':<15s} {'var':<4s} {'PR/N block':>10s} {'(block-known)/known':>22s}"
        f" {'(global-known)/known':>22s} {'s.e. of PR/N':>13s}"
    )
    for cell in grid_cells(config):
        reals = [realization(cell, settings, config["seed"], r) for r in range(args.realizations)]
        reals = [r for r in reals if r is not None]
        if not reals:
            print(f"{cell.path:<32s} diverged")
            continue
        for kind in ("zero_frequency", "equal_time"):
            for var in ("phi", "x"):
                pr = {
                    c: np.array([r[(kind, var, c)]["pr_over_n"] for r in reals]) for c in CENTRINGS
                }
                rel_block = mean_and_standard_error((pr["block"] - pr["known"]) / pr["known"])
                rel_global = mean_and_standard_error((pr["global"] - pr["known"]) / pr["known"])
                mean, se = mean_and_standard_error(pr["block"])
                row = {
                    "cell": cell.path,
                    "kind": kind,
                    "variable": var,
                    "pr_over_n": float(mean),
                    "se": float(se),
                    "block_minus_known": [float(rel_block[0]), float(rel_block[1])],
                    "global_minus_known": [float(rel_global[0]), float(rel_global[1])],
                }
                rows.append(row)
                print(
                    f"{cell.path:<32s} {kind:<15s} {var:<4s} {mean:10.4f} "
                    f"{rel_block[0]:+12.3%} +- {rel_block[1]:6.3%} "
                    f"{rel_global[0]:+12.3%} +- {rel_global[1]:6.3%} {se / mean:12.2%}"
                )
    print(f"CPU time {time.process_time() - started:.0f} s")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(rows, handle, indent=1)


if __name__ == "__main__":
    main()
