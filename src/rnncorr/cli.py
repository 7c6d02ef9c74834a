"""Command line: ``rnncorr simulate``, ``rnncorr theory``, ``rnncorr trained``, ``rnncorr plot``.

Each sub-command is the twin of a workflow script and calls the same library function, so a
single cell can be reproduced, or a figure restyled, without Snakemake. Arguments are checked
by the validator of the workflow config (rnncorr.config): a bad value exits with status 2 and
one line naming the flag and its allowed values.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from rnncorr import __version__
from rnncorr.activations import ACTIVATION_NAMES
from rnncorr.config import (
    Cell,
    ConfigError,
    SimulationSettings,
    activation_with_defaults,
    check_cell,
    check_memory,
    check_settings,
    machine_memory_bytes,
)

__all__ = ["log_to", "main"]


def log_to(path: str | Path) -> None:
    """Send logging, warnings and stderr of a workflow script to its rule's log file."""
    handle = open(path, "a", buffering=1)  # noqa: SIM115 - lives as long as the job
    sys.stderr = handle
    logging.basicConfig(stream=handle, level=logging.INFO, force=True)
    logging.captureWarnings(True)


def _add_activation_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--activation", required=True, choices=ACTIVATION_NAMES)
    parser.add_argument("--alpha", type=float, help="power-law exponent, 0 < alpha < 1")
    parser.add_argument("--pade-a", type=float, dest="pade_a", help="Padé a >= 0")
    parser.add_argument("--pade-b", type=float, dest="pade_b", help="Padé b > 0")
    parser.add_argument("--g", type=float, required=True, help="coupling gain g >= 0")
    parser.add_argument("--sigma2", type=float, required=True, help="noise intensity >= 0")


#: flags of the settings, cell and activation parameters whose name is not ``--<name>``
_FLAGS = {
    "burn_in": "--burn-in",
    "sample_interval": "--sample-interval",
    "extrapolate_window": "--no-extrapolate",
    "a": "--pade-a",
    "b": "--pade-b",
    "noise_tau": "--noise-tau",
    "finite_n_samples": "--finite-n-samples",
}


def _flag(name: str) -> str:
    """How the shared validator (rnncorr.config) names a setting here: ``argument --window``."""
    return "argument " + _FLAGS.get(name, "--" + name.replace("_", "-"))


def _activation_and_defaults(args: argparse.Namespace):
    params = {"alpha": args.alpha, "a": args.pade_a, "b": args.pade_b}
    return activation_with_defaults(args.activation, params, _flag)


def _note_defaults(command: str, name: str, defaults: dict[str, float]) -> None:
    """Say on stderr which activation parameters took their default: they change the result."""
    if defaults:
        flags = ", ".join(f"{_FLAGS.get(k, '--' + k)} {v:.6g}" for k, v in defaults.items())
        where = " (recorded in the file's attribute activation_defaults)"
        print(
            f"rnncorr {command}: note: {name} parameter(s) not given, using the default "
            f"{flags}{where if command == 'simulate' else ''}",
            file=sys.stderr,
        )


def _activation(args: argparse.Namespace):
    activation, defaults = _activation_and_defaults(args)
    if not getattr(args, "defaults_noted", False):  # once per command, however often built
        _note_defaults(args.command, args.activation, defaults)
        args.defaults_noted = True
    return activation


def _check_numbers(args: argparse.Namespace) -> None:
    """g, sigma2 (and the optional N, noise_tau, threads) of any sub-command: one-line errors."""
    for name in ("g", "sigma2"):
        value = getattr(args, name, None)
        if value is not None and not (math.isfinite(value) and value >= 0):
            raise ConfigError(
                f"invalid {_flag(name)}: {value} is not allowed; allowed: a finite number >= 0"
            )
    n = getattr(args, "N", None)
    if n is not None and n < 2:
        raise ConfigError(
            f"invalid {_flag('N')}: {n} is not a network size; allowed: an integer >= 2"
        )
    tau = getattr(args, "noise_tau", None)
    if tau is not None and not (math.isfinite(tau) and tau >= 0):
        raise ConfigError(
            f"invalid {_flag('noise_tau')}: {tau} is not allowed; allowed: a finite number >= 0 "
            "(0 or omitted: white noise)"
        )
    threads = getattr(args, "threads", None)
    if threads is not None and threads < 1:
        raise ConfigError(f"invalid {_flag('threads')}: {threads}; allowed: an integer >= 1")


def _add_connectivity_args(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("connectivity (docs/random_mode.md)")
    group.add_argument(
        "--connectivity",
        choices=("iid", "random_mode"),
        default="iid",
        help="coupling ensemble (default iid); with random_mode, --g is g_eff (N Var J_ij = g^2)",
    )
    group.add_argument(
        "--modes-ratio", type=float, dest="modes_ratio", help="alpha = M/N > 0 (random_mode)"
    )
    group.add_argument(
        "--spectrum",
        choices=("constant", "exponential", "step"),
        help="shape of D_a (random_mode; default constant)",
    )
    group.add_argument("--beta", type=float, help="exponential: D_a ~ exp(-beta a/M), beta >= 0")
    group.add_argument(
        "--step-fraction",
        type=float,
        dest="step_fraction",
        help="step spectrum: fraction of non-zero modes, in (0, 1]",
    )
    group.add_argument("--overlap", type=float, help="left-right mode overlap rho in [0, 1)")


def _connectivity(args: argparse.Namespace):
    from rnncorr.connectivity import connectivity_from_args

    return connectivity_from_args(
        args.connectivity,
        args.modes_ratio,
        args.spectrum,
        args.beta,
        args.step_fraction,
        args.overlap,
    )


def _simulate(args: argparse.Namespace) -> int:
    from rnncorr import io, simulate

    settings = SimulationSettings(
        realizations=args.realizations,
        trajectories=args.trajectories,
        duration=args.duration,
        burn_in=args.burn_in,
        dt=args.dt,
        integrator=args.integrator,
        blocks=args.blocks,
        window=args.window,
        extrapolate_window=not args.no_extrapolate,
        sample_interval=args.sample_interval,
        float32=args.float32,
        backend=args.backend,
        device=args.device,
    )
    _check_numbers(args)
    check_settings(settings, _flag)
    activation, defaults = _activation_and_defaults(args)
    cell = Cell(activation, args.N, args.g, args.sigma2)
    check_cell(cell, _flag)
    check_memory(cell, settings, machine_memory_bytes(), _flag("N"))
    # recorded in the file's attribute activation_defaults
    _note_defaults("simulate", args.activation, defaults)
    extra = {"activation_defaults": json.dumps(defaults, sort_keys=True)} if defaults else {}
    connectivity = _connectivity(args)
    if connectivity.kind != "iid":
        from rnncorr import random_mode

        dataset = random_mode.simulate_random_mode_cell(
            activation,
            args.N,
            args.g,
            args.sigma2,
            connectivity,
            settings,
            args.seed,
            threads=args.threads,
        )
        dataset.attrs.update(extra)
        io.write_netcdf(dataset, args.out)
        print(random_mode.cell_summary(dataset) + f"\n-> {args.out}")
        return 0
    result = simulate.simulate_cell(cell, settings, args.seed, threads=args.threads)
    dataset = io.cell_dataset(result, extra_attrs=extra)
    io.write_netcdf(dataset, args.out)
    diverged = int(dataset.diverged.sum())
    realizations = settings.realizations
    print(f"{cell.path}: {realizations} realization(s), {diverged} diverged -> {args.out}")
    print(
        f"  mean over the J realizations +- its standard error (std / sqrt(R) over the "
        f"R = {realizations - diverged} that did not diverge)"
    )
    if dataset.attrs.get("zero_frequency_window_ok") == "0":
        print(f"  WARNING: zero-frequency {dataset.attrs['zero_frequency_window_check']}")
    for kind in dataset.kind.values:
        for var in dataset.variable.values:
            values = dataset.sel(kind=kind, variable=var)
            parts = []
            for stat in ("a", "nc2", "pr_over_n"):
                v = values[stat].values
                v = v[np.isfinite(v)]
                se = v.std(ddof=1) / math.sqrt(v.size) if v.size > 1 else math.nan
                parts.append(f"{stat} = {v.mean() if v.size else math.nan:.5g} +- {se:.2g}")
            print(f"  {kind:>14s} {var:>3s}: " + ", ".join(parts))
    return 0


def _theory(args: argparse.Namespace) -> int:
    from rnncorr import theory

    _check_numbers(args)
    connectivity = _connectivity(args)
    if connectivity.kind != "iid":
        if args.noise_tau or args.N is not None:
            raise ValueError("--connectivity random_mode takes neither --noise-tau nor --N")
        from rnncorr.random_mode import random_mode_theory

        out = random_mode_theory(_activation(args), args.g, args.sigma2, connectivity)
    else:
        result = theory.solve(_activation(args), args.g, args.sigma2, noise_tau=args.noise_tau)
        out = result.to_dict()
        if args.N is not None:
            complete = None
            if not args.noise_tau and result.valid and args.sigma2 > 0:
                # the complete analytic prediction (docs/finite_size.md §10); colored noise and
                # chaos keep the homogeneous series (no site term derived there)
                complete = theory.finite_n_statistics(
                    _activation(args), args.g, args.sigma2, args.N
                )
            out["finite_n"] = result.finite_n(args.N, complete)
            out["finite_n_validity"] = result.finite_n_validity(args.N)
            equal_time = _finite_n_equal_time(args, result.valid)
            out["finite_n_equal_time"] = equal_time
            # the hook of the complete prediction: the equal-time series, valid where the
            # zero-frequency series is (same expansion parameter N (1 - g_eff^2)^2)
            # zero-frequency series is (same expansion parameter N (1 - g_eff^2)^2); outside it
            # the numbers move to "unvalidated", as the zero-frequency ones do
            valid = bool(equal_time["available"] and out["finite_n"].get("valid", False))
            hook = {
                "valid": valid,
                "reason": equal_time.get("reason") or out["finite_n"].get("reason"),
            }
            if valid:
                hook.update({k: v for k, v in equal_time.items() if k not in hook})
            else:
                hook["unvalidated"] = {k: v for k, v in equal_time.items() if k not in hook}
            out["finite_n"]["equal_time"] = hook
            if args.finite_n_samples:
                out["finite_n_montecarlo"] = _finite_n_montecarlo(args)
        elif args.finite_n_samples:
            raise ValueError("--finite-n-samples needs --N")
    if args.format == "json":
        print(json.dumps(out))
    else:
        print(_text(out))
    return 0


def _number(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    return f"{value:.6g}"


def _text(out: dict) -> str:
    """``rnncorr theory --format text``: statistics as a table, everything else as key = value.

    The numbers are those of ``--format json`` rounded to 6 significant digits ("-": null).
    """
    lines = []
    kinds = [k for k in ("zero_frequency", "equal_time") if isinstance(out.get(k), dict)]
    for key, value in out.items():
        if key in kinds or isinstance(value, dict):
            continue
        lines.append(f"{key:<15s} {_number(value)}")
    if kinds:
        stats = ("a", "cbar", "nc2", "pr_over_n")
        lines.append("")
        lines.append(f"{'':<15s} {'':<4s}" + "".join(f"{s:>13s}" for s in stats))
        for kind in kinds:
            for var, values in out[kind].items():
                row = "".join(f"{_number(values.get(s)):>13s}" for s in stats)
                lines.append(f"{kind:<15s} {var:<4s}{row}")
    for key, value in out.items():
        if key in kinds or not isinstance(value, dict):
            continue
        lines.append("")
        lines.append(f"{key}:")
        for sub, item in value.items():
            if isinstance(item, dict):
                item = ", ".join(f"{k} = {_number(v)}" for k, v in item.items())
                lines.append(f"  {sub:<13s} {item}")
            else:
                lines.append(f"  {sub:<13s} {_number(item)}")
    return "\n".join(lines)


def _finite_n_equal_time(args: argparse.Namespace, valid: bool) -> dict:
    """Equal-time 1/N series at --N (docs/finite_size_equal_time.md §2-3), noise-driven only."""
    from rnncorr.theory._finite_n_equal_time import equal_time_prediction

    if not (valid and args.sigma2 > 0 and not args.noise_tau):
        return {"available": False, "reason": "noise-driven networks (sigma2 > 0, white) only"}
    try:
        pred = equal_time_prediction(_activation(args), args.g, args.sigma2, args.N)
    except (ValueError, RuntimeError) as error:  # no lag solution: say why, no number
        return {"available": False, "reason": str(error)}

    def block(p: dict) -> dict:
        # complete = homogeneous series + analytic site term (docs/finite_size_equal_time.md §6);
        # the homogeneous series alone stays available under *_le
        return {
            "pr": p["pr_with_site"],
            "pr_over_n": p["pr_over_n_with_site"],
            "a": p["a_with_site"],
            "nc2": p["nc2_with_site"],
            "p_inf": p["p_inf"],
            "p_0": p["p_0"] + p["p_0_site"],
            "p_0_le": p["p_0"],
            "p_0_site": p["p_0_site"],
            "a_1_site": p["a_1_site"],
            "nc2_1_site": p["nc2_1_site"],
            "pr_over_n_le": p["pr_over_n"],
            "a_le": p["a"],
            "nc2_le": p["nc2"],
        }

    return {
        "available": True,
        "N": pred["N"],
        **block(pred["phi"]),
        "x": block(pred["x"]),
        "method": "1/N series of the linear-equivalent network at equal time, phi with the "
        "single-site diagonal, plus the analytic site term of the gain heterogeneity "
        "(docs/finite_size_equal_time.md sections 2, 3, 6)",
    }


def _finite_n_montecarlo(args: argparse.Namespace) -> dict:
    """J-averaged zero-frequency statistics of the heterogeneous linear-equivalent network."""
    import time

    from rnncorr.theory._heterogeneous import heterogeneous_finite_n_prediction

    if args.finite_n_samples < 2:
        raise ValueError(f"--finite-n-samples must be >= 2, got {args.finite_n_samples}")
    if args.noise_tau:
        raise ValueError("--finite-n-samples is for white noise (no --noise-tau)")
    start = time.monotonic()
    step = max(1, args.finite_n_samples // 20)

    def progress(done: int, total: int) -> None:  # stderr: the Monte Carlo takes minutes
        if done == total or done % step == 0:
            elapsed = time.monotonic() - start
            eta = elapsed * (total - done) / max(done, 1)
            print(
                f"finite-n Monte Carlo: {done}/{total} J, {elapsed:.0f} s, ~{eta:.0f} s left",
                file=sys.stderr,
                flush=True,
            )

    pred = heterogeneous_finite_n_prediction(
        _activation(args),
        args.g,
        args.sigma2,
        args.N,
        args.finite_n_samples,
        args.seed,
        progress=progress,
    )
    het, site = pred["het"], pred["het_minus_hom"]
    out = {"N": args.N, "kind": "zero_frequency", **het["phi"], "x": het["x"]}
    out.update(
        equal_time_a_x=pred["equal_time_a_x"][0],
        equal_time_a_x_se=pred["equal_time_a_x"][1],
        site_pr=site["phi"]["pr"],
        site_pr_se=site["phi"]["pr_se"],
        n_samples=pred["n_samples"],
        excluded=pred["excluded"],
        seed=args.seed,
        method="self-consistent heterogeneous linear-equivalent network, mean over J "
        "(docs/finite_size.md section 8)",
    )
    return out


def _trained(args: argparse.Namespace) -> int:
    from rnncorr.trained import trained_report

    _check_numbers(args)
    for target in args.targets:
        if not (math.isfinite(target) and target != 0):
            raise ConfigError(
                f"invalid argument --targets: {target}; allowed: finite non-zero numbers"
            )
    report = trained_report(args.activation, args.g, args.targets, args.N, args.seed)
    print(json.dumps(report))
    return 0


def _plot(args: argparse.Namespace) -> int:
    from rnncorr import plots

    simulations = Path(args.simulations or "results/simulations.nc")
    if not simulations.is_file():
        how = (
            "point at it with --simulations PATH"
            if args.simulations
            else "run from the repository root after `make figures`, or point at the file "
            "with --simulations PATH (and --theory PATH)"
        )
        raise ConfigError(f"simulation file {simulations} not found (in {Path.cwd()}); {how}")
    theory_file = args.theory or "results/theory.nc"
    if not Path(theory_file).is_file():
        if args.theory:
            raise ConfigError(f"theory file {theory_file} not found; point at it with --theory")
        print(
            f"rnncorr plot: note: {theory_file} not found: no theory lines (--theory PATH)",
            file=sys.stderr,
        )
    figure = plots.make_figure(args.figure, simulations, theory_file)
    for out in args.out:
        plots.save_figure(figure, out)
        print(f"wrote {out}")
    return 0


def _parser(figures: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The argument parser; ``figures``: the names ``rnncorr plot`` lists (None: not loaded)."""
    parser = argparse.ArgumentParser(
        prog="rnncorr",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"rnncorr {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sim = sub.add_parser("simulate", help="simulate one grid cell and write its netCDF file")
    _add_activation_args(sim)
    sim.add_argument("--N", type=int, required=True, help="network size")
    sim.add_argument("--duration", type=float, required=True, help="recorded time per trajectory")
    sim.add_argument("--realizations", type=int, default=4, help="J realizations R")
    sim.add_argument("--trajectories", type=int, default=16, help="noise trajectories B per J")
    sim.add_argument("--seed", type=int, default=0, help="base seed")
    sim.add_argument("--dt", type=float, default=0.1)
    sim.add_argument("--burn-in", type=float, default=50.0, dest="burn_in")
    sim.add_argument("--integrator", choices=("heun", "euler"), default="heun")
    sim.add_argument(
        "--blocks", type=int, default=8, help="time blocks of the cross-block estimator"
    )
    sim.add_argument("--window", type=float, default=40.0, help="zero-frequency window W")
    sim.add_argument(
        "--no-extrapolate",
        action="store_true",
        help="do not remove the 1/W window bias (Richardson from W and 2W)",
    )
    sim.add_argument("--sample-interval", type=float, default=1.0, dest="sample_interval")
    sim.add_argument("--float32", action="store_true", help="integrate in float32")
    sim.add_argument(
        "--threads",
        type=int,
        default=None,
        help="BLAS threads for the products (default: numpy's BLAS default; scipy's BLAS "
        "always gets one, see rnncorr.threads)",
    )
    sim.add_argument(
        "--backend",
        choices=("numpy", "torch"),
        default="numpy",
        help="engine: numpy (CPU, default) or torch (needs the rnncorr[gpu] extra and a CUDA "
        "GPU; statistics agree with numpy within statistical error, not bit for bit)",
    )
    sim.add_argument(
        "--device",
        choices=("cuda", "cpu"),
        default="cuda",
        help="device of --backend torch (default cuda: an error where there is no GPU)",
    )
    sim.add_argument("--out", required=True, help="output netCDF file")
    _add_connectivity_args(sim)
    sim.set_defaults(handler=_simulate)

    th = sub.add_parser("theory", help="large-N theory of one parameter set")
    _add_activation_args(th)
    th.add_argument(
        "--noise-tau",
        type=float,
        default=None,
        dest="noise_tau",
        help="Ornstein-Uhlenbeck noise correlation time (default: white noise)",
    )
    th.add_argument("--N", type=int, default=None, help="add the finite-N prediction")
    th.add_argument(
        "--finite-n-samples",
        type=int,
        default=0,
        dest="finite_n_samples",
        help="with --N: also average the heterogeneous linear-equivalent network over this "
        "many J (key finite_n_montecarlo; docs/finite_size.md section 8)",
    )
    th.add_argument("--seed", type=int, default=0, help="seed of the --finite-n-samples J")
    th.add_argument("--format", choices=("json", "text"), default="json")
    _add_connectivity_args(th)
    th.set_defaults(handler=_theory)

    tr = sub.add_parser("trained", help="trained attractor network: theory vs closed-loop Jacobian")
    tr.add_argument(
        "--activation", required=True, choices=("linear", "tanh", "erf", "pade", "relu")
    )
    tr.add_argument("--g", type=float, required=True, help="coupling gain g >= 0")
    tr.add_argument(
        "--targets",
        type=float,
        action="append",
        required=True,
        help="target output A of one trained fixed point (repeat for several)",
    )
    tr.add_argument("--N", type=int, default=2000, help="network size of the simulated check")
    tr.add_argument("--seed", type=int, default=0)
    tr.add_argument("--format", choices=("json",), default="json")
    tr.set_defaults(handler=_trained)

    pl = sub.add_parser("plot", help="regenerate a figure from the netCDF files alone")
    pl.add_argument(
        "figure",
        choices=figures,
        metavar="FIGURE",
        help="figure name (rnncorr.plots.FIGURES)" + (": " + ", ".join(figures) if figures else ""),
    )
    pl.add_argument(
        "--simulations",
        default=None,
        help="simulations file (default results/simulations.nc, relative to the current folder)",
    )
    pl.add_argument(
        "--theory",
        default=None,
        help="theory file (default results/theory.nc; without it, no theory lines)",
    )
    pl.add_argument("--out", nargs="+", required=True, help="output files (.pdf, .png)")
    pl.set_defaults(handler=_plot)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``rnncorr`` console script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    figures = None
    if "plot" in argv:
        # the figure names for `rnncorr plot --help` and its check; plots imports matplotlib,
        # which the other commands need not wait for
        from rnncorr.plots import FIGURES

        figures = list(FIGURES)
    parser = _parser(figures)
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except ValueError as exc:  # ConfigError included: one line, the flag and what is allowed
        message = " ".join(str(exc).split())
        parser.exit(2, f"rnncorr {args.command}: error: {message}\n")


if __name__ == "__main__":
    sys.exit(main())
